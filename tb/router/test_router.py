# SPDX-License-Identifier: Apache-2.0
"""spirit_router against a cycle-accurate reference: good spikes and EOI markers pass in
order, bad addresses and unknown commands are dropped in one cycle without waiting for the
core, counted (saturating) and flagged (sticky), the FIFO level and backpressure follow."""

from __future__ import annotations

import random
from collections import deque

import cocotb
from cocotb.triggers import ClockCycles, FallingEdge, ReadOnly, RisingEdge, Timer

from tb.common import fcov
from tb.common.agents import StreamSink, StreamSource
from tb.common.blocks import params, reset, start_clock
from tb.common.scoreboard import FieldScoreboard

SPIKE, EOI, BAD_ADDR, BAD_CMD = "spike", "eoi", "bad address", "bad command"


class RouterTB:
    """Clock, reset, word generator, and a per-cycle checker holding the reference state: the
    FIFO contents, the drop counter and overflow, and the two error flags."""

    def __init__(self, dut):
        p = params()
        self.dut = dut
        self.n_inputs, self.addr_w = p["N_INPUTS"], p["ADDR_W"]
        self.depth, self.stat_w = p["FIFO_DEPTH"], p["STAT_W"]
        self.row_w = max(1, (self.n_inputs - 1).bit_length())
        self.eoi_word = 1 << self.addr_w
        self.count_max = (1 << self.stat_w) - 1
        start_clock(dut)
        self.ref: deque[int] = deque()
        self.expected: list[tuple[int, int]] = []   # (row, eoi) accepted, not yet delivered
        self.count = 0
        self.overflow = 0
        self.err_addr = 0
        self.err_cmd = 0
        self.cycle = 0
        self.drops = 0
        self.events = 0
        # coverage
        self.full_cycles = 0
        self.drops_while_stalled = 0
        self.clear_err_with_error = 0

    def kind(self, word: int) -> str:
        if word >> self.addr_w:
            return EOI if word == self.eoi_word else BAD_CMD
        return SPIKE if word < self.n_inputs else BAD_ADDR

    def event(self, word: int) -> tuple[int, int]:
        """The (ev_row_o, ev_eoi_o) a good word becomes."""
        return word & ((1 << self.row_w) - 1), int(self.kind(word) == EOI)

    def word(self, rng: random.Random, kind: str) -> int:
        a = self.addr_w
        if kind == SPIKE:
            return rng.choice([0, self.n_inputs - 1, rng.randrange(self.n_inputs)])
        if kind == EOI:
            return self.eoi_word
        if kind == BAD_ADDR:
            return rng.choice([self.n_inputs, (1 << a) - 1,
                               rng.randrange(self.n_inputs, 1 << a)])
        return rng.choice([self.eoi_word + 1, (2 << a) - 1, self.eoi_word | (1 << (a - 1)),
                           rng.randrange(self.eoi_word + 1, 2 << a)])

    def words(self, rng: random.Random, n: int, mix=(0.7, 0.1, 0.1, 0.1)) -> list[int]:
        kinds = rng.choices([SPIKE, EOI, BAD_ADDR, BAD_CMD], weights=mix, k=n)
        return [self.word(rng, k) for k in kinds]

    async def reset(self):
        await reset(self.dut, s_aer_valid_i=0, s_aer_data_i=0, ev_ready_i=0, clear_count_i=0,
                    clear_err_i=0)

    def start_checker(self):
        cocotb.start_soon(self._check())

    def state(self) -> str:
        return f"count {self.count}, overflow {self.overflow}, err_addr {self.err_addr}, " \
               f"err_cmd {self.err_cmd}, {len(self.ref)} words queued"

    async def _check(self):
        """At every falling edge, when the drivers have set their inputs for the next rising
        edge: compare all outputs with the reference, then apply what that edge does (push,
        pop or drop, count, flags, clears)."""
        d = self.dut
        while True:
            await FallingEdge(d.clk_i)
            await ReadOnly()
            where = f"cycle {self.cycle}"
            n = len(self.ref)
            level, s_ready = int(d.fifo_level_o.value), int(d.s_aer_ready_o.value)
            assert level == n, f"{where}: fifo_level_o expected {n}, actual {level}"
            assert s_ready == int(n < self.depth), \
                f"{where}: s_aer_ready_o expected {int(n < self.depth)} with {n} of " \
                f"{self.depth} words queued, actual {s_ready}"
            head = self.ref[0] if n else None
            kind = self.kind(head) if n else None
            bad = kind in (BAD_ADDR, BAD_CMD)
            exp_drop, exp_valid = int(bad), int(n > 0 and not bad)
            head_txt = f"head {head:#05x} ({kind})" if n else "FIFO empty"
            drop, ev_valid = int(d.drop_o.value), int(d.ev_valid_o.value)
            assert drop == exp_drop, f"{where}, {head_txt}: drop_o expected {exp_drop}, " \
                f"actual {drop}"
            assert ev_valid == exp_valid, f"{where}, {head_txt}: ev_valid_o expected " \
                f"{exp_valid}, actual {ev_valid}"
            if exp_valid:
                ev = (int(d.ev_row_o.value), int(d.ev_eoi_o.value))
                assert ev == self.event(head), f"{where}, {head_txt}: (ev_row_o, ev_eoi_o) " \
                    f"expected {self.event(head)}, actual {ev}"
            got = (int(d.drop_count_o.value), int(d.drop_overflow_o.value),
                   int(d.err_addr_o.value), int(d.err_cmd_o.value))
            exp = (self.count, self.overflow, self.err_addr, self.err_cmd)
            assert got == exp, f"{where}: (drop_count_o, drop_overflow_o, err_addr_o, " \
                f"err_cmd_o) expected {exp}, actual {got}"
            # the edge
            ev_ready = bool(d.ev_ready_i.value)
            pop = bad or (exp_valid and ev_ready)
            push = bool(d.s_aer_valid_i.value) and n < self.depth
            clear_count, clear_err = bool(d.clear_count_i.value), int(d.clear_err_i.value)
            self.full_cycles += n == self.depth
            self.drops_while_stalled += bad and not ev_ready
            self.clear_err_with_error += bad and clear_err != 0
            fcov.router_cycle(n, self.depth, bool(d.s_aer_valid_i.value), kind, ev_ready,
                              self.count == self.count_max)
            if clear_count:
                self.count, self.overflow = 0, 0
            elif bad:
                if self.count == self.count_max:
                    self.overflow = 1
                else:
                    self.count += 1
            if clear_err & 1:
                self.err_addr = 0
            if clear_err & 2:
                self.err_cmd = 0
            if kind == BAD_ADDR:
                self.err_addr = 1
            if kind == BAD_CMD:
                self.err_cmd = 1
            self.drops += bad
            self.events += exp_valid and ev_ready
            if pop:
                self.ref.popleft()
            if push:
                w = int(d.s_aer_data_i.value)
                self.ref.append(w)
                if self.kind(w) in (SPIKE, EOI):
                    self.expected.append(self.event(w))
            self.cycle += 1

    def _delivered(self, ev):
        """An event reached the sink: name it if no good word was waiting for it."""
        if not self.expected:
            head = f"{self.ref[0]:#05x} ({self.kind(self.ref[0])})" if self.ref else "none"
            raise AssertionError(f"cycle {self.cycle}: event (row, eoi) = {ev} delivered but "
                                 f"no good word was waiting; reference head: {head}")

    async def drive_clears(self, rng: random.Random, rate: float):
        """Pulse clear_count_i and clear_err_i (either bit or both) at random, each with
        probability `rate`."""
        d = self.dut
        while True:
            await RisingEdge(d.clk_i)
            d.clear_count_i.value = int(rng.random() < rate)
            d.clear_err_i.value = rng.randint(1, 3) if rng.random() < rate else 0

    async def wait_for(self, cond, limit: int, what: str):
        for _ in range(limit):
            if cond():
                return
            await RisingEdge(self.dut.clk_i)
        raise AssertionError(f"{what}: not done after {limit} cycles ({self.state()})")

    async def pulse(self, signal, value: int = 1):
        """Hold `signal` at `value` for one clock edge."""
        signal.value = value
        await RisingEdge(self.dut.clk_i)
        signal.value = 0

    def agents(self, idle: float, stall: float, seed: int):
        dut = self.dut
        source = StreamSource(dut, "s_aer", dut.clk_i, idle=idle, seed=seed,
                              signals=("valid_i", "ready_o", "data_i"))
        sink = StreamSink(dut, "ev", dut.clk_i, stall=stall, seed=seed + 1,
                          signals=("valid_o", "ready_i", "row_o", "eoi_o"))
        sink.add_callback(self._delivered)      # runs before the scoreboard's own
        board = FieldScoreboard(dut, "router")
        board.add_interface(sink, self.expected)
        board.label = lambda i: f"event {i}"
        return source, sink, board


@cocotb.test()
async def random_mix(dut):
    """Random mixes of good spikes, EOI markers, bad addresses and bad commands, with random
    input idle and random ev_ready_i backpressure: the ev stream is the input without the bad
    words, in order (scoreboard); without clears the drop count and flags equal the bad words
    sent; then random clears, checked every cycle against the reference."""
    tb = RouterTB(dut)
    rng = random.Random(cocotb.RANDOM_SEED)
    source, sink, board = tb.agents(0.0, 0.0, cocotb.RANDOM_SEED + 1)
    await tb.reset()
    tb.start_checker()
    total = good = 0
    kinds: set[str] = set()
    phases = [(0.0, 0.0), (0.0, 0.8), (0.6, 0.0), (0.3, 0.5)]
    phases += [(rng.random() * 0.8, rng.random() * 0.9) for _ in range(4)]
    for p, (idle, stall) in enumerate(phases):
        source.idle, sink.stall = idle, stall
        mix = (0.7, 0.1, 0.1, 0.1) if p % 2 == 0 else (0.3, 0.1, 0.3, 0.3)
        words = tb.words(rng, 150, mix)
        for w in words:
            source.append(w)
        total += len(words)
        good += sum(tb.kind(w) in (SPIKE, EOI) for w in words)
        kinds |= {tb.kind(w) for w in words}
        await tb.wait_for(lambda total=total: (source.sent == total and not tb.ref
                                               and not tb.expected),
                          40 * len(words), f"phase idle={idle:.2f} stall={stall:.2f}")
    # no clears so far: the count and the flags are the bad words sent
    await ReadOnly()
    assert int(dut.drop_count_o.value) == min(total - good, tb.count_max), \
        f"drop_count_o expected {min(total - good, tb.count_max)} after {total - good} bad " \
        f"words, actual {int(dut.drop_count_o.value)}"
    assert (int(dut.err_addr_o.value), int(dut.err_cmd_o.value)) == (1, 1), \
        f"(err_addr_o, err_cmd_o) expected (1, 1), actual " \
        f"({int(dut.err_addr_o.value)}, {int(dut.err_cmd_o.value)})"
    assert kinds == {SPIKE, EOI, BAD_ADDR, BAD_CMD}, f"word kinds sent: {sorted(kinds)}"
    await RisingEdge(dut.clk_i)
    # the same with random clears of the count and the flags
    clears = cocotb.start_soon(tb.drive_clears(random.Random(cocotb.RANDOM_SEED + 3), 0.03))
    for idle, stall in [(0.2, 0.3), (0.0, 0.6), (0.5, 0.1)]:
        source.idle, sink.stall = idle, stall
        words = tb.words(rng, 200, (0.4, 0.1, 0.25, 0.25))
        for w in words:
            source.append(w)
        total += len(words)
        good += sum(tb.kind(w) in (SPIKE, EOI) for w in words)
        await tb.wait_for(lambda total=total: (source.sent == total and not tb.ref
                                               and not tb.expected),
                          40 * len(words), f"phase with clears idle={idle:.2f} stall={stall:.2f}")
    clears.cancel()
    assert board.matched == good, f"scoreboard matched {board.matched} of {good} events"
    assert tb.drops == total - good, f"drops expected {total - good}, counted {tb.drops}"
    assert tb.drops_while_stalled and tb.full_cycles and tb.clear_err_with_error, \
        f"coverage: {tb.drops_while_stalled} drops while ev_ready_i low, {tb.full_cycles} " \
        f"cycles full, {tb.clear_err_with_error} error clears during a drop"
    dut._log.info("%d words, %d events, %d drops in %d cycles; full %d cycles", total, tb.events,
                  tb.drops, tb.cycle, tb.full_cycles)


@cocotb.test()
async def backpressure_fills_fifo(dut):
    """With ev_ready_i low, FIFO_DEPTH good words are taken and then s_aer_ready_o falls with
    the next word waiting; the head event is presented meanwhile; when ev_ready_i rises again
    every word arrives in order, none lost."""
    tb = RouterTB(dut)
    rng = random.Random(cocotb.RANDOM_SEED + 10)
    source, sink, board = tb.agents(0.0, 1.0, cocotb.RANDOM_SEED + 11)
    await tb.reset()
    tb.start_checker()
    words = tb.words(rng, tb.depth + 4, (0.8, 0.2, 0, 0))
    words[0] = 5
    for w in words:
        source.append(w)
    await tb.wait_for(lambda: source.sent == tb.depth, 4 * tb.depth, "filling the FIFO")
    for _ in range(20):
        await ReadOnly()
        got = (source.sent, int(dut.fifo_level_o.value), int(dut.s_aer_ready_o.value),
               int(dut.ev_valid_o.value), int(dut.ev_row_o.value))
        exp = (tb.depth, tb.depth, 0, 1, 5)
        assert got == exp, f"ev_ready_i low: (words taken, fifo_level_o, s_aer_ready_o, " \
            f"ev_valid_o, ev_row_o) expected {exp}, actual {got}"
        await RisingEdge(dut.clk_i)
    assert int(dut.s_aer_valid_i.value) == 1, "the next word should be waiting"
    sink.stall = 0.3
    await tb.wait_for(lambda: source.sent == len(words) and not tb.expected, 20 * len(words),
                      "drain after ev_ready_i rose")
    assert board.matched == len(words), f"events expected {len(words)}, matched {board.matched}"
    assert tb.drops == 0 and tb.count == 0, f"no drops expected, {tb.drops} seen"


@cocotb.test()
async def bad_words_never_wait(dut):
    """A stream of only bad addresses and bad commands, sent back to back while ev_ready_i
    stays low, is drained at one word per cycle: no event, every word counted, both flags set,
    the FIFO empty; then a good word after them waits for ev_ready_i as it should."""
    tb = RouterTB(dut)
    rng = random.Random(cocotb.RANDOM_SEED + 20)
    source, sink, board = tb.agents(0.0, 1.0, cocotb.RANDOM_SEED + 21)
    await tb.reset()
    tb.start_checker()
    n = 100
    words = tb.words(rng, n, (0, 0, 0.5, 0.5))
    for w in words:
        source.append(w)
    start = tb.cycle
    await tb.wait_for(lambda: source.sent == n and not tb.ref, n + 10, "bad words")
    cycles = tb.cycle - start
    assert cycles <= n + 3, f"{n} bad words took {cycles} cycles, expected at most {n + 3}"
    await ReadOnly()
    got = (int(dut.drop_count_o.value), int(dut.err_addr_o.value), int(dut.err_cmd_o.value),
           int(dut.fifo_level_o.value), board.matched)
    assert got == (n, 1, 1, 0, 0), f"(drop_count_o, err_addr_o, err_cmd_o, fifo_level_o, " \
        f"events) expected {(n, 1, 1, 0, 0)}, actual {got}"
    await RisingEdge(dut.clk_i)
    # a good word waits; bad words behind it wait too (order is kept)
    source.append(7)
    source.append(tb.n_inputs)
    await ClockCycles(dut.clk_i, 10)
    assert (tb.drops, len(tb.ref)) == (n, 2), \
        f"(drops, words queued) behind a waiting spike expected {(n, 2)}, " \
        f"actual {(tb.drops, len(tb.ref))}"
    sink.stall = 0.0
    await tb.wait_for(lambda: not tb.ref, 10, "drain")
    assert (board.matched, tb.drops) == (1, n + 1), \
        f"(events, drops) expected {(1, n + 1)}, actual {(board.matched, tb.drops)}"


@cocotb.test()
async def drop_counter_saturates(dut):
    """The drop counter stops at 2^STAT_W-1: no overflow at exactly the maximum, the next drop
    sets drop_overflow_o; clear_count_i zeroes count and overflow but not the error flags;
    clear_err_i clears the flags (bit 0 the address flag, bit 1 the command flag) but not the
    count; an error in the same cycle as clear_err_i wins; clear_count_i in the same cycle as a
    drop leaves the count at 0."""
    tb = RouterTB(dut)
    rng = random.Random(cocotb.RANDOM_SEED + 30)
    source, sink, board = tb.agents(0.0, 0.5, cocotb.RANDOM_SEED + 31)
    await tb.reset()
    tb.start_checker()
    d = dut
    sent = 0

    async def send(words):
        nonlocal sent
        for w in words:
            source.append(w)
        sent += len(words)
        await tb.wait_for(lambda: source.sent == sent and not tb.ref and not tb.expected,
                          4 * len(words) + 20, "sending")

    async def expect(exp, what):
        await ReadOnly()
        got = (int(d.drop_count_o.value), int(d.drop_overflow_o.value),
               int(d.err_addr_o.value), int(d.err_cmd_o.value))
        assert got == exp, f"{what}: (drop_count_o, drop_overflow_o, err_addr_o, err_cmd_o) " \
            f"expected {exp}, actual {got}"
        await RisingEdge(d.clk_i)

    words = [tb.word(rng, BAD_ADDR) for _ in range(tb.count_max - 1)]
    for _ in range(30):                          # good words in between are not counted
        words.insert(rng.randrange(len(words) + 1), tb.word(rng, rng.choice([SPIKE, EOI])))
    await send(words)
    await expect((tb.count_max - 1, 0, 1, 0), f"after {tb.count_max - 1} bad addresses")
    await send([tb.eoi_word + 3])
    await expect((tb.count_max, 0, 1, 1), f"after {tb.count_max} drops")
    await send([tb.n_inputs])
    await expect((tb.count_max, 1, 1, 1), f"after {tb.count_max + 1} drops")
    await send(tb.words(rng, 20, (0.5, 0, 0.5, 0)))
    await expect((tb.count_max, 1, 1, 1), "after more drops at saturation")
    await tb.pulse(d.clear_count_i)
    await expect((0, 0, 1, 1), "after clear_count_i")
    await send([tb.n_inputs + 1, 3])
    await tb.pulse(d.clear_err_i, 0b01)
    await expect((1, 0, 0, 1), "after clear_err_i = 0b01")
    await tb.pulse(d.clear_err_i, 0b10)
    await expect((1, 0, 0, 0), "after clear_err_i = 0b10")

    # a drop in the same cycle as a clear: the word is at the head the cycle after its push
    for word, exp_flags in ((tb.n_inputs, (1, 0)), (tb.eoi_word + 1, (0, 1))):
        d.s_aer_valid_i.value, d.s_aer_data_i.value = 1, word
        await RisingEdge(d.clk_i)
        d.s_aer_valid_i.value = 0
        d.clear_err_i.value = 0b11
        d.clear_count_i.value = 1
        await ReadOnly()
        assert int(d.drop_o.value) == 1, f"drop_o expected 1 for {word:#05x}, actual 0"
        await RisingEdge(d.clk_i)
        d.clear_err_i.value = 0
        d.clear_count_i.value = 0
        await expect((0, 0) + exp_flags, f"after {word:#05x} dropped during both clears")
    # the flags: a clear in the cycle after the drop does clear
    await tb.pulse(d.clear_err_i, 0b11)
    await expect((0, 0, 0, 0), "after a clear_err_i alone")


@cocotb.test()
async def fifo_level(dut):
    """fifo_level_o counts the queued words: up by one per push with ev_ready_i low, steady
    under push and pop together, down by one per pop, unchanged by a word that waits while the
    FIFO is full; a dropped word leaves after one cycle."""
    tb = RouterTB(dut)
    rng = random.Random(cocotb.RANDOM_SEED + 40)
    await tb.reset()
    tb.start_checker()
    d = dut

    async def level(exp, what):
        await ReadOnly()
        got = int(d.fifo_level_o.value)
        assert got == exp, f"{what}: fifo_level_o expected {exp}, actual {got}"
        await Timer(1, unit="ns")

    await level(0, "after reset")
    d.s_aer_valid_i.value = 1
    for k in range(tb.depth):
        d.s_aer_data_i.value = tb.word(rng, SPIKE)
        await RisingEdge(d.clk_i)
        await level(k + 1, f"after push {k + 1}")
    d.s_aer_data_i.value = tb.word(rng, SPIKE)
    for _ in range(3):                           # full: the word waits
        await RisingEdge(d.clk_i)
        await level(tb.depth, "full with a word waiting")
    d.ev_ready_i.value = 1                       # pop, the waiting word enters the next edge
    await RisingEdge(d.clk_i)
    await level(tb.depth - 1, "after a pop with the FIFO full")
    for _ in range(5):                           # push and pop together
        await RisingEdge(d.clk_i)
        d.s_aer_data_i.value = tb.word(rng, SPIKE)
        await level(tb.depth - 1, "push and pop together")
    d.s_aer_valid_i.value = 0
    for k in range(tb.depth - 1):
        await RisingEdge(d.clk_i)
        await level(tb.depth - 2 - k, f"after pop {k + 1}")
    d.ev_ready_i.value = 0
    d.s_aer_valid_i.value, d.s_aer_data_i.value = 1, tb.n_inputs
    await RisingEdge(d.clk_i)
    d.s_aer_valid_i.value = 0
    await level(1, "a bad word pushed")
    await RisingEdge(d.clk_i)
    await level(0, "the bad word dropped")
    await ClockCycles(d.clk_i, 2)
