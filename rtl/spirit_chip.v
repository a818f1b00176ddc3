// SPDX-License-Identifier: Apache-2.0
//
// SPIRIT-like spiking perceptron: N_INPUTS input lines, N_NEURONS integrate-and-fire neurons and
// an RRAM crossbar of N_INPUTS x N_NEURONS synapses of 2 x CELLS cells each.
//
//   s_aer --> router --> crossbar read --> neurons --> out path --> m_aer
//             (FIFO,     controller        (integrate,  (round robin,
//              decoder)  (RRAM array)       fire)        FIFO)
//                                              |
//                                          decision (spike counts, dS stop, class)
//
// Per image the host sends spike addresses, then an end-of-image (EOI) command word. The global
// controller below takes one word at a time from the router:
//   - a spike, while the image is undecided: read its row (one cycle), then integrate it (one
//     cycle, once the out path has sent the previous spikes on);
//   - a spike after the decision: skipped without a read, and counted;
//   - EOI: if no dS stop happened, decide now; then clear the neurons, counters and pointer.
// A decision is sent on m_aer right after the spikes that led to it. Only one row is in flight,
// so a row is read only if the spike counts at that moment leave the image undecided.

`default_nettype none

module spirit_chip #(
  // number of input lines (144 on SPIRIT: 12 x 12 pixels)
  parameter integer N_INPUTS = 144,
  // number of output neurons (10 on SPIRIT: one per digit)
  parameter integer N_NEURONS = 10,
  // RRAM cells per synapse side (4 excitatory + 4 inhibitory on SPIRIT)
  parameter integer CELLS = 4,
  // width of an input event address, at least clog2(N_INPUTS)
  parameter integer ADDR_W = 8,
  // width of the signed membrane potential
  parameter integer V_W = 8,
  // width of a signed per-neuron spike counter and of dS
  parameter integer CNT_W = 8,
  // width of the refractory period
  parameter integer RF_W = 8,
  // width of the event counters (at most 32)
  parameter integer STAT_W = 32,
  // FIFO depths, powers of two
  parameter integer IN_FIFO_DEPTH = 16,
  parameter integer OUT_FIFO_DEPTH = 16,
  // reset values of the thresholds and of dS
  parameter integer TH_POS_INIT = 4,
  parameter integer TH_NEG_INIT = 4,
  parameter integer DS_INIT = 0,
  // read path: 1 for multi-level cells (a magnitude cell of CELLS+1 levels and a sign cell per
  // synapse), the width of a sensed code, the code from which a binary cell reads as LRS, and
  // the code step between magnitude levels (2^STEP_SHIFT)
  parameter integer MLC = 0,
  parameter integer CODE_W = 1,
  parameter integer SENSE_REF = 1,
  parameter integer STEP_SHIFT = 0,
  // 1: the RRAM cells follow the device map in DEVICE_FILE (see spirit_rram_array)
  parameter integer DEVICE = 0,
  parameter DEVICE_FILE = "",
  // optional $readmemh image of the RRAM cells
  parameter INIT_FILE = "",
  // derived widths
  parameter integer NEUR_W = (N_NEURONS > 1) ? $clog2(N_NEURONS) : 1,
  parameter integer OUT_W = NEUR_W + 2
) (
  input  wire              clk_i,
  input  wire              rst_ni,

  /* input address events: {command, address} */
  input  wire              s_aer_valid_i,
  output wire              s_aer_ready_o,
  input  wire [ADDR_W:0]   s_aer_data_i,

  /* output address events: {kind, flag, index} */
  output wire              m_aer_valid_o,
  input  wire              m_aer_ready_i,
  output wire [OUT_W-1:0]  m_aer_data_o,

  /* register bus */
  input  wire              reg_req_i,
  output wire              reg_gnt_o,
  input  wire              reg_we_i,
  input  wire [7:0]        reg_addr_i,
  input  wire [31:0]       reg_wdata_i,
  output wire              reg_rvalid_o,
  output wire [31:0]       reg_rdata_o,
  output wire              reg_err_o,

  /* status */
  // the last image is decided and no word of the next one has arrived yet
  output reg               done_o,
  // class of the last decision
  output reg  [NEUR_W-1:0] class_o,
  // some sticky error is set (see the ERROR register)
  output wire              error_o
);

  localparam integer RowW    = (N_INPUTS > 1) ? $clog2(N_INPUTS) : 1;
  localparam integer CPS     = (MLC != 0) ? 2 : 2 * CELLS;
  localparam integer WordW   = (MLC != 0) ? $clog2(CELLS + 1) + 1 : 2 * CELLS;
  localparam integer WW      = (MLC != 0) ? CODE_W + 1 : $clog2(CELLS * ((1 << CODE_W) - 1) + 1) + 1;
  localparam integer SynIncW = $clog2(N_NEURONS + 1);
  localparam integer NStat   = 7;
  localparam [31:0] NumNeurons = N_NEURONS;
  localparam [SynIncW-1:0] SynPerEvent = NumNeurons[SynIncW-1:0];

  initial begin
    if (NEUR_W != ((N_NEURONS > 1) ? $clog2(N_NEURONS) : 1) || OUT_W != NEUR_W + 2) begin
      $error("spirit_chip: NEUR_W and OUT_W are derived from N_NEURONS; leave them alone");
      $finish;
    end
    if (SynIncW > STAT_W) begin
      $error("spirit_chip: STAT_W is too narrow for N_NEURONS");
      $finish;
    end
  end

  // ---- configuration ------------------------------------------------------------------------

  wire [V_W-1:0]   th_pos, th_neg, leak;
  wire [RF_W-1:0]  refrac;
  wire [CNT_W-1:0] ds;
  wire             neg_en, net;

  // ---- router -------------------------------------------------------------------------------

  wire             ev_valid, ev_ready, ev_eoi, ev_drop;
  wire [RowW-1:0]  ev_row;
  wire [STAT_W-1:0] drop_count;
  wire             drop_overflow, err_addr, err_cmd, stat_clear;
  wire [1:0]       err_clear;
  wire [$clog2(IN_FIFO_DEPTH):0] in_level;

  spirit_router #(
    .N_INPUTS   (N_INPUTS),
    .ADDR_W     (ADDR_W),
    .FIFO_DEPTH (IN_FIFO_DEPTH),
    .STAT_W     (STAT_W)
  ) u_router (
    .clk_i           (clk_i),
    .rst_ni          (rst_ni),
    .s_aer_valid_i   (s_aer_valid_i),
    .s_aer_ready_o   (s_aer_ready_o),
    .s_aer_data_i    (s_aer_data_i),
    .ev_valid_o      (ev_valid),
    .ev_ready_i      (ev_ready),
    .ev_row_o        (ev_row),
    .ev_eoi_o        (ev_eoi),
    .drop_o          (ev_drop),
    .clear_count_i   (stat_clear),
    .drop_count_o    (drop_count),
    .drop_overflow_o (drop_overflow),
    .clear_err_i     (err_clear),
    .err_addr_o      (err_addr),
    .err_cmd_o       (err_cmd),
    .fifo_level_o    (in_level)
  );

  // ---- crossbar -----------------------------------------------------------------------------

  wire                     rd_valid, rd_ready, w_valid, w_ready;
  wire [N_NEURONS*WW-1:0]  w;
  wire                     cell_req, cell_gnt, cell_we, cell_rvalid;
  wire [RowW-1:0]          cell_row;
  wire [NEUR_W-1:0]        cell_col;
  wire [WordW-1:0]         cell_wdata, cell_rdata;
  wire [CPS-1:0]           cell_mask;
  wire [1:0]               cell_cond;
  wire [31:0]              array_reads, array_ops, array_pulses;

  spirit_xbar_ctrl #(
    .N_INPUTS  (N_INPUTS),
    .N_NEURONS (N_NEURONS),
    .CELLS       (CELLS),
    .MLC         (MLC),
    .CODE_W      (CODE_W),
    .SENSE_REF   (SENSE_REF),
    .STEP_SHIFT  (STEP_SHIFT),
    .DEVICE      (DEVICE),
    .DEVICE_FILE (DEVICE_FILE),
    .INIT_FILE   (INIT_FILE)
  ) u_xbar (
    .clk_i         (clk_i),
    .rst_ni        (rst_ni),
    .req_valid_i   (rd_valid),
    .req_ready_o   (rd_ready),
    .req_row_i     (ev_row),
    .w_valid_o     (w_valid),
    .w_ready_i     (w_ready),
    .w_o           (w),
    .cell_req_i    (cell_req),
    .cell_gnt_o    (cell_gnt),
    .cell_we_i     (cell_we),
    .cell_row_i    (cell_row),
    .cell_col_i    (cell_col),
    .cell_wdata_i  (cell_wdata),
    .cell_mask_i   (cell_mask),
    .cell_cond_i   (cell_cond),
    .cell_rvalid_o (cell_rvalid),
    .cell_rdata_o  (cell_rdata),
    .reads_o       (array_reads),
    .ops_o         (array_ops),
    .pulses_o      (array_pulses)
  );

  // ---- neurons ------------------------------------------------------------------------------

  wire                     step, clear;
  wire [N_NEURONS-1:0]     fire_pos, fire_neg, refractory;
  wire [N_NEURONS*V_W-1:0] v;

  spirit_neurons #(
    .N_NEURONS (N_NEURONS),
    .W_W       (WW),
    .V_W       (V_W),
    .RF_W      (RF_W)
  ) u_neurons (
    .clk_i        (clk_i),
    .rst_ni       (rst_ni),
    .clear_i      (clear),
    .th_pos_i     (th_pos),
    .th_neg_i     (th_neg),
    .leak_i       (leak),
    .refrac_i     (refrac),
    .neg_en_i     (neg_en),
    .step_i       (step),
    .w_i          (w),
    .fire_pos_o   (fire_pos),
    .fire_neg_o   (fire_neg),
    .v_o          (v),
    .refractory_o (refractory)
  );

  // ---- decision -----------------------------------------------------------------------------

  wire [N_NEURONS*CNT_W-1:0] count;
  wire                       gap_reached;
  wire [NEUR_W-1:0]          dec_class;
  wire [CNT_W-1:0]           top, second;

  spirit_decision #(
    .N_NEURONS (N_NEURONS),
    .CNT_W     (CNT_W),
    .V_W       (V_W)
  ) u_decision (
    .clk_i         (clk_i),
    .rst_ni        (rst_ni),
    .clear_i       (clear),
    .inc_i         (fire_pos),
    .dec_i         (fire_neg),
    .net_i         (net),
    .v_i           (v),
    .ds_i          (ds),
    .count_o       (count),
    .gap_reached_o (gap_reached),
    .class_o       (dec_class),
    .top_o         (top),
    .second_o      (second)
  );

  // ---- output path --------------------------------------------------------------------------

  wire spk_ready, dec_valid, dec_ready, spike_out, out_idle;
  wire [$clog2(OUT_FIFO_DEPTH):0] out_level;

  spirit_out_path #(
    .N_NEURONS  (N_NEURONS),
    .FIFO_DEPTH (OUT_FIFO_DEPTH)
  ) u_out (
    .clk_i         (clk_i),
    .rst_ni        (rst_ni),
    .clear_i       (clear),
    .spk_valid_i   (step),
    .spk_ready_o   (spk_ready),
    .spk_pos_i     (fire_pos),
    .spk_neg_i     (fire_neg),
    .dec_valid_i   (dec_valid),
    .dec_ready_o   (dec_ready),
    .dec_class_i   (dec_class),
    .dec_early_i   (gap_reached),
    .m_aer_valid_o (m_aer_valid_o),
    .m_aer_ready_i (m_aer_ready_i),
    .m_aer_data_o  (m_aer_data_o),
    .spike_out_o   (spike_out),
    .idle_o        (out_idle),
    .fifo_level_o  (out_level)
  );

  // ---- global controller --------------------------------------------------------------------

  reg  decided_q;   // this image has its decision; later spikes are skipped
  reg  active_q;    // a word of this image has been taken, its EOI not yet
  reg  early_q;     // the last decision came from the dS stop
  reg  decision_q;  // some image has been decided since reset

  // a spike is never integrated once the image is decided or about to be
  wire stop     = decided_q || gap_reached;
  wire spike    = ev_valid && !ev_eoi;
  wire eoi      = ev_valid && ev_eoi;
  wire settled  = !w_valid && out_idle;

  assign step     = w_valid && spk_ready;
  assign w_ready  = step;
  assign rd_valid = spike && !stop;
  wire   skip     = spike && stop;
  // a decision: early as soon as the lead reaches dS, late at EOI
  assign dec_valid = !decided_q && settled && (gap_reached || eoi);
  wire   dec_push  = dec_valid && dec_ready;
  wire   eoi_go    = eoi && settled && (decided_q || (!gap_reached && dec_ready));
  assign clear     = eoi_go;
  assign ev_ready  = (rd_valid && rd_ready) || skip || eoi_go;

  wire   pop_any  = (ev_valid && ev_ready) || ev_drop;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      decided_q <= 1'b0;
      active_q  <= 1'b0;
      early_q   <= 1'b0;
      decision_q <= 1'b0;
      done_o    <= 1'b0;
      class_o   <= {NEUR_W{1'b0}};
    end else begin
      if (clear) begin
        decided_q <= 1'b0;
        active_q  <= 1'b0;
      end else begin
        if (dec_push) decided_q <= 1'b1;
        if (pop_any)  active_q  <= 1'b1;
      end
      if (dec_push) begin
        class_o <= dec_class;
        early_q    <= gap_reached;
        decision_q <= 1'b1;
        done_o     <= 1'b1;
      end else if (pop_any && !active_q) begin
        // the first word of the next image
        done_o <= 1'b0;
      end
    end
  end

  // ---- event counters -----------------------------------------------------------------------

  wire [NStat*STAT_W-1:0] stat;
  wire [NStat-1:0]        stat_ovf;

  spirit_sat_counter #(.WIDTH(STAT_W)) u_cnt_in (
    .clk_i(clk_i), .rst_ni(rst_ni), .clear_i(stat_clear), .inc_i(step),
    .count_o(stat[0 * STAT_W +: STAT_W]), .overflow_o(stat_ovf[0])
  );
  spirit_sat_counter #(.WIDTH(STAT_W), .INC_W(SynIncW)) u_cnt_syn (
    .clk_i(clk_i), .rst_ni(rst_ni), .clear_i(stat_clear),
    .inc_i(step ? SynPerEvent : {SynIncW{1'b0}}),
    .count_o(stat[1 * STAT_W +: STAT_W]), .overflow_o(stat_ovf[1])
  );
  spirit_sat_counter #(.WIDTH(STAT_W)) u_cnt_out (
    .clk_i(clk_i), .rst_ni(rst_ni), .clear_i(stat_clear), .inc_i(spike_out),
    .count_o(stat[2 * STAT_W +: STAT_W]), .overflow_o(stat_ovf[2])
  );
  assign stat[3 * STAT_W +: STAT_W] = drop_count;
  assign stat_ovf[3]                = drop_overflow;
  spirit_sat_counter #(.WIDTH(STAT_W)) u_cnt_skip (
    .clk_i(clk_i), .rst_ni(rst_ni), .clear_i(stat_clear), .inc_i(skip),
    .count_o(stat[4 * STAT_W +: STAT_W]), .overflow_o(stat_ovf[4])
  );
  spirit_sat_counter #(.WIDTH(STAT_W)) u_cnt_img (
    .clk_i(clk_i), .rst_ni(rst_ni), .clear_i(stat_clear), .inc_i(dec_push),
    .count_o(stat[5 * STAT_W +: STAT_W]), .overflow_o(stat_ovf[5])
  );
  // cycles of images: from the cycle an image's first word is taken to the one its EOI is
  spirit_sat_counter #(.WIDTH(STAT_W)) u_cnt_cyc (
    .clk_i(clk_i), .rst_ni(rst_ni), .clear_i(stat_clear), .inc_i(active_q || pop_any),
    .count_o(stat[6 * STAT_W +: STAT_W]), .overflow_o(stat_ovf[6])
  );

  // ---- registers ----------------------------------------------------------------------------

  wire busy = active_q || in_level != {($clog2(IN_FIFO_DEPTH) + 1){1'b0}};

  spirit_regs #(
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
    .TH_POS_INIT    (TH_POS_INIT),
    .TH_NEG_INIT    (TH_NEG_INIT),
    .DS_INIT        (DS_INIT),
    .N_STAT         (NStat)
  ) u_regs (
    .clk_i           (clk_i),
    .rst_ni          (rst_ni),
    .reg_req_i       (reg_req_i),
    .reg_gnt_o       (reg_gnt_o),
    .reg_we_i        (reg_we_i),
    .reg_addr_i      (reg_addr_i),
    .reg_wdata_i     (reg_wdata_i),
    .reg_rvalid_o    (reg_rvalid_o),
    .reg_rdata_o     (reg_rdata_o),
    .reg_err_o       (reg_err_o),
    .th_pos_o        (th_pos),
    .th_neg_o        (th_neg),
    .leak_o          (leak),
    .refrac_o        (refrac),
    .ds_o            (ds),
    .neg_en_o        (neg_en),
    .net_o           (net),
    .cell_req_o      (cell_req),
    .cell_gnt_i      (cell_gnt),
    .cell_we_o       (cell_we),
    .cell_row_o      (cell_row),
    .cell_col_o      (cell_col),
    .cell_wdata_o    (cell_wdata),
    .cell_mask_o     (cell_mask),
    .cell_cond_o     (cell_cond),
    .cell_rvalid_i   (cell_rvalid),
    .cell_rdata_i    (cell_rdata),
    .usage_i         ({array_pulses, array_ops, array_reads}),
    .stat_i          (stat),
    .stat_overflow_i (|stat_ovf),
    .stat_clear_o    (stat_clear),
    .busy_i          (busy),
    .done_i          (done_o),
    .class_valid_i   (decision_q),
    .class_early_i   (early_q),
    .class_i         (class_o),
    .in_empty_i      (in_level == {($clog2(IN_FIFO_DEPTH) + 1){1'b0}}),
    .out_empty_i     (out_level == {($clog2(OUT_FIFO_DEPTH) + 1){1'b0}}),
    .err_addr_i      (err_addr),
    .err_cmd_i       (err_cmd),
    .err_clear_o     (err_clear),
    .error_o         (error_o),
    .v_i             (v),
    .count_i         (count),
    .refractory_i    (refractory)
  );

  // top and second are for inspection in waveforms only
  wire unused_ok = &{1'b0, top, second};

endmodule

`default_nettype wire
