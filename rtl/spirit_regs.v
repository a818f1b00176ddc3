// SPDX-License-Identifier: Apache-2.0
//
// Register block: configuration, synapse programming, event counters, status and errors.
//
// Bus: a request is taken when reg_req_i and reg_gnt_o are both high; its response comes later
// with reg_rvalid_o, one cycle later for every register but CELL_DATA (which waits for the
// array). One request is outstanding at a time: reg_gnt_o is low until its response.
// A failed access changes nothing, answers with reg_err_o and sets a sticky ERROR bit:
//   unknown address (REG_ADDR), write to a read-only register (REG_RO), value out of range
//   (REG_VALUE), or configuration change while an image is in flight (REG_BUSY).
// The address map is listed with the localparams below and in README.md.

`default_nettype none

module spirit_regs #(
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
  // read path: multi-level cells, code width, sensing references
  parameter integer MLC = 0,
  parameter integer CODE_W = 1,
  parameter integer SENSE_REF = 1,
  parameter integer STEP_SHIFT = 0,
  // reset values of the configuration
  parameter integer TH_POS_INIT = 4,
  parameter integer TH_NEG_INIT = 4,
  parameter integer DS_INIT = 0,
  // derived widths
  parameter integer ROW_W = (N_INPUTS > 1) ? $clog2(N_INPUTS) : 1,
  parameter integer NEUR_W = (N_NEURONS > 1) ? $clog2(N_NEURONS) : 1,
  // cells per synapse, and bits of a synapse word
  parameter integer CPS = (MLC != 0) ? 2 : 2 * CELLS,
  parameter integer WORD_W = (MLC != 0) ? $clog2(CELLS + 1) + 1 : 2 * CELLS,
  // number of event counters
  parameter integer N_STAT = 7
) (
  input  wire                       clk_i,
  input  wire                       rst_ni,

  /* register bus */
  input  wire                       reg_req_i,
  output wire                       reg_gnt_o,
  input  wire                       reg_we_i,
  input  wire [7:0]                 reg_addr_i,
  input  wire [31:0]                reg_wdata_i,
  output reg                        reg_rvalid_o,
  output reg  [31:0]                reg_rdata_o,
  output reg                        reg_err_o,

  /* configuration */
  output reg  [V_W-1:0]             th_pos_o,
  output reg  [V_W-1:0]             th_neg_o,
  output reg  [V_W-1:0]             leak_o,
  output reg  [RF_W-1:0]            refrac_o,
  output reg  [CNT_W-1:0]           ds_o,
  output reg                        neg_en_o,
  output reg                        net_o,

  /* synapse access through the crossbar controller */
  output reg                        cell_req_o,
  input  wire                       cell_gnt_i,
  output reg                        cell_we_o,
  output reg  [ROW_W-1:0]           cell_row_o,
  output reg  [NEUR_W-1:0]          cell_col_o,
  output reg  [WORD_W-1:0]          cell_wdata_o,
  output reg  [CPS-1:0]             cell_mask_o,
  output reg  [1:0]                 cell_cond_o,
  input  wire                       cell_rvalid_i,
  input  wire [WORD_W-1:0]          cell_rdata_i,
  // the array's usage: reads, programming operations, cell pulses
  input  wire [3*32-1:0]            usage_i,

  /* counters: {cycles, images, skipped, dropped, out spikes, synaptic events, input events} */
  input  wire [N_STAT*STAT_W-1:0]   stat_i,
  input  wire                       stat_overflow_i,
  output wire                       stat_clear_o,

  /* status and errors from the core */
  // an image is in flight or events are queued: configuration is locked
  input  wire                       busy_i,
  input  wire                       done_i,
  input  wire                       class_valid_i,
  input  wire                       class_early_i,
  input  wire [NEUR_W-1:0]          class_i,
  input  wire                       in_empty_i,
  input  wire                       out_empty_i,
  input  wire                       err_addr_i,
  input  wire                       err_cmd_i,
  // one-cycle pulses clearing the router's ERROR bits 0 and 1
  output wire [1:0]                 err_clear_o,
  output wire                       error_o,

  /* neuron inspection */
  input  wire [N_NEURONS*V_W-1:0]   v_i,
  input  wire [N_NEURONS*CNT_W-1:0] count_i,
  input  wire [N_NEURONS-1:0]       refractory_i
);

  // address map
  localparam [7:0] AId        = 8'h00;  // RO  "SPRT"
  localparam [7:0] AVersion   = 8'h01;  // RO  major.minor
  localparam [7:0] AParam0    = 8'h02;  // RO  {N_NEURONS, N_INPUTS}
  localparam [7:0] AParam1    = 8'h03;  // RO  {ADDR_W, CNT_W, V_W, CELLS}
  localparam [7:0] AParam2    = 8'h04;  // RO  {OUT_FIFO_DEPTH, IN_FIFO_DEPTH}
  localparam [7:0] AParam3    = 8'h05;  // RO  {SENSE_REF, STEP_SHIFT, CODE_W, MLC}
  localparam [7:0] ACtrl      = 8'h08;  // RW  bit 0: negative spikes, bit 1: net counting
  localparam [7:0] AStatus    = 8'h09;  // RO  see below
  localparam [7:0] AClass     = 8'h0A;  // RO  {valid, early, 14'b0, class}
  localparam [7:0] AError     = 8'h0B;  // W1C sticky errors
  localparam [7:0] AThPos     = 8'h10;  // RW  1 .. 2^(V_W-1)-1
  localparam [7:0] AThNeg     = 8'h11;  // RW  1 .. 2^(V_W-1)-1
  localparam [7:0] ALeak      = 8'h12;  // RW  0 .. 2^(V_W-1)-1
  localparam [7:0] ARefrac    = 8'h13;  // RW  0 .. 2^RF_W-1
  localparam [7:0] ADs        = 8'h14;  // RW  0 .. 2^CNT_W-1, 0: no early stop
  localparam [7:0] ACellRow   = 8'h18;  // RW  < N_INPUTS
  localparam [7:0] ACellCol   = 8'h19;  // RW  < N_NEURONS
  localparam [7:0] ACellData  = 8'h1A;  // RW  synapse word (see spirit_xbar_ctrl); steps
                                        //     the column
  localparam [7:0] ACellMask  = 8'h1B;  // RW  cells a CELL_DATA write pulses (reset: all)
  localparam [7:0] AProgCond  = 8'h1C;  // RW  programming condition 0..3
  localparam [7:0] APulses    = 8'h1D;  // RO  cell pulses applied by the array
  localparam [7:0] AReads     = 8'h1E;  // RO  row reads of the array
  localparam [7:0] AProgOps   = 8'h1F;  // RO  programming operations of the array
  localparam [7:0] AStatBase  = 8'h20;  // RO  counters, N_STAT of them
  localparam [7:0] ACmd       = 8'h2F;  // WO  bit 0: clear counters; reads 0
  localparam [7:0] ANeurSel   = 8'h30;  // RW  < N_NEURONS
  localparam [7:0] ANeurV     = 8'h31;  // RO  membrane, sign-extended
  localparam [7:0] ANeurCnt   = 8'h32;  // RO  {refractory, spike count sign-extended}

  // ERROR bits
  localparam integer EAddrRange = 0;
  localparam integer EBadCmd    = 1;
  localparam integer ERegAddr   = 2;
  localparam integer ERegRo     = 3;
  localparam integer ERegValue  = 4;
  localparam integer ERegBusy   = 5;

  localparam [31:0] VMax      = (32'd1 << (V_W - 1)) - 1;
  localparam [31:0] RefracMax = (RF_W >= 32) ? 32'hFFFF_FFFF : (32'd1 << RF_W) - 1;
  localparam [31:0] DsMax     = (CNT_W >= 32) ? 32'hFFFF_FFFF : (32'd1 << CNT_W) - 1;
  localparam [31:0] CellMax   = (32'd1 << WORD_W) - 1;
  localparam [31:0] MaskMax   = (32'd1 << CPS) - 1;
  localparam [31:0] Mlc32     = MLC;
  localparam [31:0] CodeW32   = CODE_W;
  localparam [31:0] SenseRef32 = SENSE_REF;
  localparam [31:0] StepShift32 = STEP_SHIFT;
  localparam [31:0] NumInputs = N_INPUTS;
  localparam [31:0] NumNeur   = N_NEURONS;
  localparam [31:0] InFifo    = IN_FIFO_DEPTH;
  localparam [31:0] OutFifo   = OUT_FIFO_DEPTH;
  localparam [31:0] NumCells  = CELLS;
  localparam [31:0] VWidth    = V_W;
  localparam [31:0] CntWidth  = CNT_W;
  localparam [31:0] AddrWidth = ADDR_W;
  localparam [31:0] LastCol32 = N_NEURONS - 1;
  localparam [31:0] LastRow32 = N_INPUTS - 1;
  localparam [NEUR_W-1:0] LastCol = LastCol32[NEUR_W-1:0];
  localparam [ROW_W-1:0]  LastRow = LastRow32[ROW_W-1:0];

  initial begin
    if (STAT_W > 32 || V_W > 16 || CNT_W > 16 || RF_W > 16 || CELLS > 15 || N_STAT > 15 ||
        N_INPUTS > 65535 || N_NEURONS > 65535 || IN_FIFO_DEPTH > 32768 ||
        OUT_FIFO_DEPTH > 32768) begin
      $error("spirit_regs: a field does not fit its register (limits: STAT_W <= 32, %s",
             "V_W, CNT_W, RF_W <= 16, CELLS <= 15, N_INPUTS, N_NEURONS <= 65535, FIFOs <= 32768)");
      $finish;
    end
    if (TH_POS_INIT < 1 || TH_NEG_INIT < 1 || TH_POS_INIT > VMax || TH_NEG_INIT > VMax) begin
      $error("spirit_regs: TH_POS_INIT and TH_NEG_INIT must lie in 1 .. 2^(V_W-1)-1");
      $finish;
    end
  end

  // register-side sticky errors; bit 6 (CNT_SAT) is the counters' own overflow flag
  reg [5:2]  err_q;
  reg        cell_wait_q;     // a CELL_DATA read waits for the array
  reg [NEUR_W-1:0] sel_q;
  reg        stat_clear_q;
  reg [1:0]  err_clear_q;

  assign reg_gnt_o    = !cell_req_o && !cell_wait_q;
  assign stat_clear_o = stat_clear_q;
  assign err_clear_o  = err_clear_q;

  wire [6:0] errors = {stat_overflow_i, err_q[5:2], err_cmd_i, err_addr_i};
  assign error_o = |errors;

  wire take = reg_req_i && reg_gnt_o;

  // counters, zero-extended to 32 bits
  wire [31:0] stat_word [0:N_STAT-1];
  genvar g;
  generate
    for (g = 0; g < N_STAT; g = g + 1) begin : g_stat
      if (STAT_W == 32) begin : g_full
        assign stat_word[g] = stat_i[g * STAT_W +: STAT_W];
      end else begin : g_pad
        assign stat_word[g] = {{(32 - STAT_W){1'b0}}, stat_i[g * STAT_W +: STAT_W]};
      end
    end
  endgenerate

  // ---- decode of the request ----------------------------------------------------------------

  reg        d_known, d_ro, d_lock, d_bad_value, d_cell;
  reg [31:0] d_rdata;
  integer s;
  always @* begin
    d_known     = 1'b1;
    d_ro        = 1'b0;
    d_lock      = 1'b0;
    d_bad_value = 1'b0;
    d_cell      = 1'b0;
    d_rdata     = 32'd0;
    // the loop index too: a path that leaves it unassigned would infer a latch
    s           = 0;
    case (reg_addr_i)
      AId:       begin d_ro = 1'b1; d_rdata = 32'h5350_5254; end
      AVersion:  begin d_ro = 1'b1; d_rdata = 32'h0001_0000; end
      AParam0:   begin d_ro = 1'b1; d_rdata = {NumNeur[15:0], NumInputs[15:0]}; end
      AParam1: begin
        d_ro    = 1'b1;
        d_rdata = {AddrWidth[7:0], CntWidth[7:0], VWidth[7:0], NumCells[7:0]};
      end
      AParam2:   begin d_ro = 1'b1; d_rdata = {OutFifo[15:0], InFifo[15:0]}; end
      AParam3: begin
        d_ro    = 1'b1;
        d_rdata = {SenseRef32[7:0], StepShift32[7:0], CodeW32[7:0], Mlc32[7:0]};
      end
      ACtrl: begin
        d_lock      = 1'b1;
        d_bad_value = reg_wdata_i[31:2] != 30'd0;
        d_rdata     = {30'd0, net_o, neg_en_o};
      end
      AStatus: begin
        d_ro    = 1'b1;
        d_rdata = {26'd0, out_empty_i, in_empty_i, class_valid_i, error_o, done_i, busy_i};
      end
      AClass: begin
        d_ro    = 1'b1;
        d_rdata = {class_valid_i, class_early_i, {(30 - NEUR_W){1'b0}}, class_i};
      end
      AError:    d_rdata = {25'd0, errors};
      AThPos: begin
        d_lock      = 1'b1;
        d_bad_value = reg_wdata_i == 32'd0 || reg_wdata_i > VMax;
        d_rdata     = {{(32 - V_W){1'b0}}, th_pos_o};
      end
      AThNeg: begin
        d_lock      = 1'b1;
        d_bad_value = reg_wdata_i == 32'd0 || reg_wdata_i > VMax;
        d_rdata     = {{(32 - V_W){1'b0}}, th_neg_o};
      end
      ALeak: begin
        d_lock      = 1'b1;
        d_bad_value = reg_wdata_i > VMax;
        d_rdata     = {{(32 - V_W){1'b0}}, leak_o};
      end
      ARefrac: begin
        d_lock      = 1'b1;
        d_bad_value = reg_wdata_i > RefracMax;
        d_rdata     = {{(32 - RF_W){1'b0}}, refrac_o};
      end
      ADs: begin
        d_lock      = 1'b1;
        d_bad_value = reg_wdata_i > DsMax;
        d_rdata     = {{(32 - CNT_W){1'b0}}, ds_o};
      end
      ACellRow: begin
        d_bad_value = reg_wdata_i >= NumInputs;
        d_rdata     = {{(32 - ROW_W){1'b0}}, cell_row_o};
      end
      ACellCol: begin
        d_bad_value = reg_wdata_i >= NumNeur;
        d_rdata     = {{(32 - NEUR_W){1'b0}}, cell_col_o};
      end
      ACellData: begin
        d_lock      = 1'b1;
        d_cell      = 1'b1;
        d_bad_value = reg_wdata_i > CellMax;
      end
      ACellMask: begin
        d_bad_value = reg_wdata_i > MaskMax;
        d_rdata     = {{(32 - CPS){1'b0}}, cell_mask_o};
      end
      AProgCond: begin
        d_lock      = 1'b1;
        d_bad_value = reg_wdata_i > 32'd3;
        d_rdata     = {30'd0, cell_cond_o};
      end
      APulses:   begin d_ro = 1'b1; d_rdata = usage_i[2 * 32 +: 32]; end
      AReads:    begin d_ro = 1'b1; d_rdata = usage_i[0 * 32 +: 32]; end
      AProgOps:  begin d_ro = 1'b1; d_rdata = usage_i[1 * 32 +: 32]; end
      ACmd:      d_bad_value = reg_wdata_i[31:1] != 31'd0;
      ANeurSel: begin
        d_bad_value = reg_wdata_i >= NumNeur;
        d_rdata     = {{(32 - NEUR_W){1'b0}}, sel_q};
      end
      ANeurV: begin
        d_ro    = 1'b1;
        d_rdata = {{(32 - V_W){v_i[sel_q * V_W + V_W - 1]}}, v_i[sel_q * V_W +: V_W]};
      end
      ANeurCnt: begin
        d_ro    = 1'b1;
        d_rdata = {refractory_i[sel_q], {(31 - CNT_W){count_i[sel_q * CNT_W + CNT_W - 1]}},
                   count_i[sel_q * CNT_W +: CNT_W]};
      end
      default: begin
        d_known = 1'b0;
        for (s = 0; s < N_STAT; s = s + 1) begin
          if (reg_addr_i == AStatBase + s[7:0]) begin
            d_known = 1'b1;
            d_ro    = 1'b1;
            d_rdata = stat_word[s];
          end
        end
      end
    endcase
  end

  // the access fails if any of these holds; the first one names the error
  wire f_addr  = !d_known;
  wire f_ro    = d_known && reg_we_i && d_ro;
  wire f_value = d_known && reg_we_i && !d_ro && d_bad_value;
  wire f_busy  = d_known && d_lock && busy_i && (reg_we_i || d_cell);
  wire fail    = f_addr || f_ro || f_value || f_busy;

  // ---- state --------------------------------------------------------------------------------

  wire cell_step = (cell_req_o && cell_gnt_i && cell_we_o) || cell_rvalid_i;

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      reg_rvalid_o <= 1'b0;
      reg_rdata_o  <= 32'd0;
      reg_err_o    <= 1'b0;
      err_q        <= 4'd0;
      th_pos_o     <= TH_POS_INIT[V_W-1:0];
      th_neg_o     <= TH_NEG_INIT[V_W-1:0];
      leak_o       <= {V_W{1'b0}};
      refrac_o     <= {RF_W{1'b0}};
      ds_o         <= DS_INIT[CNT_W-1:0];
      neg_en_o     <= 1'b1;
      net_o        <= 1'b1;
      cell_req_o   <= 1'b0;
      cell_we_o    <= 1'b0;
      cell_wait_q  <= 1'b0;
      cell_row_o   <= {ROW_W{1'b0}};
      cell_col_o   <= {NEUR_W{1'b0}};
      cell_wdata_o <= {WORD_W{1'b0}};
      cell_mask_o  <= {CPS{1'b1}};
      cell_cond_o  <= 2'd0;
      sel_q        <= {NEUR_W{1'b0}};
      stat_clear_q <= 1'b0;
      err_clear_q  <= 2'b00;
    end else begin
      reg_rvalid_o <= 1'b0;
      reg_err_o    <= 1'b0;
      stat_clear_q <= 1'b0;
      err_clear_q  <= 2'b00;

      if (take && fail) begin
        reg_rvalid_o <= 1'b1;
        reg_rdata_o  <= 32'd0;
        reg_err_o    <= 1'b1;
        if (f_addr)       err_q[ERegAddr]  <= 1'b1;
        else if (f_ro)    err_q[ERegRo]    <= 1'b1;
        else if (f_value) err_q[ERegValue] <= 1'b1;
        else              err_q[ERegBusy]  <= 1'b1;
      end else if (take && d_cell) begin
        // the response waits for the array
        cell_req_o   <= 1'b1;
        cell_we_o    <= reg_we_i;
        cell_wdata_o <= reg_wdata_i[WORD_W-1:0];
      end else if (take) begin
        reg_rvalid_o <= 1'b1;
        reg_rdata_o  <= reg_we_i ? 32'd0 : d_rdata;
        if (reg_we_i) begin
          case (reg_addr_i)
            ACtrl: begin
              neg_en_o <= reg_wdata_i[0];
              net_o    <= reg_wdata_i[1];
            end
            AError: begin
              // counter overflow clears with the counters, through CMD
              err_q       <= err_q & ~reg_wdata_i[5:2];
              err_clear_q <= {reg_wdata_i[EBadCmd], reg_wdata_i[EAddrRange]};
            end
            AThPos:   th_pos_o   <= reg_wdata_i[V_W-1:0];
            AThNeg:   th_neg_o   <= reg_wdata_i[V_W-1:0];
            ALeak:    leak_o     <= reg_wdata_i[V_W-1:0];
            ARefrac:  refrac_o   <= reg_wdata_i[RF_W-1:0];
            ADs:      ds_o       <= reg_wdata_i[CNT_W-1:0];
            ACellRow: cell_row_o <= reg_wdata_i[ROW_W-1:0];
            ACellCol: cell_col_o <= reg_wdata_i[NEUR_W-1:0];
            ACellMask: cell_mask_o <= reg_wdata_i[CPS-1:0];
            AProgCond: cell_cond_o <= reg_wdata_i[1:0];
            ACmd:     stat_clear_q <= reg_wdata_i[0];
            ANeurSel: sel_q      <= reg_wdata_i[NEUR_W-1:0];
            default: ;
          endcase
        end
      end

      // synapse access: request, then (for a read) wait for the data
      if (cell_req_o && cell_gnt_i) begin
        cell_req_o  <= 1'b0;
        cell_wait_q <= !cell_we_o;
        if (cell_we_o) begin
          reg_rvalid_o <= 1'b1;
          reg_rdata_o  <= 32'd0;
        end
      end
      if (cell_rvalid_i) begin
        cell_wait_q  <= 1'b0;
        reg_rvalid_o <= 1'b1;
        reg_rdata_o  <= {{(32 - WORD_W){1'b0}}, cell_rdata_i};
      end
      // each CELL_DATA access steps to the next synapse, row by row
      if (cell_step) begin
        if (cell_col_o == LastCol) begin
          cell_col_o <= {NEUR_W{1'b0}};
          cell_row_o <= (cell_row_o == LastRow) ? {ROW_W{1'b0}} : cell_row_o + 1'b1;
        end else begin
          cell_col_o <= cell_col_o + 1'b1;
        end
      end
    end
  end

`ifndef SYNTHESIS
`ifndef SPIRIT_NO_ASSERT
  // unknown bus inputs (4-state simulators): an X request would otherwise be silently ignored
  always @(posedge clk_i or negedge rst_ni) begin
    if (rst_ni === 1'b1) begin
      if (^reg_req_i === 1'bx) $fatal(1, "spirit_regs %m: reg_req_i is X or Z");
      if (reg_req_i === 1'b1 && ^{reg_we_i, reg_addr_i} === 1'bx) begin
        $fatal(1, "spirit_regs %m: reg_we_i or reg_addr_i is X or Z during a request");
      end
      if (reg_req_i === 1'b1 && reg_we_i === 1'b1 && ^reg_wdata_i === 1'bx) begin
        $fatal(1, "spirit_regs %m: reg_wdata_i is X or Z during a write");
      end
    end
  end
`endif
`endif

endmodule

`default_nettype wire
