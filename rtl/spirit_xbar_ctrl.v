// SPDX-License-Identifier: Apache-2.0
//
// Crossbar read controller. For each spike event it reads the event's synapse row from the RRAM
// array and turns it into one signed weight per neuron: the number of excitatory cells in LRS
// minus the number of inhibitory cells in LRS (one unit of current per LRS cell).
//
// It also gives the register block access to single synapses (program and read back), but only
// while no event is in flight: events always win the array ports.
//
// One event is in flight at a time: a row is read only once the previous weights have been
// consumed, so the core decides from up-to-date spike counts whether a row is read at all.

`default_nettype none

module spirit_xbar_ctrl #(
  // number of input lines (rows)
  parameter integer N_INPUTS = 144,
  // number of neurons (synapses per row)
  parameter integer N_NEURONS = 10,
  // cells per synapse side
  parameter integer CELLS = 4,
  // optional $readmemh image of the array
  parameter INIT_FILE = "",
  // derived widths
  parameter integer ROW_W = (N_INPUTS > 1) ? $clog2(N_INPUTS) : 1,
  parameter integer NEUR_W = (N_NEURONS > 1) ? $clog2(N_NEURONS) : 1,
  parameter integer W_W = $clog2(CELLS + 1) + 1
) (
  input  wire                     clk_i,
  input  wire                     rst_ni,

  /* event read requests */
  input  wire                     req_valid_i,
  output wire                     req_ready_o,
  input  wire [ROW_W-1:0]         req_row_i,

  /* weights of the row read, one signed W_W-bit field per neuron, neuron 0 at the LSB */
  output wire                     w_valid_o,
  input  wire                     w_ready_i,
  output reg  [N_NEURONS*W_W-1:0] w_o,

  /* single-synapse access: data is {inhibitory cells, excitatory cells} */
  input  wire                     cell_req_i,
  output wire                     cell_gnt_o,
  input  wire                     cell_we_i,
  input  wire [ROW_W-1:0]         cell_row_i,
  input  wire [NEUR_W-1:0]        cell_col_i,
  input  wire [2*CELLS-1:0]       cell_wdata_i,
  output reg                      cell_rvalid_o,
  output wire [2*CELLS-1:0]       cell_rdata_o
);

  localparam integer SynBits = 2 * CELLS;
  localparam integer RowBits = N_NEURONS * SynBits;

  initial begin
    if (CELLS < 1 || N_NEURONS < 1) begin
      $error("spirit_xbar_ctrl: CELLS and N_NEURONS must be at least 1");
      $finish;
    end
    if (W_W != $clog2(CELLS + 1) + 1) begin
      $error("spirit_xbar_ctrl: W_W is derived from CELLS; leave it at its default");
      $finish;
    end
  end

  reg               w_valid_q;
  reg  [NEUR_W-1:0] cell_col_q;
  wire [RowBits-1:0] rd_data;

  wire ev_rd   = req_valid_i && req_ready_o;
  wire cell_go = cell_req_i && cell_gnt_o;

  assign req_ready_o = !w_valid_q;
  assign w_valid_o   = w_valid_q;
  assign cell_gnt_o  = !w_valid_q && !req_valid_i;

  // the program mask selects the 2*CELLS cells of one synapse
  wire [RowBits-1:0] syn_ones = {{(RowBits - SynBits){1'b0}}, {SynBits{1'b1}}};
  wire [RowBits-1:0] pg_mask  = syn_ones << (cell_col_i * SynBits);
  wire [RowBits-1:0] syn_data = {{(RowBits - SynBits){1'b0}}, cell_wdata_i};
  wire [RowBits-1:0] pg_set   = syn_data << (cell_col_i * SynBits);

  spirit_rram_array #(
    .N_ROWS    (N_INPUTS),
    .ROW_BITS  (RowBits),
    .INIT_FILE (INIT_FILE)
  ) u_array (
    .clk_i     (clk_i),
    .rd_en_i   (ev_rd || (cell_go && !cell_we_i)),
    .rd_row_i  (ev_rd ? req_row_i : cell_row_i),
    .rd_data_o (rd_data),
    .pg_en_i   (cell_go && cell_we_i),
    .pg_row_i  (cell_row_i),
    .pg_mask_i (pg_mask),
    .pg_set_i  (pg_set)
  );

  assign cell_rdata_o = rd_data[cell_col_q * SynBits +: SynBits];

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      w_valid_q     <= 1'b0;
      cell_rvalid_o <= 1'b0;
      cell_col_q    <= {NEUR_W{1'b0}};
    end else begin
      if (ev_rd) begin
        w_valid_q <= 1'b1;
      end else if (w_ready_i) begin
        w_valid_q <= 1'b0;
      end
      cell_rvalid_o <= cell_go && !cell_we_i;
      if (cell_go) cell_col_q <= cell_col_i;
    end
  end

  // LRS counts: excitatory minus inhibitory, per neuron
  integer j, c;
  reg [W_W-1:0] n_exc, n_inh;
  always @* begin
    w_o = {(N_NEURONS * W_W){1'b0}};
    for (j = 0; j < N_NEURONS; j = j + 1) begin
      n_exc = {W_W{1'b0}};
      n_inh = {W_W{1'b0}};
      for (c = 0; c < CELLS; c = c + 1) begin
        n_exc = n_exc + {{(W_W - 1){1'b0}}, rd_data[(2 * j) * CELLS + c]};
        n_inh = n_inh + {{(W_W - 1){1'b0}}, rd_data[(2 * j + 1) * CELLS + c]};
      end
      w_o[j * W_W +: W_W] = n_exc - n_inh;
    end
  end

endmodule

`default_nettype wire
