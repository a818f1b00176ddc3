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

`ifndef SYNTHESIS
`ifndef SPIRIT_NO_ASSERT
  // Checks, in simulation only: the count goes down only through clear_i or reset (it never
  // wraps), and an increment lost at the maximum always raises overflow_o.
  reg [WIDTH-1:0] count_q;
  reg             clear_q;
  reg             lost_q;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      clear_q <= 1'b1;
      lost_q  <= 1'b0;
    end else begin
      if (!clear_q && count_o < count_q) begin
        $error("spirit_sat_counter %m: count_o went down from %0d to %0d without clear_i",
               count_q, count_o);
      end
      if (!clear_q && lost_q && !overflow_o) begin
        $error("spirit_sat_counter %m: an increment was lost at the maximum, overflow_o is low");
      end
      clear_q <= clear_i;
      lost_q  <= sum[WIDTH] && !clear_i;
      // unknown inputs (4-state simulators)
      if (rst_ni === 1'b1) begin
        if (^clear_i === 1'bx) $fatal(1, "spirit_sat_counter %m: clear_i is X or Z");
        if (^inc_i === 1'bx) $fatal(1, "spirit_sat_counter %m: inc_i is X or Z");
      end
    end
  end
  always @(posedge clk_i) count_q <= count_o;
`endif
`endif

endmodule

`default_nettype wire
