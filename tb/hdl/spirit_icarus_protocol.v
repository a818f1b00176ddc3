// SPDX-License-Identifier: Apache-2.0
//
// Scripted drivers for the protocol assertions of spirit_fifo, spirit_router and
// spirit_sat_counter, for a plain event-driven simulator (Icarus Verilog). Each module is a
// top of its own. With the RTL as it is, each drives its block through the situations the
// assertions watch (stalls on both sides, a full and an empty FIFO, a counter at its maximum),
// checks what comes out and ends with a line that starts with "PASS". A deliberately broken
// copy of the block then makes the matching assertion report its rule (tests/test_assertions.py).
// Inputs change at the falling edge. Time is counted in clock cycles: no `timescale.

`default_nettype none

// spirit_fifo, 4 words of 8 bits: reads while empty, a reader stalled while one word and then
// more wait, a writer stalled while full, then the drain; the words come out 0..4 in order.
module spirit_proto_fifo ();

  reg        clk = 1'b0;
  reg        rst_n = 1'b0;
  reg        s_valid = 1'b0;
  reg  [7:0] s_data = 8'd0;
  reg        m_ready = 1'b0;
  wire       s_ready, m_valid;
  wire [7:0] m_data;
  wire [2:0] level;

  always #5 clk = ~clk;

  spirit_fifo #(.WIDTH(8), .DEPTH(4)) u_fifo (
    .clk_i (clk), .rst_ni (rst_n), .s_valid_i (s_valid), .s_ready_o (s_ready),
    .s_data_i (s_data), .m_valid_o (m_valid), .m_ready_i (m_ready), .m_data_o (m_data),
    .level_o (level)
  );

  integer n_out = 0;
  always @(posedge clk) begin
    if (rst_n && m_valid && m_ready) begin
      if (m_data !== n_out[7:0]) $fatal(1, "word %0d out is %0d", n_out, m_data);
      n_out = n_out + 1;
    end
  end

  // one word: offered at a falling edge, taken at the first rising edge that sees s_ready
  task send(input [7:0] word);
    begin
      s_valid = 1'b1;
      s_data  = word;
      while (!s_ready) @(negedge clk);
      @(negedge clk);
      s_valid = 1'b0;
    end
  endtask

  integer k;
  initial begin
    repeat (2) @(negedge clk);
    rst_n = 1'b1;
    // a reader ready while the FIFO is empty
    m_ready = 1'b1;
    repeat (3) @(negedge clk);
    // fill with the reader stalled, one word alone for a while; the fifth word waits, held
    // steady
    m_ready = 1'b0;
    send(8'd0);
    repeat (2) @(negedge clk);
    for (k = 1; k < 4; k = k + 1) send(k[7:0]);
    s_valid = 1'b1;
    s_data  = 8'd4;
    repeat (4) @(negedge clk);
    // drain; the waiting word goes in once there is room
    m_ready = 1'b1;
    while (!s_ready) @(negedge clk);
    @(negedge clk);
    s_valid = 1'b0;
    repeat (8) @(negedge clk);
    if (n_out != 5 || m_valid) $fatal(1, "%0d words out, expected 5", n_out);
    $display("PASS spirit_proto_fifo: 5 words in order through stalls on both sides");
    $finish;
  end

endmodule

// spirit_router, 8 inputs: one spike, then two more and an EOI wait while the core is
// stalled, then go out in order.
module spirit_proto_router ();

  reg        clk = 1'b0;
  reg        rst_n = 1'b0;
  reg        s_valid = 1'b0;
  reg  [3:0] s_data = 4'd0;
  reg        ev_ready = 1'b0;
  wire       s_ready, ev_valid, ev_eoi, drop;
  wire [2:0] ev_row;
  wire [7:0] drop_count;
  wire       drop_overflow, err_addr, err_cmd;
  wire [2:0] level;

  always #5 clk = ~clk;

  spirit_router #(.N_INPUTS(8), .ADDR_W(3), .FIFO_DEPTH(4), .STAT_W(8)) u_router (
    .clk_i (clk), .rst_ni (rst_n), .s_aer_valid_i (s_valid), .s_aer_ready_o (s_ready),
    .s_aer_data_i (s_data), .ev_valid_o (ev_valid), .ev_ready_i (ev_ready), .ev_row_o (ev_row),
    .ev_eoi_o (ev_eoi), .drop_o (drop), .clear_count_i (1'b0), .drop_count_o (drop_count),
    .drop_overflow_o (drop_overflow), .clear_err_i (2'b00), .err_addr_o (err_addr),
    .err_cmd_o (err_cmd), .fifo_level_o (level)
  );

  // expected events: rows 5, 1, 6, then EOI
  integer n_ev = 0;
  always @(posedge clk) begin
    if (rst_n && ev_valid && ev_ready) begin
      if (n_ev < 3 && (ev_eoi || ev_row !== (n_ev == 0 ? 3'd5 : n_ev == 1 ? 3'd1 : 3'd6))) begin
        $fatal(1, "event %0d is row %0d (eoi %0d)", n_ev, ev_row, ev_eoi);
      end
      if (n_ev == 3 && !ev_eoi) $fatal(1, "event 3 is not the EOI");
      n_ev = n_ev + 1;
    end
  end

  task send(input [3:0] word);
    begin
      s_valid = 1'b1;
      s_data  = word;
      while (!s_ready) @(negedge clk);
      @(negedge clk);
      s_valid = 1'b0;
    end
  endtask

  initial begin
    repeat (2) @(negedge clk);
    rst_n = 1'b1;
    @(negedge clk);
    send(4'd5);
    repeat (2) @(negedge clk);
    send(4'd1);
    send(4'd6);
    send(4'b1000);
    repeat (4) @(negedge clk);
    ev_ready = 1'b1;
    repeat (8) @(negedge clk);
    if (n_ev != 4 || drop || err_addr || err_cmd) $fatal(1, "%0d events, expected 4", n_ev);
    $display("PASS spirit_proto_router: 3 spikes and an EOI in order through a stalled core");
    $finish;
  end

endmodule

// spirit_sat_counter, 4 bits, increments of 3: it climbs to 15, stays there with the overflow
// flag set, and a clear brings both back to zero.
module spirit_proto_counter ();

  reg        clk = 1'b0;
  reg        rst_n = 1'b0;
  reg        clear = 1'b0;
  reg  [1:0] inc = 2'd0;
  wire [3:0] count;
  wire       overflow;

  always #5 clk = ~clk;

  spirit_sat_counter #(.WIDTH(4), .INC_W(2)) u_counter (
    .clk_i (clk), .rst_ni (rst_n), .clear_i (clear), .inc_i (inc), .count_o (count),
    .overflow_o (overflow)
  );

  initial begin
    repeat (2) @(negedge clk);
    rst_n = 1'b1;
    inc = 2'd3;
    repeat (5) @(negedge clk);
    if (count !== 4'd15 || overflow) $fatal(1, "count %0d, overflow %0d", count, overflow);
    repeat (3) @(negedge clk);
    if (count !== 4'd15 || !overflow) $fatal(1, "count %0d, overflow %0d", count, overflow);
    inc = 2'd0;
    clear = 1'b1;
    @(negedge clk);
    clear = 1'b0;
    @(negedge clk);
    if (count !== 4'd0 || overflow) $fatal(1, "after clear: %0d, %0d", count, overflow);
    $display("PASS spirit_proto_counter: saturates at 15 with the overflow flag, clears");
    $finish;
  end

endmodule

`default_nettype wire
