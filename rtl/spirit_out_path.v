// SPDX-License-Identifier: Apache-2.0
//
// Output path: the spikes of one integration step wait in a pending register; a priority
// encoder with a round-robin pointer moves one of them per cycle into the output FIFO, and the
// FIFO sends them out as address events.
//
// Output word, OUT_W = NEUR_W + 2 bits: {kind, flag, index}.
//   kind 0, spike:    flag = sign (0 positive, 1 negative), index = neuron
//   kind 1, decision: flag = early (1: dS reached, 0: end of image), index = class
//
// Round robin: the grant goes to the first pending neuron at or after the pointer (cyclically);
// the pointer then moves just past it. A new step is accepted only once every pending spike has
// left, and a decision only when nothing is pending, so a decision always follows the spikes
// that led to it. Nothing is dropped under backpressure: a full FIFO holds the pending spikes,
// and that holds the core.

`default_nettype none

module spirit_out_path #(
  // number of neurons
  parameter integer N_NEURONS = 10,
  // output FIFO depth, a power of two
  parameter integer FIFO_DEPTH = 16,
  // derived widths
  parameter integer NEUR_W = (N_NEURONS > 1) ? $clog2(N_NEURONS) : 1,
  parameter integer OUT_W = NEUR_W + 2,
  parameter integer LEVEL_W = $clog2(FIFO_DEPTH) + 1
) (
  input  wire                 clk_i,
  input  wire                 rst_ni,
  // synchronous reset of the round-robin pointer (start of an image)
  input  wire                 clear_i,

  /* spikes of one step */
  input  wire                 spk_valid_i,
  output wire                 spk_ready_o,
  input  wire [N_NEURONS-1:0] spk_pos_i,
  input  wire [N_NEURONS-1:0] spk_neg_i,

  /* decision */
  input  wire                 dec_valid_i,
  output wire                 dec_ready_o,
  input  wire [NEUR_W-1:0]    dec_class_i,
  input  wire                 dec_early_i,

  /* address events to the host */
  output wire                 m_aer_valid_o,
  input  wire                 m_aer_ready_i,
  output wire [OUT_W-1:0]     m_aer_data_o,

  /* status */
  // a spike word entered the FIFO this cycle
  output wire                 spike_out_o,
  output wire                 idle_o,
  output wire [LEVEL_W-1:0]   fifo_level_o
);

  initial begin
    if (OUT_W != NEUR_W + 2) begin
      $error("spirit_out_path: OUT_W is derived from N_NEURONS; leave it at its default");
      $finish;
    end
  end

  localparam [31:0] LastIdx32 = N_NEURONS - 1;
  localparam [NEUR_W-1:0] LastIdx = LastIdx32[NEUR_W-1:0];

  reg  [N_NEURONS-1:0] pend_q;
  reg  [N_NEURONS-1:0] sign_q;
  reg  [NEUR_W-1:0]    rr_q;
  wire                 fifo_ready;

  // priority encoder over the pending vector, rotated to start at the pointer
  integer k;
  reg              gnt_any;
  reg [NEUR_W-1:0] gnt_idx;
  reg [NEUR_W-1:0] idx;
  always @* begin
    gnt_any = 1'b0;
    gnt_idx = {NEUR_W{1'b0}};
    idx     = rr_q;
    for (k = 0; k < N_NEURONS; k = k + 1) begin
      if (!gnt_any && pend_q[idx]) begin
        gnt_any = 1'b1;
        gnt_idx = idx;
      end
      idx = (idx == LastIdx) ? {NEUR_W{1'b0}} : idx + 1'b1;
    end
  end

  wire pend_empty = pend_q == {N_NEURONS{1'b0}};
  wire spk_push   = gnt_any && fifo_ready;
  wire dec_push   = dec_valid_i && dec_ready_o;

  assign spk_ready_o = pend_empty;
  assign dec_ready_o = pend_empty && fifo_ready;
  assign spike_out_o = spk_push;
  assign idle_o      = pend_empty;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      pend_q <= {N_NEURONS{1'b0}};
      sign_q <= {N_NEURONS{1'b0}};
      rr_q   <= {NEUR_W{1'b0}};
    end else begin
      if (spk_valid_i && spk_ready_o) begin
        pend_q <= spk_pos_i | spk_neg_i;
        sign_q <= spk_neg_i;
      end else if (spk_push) begin
        pend_q[gnt_idx] <= 1'b0;
      end
      if (clear_i) begin
        rr_q <= {NEUR_W{1'b0}};
      end else if (spk_push) begin
        rr_q <= (gnt_idx == LastIdx) ? {NEUR_W{1'b0}} : gnt_idx + 1'b1;
      end
    end
  end

  wire [OUT_W-1:0] spk_word = {1'b0, sign_q[gnt_idx], gnt_idx};
  wire [OUT_W-1:0] dec_word = {1'b1, dec_early_i, dec_class_i};

  spirit_fifo #(
    .WIDTH (OUT_W),
    .DEPTH (FIFO_DEPTH)
  ) u_fifo (
    .clk_i     (clk_i),
    .rst_ni    (rst_ni),
    .s_valid_i (spk_push || dec_push),
    .s_ready_o (fifo_ready),
    .s_data_i  (spk_push ? spk_word : dec_word),
    .m_valid_o (m_aer_valid_o),
    .m_ready_i (m_aer_ready_i),
    .m_data_o  (m_aer_data_o),
    .level_o   (fifo_level_o)
  );

`ifndef SYNTHESIS
`ifndef SPIRIT_NO_ASSERT
  // Protocol checks, in simulation only (m_aer itself is checked by the FIFO). A broken rule is
  // reported with $error; an unknown (X or Z) control input stops a 4-state simulator.
  reg                 spk_stall_q, dec_stall_q;
  reg [N_NEURONS-1:0] spk_pos_q, spk_neg_q;
  reg [NEUR_W-1:0]    dec_class_q;
  reg                 dec_early_q;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      spk_stall_q <= 1'b0;
      dec_stall_q <= 1'b0;
    end else begin
      // a step and a decision stay offered, unchanged, until taken
      spk_stall_q <= spk_valid_i && !spk_ready_o;
      dec_stall_q <= dec_valid_i && !dec_ready_o;
      if (spk_stall_q && !spk_valid_i) begin
        $error("spirit_out_path %m: spk_valid_i dropped while stalled");
      end
      if (spk_stall_q && spk_valid_i && (spk_pos_i !== spk_pos_q || spk_neg_i !== spk_neg_q)) begin
        $error("spirit_out_path %m: spk_pos_i or spk_neg_i changed while stalled");
      end
      if (dec_stall_q && !dec_valid_i) begin
        $error("spirit_out_path %m: dec_valid_i dropped while stalled");
      end
      if (dec_stall_q && dec_valid_i &&
          (dec_class_i !== dec_class_q || dec_early_i !== dec_early_q)) begin
        $error("spirit_out_path %m: dec_class_i or dec_early_i changed while stalled");
      end
      // a decision must follow the spikes that led to it, never pass them
      if (spk_valid_i && spk_ready_o && dec_push) begin
        $error("spirit_out_path %m: a spike step and a decision accepted in the same cycle");
      end
      // at most one spike per neuron per step
      if (spk_valid_i && (spk_pos_i & spk_neg_i) != {N_NEURONS{1'b0}}) begin
        $error("spirit_out_path %m: a neuron fired both ways in one step (spk_pos_i & spk_neg_i)");
      end
      // unknown inputs (4-state simulators)
      if (rst_ni === 1'b1) begin
        if (^spk_valid_i === 1'bx) $fatal(1, "spirit_out_path %m: spk_valid_i is X or Z");
        if (^dec_valid_i === 1'bx) $fatal(1, "spirit_out_path %m: dec_valid_i is X or Z");
        if (^m_aer_ready_i === 1'bx) $fatal(1, "spirit_out_path %m: m_aer_ready_i is X or Z");
        if (^clear_i === 1'bx) $fatal(1, "spirit_out_path %m: clear_i is X or Z");
        if (spk_valid_i === 1'b1 && ^{spk_pos_i, spk_neg_i} === 1'bx) begin
          $fatal(1, "spirit_out_path %m: spk_pos_i or spk_neg_i is X or Z while spk_valid_i");
        end
        if (dec_valid_i === 1'b1 && ^{dec_class_i, dec_early_i} === 1'bx) begin
          $fatal(1, "spirit_out_path %m: dec_class_i or dec_early_i is X or Z while dec_valid_i");
        end
      end
    end
  end
  always @(posedge clk_i) begin
    spk_pos_q   <= spk_pos_i;
    spk_neg_q   <= spk_neg_i;
    dec_class_q <= dec_class_i;
    dec_early_q <= dec_early_i;
  end
`endif
`endif

endmodule

`default_nettype wire
