# SPDX-License-Identifier: Apache-2.0
"""spirit_fifo against a reference queue: random pushes and pops through cocotb-bus agents,
every cycle's level, flags and head word compared, full backpressure and async reset."""

from __future__ import annotations

import random
from collections import deque

import cocotb
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge, Timer

from tb.common import fcov
from tb.common.agents import StreamSink, StreamSource
from tb.common.blocks import params, reset, start_clock
from tb.common.scoreboard import FieldScoreboard


class FifoTB:
    """Clock, reset, and a per-cycle checker that mirrors the FIFO in a Python deque."""

    def __init__(self, dut):
        p = params()
        self.dut = dut
        self.width, self.depth = p["WIDTH"], p["DEPTH"]
        start_clock(dut)
        self.ref: deque[int] = deque()
        self.expected: list[int] = []     # words pushed and not yet seen by the sink
        self.popped: list[int] = []       # every word taken from m_*, in order
        self.cycle = 0
        # coverage: cycles full, cycles full with a writer waiting, push and pop together
        self.full_cycles = 0
        self.full_stalls = 0
        self.push_pop = 0
        self.empty_cycles = 0

    async def reset(self):
        await reset(self.dut, s_valid_i=0, s_data_i=0, m_ready_i=0)

    def start_checker(self):
        cocotb.start_soon(self._check())

    async def _check(self):
        """At every falling edge, when the drivers have set their inputs for the next rising
        edge: compare the outputs with the reference, then apply the handshakes of that edge."""
        d = self.dut
        while True:
            await FallingEdge(d.clk_i)
            await ReadOnly()
            n = len(self.ref)
            level = int(d.level_o.value)
            s_ready, m_valid = int(d.s_ready_o.value), int(d.m_valid_o.value)
            where = f"cycle {self.cycle}"
            assert level == n, f"{where}: level_o expected {n}, actual {level}"
            assert s_ready == int(n < self.depth), \
                f"{where}: s_ready_o expected {int(n < self.depth)} with {n} of " \
                f"{self.depth} words stored, actual {s_ready}"
            assert m_valid == int(n > 0), \
                f"{where}: m_valid_o expected {int(n > 0)} with {n} words stored, " \
                f"actual {m_valid}"
            if n:
                head = int(d.m_data_o.value)
                assert head == self.ref[0], \
                    f"{where}: m_data_o expected {self.ref[0]:#x}, actual {head:#x}"
            push = bool(d.s_valid_i.value) and s_ready
            pop = m_valid and bool(d.m_ready_i.value)
            self.full_cycles += n == self.depth
            self.full_stalls += n == self.depth and bool(d.s_valid_i.value)
            self.empty_cycles += n == 0
            self.push_pop += push and pop
            fcov.fifo_cycle(n, self.depth, bool(d.s_valid_i.value), push, pop)
            if pop:
                self.popped.append(self.ref.popleft())
            if push:
                word = int(d.s_data_i.value)
                self.ref.append(word)
                self.expected.append(word)
            self.cycle += 1

    def delivered(self, word: int):
        """A word reached the sink: name it if none was stored."""
        if not self.expected:
            raise AssertionError(f"cycle {self.cycle}: word {word:#x} taken from m_data_o "
                                 f"while the reference FIFO is empty")

    async def wait_for(self, cond, limit: int, what: str):
        for _ in range(limit):
            if cond():
                return
            await RisingEdge(self.dut.clk_i)
        raise AssertionError(f"{what}: not done after {limit} cycles")


@cocotb.test()
async def random_traffic(dut):
    """Random words with random source idle and sink stall rates, phase by phase from an
    always-empty to an always-full FIFO: the scoreboard sees every word once, in order, and the
    checker compares level_o, s_ready_o, m_valid_o and the head word every cycle."""
    tb = FifoTB(dut)
    rng = random.Random(cocotb.RANDOM_SEED)
    source = StreamSource(dut, "s", dut.clk_i, seed=cocotb.RANDOM_SEED + 1,
                          signals=("valid_i", "ready_o", "data_i"))
    sink = StreamSink(dut, "m", dut.clk_i, seed=cocotb.RANDOM_SEED + 2,
                      signals=("valid_o", "ready_i", "data_o"))
    sink.add_callback(tb.delivered)            # runs before the scoreboard's own
    board = FieldScoreboard(dut, "fifo")
    board.add_interface(sink, tb.expected)
    board.label = lambda i: f"word {i}"
    await tb.reset()
    tb.start_checker()
    total = 0
    # (source idle, sink stall): balanced, fast source, slow source, extremes, random
    phases = [(0.0, 0.0), (0.0, 0.7), (0.7, 0.0), (0.3, 0.3), (0.0, 0.95), (0.95, 0.0)]
    phases += [(rng.random() * 0.9, rng.random() * 0.9) for _ in range(6)]
    for idle, stall in phases:
        source.idle, sink.stall = idle, stall
        n = rng.randint(100, 300)
        for _ in range(n):
            source.append(rng.randrange(1 << tb.width))
        total += n
        await tb.wait_for(lambda total=total: source.sent == total and not tb.expected, 60 * n,
                          f"phase idle={idle:.2f} stall={stall:.2f}: {total} words sent, "
                          f"{source.sent} accepted, {len(tb.expected)} not delivered")
    assert board.matched == total, f"scoreboard matched {board.matched} of {total} words"
    assert board.errors == 0, f"scoreboard errors: {board.first_error}"
    assert tb.full_stalls > 0 and tb.push_pop > 0 and tb.empty_cycles > 0, \
        f"coverage: full with a waiting writer {tb.full_stalls}, push and pop together " \
        f"{tb.push_pop}, empty {tb.empty_cycles} cycles"
    dut._log.info("%d words in %d cycles; full %d cycles (%d with a waiting writer), "
                  "push+pop %d", total, tb.cycle, tb.full_cycles, tb.full_stalls, tb.push_pop)


@cocotb.test()
async def full_backpressure(dut):
    """With m_ready_i low, s_ready_o falls exactly when DEPTH words are stored; a writer held
    stalled with one more word changes nothing; a pop and the waiting push then happen on
    consecutive edges and the level stays at DEPTH; the drain yields all words in order."""
    tb = FifoTB(dut)
    rng = random.Random(cocotb.RANDOM_SEED + 10)
    await tb.reset()
    tb.start_checker()
    words = [rng.randrange(1 << tb.width) for _ in range(tb.depth + 1)]
    d = dut
    for k, w in enumerate(words[:tb.depth]):
        d.s_valid_i.value = 1
        d.s_data_i.value = w
        await ReadOnly()
        assert int(d.s_ready_o.value) == 1, \
            f"s_ready_o expected 1 with {k} of {tb.depth} words stored, actual 0"
        await RisingEdge(d.clk_i)
    # one more word waits: it must not enter, for several cycles
    d.s_data_i.value = words[-1]
    for _ in range(5):
        await ReadOnly()
        assert int(d.s_ready_o.value) == 0, "s_ready_o expected 0 with the FIFO full, actual 1"
        assert int(d.level_o.value) == tb.depth, \
            f"level_o expected {tb.depth}, actual {int(d.level_o.value)}"
        assert int(d.m_data_o.value) == words[0], \
            f"head expected {words[0]:#x}, actual {int(d.m_data_o.value):#x}"
        await RisingEdge(d.clk_i)
    # pop one: the waiting word enters on the next edge
    d.m_ready_i.value = 1
    await RisingEdge(d.clk_i)
    d.m_ready_i.value = 0
    await ReadOnly()
    assert int(d.s_ready_o.value) == 1, "s_ready_o expected 1 after a pop, actual 0"
    await RisingEdge(d.clk_i)
    d.s_valid_i.value = 0
    await ReadOnly()
    assert int(d.level_o.value) == tb.depth, \
        f"level_o expected {tb.depth} after pop and push, actual {int(d.level_o.value)}"
    await RisingEdge(d.clk_i)
    d.m_ready_i.value = 1
    await tb.wait_for(lambda: not tb.ref, 4 * tb.depth, "drain")
    d.m_ready_i.value = 0
    assert tb.popped == words, \
        f"words out expected {[hex(w) for w in words]}, actual {[hex(w) for w in tb.popped]}"
    await ClockCycles(d.clk_i, 2)


@cocotb.test()
async def simultaneous_push_pop(dut):
    """Reading and writing on every edge keeps the level constant at every fill from 0 to
    DEPTH-1 (at 0 only the push happens), and the words keep their order."""
    tb = FifoTB(dut)
    rng = random.Random(cocotb.RANDOM_SEED + 20)
    await tb.reset()
    tb.start_checker()
    d = dut
    sent: list[int] = []
    for fill in range(tb.depth):
        # bring the FIFO to `fill` words
        d.m_ready_i.value = 0
        while len(tb.ref) < fill:
            w = rng.randrange(1 << tb.width)
            d.s_valid_i.value, d.s_data_i.value = 1, w
            sent.append(w)
            await RisingEdge(d.clk_i)
        # push and pop together for a while
        for _ in range(6):
            w = rng.randrange(1 << tb.width)
            d.s_valid_i.value, d.s_data_i.value, d.m_ready_i.value = 1, w, 1
            sent.append(w)
            await RisingEdge(d.clk_i)
            if fill:
                await ReadOnly()
                assert int(d.level_o.value) == fill, \
                    f"level_o expected {fill} under push and pop, actual {int(d.level_o.value)}"
                await Timer(1, unit="ns")
            else:
                break
        d.s_valid_i.value = 0
        d.m_ready_i.value = 1
        await tb.wait_for(lambda: not tb.ref, 4 * tb.depth, "drain")
        d.m_ready_i.value = 0
    assert tb.popped == sent, f"words out differ from words in: first difference at index " \
        f"{next((i for i, (a, b) in enumerate(zip(sent, tb.popped)) if a != b), len(sent))}"
    await ClockCycles(d.clk_i, 2)


@cocotb.test()
async def async_reset_empties(dut):
    """rst_ni going low between edges empties the FIFO at once (level 0, m_valid_o 0,
    s_ready_o 1 before any clock edge); words written after it come out, no stale ones."""
    tb = FifoTB(dut)
    rng = random.Random(cocotb.RANDOM_SEED + 30)
    await tb.reset()
    d = dut
    for fill in range(1, tb.depth + 1):
        for _ in range(fill):
            d.s_valid_i.value, d.s_data_i.value = 1, rng.randrange(1 << tb.width)
            await RisingEdge(d.clk_i)
        d.s_valid_i.value = 0
        await ReadOnly()
        assert int(d.level_o.value) == fill, \
            f"level_o expected {fill} before reset, actual {int(d.level_o.value)}"
        await Timer(3, unit="ns")            # between edges
        d.rst_ni.value = 0
        await Timer(1, unit="ns")
        await ReadOnly()
        got = (int(d.level_o.value), int(d.m_valid_o.value), int(d.s_ready_o.value))
        assert got == (0, 0, 1), \
            f"during reset with {fill} words stored: (level_o, m_valid_o, s_ready_o) " \
            f"expected (0, 0, 1), actual {got}"
        await RisingEdge(d.clk_i)
        d.rst_ni.value = 1
        await RisingEdge(d.clk_i)
        await ReadOnly()
        got = (int(d.level_o.value), int(d.m_valid_o.value), int(d.s_ready_o.value))
        assert got == (0, 0, 1), f"after reset: (level_o, m_valid_o, s_ready_o) expected " \
            f"(0, 0, 1), actual {got}"
        await RisingEdge(d.clk_i)
    # after the last reset, new words come out alone and in order
    tb.start_checker()
    words = [rng.randrange(1 << tb.width) for _ in range(3)]
    for w in words:
        d.s_valid_i.value, d.s_data_i.value = 1, w
        await RisingEdge(d.clk_i)
    d.s_valid_i.value = 0
    d.m_ready_i.value = 1
    await tb.wait_for(lambda: not tb.ref, 4 * tb.depth, "drain")
    await ClockCycles(d.clk_i, 2)
    assert tb.popped == words, \
        f"after reset expected {[hex(w) for w in words]}, actual {[hex(w) for w in tb.popped]}"
