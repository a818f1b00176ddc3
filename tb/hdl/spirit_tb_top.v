// SPDX-License-Identifier: Apache-2.0
//
// Whole-chip testbench top with HDL-side transactors, so that Python is woken once per batch of
// images instead of every clock cycle.
//
// Python writes the input words of a batch to STIM_FILE (binary, big-endian, StimW bits per
// word), sets stim_len and raises start. Here:
//   - the clock runs in HDL;
//   - the source sends the words on s_aer, idling with probability gap_rate/256 per cycle;
//   - the sink takes every m_aer word and appends it to OUT_FILE, stalling with probability
//     bp_rate/256;
//   - at each end of image the recorder takes the membranes and spike counts (as they are when
//     the chip clears them) and, a cycle later, how much each event counter moved, and appends
//     the record to REC_FILE;
//   - once every word is sent, every image recorded and the output drained, the files are
//     closed and batch_done rises. Python lowers start to arm the next batch.
// Both output files hold `$fwrite("%u")` values: little-endian integers padded to 32-bit words.
// A watchdog ends the batch with hang = 1 if nothing moves for WATCHDOG cycles.
// With py_drive set, Python's own agents drive s_aer and m_aer ready instead (cycle mode): the
// recorder and the output log work as before, and the batch ends once Python sets py_done.
// Python drives the register bus directly (configuration is not on the hot path).

`timescale 1ns / 1ps
`default_nettype none

module spirit_tb_top #(
  parameter integer N_INPUTS = 144,
  parameter integer N_NEURONS = 10,
  parameter integer CELLS = 4,
  parameter integer ADDR_W = 8,
  parameter integer V_W = 8,
  parameter integer CNT_W = 8,
  parameter integer RF_W = 8,
  parameter integer STAT_W = 32,
  parameter integer IN_FIFO_DEPTH = 16,
  parameter integer OUT_FIFO_DEPTH = 16,
  parameter integer MLC = 0,
  parameter integer CODE_W = 1,
  parameter integer SENSE_REF = 1,
  parameter integer STEP_SHIFT = 0,
  parameter integer DEVICE = 0,
  parameter DEVICE_FILE = "",
  parameter INIT_FILE = "",
  // input words per batch
  parameter integer STIM_DEPTH = 1 << 22,
  parameter integer WATCHDOG = 100000,
  parameter STIM_FILE = "spirit_stim.bin",
  parameter OUT_FILE = "spirit_out.bin",
  parameter REC_FILE = "spirit_rec.bin"
) ();

  localparam integer NeurW = (N_NEURONS > 1) ? $clog2(N_NEURONS) : 1;
  localparam integer OutW  = NeurW + 2;
  localparam integer NStat = 7;
  localparam integer RecW  = NStat * 32 + N_NEURONS * (CNT_W + V_W);
  // at least one padding bit, so that the record fills whole 32-bit words
  localparam integer RecPad = 32 - RecW % 32;
  localparam integer StimW = (ADDR_W + 1 <= 16) ? 16 : 32;

  // ---- clock and reset ----------------------------------------------------------------------

  reg clk /* verilator public_flat_rd */ = 1'b0;
  always #5 clk = ~clk;

  // reset is held while rst_req is high (Python) and for the first cycles after time 0
  reg        rst_req /* verilator public_flat_rw */ = 1'b0;
  reg [3:0]  por_q = 4'd0;
  always @(posedge clk) if (por_q != 4'hF) por_q <= por_q + 4'd1;
  wire rst_n = (por_q == 4'hF) && !rst_req;

  // ---- Python-facing control ----------------------------------------------------------------

  reg        start      /* verilator public_flat_rw */ = 1'b0;
  reg [31:0] stim_len   /* verilator public_flat_rw */ = 32'd0;
  reg [7:0]  gap_rate   /* verilator public_flat_rw */ = 8'd0;
  reg [7:0]  bp_rate    /* verilator public_flat_rw */ = 8'd0;
  reg [31:0] seed       /* verilator public_flat_rw */ = 32'h1;
  reg        batch_done /* verilator public_flat_rw */ = 1'b0;
  reg        hang       /* verilator public_flat_rw */ = 1'b0;
  reg [31:0] n_sent     /* verilator public_flat_rw */ = 32'd0;
  reg [31:0] n_out      /* verilator public_flat_rw */ = 32'd0;
  reg [31:0] n_rec      /* verilator public_flat_rw */ = 32'd0;
  reg [31:0] n_cycles   /* verilator public_flat_rw */ = 32'd0;

  // cycle mode: Python's agents on the chip's streams
  reg        py_drive   /* verilator public_flat_rw */ = 1'b0;
  reg        py_done    /* verilator public_flat_rw */ = 1'b0;
  reg        s_valid_py /* verilator public_flat_rw */ = 1'b0;
  reg [ADDR_W:0] s_data_py /* verilator public_flat_rw */ = {(ADDR_W + 1){1'b0}};
  reg        m_ready_py /* verilator public_flat_rw */ = 1'b0;

  reg        reg_req    /* verilator public_flat_rw */ = 1'b0;
  reg        reg_we     /* verilator public_flat_rw */ = 1'b0;
  reg [7:0]  reg_addr   /* verilator public_flat_rw */ = 8'd0;
  reg [31:0] reg_wdata  /* verilator public_flat_rw */ = 32'd0;
  wire       reg_gnt    /* verilator public_flat_rd */;
  wire       reg_rvalid /* verilator public_flat_rd */;
  wire [31:0] reg_rdata /* verilator public_flat_rd */;
  wire       reg_err    /* verilator public_flat_rd */;

  // ---- the chip -----------------------------------------------------------------------------

  wire              s_valid, m_ready;
  wire              s_ready /* verilator public_flat_rd */;
  wire              m_valid /* verilator public_flat_rd */;
  wire [ADDR_W:0]   s_data;
  wire [OutW-1:0]   m_data  /* verilator public_flat_rd */;
  wire              done, error;
  wire [NeurW-1:0]  class_q;

  spirit_chip #(
    .N_INPUTS       (N_INPUTS),
    .N_NEURONS      (N_NEURONS),
    .CELLS          (CELLS),
    .ADDR_W         (ADDR_W),
    .V_W            (V_W),
    .CNT_W          (CNT_W),
    .RF_W           (RF_W),
    .STAT_W         (STAT_W),
    .IN_FIFO_DEPTH  (IN_FIFO_DEPTH),
    .OUT_FIFO_DEPTH (OUT_FIFO_DEPTH),
    .MLC            (MLC),
    .CODE_W         (CODE_W),
    .SENSE_REF      (SENSE_REF),
    .STEP_SHIFT     (STEP_SHIFT),
    .DEVICE         (DEVICE),
    .DEVICE_FILE    (DEVICE_FILE),
    .INIT_FILE      (INIT_FILE)
  ) u_chip (
    .clk_i         (clk),
    .rst_ni        (rst_n),
    .s_aer_valid_i (s_valid),
    .s_aer_ready_o (s_ready),
    .s_aer_data_i  (s_data),
    .m_aer_valid_o (m_valid),
    .m_aer_ready_i (m_ready),
    .m_aer_data_o  (m_data),
    .reg_req_i     (reg_req),
    .reg_gnt_o     (reg_gnt),
    .reg_we_i      (reg_we),
    .reg_addr_i    (reg_addr),
    .reg_wdata_i   (reg_wdata),
    .reg_rvalid_o  (reg_rvalid),
    .reg_rdata_o   (reg_rdata),
    .reg_err_o     (reg_err),
    .done_o        (done),
    .class_o       (class_q),
    .error_o       (error)
  );

  // ---- random idle and backpressure ---------------------------------------------------------

  // xorshift32, reseeded at each start
  reg [31:0] rnd_q = 32'h1;
  wire [31:0] rnd_a = rnd_q ^ (rnd_q << 13);
  wire [31:0] rnd_b = rnd_a ^ (rnd_a >> 17);
  wire [31:0] rnd_n = rnd_b ^ (rnd_b << 5);
  wire        idle  = rnd_q[7:0] < gap_rate;
  wire        stall = rnd_q[15:8] < bp_rate;

  // ---- source -------------------------------------------------------------------------------

  reg [StimW-1:0] stim_mem [0:STIM_DEPTH-1];
  reg            running /* verilator public_flat_rd */ = 1'b0;
  reg [31:0]     n_eoi = 32'd0;

  // once offered, a word stays offered until taken (AXI-Stream rule)
  reg  offered = 1'b0;
  wire have_word = running && n_sent < stim_len;
  assign s_valid = py_drive ? s_valid_py : have_word && (offered || !idle);
  wire [StimW-1:0] stim_word = stim_mem[n_sent[$clog2(STIM_DEPTH)-1:0]];
  assign s_data  = py_drive ? s_data_py : stim_word[ADDR_W:0];
  wire   s_fire  = s_valid && s_ready;
  wire   is_eoi  = s_data == {1'b1, {ADDR_W{1'b0}}};

  // ---- sink ---------------------------------------------------------------------------------

  integer fd_out = 0, fd_rec = 0, n_read;
  assign m_ready = py_drive ? m_ready_py : running && !stall;
  wire   m_fire  = m_valid && m_ready;

  // ---- recorder -----------------------------------------------------------------------------

  reg [N_NEURONS*V_W-1:0]       rec_v;
  reg [N_NEURONS*CNT_W-1:0]     rec_cnt;
  reg                           rec_pend = 1'b0;
  reg [NStat*STAT_W-1:0]        stat_last;
  wire [NStat*STAT_W-1:0]       stat_now = u_chip.stat;
  reg [NStat*32-1:0]            stat_delta;
  integer k;
  always @* begin
    for (k = 0; k < NStat; k = k + 1) begin
      stat_delta[k * 32 +: 32] = 32'd0;
      stat_delta[k * 32 +: STAT_W] = stat_now[k * STAT_W +: STAT_W] -
                                     stat_last[k * STAT_W +: STAT_W];
    end
  end

  // ---- batch control ------------------------------------------------------------------------


  reg [31:0] quiet = 32'd0;
  wire all_in = py_drive ? py_done : n_sent == stim_len;
  wire drained = all_in && n_rec == n_eoi && !m_valid && !rec_pend;

  always @(posedge clk) begin
    rnd_q   <= rnd_n;
    offered <= s_valid && !s_ready;
    if (start && !running && !batch_done) begin
      // a new batch
      if (stim_len > STIM_DEPTH) begin
        $display("spirit_tb_top: stim_len %0d exceeds STIM_DEPTH %0d", stim_len, STIM_DEPTH);
        $finish;
      end
      if (stim_len != 32'd0) begin
        fd_out = $fopen(STIM_FILE, "rb");
        n_read = $fread(stim_mem, fd_out, 0, stim_len);
        $fclose(fd_out);
        if (n_read != stim_len * (StimW / 8)) begin
          $display("spirit_tb_top: read %0d bytes of %0d from %s", n_read,
                   stim_len * (StimW / 8), STIM_FILE);
          $finish;
        end
      end
      fd_out = $fopen(OUT_FILE, "wb");
      fd_rec = $fopen(REC_FILE, "wb");
      running      <= 1'b1;
      hang         <= 1'b0;
      n_sent       <= 32'd0;
      n_eoi        <= 32'd0;
      n_out        <= 32'd0;
      n_rec        <= 32'd0;
      n_cycles     <= 32'd0;
      quiet        <= 32'd0;
      rnd_q        <= (seed == 32'd0) ? 32'h1 : seed;
      stat_last    <= u_chip.stat;
    end else if (running) begin
      n_cycles <= n_cycles + 32'd1;
      if (s_fire) begin
        n_sent <= n_sent + 32'd1;
        if (is_eoi) n_eoi <= n_eoi + 32'd1;
      end
      if (m_fire) begin
        $fwrite(fd_out, "%u", {{(32 - OutW){1'b0}}, m_data});
        n_out <= n_out + 32'd1;
      end
      // membranes and counts as the chip clears them; counters once the clear cycle is counted
      if (u_chip.clear) begin
        rec_v    <= u_chip.v;
        rec_cnt  <= u_chip.count;
      end
      rec_pend <= u_chip.clear;
      if (rec_pend) begin
        $fwrite(fd_rec, "%u", {{RecPad{1'b0}}, stat_delta, rec_cnt, rec_v});
        n_rec     <= n_rec + 32'd1;
        stat_last <= stat_now;
      end
      quiet <= (s_fire || m_fire) ? 32'd0 : quiet + 32'd1;
      if (drained || quiet == WATCHDOG) begin
        if (!drained) hang <= 1'b1;
        $fclose(fd_out);
        $fclose(fd_rec);
        running    <= 1'b0;
        batch_done <= 1'b1;
      end
    end else if (!start) begin
      batch_done <= 1'b0;
    end
  end

endmodule

`default_nettype wire
