// SPDX-License-Identifier: Apache-2.0
//
// Self-checking smoke test of spirit_chip for a plain event-driven simulator (no Python, no
// co-simulation): reset, program a few synapses over the register bus, read one back, send one
// image of address events with an out-of-range address among them and an end-of-image word,
// and check the words that come out on m_aer and the event counters.
//
// Synapses: rows 5, 6 and 7 excite neuron 3 with 4 cells each (weight +4), row 5 inhibits
// neuron 7 with 4 cells (weight -4). With the reset thresholds (4) the image 5, bad, 6, 7, EOI
// gives, in order: +3 (row 5; round robin from neuron 0), -7 (row 5), +3, +3, then the
// decision: class 3, not early (dS is 0). The bad address is dropped and counted.
//
// The same run with unknown values (X, Z) on the inputs, for a 4-state simulator (Verilator
// has two states), comes from a plusarg:
//   +case=clean    (default) no unknown value.
//   +case=idle     X and Z on every input during reset, on s_aer_data_i whenever
//                  s_aer_valid_i is low, and on the register bus's we, address and data
//                  whenever reg_req_i is low. Defined outcome: none; the words on m_aer, the
//                  counters and ERROR are those of the clean run.
//   +case=x_valid  X on s_aer_valid_i,
//   +case=z_valid  Z on s_aer_valid_i,
//   +case=x_data   X in s_aer_data_i while s_aer_valid_i is high,
//   +case=x_ready  X on m_aer_ready_i,
//   +case=x_req    X on reg_req_i.
//                  Defined outcome: an assertion in the RTL names the port and stops the run
//                  ($fatal). If nothing stops it, this testbench ends with a FATAL line that
//                  says the X was not caught.
//
// Any failed check ends the run with $fatal; success prints one line that starts with "PASS".
// Time is counted in clock cycles, so neither this file nor the RTL sets a `timescale.

`default_nettype none

module spirit_icarus_smoke #(
  parameter integer N_INPUTS = 144,
  parameter integer ADDR_W = 8,
  // cycles after which the run is declared hung
  parameter integer TIMEOUT = 20000
) ();

  localparam integer NNeurons = 10;
  localparam integer NeurW    = 4;
  localparam integer OutW     = NeurW + 2;
  localparam integer BadAddr  = N_INPUTS + 3;

  // register map (see rtl/spirit_regs.v)
  localparam [7:0] AId       = 8'h00;
  localparam [7:0] AClass    = 8'h0A;
  localparam [7:0] AError    = 8'h0B;
  localparam [7:0] ACellRow  = 8'h18;
  localparam [7:0] ACellCol  = 8'h19;
  localparam [7:0] ACellData = 8'h1A;
  localparam [7:0] AStatIn   = 8'h20;
  localparam [7:0] AStatSyn  = 8'h21;
  localparam [7:0] AStatOut  = 8'h22;
  localparam [7:0] AStatDrop = 8'h23;
  localparam [7:0] AStatImg  = 8'h25;

  localparam [ADDR_W:0] Eoi = {1'b1, {ADDR_W{1'b0}}};

  // expected output words: {kind, flag, index}
  localparam integer NExp = 5;
  reg [OutW-1:0] expected [0:NExp-1];
  initial begin
    expected[0] = {1'b0, 1'b0, 4'd3};  // positive spike of neuron 3
    expected[1] = {1'b0, 1'b1, 4'd7};  // negative spike of neuron 7
    expected[2] = {1'b0, 1'b0, 4'd3};
    expected[3] = {1'b0, 1'b0, 4'd3};
    expected[4] = {1'b1, 1'b0, 4'd3};  // decision: class 3 at end of image
  end

  reg [8*8-1:0] test_case;
  reg           xz;  // unknown values on idle inputs
  initial begin
    if (!$value$plusargs("case=%s", test_case)) test_case = "clean";
    xz = test_case != "clean";
  end

  // ---- the chip -----------------------------------------------------------------------------

  reg               clk = 1'b0;
  reg               rst_n = 1'b0;
  reg               s_valid = 1'b0;
  reg  [ADDR_W:0]   s_data = {(ADDR_W + 1){1'b0}};
  reg               m_ready = 1'b1;
  wire              s_ready;
  wire              m_valid;
  wire [OutW-1:0]   m_data;
  reg               reg_req = 1'b0;
  reg               reg_we = 1'b0;
  reg  [7:0]        reg_addr = 8'd0;
  reg  [31:0]       reg_wdata = 32'd0;
  wire              reg_gnt, reg_rvalid, reg_err;
  wire [31:0]       reg_rdata;
  wire              done, error;
  wire [NeurW-1:0]  class_q;

  always #5 clk = ~clk;

  spirit_chip #(
    .N_INPUTS  (N_INPUTS),
    .N_NEURONS (NNeurons),
    .ADDR_W    (ADDR_W)
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

  // ---- output monitor -----------------------------------------------------------------------

  integer n_out = 0;
  always @(posedge clk) begin
    if (rst_n && m_valid && m_ready === 1'b1) begin
      if (n_out >= NExp) $fatal(1, "m_aer: unexpected word %h after the decision", m_data);
      if (m_data !== expected[n_out]) begin
        $fatal(1, "m_aer: word %0d is %h, expected %h", n_out, m_data, expected[n_out]);
      end
      n_out = n_out + 1;
    end
  end

  integer cycles = 0;
  always @(posedge clk) begin
    cycles = cycles + 1;
    if (cycles == TIMEOUT) $fatal(1, "no progress after %0d cycles", TIMEOUT);
  end

  // ---- register bus and event source; both drive and sample at the falling edge ----------------

  reg [31:0] rdata;

  // one access: wait for the grant, then for the response; with xz the bus is unknown between
  task reg_access(input we, input [7:0] addr, input [31:0] wdata);
    begin
      @(negedge clk);
      reg_req   = 1'b1;
      reg_we    = we;
      reg_addr  = addr;
      reg_wdata = wdata;
      while (!reg_gnt) @(negedge clk);
      @(negedge clk);
      reg_req = 1'b0;
      if (xz) begin
        reg_we    = 1'bx;
        reg_addr  = 8'hxx;
        reg_wdata = 32'hzzzz_zzzz;
      end
      while (!reg_rvalid) @(negedge clk);
      if (reg_err) $fatal(1, "register %h: access failed", addr);
      rdata = reg_rdata;
    end
  endtask

  task reg_write(input [7:0] addr, input [31:0] wdata);
    reg_access(1'b1, addr, wdata);
  endtask

  task reg_expect(input [7:0] addr, input [31:0] value);
    begin
      reg_access(1'b0, addr, 32'd0);
      if (rdata !== value) $fatal(1, "register %h reads %h, expected %h", addr, rdata, value);
    end
  endtask

  // {inhibitory cells, excitatory cells} of one synapse
  task set_synapse(input [7:0] row, input [7:0] col, input [7:0] cells);
    begin
      reg_write(ACellRow, {24'd0, row});
      reg_write(ACellCol, {24'd0, col});
      reg_write(ACellData, {24'd0, cells});
    end
  endtask

  // one word on s_aer; with xz the data is X, then Z, while valid is low
  task send(input [ADDR_W:0] word);
    begin
      @(negedge clk);
      s_valid = 1'b1;
      s_data  = word;
      while (!s_ready) @(negedge clk);
      @(negedge clk);
      s_valid = 1'b0;
      if (xz) begin
        s_data = {(ADDR_W + 1){1'bx}};
        @(negedge clk);
        s_data = {(ADDR_W + 1){1'bz}};
        @(negedge clk);
        s_data = {{ADDR_W{1'bx}}, 1'b1};
      end
    end
  endtask

  // drive one unknown value for a few cycles: the RTL must stop the run
  task expect_stop(input [8*32-1:0] what);
    begin
      repeat (3) @(negedge clk);
      $fatal(1, "spirit_icarus_smoke: %0s was not caught", what);
    end
  endtask

  // ---- the test -----------------------------------------------------------------------------

  initial begin
    if (BadAddr >= (1 << ADDR_W)) $fatal(1, "ADDR_W leaves no out-of-range address");
    #1;
    if (xz) begin
      // unknown inputs while reset is held
      s_data    = {(ADDR_W + 1){1'bx}};
      reg_we    = 1'bx;
      reg_addr  = 8'hxx;
      reg_wdata = 32'hzzzz_zzzz;
      @(negedge clk);
      s_valid = 1'bx;
      m_ready = 1'bz;
      reg_req = 1'bx;
      @(negedge clk);
      s_valid = 1'bz;
      m_ready = 1'bx;
      @(negedge clk);
      s_valid = 1'b0;
      m_ready = 1'b1;
      reg_req = 1'b0;
      @(negedge clk);
    end else begin
      repeat (4) @(negedge clk);
    end
    rst_n = 1'b1;
    @(negedge clk);

    if (test_case == "x_valid") begin
      s_valid = 1'bx;
      expect_stop("X on s_aer_valid_i");
    end else if (test_case == "z_valid") begin
      s_valid = 1'bz;
      expect_stop("Z on s_aer_valid_i");
    end else if (test_case == "x_data") begin
      s_valid = 1'b1;
      s_data  = {1'b0, {(ADDR_W - 2){1'b0}}, 2'bx1};
      expect_stop("X on s_aer_data_i");
    end else if (test_case == "x_ready") begin
      m_ready = 1'bx;
      expect_stop("X on m_aer_ready_i");
    end else if (test_case == "x_req") begin
      reg_req = 1'bx;
      expect_stop("X on reg_req_i");
    end else if (test_case != "clean" && test_case != "idle") begin
      $fatal(1, "unknown case '%0s'", test_case);
    end

    reg_expect(AId, 32'h5350_5254);
    set_synapse(8'd5, 8'd3, 8'h0F);
    set_synapse(8'd6, 8'd3, 8'h0F);
    set_synapse(8'd7, 8'd3, 8'h0F);
    set_synapse(8'd5, 8'd7, 8'hF0);
    // read one synapse back
    reg_write(ACellRow, 32'd5);
    reg_write(ACellCol, 32'd7);
    reg_expect(ACellData, 32'h0000_00F0);

    send(5);
    send(BadAddr[ADDR_W:0]);
    send(6);
    send(7);
    send(Eoi);

    while (!(done && n_out == NExp)) @(negedge clk);
    if (class_q !== 4'd3) $fatal(1, "class_o is %0d, expected 3", class_q);
    if (!error) $fatal(1, "error_o is low after an out-of-range address");
    reg_expect(AClass, 32'h8000_0003);
    reg_expect(AStatIn, 32'd3);
    reg_expect(AStatSyn, 32'd3 * NNeurons);
    reg_expect(AStatOut, 32'd4);
    reg_expect(AStatDrop, 32'd1);
    reg_expect(AStatImg, 32'd1);
    // bit 0: address out of range
    reg_expect(AError, 32'd1);
    repeat (4) @(negedge clk);
    if (n_out != NExp) $fatal(1, "m_aer: %0d words, expected %0d", n_out, NExp);
    $display("PASS spirit_icarus_smoke %0s: %0d inputs, %0d words on m_aer, 1 dropped, %0d %s",
             test_case, N_INPUTS, n_out, cycles, "cycles");
    $finish;
  end

endmodule

`default_nettype wire
