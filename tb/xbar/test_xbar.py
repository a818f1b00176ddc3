# SPDX-License-Identifier: Apache-2.0
"""spirit_xbar_ctrl (with spirit_rram_array) against model.rram.Crossbar: synapses programmed
and read back through the cell port, event reads whose weight vectors must equal
Crossbar.weights() of the row, and the arbitration between the two (events win the array).

A cycle checker follows both ports. It keeps the model crossbar up to date with every granted
write, takes the expected weights of a row when its event is accepted, and checks cell_rvalid_o
and cell_rdata_o one cycle after each granted read, req_ready_o low while a weight vector is
in flight, cell_gnt_o low while an event is requested or in flight, and w_o steady while held.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from model import Crossbar
from model.config import clog2
from tb.common.agents import StreamSink, StreamSource
from tb.common.blocks import params, reset, start_clock
from tb.common.scoreboard import FieldScoreboard, TransactionMonitor


@dataclass(frozen=True)
class WeightVector:
    """One w_o word: the signed weight of each neuron, neuron 0 first."""

    weights: tuple[int, ...]


def _signed(value: int, width: int) -> int:
    value &= (1 << width) - 1
    return value - (1 << width) if value >> (width - 1) else value


class XbarTB:
    def __init__(self, dut, seed: int, idle: float = 0.0, stall: float = 0.0):
        p = params()
        self.dut = dut
        self.n_in, self.n, self.cells = p["N_INPUTS"], p["N_NEURONS"], p["CELLS"]
        self.w_w = clog2(self.cells + 1) + 1
        self.xbar = Crossbar(self.n_in, self.n, self.cells)
        # the array keeps its cells across tests (no reset): every test programs all of them
        self.words = np.zeros((self.n_in, self.n), dtype=np.int64)
        clk = dut.clk_i
        start_clock(dut)
        dut.cell_req_i.value = 0
        dut.cell_we_i.value = 0
        dut.cell_row_i.value = 0
        dut.cell_col_i.value = 0
        dut.cell_wdata_i.value = 0
        self.cps = 2 * self.cells
        dut.cell_mask_i.value = (1 << self.cps) - 1
        dut.cell_cond_i.value = 0
        # the usage counters count from power-up, across tests
        self.usage_base = [int(getattr(dut, n).value) for n in ("reads_o", "ops_o", "pulses_o")]
        self.req = StreamSource(dut, "req", clk, idle=idle, seed=seed,
                                signals=("valid_i", "ready_o", "row_i"))
        self.expected: list[WeightVector] = []
        self.rows: list[int] = []                 # the row of each event, for messages
        self.monitor = TransactionMonitor("w")
        self.board = FieldScoreboard(dut, "w")
        self.board.add_interface(self.monitor, self.expected)
        self.board.label = lambda i: f"weight vector {i} (row {self.rows[i]})"
        self.sink = StreamSink(dut, "w", clk, stall=stall, seed=seed + 1,
                               signals=("valid_o", "ready_i", "o"), callback=self._received)
        self.received = 0
        # cycle checker state
        self.in_flight = False
        self.read_pending: tuple[int, int, int] | None = None   # (row, col, expected word)
        self.held_w: int | None = None
        self.reads: dict[tuple[int, int], int] = {}             # last data read per synapse
        self.n_reads = 0
        self.n_writes = 0
        self.refused = 0        # cycles a cell request waited for an event

    def _received(self, raw: int) -> None:
        self.received += 1
        self.monitor.publish(WeightVector(tuple(
            _signed(raw >> (j * self.w_w), self.w_w) for j in range(self.n))))

    async def reset(self):
        await reset(self.dut)
        cocotb.start_soon(self._check_cycles())

    async def _check_cycles(self):
        d = self.dut
        while True:
            await ReadOnly()
            req_valid, req_ready = int(d.req_valid_i.value), int(d.req_ready_o.value)
            w_valid, w_ready = int(d.w_valid_o.value), int(d.w_ready_i.value)
            cell_req, gnt = int(d.cell_req_i.value), int(d.cell_gnt_o.value)
            rvalid = int(d.cell_rvalid_o.value)
            # cell read data, one cycle after the granted read
            if self.read_pending is not None:
                row, col, exp = self.read_pending
                assert rvalid == 1, \
                    f"cell_rvalid_o: expected 1 one cycle after the read of ({row}, {col}), " \
                    f"actual 0"
                got = int(d.cell_rdata_o.value)
                assert got == exp, \
                    f"cell_rdata_o of synapse ({row}, {col}): expected {exp:#04x}, " \
                    f"actual {got:#04x}"
                self.reads[(row, col)] = got
                self.n_reads += 1
            else:
                assert rvalid == 0, "cell_rvalid_o: expected 0 (no read granted the cycle " \
                                    "before), actual 1"
            self.read_pending = None
            # one event at a time; events win the array
            if self.in_flight:
                assert req_ready == 0, \
                    "req_ready_o: expected 0 while a weight vector is in flight, actual 1"
            assert w_valid == 0 or self.in_flight, \
                "w_valid_o: expected 0 (no event in flight), actual 1"
            if req_valid or self.in_flight:
                assert gnt == 0, \
                    f"cell_gnt_o: expected 0 while an event is " \
                    f"{'in flight' if self.in_flight else 'requested'}, actual 1"
            if w_valid:
                w = int(d.w_o.value)
                assert self.held_w is None or w == self.held_w, \
                    f"w_o changed while held: was {self.held_w:#x}, now {w:#x}"
                self.held_w = None if w_ready else w
            self.refused += cell_req and not gnt
            # the edge: events first (a read at the edge of a write returns the old cells)
            if req_valid and req_ready:
                row = int(d.req_row_i.value)
                self.expected.append(WeightVector(tuple(
                    int(x) for x in self.xbar.read_weights(row))))
                self.rows.append(row)
                self.in_flight = True
            elif w_valid and w_ready:
                self.in_flight = False
            if cell_req and gnt:
                row, col = int(d.cell_row_i.value), int(d.cell_col_i.value)
                if int(d.cell_we_i.value):
                    self.xbar.program(row, col, int(d.cell_wdata_i.value),
                                      int(d.cell_mask_i.value), int(d.cell_cond_i.value))
                    self.words = self.xbar.synapse_words()
                    self.n_writes += 1
                else:
                    self.read_pending = (row, col, self.xbar.sense(row, col))
            await RisingEdge(d.clk_i)

    # ---- cell port -----------------------------------------------------------------------

    async def cell_access(self, write: bool, row: int, col: int, data: int = 0,
                          limit: int = 1000, mask: int | None = None):
        """Request one cell access and return after the edge that grants it; the checker
        compares read data. A following access may start at once (back to back)."""
        d = self.dut
        d.cell_req_i.value = 1
        d.cell_we_i.value = int(write)
        d.cell_row_i.value = row
        d.cell_col_i.value = col
        d.cell_wdata_i.value = data
        d.cell_mask_i.value = (1 << self.cps) - 1 if mask is None else mask
        for _ in range(limit):
            await ReadOnly()
            granted = int(d.cell_gnt_o.value)
            await RisingEdge(d.clk_i)
            if granted:
                break
        else:
            raise AssertionError(f"cell_gnt_o: the {'write' if write else 'read'} of synapse "
                                 f"({row}, {col}) waited {limit} cycles")
        d.cell_req_i.value = 0

    async def program_all(self, rng: random.Random, gap: float = 0.3):
        """Program every synapse with random cells (any pattern, not only thermometer codes)
        in random order."""
        syn = [(r, c) for r in range(self.n_in) for c in range(self.n)]
        rng.shuffle(syn)
        for r, c in syn:
            await self.cell_access(True, r, c, self.random_word(rng))
            await self.gap(rng, gap)

    def random_word(self, rng: random.Random) -> int:
        """Random cells, often with one side empty or full, so that weights reach both
        ends."""
        full = (1 << self.cells) - 1
        exc, inh = rng.getrandbits(self.cells), rng.getrandbits(self.cells)
        r = rng.random()
        if r < 0.1:
            exc, inh = full, 0
        elif r < 0.2:
            exc, inh = 0, full
        elif r < 0.4:
            inh = 0
        elif r < 0.6:
            exc = 0
        return inh << self.cells | exc

    async def gap(self, rng: random.Random, p: float):
        while rng.random() < p:
            await RisingEdge(self.dut.clk_i)

    async def settle(self, cycles: int = 3):
        """Idle cycles, so that the last read has been checked."""
        await ClockCycles(self.dut.clk_i, cycles)

    async def wait_events(self, limit: int = 5000):
        """Wait until every accepted event's weight vector has been received."""
        for _ in range(limit):
            await RisingEdge(self.dut.clk_i)
            if not self.expected and not self.in_flight:
                break
        assert not self.expected, \
            f"{len(self.expected)} weight vectors never came (first: row " \
            f"{self.rows[self.received]})"
        assert self.board.errors == 0, self.board.first_error
        assert self.received == len(self.rows), \
            f"weight vectors: expected {len(self.rows)}, actual {self.received}"

    def check_usage(self):
        """The array's usage counters against the model crossbar's."""
        d = self.dut
        for name, base, want in zip(("reads_o", "ops_o", "pulses_o"), self.usage_base,
                                    self.xbar.counters):
            got = (int(getattr(d, name).value) - base) & 0xFFFFFFFF
            assert got == int(want), f"{name}: expected {int(want)}, actual {got}"


@cocotb.test()
async def program_and_read_back(dut):
    """Program every synapse with random cells through the cell port, read all of them back
    and compare the array with the model crossbar; then a random mix of writes and reads,
    back to back or with idle cycles, each read compared with the model."""
    rng = random.Random(cocotb.RANDOM_SEED)
    tb = XbarTB(dut, seed=rng.randint(0, 1 << 30))
    await tb.reset()
    await tb.program_all(rng)
    syn = [(r, c) for r in range(tb.n_in) for c in range(tb.n)]
    rng.shuffle(syn)
    for r, c in syn:
        await tb.cell_access(False, r, c)
        await tb.gap(rng, 0.2)
    await tb.settle()
    got = np.zeros_like(tb.words)
    for (r, c), value in tb.reads.items():
        got[r, c] = value
    want = tb.xbar.synapse_words()
    assert len(tb.reads) == len(syn), f"read back {len(tb.reads)} of {len(syn)} synapses"
    bad = [tuple(int(i) for i in x) for x in np.argwhere(got != want)]
    assert not bad, f"{len(bad)} synapses read back wrong, first {bad[0]}: expected " \
                    f"{int(want[bad[0]]):#04x}, actual {int(got[bad[0]]):#04x}"
    for _ in range(400):
        r, c = rng.randrange(tb.n_in), rng.randrange(tb.n)
        if rng.random() < 0.5:
            await tb.cell_access(True, r, c, tb.random_word(rng))
            if rng.random() < 0.5:
                await tb.cell_access(False, r, c)     # the word just written
        else:
            await tb.cell_access(False, r, c)
        await tb.gap(rng, 0.3)
    await tb.settle()
    tb.check_usage()
    dut._log.info("%d writes, %d reads checked", tb.n_writes, tb.n_reads)


@cocotb.test()
@cocotb.parametrize(stall=[0.0, 0.5, 0.9])
async def event_reads(dut, stall):
    """Random rows requested with random idle cycles, weights taken with backpressure `stall`:
    each weight vector equals Crossbar.weights()[row], in order; one event at a time."""
    rng = random.Random(cocotb.RANDOM_SEED + 1 + int(stall * 10))
    tb = XbarTB(dut, seed=rng.randint(0, 1 << 30), idle=0.3, stall=stall)
    await tb.reset()
    await tb.program_all(rng, gap=0.0)
    await tb.settle()
    weights = tb.xbar.weights()
    rows = [rng.randrange(tb.n_in) for _ in range(300)]
    for row in rows:
        await tb.req.send(row)
    await tb.wait_events()
    seen = set(int(x) for row in rows for x in weights[row])
    missing = set(range(-tb.cells, tb.cells + 1)) - seen
    assert not missing, f"stimulus: weights {sorted(missing)} never read"
    tb.check_usage()
    dut._log.info("%d weight vectors bit-exact", tb.board.matched)


@cocotb.test()
async def events_win_over_cell_access(dut):
    """Events and cell accesses at once, on the same rows: cell requests wait while an event
    is requested or in flight, each event reads the cells as they were when it was accepted,
    and each cell read returns the cells as they were when it was granted."""
    rng = random.Random(cocotb.RANDOM_SEED + 2)
    tb = XbarTB(dut, seed=rng.randint(0, 1 << 30), idle=0.5, stall=0.4)
    await tb.reset()
    await tb.program_all(rng, gap=0.0)
    await tb.settle()
    hot = rng.sample(range(tb.n_in), 3)     # rows both sides keep using

    async def events():
        for _ in range(200):
            await tb.req.send(rng.choice(hot) if rng.random() < 0.7 else
                              rng.randrange(tb.n_in))

    sender = cocotb.start_soon(events())
    for _ in range(300):
        r = rng.choice(hot) if rng.random() < 0.7 else rng.randrange(tb.n_in)
        c = rng.randrange(tb.n)
        await tb.cell_access(rng.random() < 0.5, r, c, tb.random_word(rng))
        await tb.gap(rng, 0.3)
    await sender
    await tb.wait_events()
    await tb.settle()
    assert tb.refused > 0, "stimulus: no cell request ever waited for an event"
    tb.check_usage()
    dut._log.info("%d weight vectors bit-exact, %d writes, %d reads; cell requests waited "
                  "%d cycles", tb.board.matched, tb.n_writes, tb.n_reads, tb.refused)


@cocotb.test()
async def masked_writes(dut):
    """Writes with random cell masks: only the masked cells of the synapse change, each masked
    cell counts one pulse, and the read-back senses the cells as the model has them."""
    rng = random.Random(cocotb.RANDOM_SEED + 3)
    tb = XbarTB(dut, seed=rng.randint(0, 1 << 30))
    await tb.reset()
    await tb.program_all(rng, gap=0.0)
    masks = set()
    for _ in range(300):
        r, c = rng.randrange(tb.n_in), rng.randrange(tb.n)
        mask = rng.choice([0, (1 << tb.cps) - 1, rng.getrandbits(tb.cps)])
        masks.add(mask)
        before = int(tb.xbar.synapse_words()[r, c])
        word = tb.random_word(rng)
        await tb.cell_access(True, r, c, word, mask=mask)
        await tb.cell_access(False, r, c)
        after = int(tb.xbar.synapse_words()[r, c])
        assert after == (before & ~mask) | (word & mask), "model: a masked write is wrong"
        await tb.gap(rng, 0.2)
    await tb.settle()
    assert len(masks) > 20 and 0 in masks, "stimulus: too few masks"
    tb.check_usage()
    dut._log.info("%d masked writes, %d reads checked", tb.n_writes, tb.n_reads)
