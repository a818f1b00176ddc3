// SPDX-License-Identifier: Apache-2.0
//
// Behavioural RRAM crossbar: one row per input line, each row holding every cell of that line's
// synapses. It stands where a hard RRAM macro would, behind the ports such a macro has: a read
// port with one cycle of latency (word line select, sense amplifiers, output latch) that gives
// each cell's sensed current as a CODE_W-bit code, and a program port that applies a SET or
// RESET pulse to the masked cells of one row.
//
// Cell k of a row is cell (k mod CPS) of the synapse of neuron (k / CPS); a cell's state is
// STATE_W bits (single-level cells: 0 HRS, 1 LRS).
//
// With DEVICE = 0 the cells are ideal: a cell reads as its state and every pulse takes. With
// DEVICE = 1 the cells behave as the device model says (model/device.py, same rules, same
// numbers), from the device map in <DEVICE_FILE>_cells.hex (per cell: read-disturb limit,
// stuck state, state after forming, code in each state) and <DEVICE_FILE>_header.hex (seeds
// and 33-bit thresholds):
//   read:    the row's read count goes up by one; an HRS cell that is not stuck and whose
//            count reaches its limit turns LRS for good; each cell reads as its state's code,
//            plus noise -2..+2 drawn from mix32(noise seed, reads so far, cell), clipped;
//   program: a pulse on a cell that is not stuck and not already in the target state takes
//            when mix32(program seed, operations so far, cell) falls under the condition's SET
//            or RESET threshold.
// Cells, counts and counters are the devices' own: no reset touches them.
//
// To swap in a real macro, keep these ports and this layout.

`default_nettype none

module spirit_rram_array #(
  // number of rows (input lines)
  parameter integer N_ROWS = 144,
  // cells per row
  parameter integer CELLS = 80,
  // bits of a cell's state
  parameter integer STATE_W = 1,
  // bits of a sensed code
  parameter integer CODE_W = 1,
  // states a cell can take (2 for single-level cells)
  parameter integer N_STATES = 2,
  // 1: the cells follow the device map; 0: ideal cells
  parameter integer DEVICE = 0,
  // prefix of the device map files (with DEVICE = 1)
  parameter DEVICE_FILE = "",
  // optional $readmemh image of the cell states, one row per line (ideal cells)
  parameter INIT_FILE = "",
  // derived: width of a row index
  parameter integer ROW_W = (N_ROWS > 1) ? $clog2(N_ROWS) : 1
) (
  input  wire                      clk_i,

  /* read port */
  input  wire                      rd_en_i,
  input  wire [ROW_W-1:0]          rd_row_i,
  output reg  [CELLS*CODE_W-1:0]   rd_codes_o,

  /* program port: a pulse toward pg_state_i on each cell with its mask bit set */
  input  wire                      pg_en_i,
  input  wire [ROW_W-1:0]          pg_row_i,
  input  wire [CELLS-1:0]          pg_mask_i,
  input  wire [CELLS*STATE_W-1:0]  pg_state_i,
  // programming condition (pulse voltages), 0..3
  input  wire [1:0]                pg_cond_i,

  /* usage */
  output reg  [31:0]               reads_o,
  output reg  [31:0]               ops_o,
  output reg  [31:0]               pulses_o
);

  localparam integer InfoW = 32 + 1 + 2 * STATE_W + N_STATES * CODE_W;
  localparam integer CodeMaxI = (1 << CODE_W) - 1;
  localparam [32:0] Half = 33'h1_0000_0000;

  initial begin
    if (STATE_W > CODE_W || N_STATES > (1 << STATE_W)) begin
      $error("spirit_rram_array: need N_STATES <= 2^STATE_W and STATE_W <= CODE_W");
      $finish;
    end
  end

  // a 32-bit hash of three words; model/device.py mix32 is the same
  function [31:0] mix32;
    input [31:0] a;
    input [31:0] b;
    input [31:0] c;
    reg   [31:0] x;
    begin
      x = a ^ (b * 32'h9E37_79B1) ^ (c * 32'h85EB_CA77);
      x = x ^ (x >> 16);
      x = x * 32'h7FEB_352D;
      x = x ^ (x >> 15);
      x = x * 32'h846C_A68B;
      mix32 = x ^ (x >> 16);
    end
  endfunction

  reg [CELLS*STATE_W-1:0] state_q [0:N_ROWS-1];
  reg [31:0]              row_reads_q [0:N_ROWS-1];
  // the device map, with DEVICE = 1 only
  reg [InfoW-1:0]         info [0:(DEVICE != 0 ? N_ROWS * CELLS : 1) - 1];

  integer r, k;
  initial begin
    if (DEVICE != 0) begin
      $readmemh({DEVICE_FILE, "_cells.hex"}, info);
      for (r = 0; r < N_ROWS; r = r + 1) begin
        for (k = 0; k < CELLS; k = k + 1) begin
          state_q[r][k * STATE_W +: STATE_W] = info[r * CELLS + k][N_STATES * CODE_W +:
                                                                   STATE_W];
        end
      end
    end else if (INIT_FILE != "") begin
      $readmemh(INIT_FILE, state_q);
    end else begin
      for (r = 0; r < N_ROWS; r = r + 1) state_q[r] = {(CELLS * STATE_W){1'b0}};
    end
    for (r = 0; r < N_ROWS; r = r + 1) row_reads_q[r] = 32'd0;
    rd_codes_o = {(CELLS * CODE_W){1'b0}};
    reads_o    = 32'd0;
    ops_o      = 32'd0;
    pulses_o   = 32'd0;
  end

  // ---- one read, one program operation: next state computed here, committed at the edge ------

  reg [CELLS*STATE_W-1:0] pg_state_n, rd_state_n;
  reg [CELLS*CODE_W-1:0]  rd_codes_n;
  wire [31:0]             rd_count = row_reads_q[rd_row_i] + 32'd1;

  generate
    if (DEVICE == 0) begin : g_ideal
      // ideal cells: every pulse takes, a cell reads as its state; whole-row operations, so
      // the simulation cost of a read does not grow with the cells of a row
      wire [CELLS*STATE_W-1:0] pg_mask_w;
      wire [CELLS*STATE_W-1:0] rd_row_w = state_q[rd_row_i];
      wire [CELLS*CODE_W-1:0]  rd_codes_w;
      if (STATE_W == 1) begin : g_mask
        assign pg_mask_w = pg_mask_i;
      end else begin : g_mask_wide
        genvar m;
        for (m = 0; m < CELLS; m = m + 1) begin : g_cell
          assign pg_mask_w[m * STATE_W +: STATE_W] = {STATE_W{pg_mask_i[m]}};
        end
      end
      if (STATE_W == CODE_W) begin : g_codes
        assign rd_codes_w = rd_row_w;
      end else begin : g_codes_wide
        genvar q;
        for (q = 0; q < CELLS; q = q + 1) begin : g_cell
          assign rd_codes_w[q * CODE_W +: CODE_W] = {{(CODE_W - STATE_W){1'b0}},
                                                     rd_row_w[q * STATE_W +: STATE_W]};
        end
      end
      // ideal cells ignore the programming condition
      wire unused_cond = ^pg_cond_i;
      always @* begin
        pg_state_n = (state_q[pg_row_i] & ~pg_mask_w) | (pg_state_i & pg_mask_w);
        rd_state_n = rd_row_w;
        rd_codes_n = rd_codes_w;
      end
    end else begin : g_device
      // prog seed, noise seed, SET thresholds x4, RESET thresholds x4, noise thresholds x4
      reg [32:0] header [0:13];
      initial $readmemh({DEVICE_FILE, "_header.hex"}, header);
      wire noisy = header[10] != 33'd0 || header[11] != 33'd0 || header[12] != Half ||
                   header[13] != Half;
      reg [InfoW-1:0]   pg_info, rd_info;
      reg [STATE_W-1:0] pg_s, pg_target, rd_s;
      reg [31:0]        pg_h, pg_g, rd_h, rd_g;
      reg [32:0]        pg_thr;
      integer           rd_code, pj, rj;

      // a programming operation on row pg_row_i
      always @* begin
        pg_state_n = state_q[pg_row_i];
        pg_s       = {STATE_W{1'b0}};
        pg_target  = {STATE_W{1'b0}};
        pg_g       = 32'd0;
        pg_h       = 32'd0;
        pg_info    = {InfoW{1'b0}};
        pg_thr     = 33'd0;
        for (pj = 0; pj < CELLS; pj = pj + 1) begin
          if (pg_mask_i[pj]) begin
            pg_s      = pg_state_n[pj * STATE_W +: STATE_W];
            pg_target = pg_state_i[pj * STATE_W +: STATE_W];
            pg_g      = pg_row_i * CELLS + pj;
            pg_info   = info[pg_g];
            if (!pg_info[InfoW-33] && pg_target != pg_s) begin
              pg_h   = mix32(header[0][31:0], ops_o, pg_g);
              pg_thr = (pg_target > pg_s) ? header[2 + pg_cond_i] : header[6 + pg_cond_i];
              if ({1'b0, pg_h} < pg_thr) pg_s = pg_target;
            end
            pg_state_n[pj * STATE_W +: STATE_W] = pg_s;
          end
        end
      end

      // a read of row rd_row_i
      always @* begin
        rd_state_n = state_q[rd_row_i];
        rd_codes_n = {(CELLS * CODE_W){1'b0}};
        rd_s       = {STATE_W{1'b0}};
        rd_g       = 32'd0;
        rd_h       = 32'd0;
        rd_info    = {InfoW{1'b0}};
        rd_code    = 0;
        for (rj = 0; rj < CELLS; rj = rj + 1) begin
          rd_s    = rd_state_n[rj * STATE_W +: STATE_W];
          rd_g    = rd_row_i * CELLS + rj;
          rd_info = info[rd_g];
          // read disturb: an HRS cell that is not stuck turns LRS at its limit
          if (rd_s == {STATE_W{1'b0}} && !rd_info[InfoW-33] &&
              rd_count >= rd_info[InfoW-1 -: 32]) begin
            rd_s = {{(STATE_W - 1){1'b0}}, 1'b1};
            rd_state_n[rj * STATE_W +: STATE_W] = rd_s;
          end
          rd_code = {{(32 - CODE_W){1'b0}}, rd_info[rd_s * CODE_W +: CODE_W]};
          if (noisy) begin
            // noise -2..+2: how many of the four thresholds the draw reaches, minus two
            rd_h    = mix32(header[1][31:0], reads_o, rd_g);
            rd_code = rd_code - 2 + ({1'b0, rd_h} >= header[10]) +
                      ({1'b0, rd_h} >= header[11]) + ({1'b0, rd_h} >= header[12]) +
                      ({1'b0, rd_h} >= header[13]);
            if (rd_code < 0) rd_code = 0;
            if (rd_code > CodeMaxI) rd_code = CodeMaxI;
          end
          rd_codes_n[rj * CODE_W +: CODE_W] = rd_code[CODE_W-1:0];
        end
      end
    end
  endgenerate

  // pulses of a programming operation: one per masked cell, whether it takes or not
  function [31:0] pulses;
    input [CELLS-1:0] mask;
    integer i;
    begin
      pulses = 32'd0;
      for (i = 0; i < CELLS; i = i + 1) pulses = pulses + {31'd0, mask[i]};
    end
  endfunction

  // the controller asks for one operation at a time: a program, or a read
  always @(posedge clk_i) begin
    if (pg_en_i) begin
      state_q[pg_row_i] <= pg_state_n;
      ops_o             <= ops_o + 32'd1;
      pulses_o          <= pulses_o + pulses(pg_mask_i);
    end else if (rd_en_i) begin
      rd_codes_o            <= rd_codes_n;
      state_q[rd_row_i]     <= rd_state_n;
      row_reads_q[rd_row_i] <= rd_count;
      reads_o               <= reads_o + 32'd1;
    end
  end

endmodule

`default_nettype wire
