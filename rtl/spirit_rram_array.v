// SPDX-License-Identifier: Apache-2.0
//
// Behavioural RRAM crossbar: one row per input line, each row holding every cell of that line's
// synapses. It stands where a hard RRAM macro would, behind the ports such a macro has: a read
// port with one cycle of latency (word line select, sense amplifiers, output latch) and a
// program port that applies SET or RESET pulses to the masked cells of one row.
//
// Row layout: for neuron j, side s (0 excitatory, 1 inhibitory) and cell c, the cell is bit
// (2*j + s)*CELLS + c. A cell reads 1 in the low-resistance state (LRS), 0 in the high (HRS).
//
// To swap in a real macro, keep these ports and this layout; the read controller only sees
// rd_data_o one cycle after rd_en_i. Cells are non-volatile and have no reset.

`default_nettype none

module spirit_rram_array #(
  // number of rows (input lines)
  parameter integer N_ROWS = 144,
  // cells per row
  parameter integer ROW_BITS = 80,
  // derived: width of a row index
  parameter integer ROW_W = (N_ROWS > 1) ? $clog2(N_ROWS) : 1,
  // optional $readmemh image of the cells, one row per line; empty: every cell in HRS
  parameter INIT_FILE = ""
) (
  input  wire                clk_i,

  /* read port */
  input  wire                rd_en_i,
  input  wire [ROW_W-1:0]    rd_row_i,
  output reg  [ROW_BITS-1:0] rd_data_o,

  /* program port: for each cell with its mask bit set, SET (1) or RESET (0) */
  input  wire                pg_en_i,
  input  wire [ROW_W-1:0]    pg_row_i,
  input  wire [ROW_BITS-1:0] pg_mask_i,
  input  wire [ROW_BITS-1:0] pg_set_i
);

  reg [ROW_BITS-1:0] cells_q [0:N_ROWS-1];

  integer r;
  initial begin
    if (INIT_FILE != "") begin
      $readmemh(INIT_FILE, cells_q);
    end else begin
      for (r = 0; r < N_ROWS; r = r + 1) cells_q[r] = {ROW_BITS{1'b0}};
    end
    rd_data_o = {ROW_BITS{1'b0}};
  end

  always @(posedge clk_i) begin
    if (pg_en_i) begin
      cells_q[pg_row_i] <= (cells_q[pg_row_i] & ~pg_mask_i) | (pg_set_i & pg_mask_i);
    end
    // a read of the row being programmed returns its old cells
    if (rd_en_i) begin
      rd_data_o <= cells_q[rd_row_i];
    end
  end

endmodule

`default_nettype wire
