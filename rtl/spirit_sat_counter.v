// SPDX-License-Identifier: Apache-2.0
//
// Saturating event counter. It stops at its maximum instead of wrapping, and raises a sticky
// flag when an increment was lost that way, so a counter never wraps silently.

`default_nettype none

module spirit_sat_counter #(
  // counter width in bits
  parameter integer WIDTH = 32,
  // width of the increment
  parameter integer INC_W = 1
) (
  input  wire             clk_i,
  input  wire             rst_ni,
  // synchronous clear of the count and of the overflow flag
  input  wire             clear_i,
  input  wire [INC_W-1:0] inc_i,
  output reg  [WIDTH-1:0] count_o,
  // sticky: some increment did not fit
  output reg              overflow_o
);

  initial begin
    if (INC_W > WIDTH) begin
      $error("spirit_sat_counter: INC_W (%0d) must not exceed WIDTH (%0d)", INC_W, WIDTH);
      $finish;
    end
  end

  // one guard bit catches the carry out
  wire [WIDTH:0] sum = {1'b0, count_o} + {{(WIDTH + 1 - INC_W){1'b0}}, inc_i};

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      count_o    <= {WIDTH{1'b0}};
      overflow_o <= 1'b0;
    end else if (clear_i) begin
      count_o    <= {WIDTH{1'b0}};
      overflow_o <= 1'b0;
    end else if (sum[WIDTH]) begin
      count_o    <= {WIDTH{1'b1}};
      overflow_o <= 1'b1;
    end else begin
      count_o    <= sum[WIDTH-1:0];
    end
  end

endmodule

`default_nettype wire
