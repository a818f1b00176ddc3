// SPDX-License-Identifier: Apache-2.0
//
// Input spike router: address events in, decoded synapse-row events out.
//
// An input word is {ctrl, payload}. With ctrl = 0 the payload is the address of the input line
// that spiked; with ctrl = 1 it is a command, and the only command is 0: end of image (EOI).
// Words wait in the input FIFO; the decoder at its head passes good spikes and EOI markers on,
// and drops an address >= N_INPUTS or an unknown command in one cycle, counting it and setting
// a sticky flag. A dropped word never waits for the core, so a bad address cannot hang the chip.

`default_nettype none

module spirit_router #(
  // number of input lines (synapse rows)
  parameter integer N_INPUTS = 144,
  // width of an event address; at least clog2(N_INPUTS)
  parameter integer ADDR_W = 8,
  // input FIFO depth, a power of two
  parameter integer FIFO_DEPTH = 16,
  // width of the drop counter
  parameter integer STAT_W = 32,
  // derived: width of a row index
  parameter integer ROW_W = (N_INPUTS > 1) ? $clog2(N_INPUTS) : 1,
  // derived: FIFO level width
  parameter integer LEVEL_W = $clog2(FIFO_DEPTH) + 1
) (
  input  wire               clk_i,
  input  wire               rst_ni,

  /* address events from the host */
  input  wire               s_aer_valid_i,
  output wire               s_aer_ready_o,
  input  wire [ADDR_W:0]    s_aer_data_i,

  /* decoded events to the core */
  output wire               ev_valid_o,
  input  wire               ev_ready_i,
  output wire [ROW_W-1:0]   ev_row_o,
  // the event is an end-of-image marker, not a spike
  output wire               ev_eoi_o,

  /* drops and errors */
  // a word was dropped this cycle
  output wire               drop_o,
  input  wire               clear_count_i,
  output wire [STAT_W-1:0]  drop_count_o,
  output wire               drop_overflow_o,
  // bit 0 clears err_addr_o, bit 1 clears err_cmd_o
  input  wire [1:0]         clear_err_i,
  // sticky: an address was out of range
  output reg                err_addr_o,
  // sticky: an unknown command word arrived
  output reg                err_cmd_o,

  /* status */
  output wire [LEVEL_W-1:0] fifo_level_o
);

  initial begin
    if (N_INPUTS < 1 || ADDR_W < ROW_W || ADDR_W > 30) begin
      $error("spirit_router: need N_INPUTS >= 1 and clog2(N_INPUTS) <= ADDR_W <= 30");
      $finish;
    end
  end

  localparam [31:0] NumInputs32 = N_INPUTS;
  localparam [ADDR_W:0] NumInputs = NumInputs32[ADDR_W:0];

  wire              head_valid;
  wire [ADDR_W:0]   head;
  wire              head_pop;

  spirit_fifo #(
    .WIDTH (ADDR_W + 1),
    .DEPTH (FIFO_DEPTH)
  ) u_fifo (
    .clk_i     (clk_i),
    .rst_ni    (rst_ni),
    .s_valid_i (s_aer_valid_i),
    .s_ready_o (s_aer_ready_o),
    .s_data_i  (s_aer_data_i),
    .m_valid_o (head_valid),
    .m_ready_i (head_pop),
    .m_data_o  (head),
    .level_o   (fifo_level_o)
  );

  wire is_cmd   = head[ADDR_W];
  wire is_eoi   = is_cmd && head[ADDR_W-1:0] == {ADDR_W{1'b0}};
  // the top bit is clear for every spike word, so this compares the address alone
  wire bad_addr = !is_cmd && head >= NumInputs;
  wire bad_cmd  = is_cmd && !is_eoi;
  wire bad      = bad_addr || bad_cmd;

  assign ev_valid_o = head_valid && !bad;
  assign ev_row_o   = head[ROW_W-1:0];
  assign ev_eoi_o   = is_eoi;
  assign drop_o     = head_valid && bad;
  assign head_pop   = drop_o || (ev_valid_o && ev_ready_i);

  spirit_sat_counter #(
    .WIDTH (STAT_W)
  ) u_drop_count (
    .clk_i      (clk_i),
    .rst_ni     (rst_ni),
    .clear_i    (clear_count_i),
    .inc_i      (drop_o),
    .count_o    (drop_count_o),
    .overflow_o (drop_overflow_o)
  );

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      err_addr_o <= 1'b0;
      err_cmd_o  <= 1'b0;
    end else begin
      // a new error wins over a clear in the same cycle, so none is lost
      if (clear_err_i[0]) err_addr_o <= 1'b0;
      if (clear_err_i[1]) err_cmd_o  <= 1'b0;
      if (head_valid && bad_addr) err_addr_o <= 1'b1;
      if (head_valid && bad_cmd)  err_cmd_o  <= 1'b1;
    end
  end

`ifndef SYNTHESIS
`ifndef SPIRIT_NO_ASSERT
  // Protocol checks, in simulation only (see spirit_fifo for the s_aer handshake itself).
  reg             ev_stall_q;
  reg [ROW_W-1:0] ev_row_q;
  reg             ev_eoi_q;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      ev_stall_q <= 1'b0;
    end else begin
      // a decoded event stays offered, unchanged, until the core takes it
      ev_stall_q <= ev_valid_o && !ev_ready_i;
      if (ev_stall_q && !ev_valid_o) begin
        $error("spirit_router %m: ev_valid_o dropped while stalled");
      end
      if (ev_stall_q && ev_valid_o && (ev_row_o !== ev_row_q || ev_eoi_o !== ev_eoi_q)) begin
        $error("spirit_router %m: ev_row_o or ev_eoi_o changed while stalled");
      end
      // unknown inputs (4-state simulators): name the chip's own ports
      if (rst_ni === 1'b1) begin
        if (^s_aer_valid_i === 1'bx) $fatal(1, "spirit_router %m: s_aer_valid_i is X or Z");
        if (s_aer_valid_i === 1'b1 && ^s_aer_data_i === 1'bx) begin
          $fatal(1, "spirit_router %m: s_aer_data_i is X or Z while s_aer_valid_i is high");
        end
        if (^ev_ready_i === 1'bx) $fatal(1, "spirit_router %m: ev_ready_i is X or Z");
      end
    end
  end
  always @(posedge clk_i) begin
    ev_row_q <= ev_row_o;
    ev_eoi_q <= ev_eoi_o;
  end
`endif
`endif

endmodule

`default_nettype wire
