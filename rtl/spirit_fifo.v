// SPDX-License-Identifier: Apache-2.0
//
// Synchronous FIFO with first-word fall-through and valid/ready on both sides.
//
// The head word is visible on m_data_o whenever m_valid_o is high. s_ready_o depends on the fill
// level only, never on m_ready_i, so a full FIFO applies backpressure and never drops a word.

`default_nettype none

module spirit_fifo #(
  // word width in bits
  parameter integer WIDTH = 8,
  // number of words; a power of two, at least 2
  parameter integer DEPTH = 16,
  // derived: width of the fill level
  parameter integer LEVEL_W = $clog2(DEPTH) + 1
) (
  input  wire               clk_i,
  input  wire               rst_ni,

  /* write side */
  input  wire               s_valid_i,
  output wire               s_ready_o,
  input  wire [WIDTH-1:0]   s_data_i,

  /* read side */
  output wire               m_valid_o,
  input  wire               m_ready_i,
  output wire [WIDTH-1:0]   m_data_o,

  /* status */
  output wire [LEVEL_W-1:0] level_o
);

  localparam integer PtrW = $clog2(DEPTH);

  initial begin
    if (DEPTH < 2 || (DEPTH & (DEPTH - 1)) != 0) begin
      $error("spirit_fifo: DEPTH must be a power of two >= 2, got %0d", DEPTH);
      $finish;
    end
    if (LEVEL_W != PtrW + 1) begin
      $error("spirit_fifo: LEVEL_W is derived from DEPTH; leave it at its default");
      $finish;
    end
  end

  reg [WIDTH-1:0] mem_q [0:DEPTH-1];
  // one extra pointer bit tells a full FIFO from an empty one
  reg [PtrW:0]    wr_ptr_q;
  reg [PtrW:0]    rd_ptr_q;

  wire empty = wr_ptr_q == rd_ptr_q;
  wire full  = (wr_ptr_q[PtrW] != rd_ptr_q[PtrW]) &&
               (wr_ptr_q[PtrW-1:0] == rd_ptr_q[PtrW-1:0]);
  wire push  = s_valid_i && !full;
  wire pop   = m_ready_i && !empty;

  assign s_ready_o = !full;
  assign m_valid_o = !empty;
  assign m_data_o  = mem_q[rd_ptr_q[PtrW-1:0]];
  assign level_o   = wr_ptr_q - rd_ptr_q;

  // storage is datapath: not reset
  always @(posedge clk_i) begin
    if (push) mem_q[wr_ptr_q[PtrW-1:0]] <= s_data_i;
  end

  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      wr_ptr_q <= {(PtrW + 1){1'b0}};
      rd_ptr_q <= {(PtrW + 1){1'b0}};
    end else begin
      if (push) wr_ptr_q <= wr_ptr_q + 1'b1;
      if (pop)  rd_ptr_q <= rd_ptr_q + 1'b1;
    end
  end

`ifndef SYNTHESIS
`ifndef SPIRIT_NO_ASSERT
  // Protocol checks, in simulation only. A broken rule is reported with $error (which also
  // stops Verilator); an unknown (X or Z) handshake input stops a 4-state simulator with $fatal.
  localparam [31:0]        Depth32 = DEPTH;
  localparam [LEVEL_W-1:0] Full    = Depth32[LEVEL_W-1:0];

  reg             s_stall_q;
  reg [WIDTH-1:0] s_data_q;
  reg             m_stall_q;
  reg [WIDTH-1:0] m_data_q;
  always @(posedge clk_i or negedge rst_ni) begin
    if (!rst_ni) begin
      s_stall_q <= 1'b0;
      m_stall_q <= 1'b0;
    end else begin
      // a writer that holds valid while stalled must hold its data too
      s_stall_q <= s_valid_i && full;
      if (s_stall_q && !s_valid_i) begin
        $error("spirit_fifo %m: s_valid_i dropped while stalled");
      end
      if (s_stall_q && s_valid_i && s_data_i !== s_data_q) begin
        $error("spirit_fifo %m: s_data_i changed while stalled");
      end
      // the head word stays offered, unchanged, until it is taken
      m_stall_q <= m_valid_o && !m_ready_i;
      if (m_stall_q && !m_valid_o) begin
        $error("spirit_fifo %m: m_valid_o dropped while stalled");
      end
      if (m_stall_q && m_valid_o && m_data_o !== m_data_q) begin
        $error("spirit_fifo %m: m_data_o changed while stalled");
      end
      // no overflow, no underflow
      if (s_valid_i && s_ready_o && level_o == Full) begin
        $error("spirit_fifo %m: overflow, a word accepted while full");
      end
      if (m_valid_o && m_ready_i && level_o == {LEVEL_W{1'b0}}) begin
        $error("spirit_fifo %m: underflow, a word taken while empty");
      end
      if (level_o > Full) begin
        $error("spirit_fifo %m: overflow, level_o %0d above DEPTH %0d", level_o, DEPTH);
      end
      // unknown handshake inputs (4-state simulators)
      if (rst_ni === 1'b1) begin
        if (^s_valid_i === 1'bx) $fatal(1, "spirit_fifo %m: s_valid_i is X or Z");
        if (^m_ready_i === 1'bx) $fatal(1, "spirit_fifo %m: m_ready_i is X or Z");
        if (s_valid_i === 1'b1 && ^s_data_i === 1'bx) begin
          $fatal(1, "spirit_fifo %m: s_data_i is X or Z while s_valid_i is high");
        end
      end
    end
  end
  always @(posedge clk_i) begin
    s_data_q <= s_data_i;
    m_data_q <= m_data_o;
  end
`endif
`endif

endmodule

`default_nettype wire
