# SPDX-License-Identifier: Apache-2.0
"""spirit_decision against model.chip: every cycle the counters (count_step), the dS flag (lead),
the class (decide) and the top two counts are compared with the model, under random spikes,
net and positive-only counting, saturation at both ends, ties and clears."""

from __future__ import annotations

import random
from collections import Counter

import cocotb
import numpy as np
from cocotb.triggers import ReadOnly, RisingEdge

from model import ChipConfig
from model.chip import count_step, decide, lead
from tb.common.blocks import params, reset, start_clock


def _signed(value: int, width: int) -> int:
    value &= (1 << width) - 1
    return value - (1 << width) if value >> (width - 1) else value


def _pack(values, width: int) -> int:
    out = 0
    for j, x in enumerate(values):
        out |= (int(x) & ((1 << width) - 1)) << (j * width)
    return out


def _unpack(raw: int, width: int, n: int) -> list[int]:
    return [_signed(raw >> (j * width), width) for j in range(n)]


class DecisionTB:
    def __init__(self, dut):
        p = params()
        self.dut = dut
        self.n, self.cw, self.vw = p["N_NEURONS"], p["CNT_W"], p["V_W"]
        base = ChipConfig(n_inputs=4, addr_w=2, n_neurons=self.n, cells=1, cnt_w=self.cw,
                          v_w=self.vw).validate()
        # the counter settings: positive-only (False) and net counting (True)
        self.cfg = {net: base.replace(net_count=net) for net in (False, True)}
        self.cnt_max, self.cnt_min = base.cnt_max, base.cnt_min
        self.v_max, self.v_min = base.v_max, base.v_min
        self.ds_max = base.ds_max
        self.counts = [0] * self.n
        self.last = "after reset"         # the inputs of the last edge, for messages
        self.cover: Counter = Counter()
        start_clock(dut)

    async def reset(self):
        await reset(self.dut, clear_i=0, inc_i=0, dec_i=0, net_i=0, v_i=0, ds_i=0)
        self.counts = [0] * self.n
        self.last = "after reset"

    async def cycle(self, inc, dec, net: bool, v, ds: int, clear: bool = False):
        """One clock cycle: drive the inputs, compare every output with the model (the counts
        before this edge), then advance the model as the edge does."""
        d = self.dut
        assert not any(a and b for a, b in zip(inc, dec)), "stimulus: inc and dec together"
        d.inc_i.value = _pack(inc, 1)
        d.dec_i.value = _pack(dec, 1)
        d.net_i.value = int(net)
        d.v_i.value = _pack(v, self.vw)
        d.ds_i.value = ds
        d.clear_i.value = int(clear)
        await ReadOnly()
        self.check(list(v), ds)
        self.note(inc, dec, net, list(v), ds, clear)
        await RisingEdge(d.clk_i)
        self.last = f"from {self.counts} with inc {list(inc)}, dec {list(dec)}, " \
                    f"net {int(net)}, clear {int(clear)}"
        if clear:
            self.counts = [0] * self.n
        else:
            self.counts = count_step(self.cfg[net], self.counts, np.asarray(inc, dtype=bool),
                                     np.asarray(dec, dtype=bool)).tolist()

    async def hold(self, v, ds: int, cycles: int = 1, net: bool = True):
        """Cycles without spikes."""
        for _ in range(cycles):
            await self.cycle([0] * self.n, [0] * self.n, net, v, ds)

    def check(self, v: list[int], ds: int):
        d, n, cw = self.dut, self.n, self.cw
        counts = self.counts
        ctx = f"(counts {counts}, membranes {v}, ds {ds})"
        got = _unpack(int(d.count_o.value), cw, n)
        assert got == counts, f"count_o: expected {counts}, actual {got} ({self.last})"
        ranked = sorted(counts, reverse=True)
        top, second = _signed(int(d.top_o.value), cw), _signed(int(d.second_o.value), cw)
        assert top == ranked[0], f"top_o: expected {ranked[0]}, actual {top} {ctx}"
        assert second == ranked[1], f"second_o: expected {ranked[1]}, actual {second} {ctx}"
        gap = bool(int(d.gap_reached_o.value))
        exp_gap = ds != 0 and lead(counts) >= ds
        assert gap == exp_gap, \
            f"gap_reached_o: expected {int(exp_gap)}, actual {int(gap)} " \
            f"(lead {lead(counts)}) {ctx}"
        cls = int(d.class_o.value)
        exp_cls = decide(counts, v)
        assert cls == exp_cls, f"class_o: expected {exp_cls}, actual {cls} {ctx}"

    def note(self, inc, dec, net, v, ds, clear):
        """Coverage of the cases the block must get right."""
        c, cov = self.counts, self.cover
        top = max(c)
        if clear:
            if any(c) and (any(inc) or any(dec)):
                cov["clear over spikes"] += 1
            return
        for j in range(self.n):
            if inc[j] and c[j] == self.cnt_max:
                cov["saturate at max"] += 1
            if dec[j] and net and c[j] == self.cnt_min:
                cov["saturate at min"] += 1
            if dec[j] and not net and c[j] != self.cnt_min:
                cov["negative spike not counted"] += 1
            if dec[j] and net and c[j] != self.cnt_min:
                cov["negative spike counted"] += 1
        tied = [j for j in range(self.n) if c[j] == top]
        if len(tied) > 1:
            best = max(v[j] for j in tied)
            winners = [j for j in tied if v[j] == best]
            if len(winners) == 1 and winners[0] != tied[0]:
                cov["count tie, membrane decides"] += 1
            if len(winners) > 1:
                cov["count and membrane tie, index decides"] += 1
            if min(v[j] for j in tied) < 0 <= best:
                cov["tie across membrane sign"] += 1
        if top < 0:
            cov["every count negative"] += 1
        if ds:
            g = lead(c)
            cov["lead = ds" if g == ds else "lead > ds" if g > ds else "lead < ds"] += 1

    def require(self, *cases: str):
        missing = [k for k in cases if not self.cover[k]]
        assert not missing, f"stimulus never reached: {missing} (coverage {dict(self.cover)})"


@cocotb.test()
async def random_counting(dut):
    """Random spikes with per-neuron drift, random net/positive-only counting, dS margins and
    membranes, occasional clears: every output compared with the model every cycle."""
    tb = DecisionTB(dut)
    rng = random.Random(cocotb.RANDOM_SEED)
    await tb.reset()
    rates = [0.0, 0.05, 0.2, 0.5, 0.9]
    for _ in range(80):
        net = rng.random() < 0.6
        ds = rng.choice([0, rng.randint(1, 4), rng.randint(1, tb.ds_max)])
        up = [rng.choice(rates) for _ in range(tb.n)]
        down = [rng.choice(rates) for _ in range(tb.n)]
        if rng.random() < 0.2:
            # every neuron drifts down: negative counts, the minimum, a negative top
            net = True
            up = [rng.choice(rates[:2]) for _ in range(tb.n)]
            down = [rng.choice(rates[2:]) for _ in range(tb.n)]
        span = rng.choice([0, 1, 3, tb.v_max])
        for _ in range(rng.randint(10, 60)):
            inc = [int(rng.random() < up[j]) for j in range(tb.n)]
            dec = [int(not inc[j] and rng.random() < down[j]) for j in range(tb.n)]
            v = [rng.randint(max(tb.v_min, -span - 1), span) for _ in range(tb.n)]
            if rng.random() < 0.05:
                net = not net
            if rng.random() < 0.05:
                ds = rng.randint(0, tb.ds_max)
            await tb.cycle(inc, dec, net, v, ds, clear=rng.random() < 0.01)
    await tb.hold([0] * tb.n, 0)
    dut._log.info("coverage: %s", dict(tb.cover))
    tb.require("saturate at max", "saturate at min", "negative spike not counted",
               "negative spike counted", "count tie, membrane decides",
               "count and membrane tie, index decides", "tie across membrane sign",
               "every count negative", "lead = ds", "lead > ds", "lead < ds",
               "clear over spikes")


@cocotb.test()
async def saturation_both_ends(dut):
    """Every counter runs up into the maximum and stays there, then (net counting) down into
    the minimum and stays there; positive-only counting then ignores negative spikes."""
    tb = DecisionTB(dut)
    rng = random.Random(cocotb.RANDOM_SEED + 1)
    await tb.reset()
    n, ones, zeros = tb.n, [1] * tb.n, [0] * tb.n
    span = 1 << tb.cw
    # staggered starts, so that the counters saturate on different cycles
    for k in range(span + n):
        inc = [int(k >= j) for j in range(n)]
        v = [rng.randint(tb.v_min, tb.v_max) for _ in range(n)]
        await tb.cycle(inc, zeros, True, v, rng.randint(0, tb.ds_max))
    assert tb.counts == [tb.cnt_max] * n, "stimulus: the counters did not reach the maximum"
    for k in range(2 * span + n):
        dec = [int(k >= j) for j in range(n)]
        v = [rng.randint(tb.v_min, tb.v_max) for _ in range(n)]
        await tb.cycle(zeros, dec, True, v, rng.randint(0, tb.ds_max))
    assert tb.counts == [tb.cnt_min] * n, "stimulus: the counters did not reach the minimum"
    for _ in range(3):
        await tb.cycle(zeros, ones, False, [0] * n, 1)
    for k in range(span):
        await tb.cycle([int(j == k % n) for j in range(n)], [int(j != k % n) for j in range(n)],
                       False, [0] * n, k % span)
    await tb.hold([0] * n, 0)
    tb.require("saturate at max", "saturate at min", "negative spike not counted")


@cocotb.test()
async def ties_go_to_membrane_then_index(dut):
    """Equal top counts: the class goes to the highest membrane (signed), and among equal
    membranes to the lowest index; top_o and second_o report the tied counts."""
    tb = DecisionTB(dut)
    rng = random.Random(cocotb.RANDOM_SEED + 2)
    await tb.reset()
    n, zeros = tb.n, [0] * tb.n
    levels = [tb.v_min, -3, -1, 0, 1, 2, tb.v_max]
    for _ in range(40):
        # a random subset of neurons shares the top count
        await tb.cycle(zeros, zeros, True, [0] * n, 0, clear=True)
        group = rng.sample(range(n), rng.randint(2, n))
        for _ in range(rng.randint(0, tb.cnt_max)):
            await tb.cycle([int(j in group) for j in range(n)], zeros, True, [0] * n, 0)
        if rng.random() < 0.5:
            # the others fall below zero, so that negative counts take part
            for _ in range(rng.randint(1, 3)):
                await tb.cycle(zeros, [int(j not in group) for j in range(n)], True,
                               [0] * n, 0)
        for _ in range(8):
            v = [rng.choice(levels) for _ in range(n)]
            await tb.hold(v, rng.randint(0, 3))
    tb.require("count tie, membrane decides", "count and membrane tie, index decides",
               "tie across membrane sign")


@cocotb.test()
async def clear_zeroes_counters(dut):
    """clear_i zeroes every counter on the next edge, whatever spikes come with it, and holds
    them at zero while it stays high."""
    tb = DecisionTB(dut)
    rng = random.Random(cocotb.RANDOM_SEED + 3)
    await tb.reset()
    n = tb.n
    for _ in range(20):
        for _ in range(rng.randint(1, 20)):
            inc = [rng.randint(0, 1) for _ in range(n)]
            dec = [int(not inc[j] and rng.random() < 0.5) for j in range(n)]
            await tb.cycle(inc, dec, True, [0] * n, 0)
        for _ in range(rng.randint(1, 3)):
            inc = [rng.randint(0, 1) for _ in range(n)]
            dec = [int(not inc[j]) for j in range(n)]
            await tb.cycle(inc, dec, rng.random() < 0.5, [0] * n, 0, clear=True)
    await tb.hold([0] * n, 0)
    tb.require("clear over spikes")
