// SPDX-License-Identifier: Apache-2.0
//
// Decision: one signed, saturating spike counter per neuron, the lead of the top count over the
// second, and the class.
//
// A positive spike adds one to its neuron's count; with net_i set, a negative spike takes one
// away (net counting: the count times the threshold then tracks the neuron's integrated input),
// otherwise negative spikes are not counted. gap_reached_o is high once ds_i != 0 and
// top - second >= ds_i: the dS early stop. The class is the neuron with the highest count; a
// tie goes to the higher membrane potential, then to the lower neuron index. A tie can only
// matter at the end of the stream: after an early stop the top count leads.

`default_nettype none

module spirit_decision #(
  // number of neurons, at least 2
  parameter integer N_NEURONS = 10,
  // width of a signed spike counter
  parameter integer CNT_W = 8,
  // width of the signed membrane potential
  parameter integer V_W = 8,
  // derived: width of a neuron index
  parameter integer NEUR_W = (N_NEURONS > 1) ? $clog2(N_NEURONS) : 1
) (
  input  wire                       clk_i,
  input  wire                       rst_ni,
  // synchronous clear of the counters (start of an image)
  input  wire                       clear_i,

  // spikes of this integration step
  input  wire [N_NEURONS-1:0]       inc_i,
  input  wire [N_NEURONS-1:0]       dec_i,
  // count negative spikes as -1
  input  wire                       net_i,
  // membranes, for the tie-break
  input  wire [N_NEURONS*V_W-1:0]   v_i,
  // early-stop margin, 0: never stop early
  input  wire [CNT_W-1:0]           ds_i,

  output wire [N_NEURONS*CNT_W-1:0] count_o,
  output wire                       gap_reached_o,
  output reg  [NEUR_W-1:0]          class_o,
  // the top and second counts (signed), for inspection
  output reg  [CNT_W-1:0]           top_o,
  output reg  [CNT_W-1:0]           second_o
);

  initial begin
    if (N_NEURONS < 2 || CNT_W < 2) begin
      $error("spirit_decision: N_NEURONS and CNT_W must be at least 2");
      $finish;
    end
  end

  localparam signed [CNT_W-1:0] CntMax = {1'b0, {(CNT_W - 1){1'b1}}};
  localparam signed [CNT_W-1:0] CntMin = {1'b1, {(CNT_W - 1){1'b0}}};

  reg signed [CNT_W-1:0] cnt_q [0:N_NEURONS-1];

  genvar g;
  generate
    for (g = 0; g < N_NEURONS; g = g + 1) begin : g_counter
      always @(posedge clk_i or negedge rst_ni) begin
        if (!rst_ni) begin
          cnt_q[g] <= {CNT_W{1'b0}};
        end else if (clear_i) begin
          cnt_q[g] <= {CNT_W{1'b0}};
        end else if (inc_i[g] && cnt_q[g] != CntMax) begin
          cnt_q[g] <= cnt_q[g] + 1'b1;
        end else if (dec_i[g] && net_i && cnt_q[g] != CntMin) begin
          cnt_q[g] <= cnt_q[g] - 1'b1;
        end
      end
      assign count_o[g * CNT_W +: CNT_W] = cnt_q[g];
    end
  endgenerate

  // Scan the neurons once. The class key is {count, membrane}, both in offset binary; a strictly
  // greater key replaces the best so far, so the lowest index wins a full tie.
  integer j;
  reg signed [CNT_W-1:0] top, second;
  reg [CNT_W+V_W-1:0]    key, best_key;
  always @* begin
    top      = CntMin;
    second   = CntMin;
    class_o  = {NEUR_W{1'b0}};
    best_key = {(CNT_W + V_W){1'b0}};
    for (j = 0; j < N_NEURONS; j = j + 1) begin
      if (cnt_q[j] > top) begin
        second = top;
        top    = cnt_q[j];
      end else if (cnt_q[j] > second) begin
        second = cnt_q[j];
      end
      key = {~cnt_q[j][CNT_W-1], cnt_q[j][CNT_W-2:0],
             ~v_i[j * V_W + V_W - 1], v_i[j * V_W +: V_W - 1]};
      if (j == 0 || key > best_key) begin
        best_key = key;
        class_o  = j[NEUR_W-1:0];
      end
    end
    top_o    = top;
    second_o = second;
  end

  // the lead needs one bit more than a count
  wire signed [CNT_W:0] gap = {top[CNT_W-1], top} - {second[CNT_W-1], second};
  assign gap_reached_o = ds_i != {CNT_W{1'b0}} && gap >= $signed({1'b0, ds_i});

`ifndef SYNTHESIS
`ifndef SPIRIT_NO_ASSERT
  // Input checks, in simulation only: a neuron spikes at most one way per step, and no
  // control input is unknown.
  always @(posedge clk_i or negedge rst_ni) begin
    if (rst_ni) begin
      if ((inc_i & dec_i) != {N_NEURONS{1'b0}}) begin
        $error("spirit_decision %m: a neuron counted up and down in one step (inc_i & dec_i)");
      end
      // unknown inputs (4-state simulators)
      if (^clear_i === 1'bx) $fatal(1, "spirit_decision %m: clear_i is X or Z");
      if (^{inc_i, dec_i} === 1'bx) $fatal(1, "spirit_decision %m: inc_i or dec_i is X or Z");
      if (^{net_i, ds_i} === 1'bx) $fatal(1, "spirit_decision %m: net_i or ds_i is X or Z");
    end
  end
`endif
`endif

endmodule

`default_nettype wire
