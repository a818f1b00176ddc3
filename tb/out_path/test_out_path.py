# SPDX-License-Identifier: Apache-2.0
"""spirit_out_path against model.chip.round_robin: spike vectors and decisions go in through
valid/ready sources, the address events come out through a sink with random backpressure, and
a scoreboard compares the output stream word by word with the model's. A cycle checker follows
the pending spikes and the FIFO level: one spike word per cycle while the FIFO has room,
spike_out_o once per spike word, idle_o and the ready outputs exactly when nothing is pending."""

from __future__ import annotations

import random
from dataclasses import dataclass

import cocotb
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from model.chip import round_robin
from model.config import clog2
from tb.common import fcov
from tb.common.agents import StreamSink, StreamSource
from tb.common.blocks import params, reset, start_clock
from tb.common.scoreboard import FieldScoreboard, TransactionMonitor


@dataclass(frozen=True)
class AerWord:
    """One m_aer word."""

    kind: int    # 0 spike, 1 decision
    flag: int    # spike: 1 negative; decision: 1 early
    index: int   # neuron or class


class OutPathTB:
    """Sources on spk and dec, a sink on m_aer, the scoreboard and the cycle checker."""

    def __init__(self, dut, seed: int, idle: float = 0.3, stall: float = 0.3):
        p = params()
        self.dut = dut
        self.n, self.depth = p["N_NEURONS"], p["FIFO_DEPTH"]
        self.nw = max(1, clog2(self.n))
        clk = dut.clk_i
        start_clock(dut)
        dut.clear_i.value = 0
        self.spk = StreamSource(dut, "spk", clk, idle=idle, seed=seed,
                                signals=("valid_i", "ready_o", "pos_i", "neg_i"))
        self.dec = StreamSource(dut, "dec", clk, idle=idle, seed=seed + 1,
                                signals=("valid_i", "ready_o", "class_i", "early_i"))
        self.expected: list[AerWord] = []
        self.where: list[str] = []        # what each expected word is, for messages
        self.monitor = TransactionMonitor("m_aer")
        self.board = FieldScoreboard(dut, "m_aer")
        self.board.add_interface(self.monitor, self.expected)
        self.board.label = lambda i: f"m_aer word {i} ({self.where[i]})"
        self.sink = StreamSink(dut, "m_aer", clk, stall=stall, seed=seed + 2,
                               signals=("valid_o", "ready_i", "data_o"), callback=self._received)
        self.rr = 0                # model round-robin pointer
        self.steps = 0
        self.spike_words = 0       # spike words expected so far
        self.received = 0
        # cycle checker state
        self.pending = 0
        self.level = 0
        self.spike_pulses = 0
        self.full_cycles = 0
        self.held_cycles = 0       # cycles with spikes pending and the FIFO full

    def _received(self, raw: int) -> None:
        nw = self.nw
        self.received += 1
        self.monitor.publish(AerWord(kind=raw >> (nw + 1) & 1, flag=raw >> nw & 1,
                                     index=raw & ((1 << nw) - 1)))

    async def reset(self):
        await reset(self.dut)
        cocotb.start_soon(self._check_cycles())

    async def _check_cycles(self):
        """Every cycle: the pending count and FIFO level the model expects against idle_o,
        the ready outputs, spike_out_o and fifo_level_o."""
        d, depth = self.dut, self.depth
        while True:
            await ReadOnly()
            idle, spk_ready = int(d.idle_o.value), int(d.spk_ready_o.value)
            dec_ready, spike_out = int(d.dec_ready_o.value), int(d.spike_out_o.value)
            level = int(d.fifo_level_o.value)
            ctx = f"(cycle state: {self.pending} spikes pending, FIFO level {self.level})"
            assert level == self.level, f"fifo_level_o: expected {self.level}, actual {level}"
            assert idle == int(self.pending == 0), \
                f"idle_o: expected {int(self.pending == 0)}, actual {idle} {ctx}"
            assert spk_ready == int(self.pending == 0), \
                f"spk_ready_o: expected {int(self.pending == 0)}, actual {spk_ready} {ctx}"
            room = self.level < depth
            exp = int(self.pending == 0 and room)
            assert dec_ready == exp, f"dec_ready_o: expected {exp}, actual {dec_ready} {ctx}"
            exp = int(self.pending > 0 and room)
            assert spike_out == exp, f"spike_out_o: expected {exp}, actual {spike_out} {ctx}"
            m_valid = int(d.m_aer_valid_o.value)
            assert m_valid == int(self.level > 0), \
                f"m_aer_valid_o: expected {int(self.level > 0)}, actual {m_valid} {ctx}"
            pop = m_valid and int(d.m_aer_ready_i.value)
            dec_push = int(d.dec_valid_i.value) and dec_ready
            self.level += spike_out + dec_push - pop
            self.spike_pulses += spike_out
            self.full_cycles += not room
            self.held_cycles += self.pending > 0 and not room
            fcov.out_path_cycle(self.level, depth, self.pending, int(d.m_aer_ready_i.value))
            if int(d.spk_valid_i.value) and spk_ready:
                pos, neg = int(d.spk_pos_i.value), int(d.spk_neg_i.value)
                self.pending = bin(pos | neg).count("1")
            else:
                self.pending -= spike_out
            await RisingEdge(d.clk_i)

    # ---- stimulus: one item at a time, as the core sends them ----------------------------

    async def step(self, pos: list[int], neg: list[int]):
        """Send the spikes of one step; expect them in the model's round-robin order."""
        assert not any(a and b for a, b in zip(pos, neg)), "stimulus: a neuron fired both ways"
        fired = [bool(a or b) for a, b in zip(pos, neg)]
        order, self.rr = round_robin(fired, self.rr)
        for k, j in enumerate(order):
            self.expected.append(AerWord(kind=0, flag=neg[j], index=j))
            self.where.append(f"step {self.steps}, spike {k + 1} of {len(order)}")
        self.spike_words += len(order)
        self.steps += 1
        await self.spk.send((_bits(pos), _bits(neg)))

    async def decision(self, cls: int, early: int):
        """Send a decision; expect it after every spike sent before it."""
        self.expected.append(AerWord(kind=1, flag=early, index=cls))
        self.where.append(f"decision after step {self.steps - 1}")
        await self.dec.send((cls, early))

    async def clear(self):
        """Pulse clear_i once nothing is pending (as at an end of image); the model pointer
        goes back to neuron 0."""
        d = self.dut
        while True:
            await ReadOnly()
            if int(d.idle_o.value):
                break
            await RisingEdge(d.clk_i)
        await RisingEdge(d.clk_i)
        d.clear_i.value = 1
        await RisingEdge(d.clk_i)
        d.clear_i.value = 0
        self.rr = 0

    async def drain(self, limit: int = 2000):
        """Wait until every expected word has come out, then check that nothing else does."""
        d = self.dut
        for _ in range(limit):
            await RisingEdge(d.clk_i)
            if not self.expected:
                break
        assert not self.expected, \
            f"{len(self.expected)} m_aer words never came out after {limit} cycles " \
            f"(first missing: {self.where[self.received]}: {self.expected[0]})"
        await ClockCycles(d.clk_i, 10)
        await ReadOnly()
        assert self.board.errors == 0, self.board.first_error
        assert self.received == len(self.where), \
            f"m_aer words: expected {len(self.where)}, actual {self.received}"
        assert self.spike_pulses == self.spike_words, \
            f"spike_out_o pulses: expected {self.spike_words}, actual {self.spike_pulses}"
        assert int(d.idle_o.value) == 1 and int(d.m_aer_valid_o.value) == 0, \
            "the out path is not idle and empty at the end"
        self.dut._log.info("%d words bit-exact (%d spikes, %d steps); FIFO full %d cycles, "
                           "%d of them holding pending spikes", self.board.matched,
                           self.spike_words, self.steps, self.full_cycles, self.held_cycles)


def _bits(values) -> int:
    return sum(int(bool(x)) << j for j, x in enumerate(values))


def _spikes(rng: random.Random, n: int) -> tuple[list[int], list[int]]:
    """A random spike vector: empty, sparse, dense or full, each spike positive or negative."""
    density = rng.choice([0.0, 0.15, 0.4, 0.8, 1.0])
    p_neg = rng.choice([0.0, 0.3, 1.0])
    fired = [rng.random() < density for _ in range(n)]
    neg = [int(f and rng.random() < p_neg) for f in fired]
    pos = [int(f and not s) for f, s in zip(fired, neg)]
    return pos, neg


@cocotb.test()
@cocotb.parametrize(stall=[0.0, 0.3, 0.8])
async def random_stream(dut, stall):
    """Random spike vectors, a decision now and then (often followed by a clear, as at an end
    of image), clears at other idle moments: the m_aer stream equals the model's word for
    word, under m_aer backpressure `stall`; nothing is lost."""
    rng = random.Random(cocotb.RANDOM_SEED + int(stall * 10))
    tb = OutPathTB(dut, seed=rng.randint(0, 1 << 30), stall=stall)
    await tb.reset()
    for _ in range(250):
        r = rng.random()
        if r < 0.15:
            await tb.decision(rng.randrange(tb.n), rng.randint(0, 1))
            if rng.random() < 0.7:
                await tb.clear()
        elif r < 0.2:
            await tb.clear()
        else:
            await tb.step(*_spikes(rng, tb.n))
    await tb.decision(rng.randrange(tb.n), 0)
    await tb.drain()
    if stall >= 0.3:
        assert tb.held_cycles > 0, "stimulus: the FIFO never held pending spikes back"


@cocotb.test()
async def pointer_persists_and_clear_resets(dut):
    """Full and partial vectors in a row: each step starts at the neuron after the last one
    sent by the step before; after a clear the next step starts at neuron 0."""
    tb = OutPathTB(dut, seed=cocotb.RANDOM_SEED, idle=0.0, stall=0.0)
    await tb.reset()
    n = tb.n
    none = [0] * n
    full = [1] * n
    partial = [int(j % 2 == 1) for j in range(n)]     # the odd neurons
    await tb.step(partial, none)
    await tb.step(full, none)
    await tb.step(none, [1 if j in (0, n - 2) else 0 for j in range(n)])
    await tb.step(full, none)
    await tb.clear()
    await tb.step(partial, none)
    await tb.step(none, full)
    await tb.decision(n - 1, 1)
    await tb.clear()
    await tb.step([1, 0] + [0] * (n - 3) + [1], none)
    await tb.decision(0, 0)
    # the pointer wraps after the last neuron: the next step starts at neuron 0, and a
    # neuron just before the last must still be found
    await tb.step(none, [int(j == n - 1) for j in range(n)])
    await tb.step([int(j == n - 2) for j in range(n)], none)
    await tb.step([int(j == n - 1) for j in range(n)], none)
    await tb.step([int(j >= n - 2) for j in range(n)], none)
    await tb.drain()


@cocotb.test()
async def decision_waits_for_spikes(dut):
    """With m_aer stalled, a step larger than the FIFO fills it and leaves spikes pending: a
    decision offered then is not taken (dec_ready_o low) until the last spike has entered the
    FIFO, and comes out after it."""
    tb = OutPathTB(dut, seed=cocotb.RANDOM_SEED + 1, idle=0.0, stall=1.0)
    await tb.reset()
    n = tb.n
    assert n > tb.depth, "this test needs more neurons than FIFO words"
    await tb.step([1] * n, [0] * n)
    offered = cocotb.start_soon(tb.decision(2, 1))
    await ClockCycles(dut.clk_i, 20)
    assert not offered.done(), "the decision was taken while spikes were pending"
    assert tb.held_cycles > 0, "stimulus: no spikes were held pending"
    tb.sink.stall = 0.5
    await offered
    # the same with negative spikes and the decision offered together with the step
    tb.sink.stall = 1.0
    stepped = cocotb.start_soon(tb.step([0] * n, [1] * n))
    await ClockCycles(dut.clk_i, 1)
    offered = cocotb.start_soon(tb.decision(n - 1, 0))
    await ClockCycles(dut.clk_i, 20)
    assert stepped.done() and not offered.done(), \
        "the step should be taken and the decision held while spikes are pending"
    tb.sink.stall = 0.3
    await offered
    await tb.drain()
