# SPDX-License-Identifier: Apache-2.0
"""spirit_sat_counter against a reference counter: random increments and clears, count and
sticky overflow compared every cycle, with exact fits, zero increments and async reset."""

from __future__ import annotations

import random

import cocotb
from cocotb.triggers import ReadOnly, RisingEdge, Timer

from tb.common.blocks import params, reset, start_clock


class SatCounterTB:
    """Drives inc_i and clear_i one cycle at a time and checks the result against `count`
    and `overflow`, the reference state."""

    def __init__(self, dut):
        p = params()
        self.dut = dut
        self.width, self.inc_w = p["WIDTH"], p["INC_W"]
        self.max = (1 << self.width) - 1
        self.inc_max = (1 << self.inc_w) - 1
        start_clock(dut)
        self.count = 0
        self.overflow = 0
        self.cycle = 0

    async def reset(self):
        await reset(self.dut, inc_i=0, clear_i=0)
        self.count, self.overflow = 0, 0

    def expect(self, what: str):
        d = self.dut
        got = (int(d.count_o.value), int(d.overflow_o.value))
        assert got == (self.count, self.overflow), \
            f"cycle {self.cycle}, {what}: (count_o, overflow_o) expected " \
            f"({self.count}, {self.overflow}), actual {got}"

    async def step(self, inc: int, clear: bool = False):
        """One clock edge with `inc` and `clear`; the outputs are checked after it."""
        d = self.dut
        d.inc_i.value = inc
        d.clear_i.value = int(clear)
        await RisingEdge(d.clk_i)
        before = self.count
        if clear:
            self.count, self.overflow = 0, 0
        elif self.count + inc > self.max:
            self.count, self.overflow = self.max, 1
        else:
            self.count += inc
        self.cycle += 1
        await ReadOnly()
        self.expect(f"after count {before} + inc {inc}{' with clear' if clear else ''}")
        await Timer(1, unit="ns")


@cocotb.test()
async def random_increments(dut):
    """Random increments 0..2^INC_W-1 with clears at several rates: count_o stops at
    2^WIDTH-1, overflow_o rises when an increment did not fit and stays until a clear,
    a clear (also together with an increment) zeroes both."""
    tb = SatCounterTB(dut)
    rng = random.Random(cocotb.RANDOM_SEED)
    await tb.reset()
    tb.expect("after reset")
    saturated = overflows = exact = clear_with_inc = 0
    for clear_rate in (0.0, 0.01, 0.03, 0.1, 0.3):
        for _ in range(600):
            # sometimes small increments, to walk up to the top in small steps
            inc = rng.randint(0, rng.choice([1, 2, tb.inc_max]))
            clear = rng.random() < clear_rate
            exact += not clear and tb.count + inc == tb.max and inc > 0
            overflows += not clear and tb.count + inc > tb.max and not tb.overflow
            clear_with_inc += clear and inc > 0
            await tb.step(inc, clear)
            saturated += tb.count == tb.max
    assert saturated and overflows and exact and clear_with_inc, \
        f"coverage: saturated {saturated} cycles, {overflows} first overflows, {exact} exact " \
        f"fits, {clear_with_inc} clears with an increment"
    dut._log.info("%d cycles: saturated %d, first overflows %d, exact fits %d", tb.cycle,
                  saturated, overflows, exact)


@cocotb.test()
async def exact_fit_and_zero_increment(dut):
    """Increments that reach 2^WIDTH-1 exactly raise no overflow, nor does a zero increment at
    the top; the next non-zero increment does, and it sticks through idle cycles and further
    increments until clear_i."""
    tb = SatCounterTB(dut)
    await tb.reset()
    while tb.count + tb.inc_max <= tb.max:
        await tb.step(tb.inc_max)
    await tb.step(tb.max - tb.count)            # exactly to the top
    assert tb.count == tb.max and tb.overflow == 0
    for _ in range(3):
        await tb.step(0)
    await tb.step(1)                             # one too many
    assert tb.overflow == 1
    for inc in (0, 0, tb.inc_max, 1, 0):
        await tb.step(inc)
    await tb.step(0, clear=True)
    await tb.step(1)
    await tb.step(tb.inc_max, clear=True)        # clear wins over an increment
    await tb.step(0)


@cocotb.test()
async def overflow_from_below(dut):
    """From every count within one maximal increment of the top, every increment: the count
    saturates and overflow_o is set exactly when count + inc exceeds 2^WIDTH-1."""
    tb = SatCounterTB(dut)
    await tb.reset()
    for start in range(tb.max - tb.inc_max, tb.max + 1):
        for inc in range(tb.inc_max + 1):
            await tb.step(0, clear=True)
            rest = start
            while rest:
                step = min(rest, tb.inc_max)
                await tb.step(step)
                rest -= step
            await tb.step(inc)


@cocotb.test()
async def async_reset_clears(dut):
    """rst_ni going low between edges zeroes count_o and overflow_o at once."""
    tb = SatCounterTB(dut)
    await tb.reset()
    d = dut
    for _ in range(3 * tb.max // tb.inc_max):
        await tb.step(tb.inc_max)
    assert tb.overflow == 1
    d.inc_i.value = tb.inc_max
    await Timer(3, unit="ns")
    d.rst_ni.value = 0
    await Timer(1, unit="ns")
    await ReadOnly()
    tb.count, tb.overflow = 0, 0
    tb.expect("during reset, before a clock edge")
    await RisingEdge(d.clk_i)
    await ReadOnly()
    tb.expect("during reset, after an edge with an increment")
    await Timer(1, unit="ns")
    d.rst_ni.value = 1
    await tb.step(2)
    await tb.step(0)
