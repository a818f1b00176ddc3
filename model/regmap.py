# SPDX-License-Identifier: Apache-2.0
"""Register map of spirit_chip (rtl/spirit_regs.v): word addresses, fields and error bits."""

ID = 0x00            # RO  0x53505254, "SPRT"
VERSION = 0x01       # RO  0x00010000
PARAM0 = 0x02        # RO  {N_NEURONS[15:0], N_INPUTS[15:0]}
PARAM1 = 0x03        # RO  {ADDR_W, CNT_W, V_W, CELLS}, a byte each
PARAM2 = 0x04        # RO  {OUT_FIFO_DEPTH[15:0], IN_FIFO_DEPTH[15:0]}
PARAM3 = 0x05        # RO  {SENSE_REF, STEP_SHIFT, CODE_W, MLC}, a byte each
CTRL = 0x08          # RW  bit 0: negative spikes enabled, bit 1: net counting (reset 0b11)
STATUS = 0x09        # RO  bits: 0 busy, 1 done, 2 error, 3 class valid, 4 in FIFO empty,
                     #           5 out FIFO empty
CLASS = 0x0A         # RO  {valid, early, 0..., class}
ERROR = 0x0B         # W1C sticky error bits, below
TH_POS = 0x10        # RW  1 .. 2^(V_W-1)-1
TH_NEG = 0x11        # RW  1 .. 2^(V_W-1)-1
LEAK = 0x12          # RW  0 .. 2^(V_W-1)-1
REFRAC = 0x13        # RW  0 .. 2^RF_W-1
DS = 0x14            # RW  0 .. 2^CNT_W-1; 0: no early stop
CELL_ROW = 0x18      # RW  < N_INPUTS
CELL_COL = 0x19      # RW  < N_NEURONS
CELL_DATA = 0x1A     # RW  the synapse's word (model.rram.Crossbar.words); each access steps
                     #     the column
CELL_MASK = 0x1B     # RW  cells a CELL_DATA write pulses, bit i: cell i of the synapse (reset:
                     #     all)
PROG_COND = 0x1C     # RW  programming condition 0..3 (0 strong, 1 weak RESET)
PULSES = 0x1D        # RO  cell pulses the array has applied
READS = 0x1E         # RO  row reads of the array
PROG_OPS = 0x1F      # RO  programming operations of the array
STAT_BASE = 0x20     # RO  event counters, in the order of STATS
CMD = 0x2F           # WO  bit 0: clear the counters; reads 0
NEUR_SEL = 0x30      # RW  < N_NEURONS
NEUR_V = 0x31        # RO  membrane of the selected neuron, sign-extended
NEUR_CNT = 0x32      # RO  {refractory, spike count sign-extended}

STATS = ("in_events", "syn_events", "out_spikes", "dropped", "skipped", "images", "cycles")
"""Event counters, at STAT_BASE + index."""

ID_VALUE = 0x53505254
VERSION_VALUE = 0x00010000

# ERROR bits
E_ADDR_RANGE = 0     # an input address was >= N_INPUTS (the event was dropped)
E_BAD_CMD = 1        # an unknown command word arrived (dropped)
E_REG_ADDR = 2       # access to an unknown register
E_REG_RO = 3         # write to a read-only register
E_REG_VALUE = 4      # value out of range for the register
E_REG_BUSY = 5       # configuration access while an image was in flight
E_CNT_SAT = 6        # a counter saturated (cleared with the counters, through CMD)

STATUS_BUSY = 0
STATUS_DONE = 1
STATUS_ERROR = 2
STATUS_CLASS_VALID = 3
STATUS_IN_EMPTY = 4
STATUS_OUT_EMPTY = 5

RW = (CTRL, TH_POS, TH_NEG, LEAK, REFRAC, DS, CELL_ROW, CELL_COL, CELL_DATA, CELL_MASK,
      PROG_COND, NEUR_SEL)
RO = (ID, VERSION, PARAM0, PARAM1, PARAM2, PARAM3, STATUS, CLASS, NEUR_V, NEUR_CNT, PULSES,
      READS, PROG_OPS) + tuple(STAT_BASE + i for i in range(len(STATS)))
LOCKED = (CTRL, TH_POS, TH_NEG, LEAK, REFRAC, DS, CELL_DATA, PROG_COND)
"""Registers that refuse changes (and CELL_DATA reads) while an image is in flight."""
KNOWN = RW + RO + (ERROR, CMD)
