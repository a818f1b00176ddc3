// SPDX-License-Identifier: Apache-2.0
//
// Crossbar read controller. For each spike event it reads the event's synapse row from the RRAM
// array and turns the sensed codes into one signed weight current per neuron:
//   single-level cells (MLC = 0): the sum of the excitatory cells' codes minus the sum of the
//     inhibitory cells' codes (with ideal cells: LRS cells minus LRS cells, -CELLS..+CELLS);
//   multi-level cells (MLC = 1): the magnitude cell's code, negated when the sign cell reads
//     as LRS (code >= SENSE_REF).
//
// It also gives the register block access to single synapses, but only while no event is in
// flight (events always win the array ports): a write pulses the masked cells of the synapse
// toward the word's states; a read returns the word the cells sense as (a binary cell is LRS
// from SENSE_REF; a magnitude cell is the nearest level, 2^STEP_SHIFT codes apart).
// Synapse word: single-level {inhibitory cells, excitatory cells}, one bit each; multi-level
// {sign, magnitude}.
//
// One event is in flight at a time: a row is read only once the previous weights have been
// consumed, so the core decides from up-to-date spike counts whether a row is read at all.

`default_nettype none

module spirit_xbar_ctrl #(
  // number of input lines (rows)
  parameter integer N_INPUTS = 144,
  // number of neurons (synapses per row)
  parameter integer N_NEURONS = 10,
  // cells per synapse side (single-level), or magnitude levels above 0 (multi-level)
  parameter integer CELLS = 4,
  // 1: two multi-level cells per synapse (magnitude, sign)
  parameter integer MLC = 0,
  // bits of a sensed code
  parameter integer CODE_W = 1,
  // the code from which a binary cell reads as LRS
  parameter integer SENSE_REF = 1,
  // magnitude levels lie 2^STEP_SHIFT codes apart (multi-level read-back)
  parameter integer STEP_SHIFT = 0,
  // the array follows a device map (see spirit_rram_array)
  parameter integer DEVICE = 0,
  parameter DEVICE_FILE = "",
  // optional $readmemh image of the array
  parameter INIT_FILE = "",
  // derived widths
  parameter integer ROW_W = (N_INPUTS > 1) ? $clog2(N_INPUTS) : 1,
  parameter integer NEUR_W = (N_NEURONS > 1) ? $clog2(N_NEURONS) : 1,
  parameter integer CPS = (MLC != 0) ? 2 : 2 * CELLS,
  parameter integer STATE_W = (MLC != 0) ? $clog2(CELLS + 1) : 1,
  parameter integer WORD_W = (MLC != 0) ? $clog2(CELLS + 1) + 1 : 2 * CELLS,
  parameter integer W_W = (MLC != 0) ? CODE_W + 1
                              : $clog2(CELLS * ((1 << CODE_W) - 1) + 1) + 1
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

  /* single-synapse access */
  input  wire                     cell_req_i,
  output wire                     cell_gnt_o,
  input  wire                     cell_we_i,
  input  wire [ROW_W-1:0]         cell_row_i,
  input  wire [NEUR_W-1:0]        cell_col_i,
  input  wire [WORD_W-1:0]        cell_wdata_i,
  // which cells of the synapse a write pulses
  input  wire [CPS-1:0]           cell_mask_i,
  input  wire [1:0]               cell_cond_i,
  output reg                      cell_rvalid_o,
  output reg  [WORD_W-1:0]        cell_rdata_o,

  /* the array's usage counters: reads, programming operations, cell pulses */
  output wire [31:0]              reads_o,
  output wire [31:0]              ops_o,
  output wire [31:0]              pulses_o
);

  localparam integer RowCells = N_NEURONS * CPS;
  localparam integer MagW = (MLC != 0) ? STATE_W : 1;
  localparam integer NStates = (MLC != 0) ? CELLS + 1 : 2;
  localparam [31:0] SenseRef = SENSE_REF;
  localparam [31:0] Levels = CELLS;

  initial begin
    if (CELLS < 1 || N_NEURONS < 1 || (MLC != 0 && (1 << CODE_W) - 1 < CELLS) ||
        SENSE_REF < 1 || SENSE_REF >= (1 << CODE_W) || STEP_SHIFT >= CODE_W) begin
      $error("spirit_xbar_ctrl: need CELLS, N_NEURONS >= 1, SENSE_REF in 1..2^CODE_W-1, %s",
             "STEP_SHIFT < CODE_W, and with MLC codes for every level");
      $finish;
    end
  end

  reg                  w_valid_q;
  reg  [NEUR_W-1:0]    cell_col_q;
  wire [RowCells*CODE_W-1:0] codes;

  wire ev_rd   = req_valid_i && req_ready_o;
  wire cell_go = cell_req_i && cell_gnt_o;

  assign req_ready_o = !w_valid_q;
  assign w_valid_o   = w_valid_q;
  assign cell_gnt_o  = !w_valid_q && !req_valid_i;

  // the synapse word as target states of its cells, and the cells it pulses, in row position
  wire [CPS*STATE_W-1:0] syn_states;
  generate
    if (MLC != 0) begin : g_mlc_word
      assign syn_states = {{(STATE_W - 1){1'b0}}, cell_wdata_i[WORD_W-1],
                           cell_wdata_i[MagW-1:0]};
    end else begin : g_slc_word
      assign syn_states = cell_wdata_i;
    end
  endgenerate
  wire [RowCells*STATE_W-1:0] row_states = {{((N_NEURONS - 1) * CPS * STATE_W){1'b0}},
                                            syn_states} << (cell_col_i * CPS * STATE_W);
  wire [RowCells-1:0] row_mask = {{((N_NEURONS - 1) * CPS){1'b0}}, cell_mask_i}
                                 << (cell_col_i * CPS);

  spirit_rram_array #(
    .N_ROWS      (N_INPUTS),
    .CELLS       (RowCells),
    .STATE_W     (STATE_W),
    .CODE_W      (CODE_W),
    .N_STATES    (NStates),
    .DEVICE      (DEVICE),
    .DEVICE_FILE (DEVICE_FILE),
    .INIT_FILE   (INIT_FILE)
  ) u_array (
    .clk_i      (clk_i),
    .rd_en_i    (ev_rd || (cell_go && !cell_we_i)),
    .rd_row_i   (ev_rd ? req_row_i : cell_row_i),
    .rd_codes_o (codes),
    .pg_en_i    (cell_go && cell_we_i),
    .pg_row_i   (cell_row_i),
    .pg_mask_i  (row_mask),
    .pg_state_i (row_states),
    .pg_cond_i  (cell_cond_i),
    .reads_o    (reads_o),
    .ops_o      (ops_o),
    .pulses_o   (pulses_o)
  );

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

  // ---- sensing one synapse for a register read --------------------------------------------

  integer c;
  reg [31:0] code, level;
  always @* begin
    cell_rdata_o = {WORD_W{1'b0}};
    for (c = 0; c < CPS; c = c + 1) begin
      code = {{(32 - CODE_W){1'b0}}, codes[(cell_col_q * CPS + c) * CODE_W +: CODE_W]};
      if (MLC != 0 && c == 0) begin
        level = (code + ((32'd1 << STEP_SHIFT) >> 1)) >> STEP_SHIFT;
        if (level > Levels) level = Levels;
        cell_rdata_o[MagW-1:0] = level[MagW-1:0];
      end else if (MLC != 0) begin
        cell_rdata_o[WORD_W-1] = code >= SenseRef;
      end else begin
        cell_rdata_o[c] = code >= SenseRef;
      end
    end
  end

  // ---- weight currents ----------------------------------------------------------------------

  integer j, k;
  reg signed [W_W-1:0] acc;
  reg        [W_W-1:0] mag;
  always @* begin
    w_o = {(N_NEURONS * W_W){1'b0}};
    for (j = 0; j < N_NEURONS; j = j + 1) begin
      acc = {W_W{1'b0}};
      if (MLC != 0) begin
        mag = {{(W_W - CODE_W){1'b0}}, codes[(2 * j) * CODE_W +: CODE_W]};
        acc = ({{(32 - CODE_W){1'b0}}, codes[(2 * j + 1) * CODE_W +: CODE_W]} >= SenseRef)
              ? -$signed(mag) : $signed(mag);
      end else begin
        for (k = 0; k < CELLS; k = k + 1) begin
          acc = acc + $signed({{(W_W - CODE_W){1'b0}}, codes[(j * CPS + k) * CODE_W +: CODE_W]})
                    - $signed({{(W_W - CODE_W){1'b0}},
                               codes[(j * CPS + CELLS + k) * CODE_W +: CODE_W]});
        end
      end
      w_o[j * W_W +: W_W] = acc;
    end
  end

endmodule

`default_nettype wire
