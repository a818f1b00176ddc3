// SPDX-License-Identifier: Apache-2.0
//
// Signed integrate-and-fire neurons, all updated in parallel, once per integrated input event.
//
// For each neuron, in this order:
//   1. leak: the membrane moves toward zero by leak_i, without crossing it (0: no leak);
//   2. integrate: v = sat(v + w), saturating at the V_W-bit signed limits instead of wrapping;
//   3. fire: v >= th_pos_i gives a positive spike and v -= th_pos_i; otherwise, if negative
//      spikes are enabled, v <= -th_neg_i gives a negative spike and v += th_neg_i;
//   4. refractory: a neuron that fired cannot fire again during the next refrac_i integrated
//      events, but keeps integrating.
// At most one spike per neuron per event. Thresholds must lie in 1 .. 2^(V_W-1)-1 (the
// register block enforces it).

`default_nettype none

module spirit_neurons #(
  // number of neurons
  parameter integer N_NEURONS = 10,
  // width of a signed weight
  parameter integer W_W = 4,
  // width of the signed membrane potential
  parameter integer V_W = 8,
  // width of the refractory counter
  parameter integer RF_W = 8
) (
  input  wire                     clk_i,
  input  wire                     rst_ni,
  // synchronous clear of every membrane and refractory counter (start of an image)
  input  wire                     clear_i,

  /* configuration */
  input  wire [V_W-1:0]           th_pos_i,
  input  wire [V_W-1:0]           th_neg_i,
  input  wire [V_W-1:0]           leak_i,
  input  wire [RF_W-1:0]          refrac_i,
  input  wire                     neg_en_i,

  /* one integration step */
  input  wire                     step_i,
  input  wire [N_NEURONS*W_W-1:0] w_i,

  /* spikes of this step, valid while step_i is high */
  output reg  [N_NEURONS-1:0]     fire_pos_o,
  output reg  [N_NEURONS-1:0]     fire_neg_o,

  /* state, for the decision and for inspection */
  output wire [N_NEURONS*V_W-1:0] v_o,
  output wire [N_NEURONS-1:0]     refractory_o
);

  initial begin
    if (W_W >= V_W) begin
      $error("spirit_neurons: the membrane (V_W = %0d) must be wider than a weight (W_W = %0d)",
             V_W, W_W);
      $finish;
    end
  end

  localparam signed [V_W:0] VMax = (1 <<< (V_W - 1)) - 1;
  localparam signed [V_W:0] VMin = -(1 <<< (V_W - 1));

  reg signed [V_W-1:0] v_q    [0:N_NEURONS-1];
  reg        [RF_W-1:0] refr_q [0:N_NEURONS-1];
  reg signed [V_W-1:0] v_d    [0:N_NEURONS-1];
  reg        [RF_W-1:0] refr_d [0:N_NEURONS-1];

  // thresholds and leak are positive numbers below 2^(V_W-1)
  wire signed [V_W:0] th_pos = {1'b0, th_pos_i};
  wire signed [V_W:0] th_neg = {1'b0, th_neg_i};
  wire signed [V_W:0] leak   = {1'b0, leak_i};

  integer j;
  reg signed [V_W:0] v, v_leak, sum;
  reg                can_fire;
  always @* begin
    for (j = 0; j < N_NEURONS; j = j + 1) begin
      v = {v_q[j][V_W-1], v_q[j]};
      // leak toward zero
      if (v > leak) begin
        v_leak = v - leak;
      end else if (v < -leak) begin
        v_leak = v + leak;
      end else begin
        v_leak = {(V_W + 1){1'b0}};
      end
      // integrate, saturating
      sum = v_leak + {{(V_W + 1 - W_W){w_i[j * W_W + W_W - 1]}}, w_i[j * W_W +: W_W]};
      if (sum > VMax) begin
        sum = VMax;
      end else if (sum < VMin) begin
        sum = VMin;
      end
      // fire and subtract the threshold
      can_fire = refr_q[j] == {RF_W{1'b0}};
      fire_pos_o[j] = step_i && can_fire && sum >= th_pos;
      fire_neg_o[j] = step_i && can_fire && !fire_pos_o[j] && neg_en_i && sum <= -th_neg;
      if (fire_pos_o[j]) begin
        sum = sum - th_pos;
      end else if (fire_neg_o[j]) begin
        sum = sum + th_neg;
      end
      v_d[j] = sum[V_W-1:0];
      // refractory countdown, one per integrated event
      if (fire_pos_o[j] || fire_neg_o[j]) begin
        refr_d[j] = refrac_i;
      end else if (!can_fire) begin
        refr_d[j] = refr_q[j] - 1'b1;
      end else begin
        refr_d[j] = refr_q[j];
      end
    end
  end

  genvar g;
  generate
    for (g = 0; g < N_NEURONS; g = g + 1) begin : g_neuron
      always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          v_q[g]    <= {V_W{1'b0}};
          refr_q[g] <= {RF_W{1'b0}};
        end else if (clear_i) begin
          v_q[g]    <= {V_W{1'b0}};
          refr_q[g] <= {RF_W{1'b0}};
        end else if (step_i) begin
          v_q[g]    <= v_d[g];
          refr_q[g] <= refr_d[g];
        end
      end
      assign v_o[g * V_W +: V_W] = v_q[g];
      assign refractory_o[g]     = refr_q[g] != {RF_W{1'b0}};
    end
  endgenerate

`ifndef SYNTHESIS
`ifndef SPIRIT_NO_ASSERT
  // Input checks, in simulation only: the settings a step uses lie in their ranges (the
  // register block guarantees it on the chip), and no control input is unknown.
  always @(posedge clk_i or negedge rst_ni) begin
    if (rst_ni) begin
      if (step_i && (th_pos_i == {V_W{1'b0}} || th_pos_i[V_W-1] ||
                     th_neg_i == {V_W{1'b0}} || th_neg_i[V_W-1])) begin
        $error("spirit_neurons %m: a step with a threshold out of range (th_pos_i %0d, %s%0d)",
               th_pos_i, "th_neg_i ", th_neg_i);
      end
      if (step_i && leak_i[V_W-1]) begin
        $error("spirit_neurons %m: a step with leak_i %0d above 2^(V_W-1)-1", leak_i);
      end
      // unknown inputs (4-state simulators)
      if (^step_i === 1'bx) $fatal(1, "spirit_neurons %m: step_i is X or Z");
      if (^clear_i === 1'bx) $fatal(1, "spirit_neurons %m: clear_i is X or Z");
      if (step_i === 1'b1 && ^{w_i, th_pos_i, th_neg_i, leak_i, refrac_i, neg_en_i} === 1'bx) begin
        $fatal(1, "spirit_neurons %m: w_i or a setting is X or Z during a step");
      end
    end
  end
`endif
`endif

endmodule

`default_nettype wire
