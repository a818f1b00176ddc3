# SPDX-License-Identifier: Apache-2.0
"""spirit_neurons against model.chip.neuron_step: random weights and settings, every step
compared (spikes and membranes), with saturation, leak, refractory and clear exercised."""

from __future__ import annotations

import random

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from model import ChipConfig
from model.chip import neuron_step
from tb.common.blocks import params, reset, start_clock


class NeuronTB:
    def __init__(self, dut):
        p = params()
        self.dut = dut
        self.n, self.ww, self.vw, self.rfw = p["N_NEURONS"], p["W_W"], p["V_W"], p["RF_W"]
        start_clock(dut)
        self.v = np.zeros(self.n, dtype=np.int64)
        self.refr = np.zeros(self.n, dtype=np.int64)

    def config(self, rng: random.Random) -> ChipConfig:
        vmax = (1 << (self.vw - 1)) - 1
        return ChipConfig(n_inputs=4, n_neurons=self.n, cells=(1 << (self.ww - 1)) - 1,
                          addr_w=2, v_w=self.vw, rf_w=self.rfw,
                          th_pos=rng.randint(1, vmax), th_neg=rng.randint(1, vmax),
                          leak=rng.choice([0, 0, 1, 2, vmax]),
                          refrac=rng.randint(0, (1 << self.rfw) - 1),
                          neg_en=rng.random() < 0.8).validate()

    async def reset(self):
        await reset(self.dut, step_i=0, clear_i=0, w_i=0)

    def apply(self, cfg: ChipConfig):
        d = self.dut
        d.th_pos_i.value = cfg.th_pos
        d.th_neg_i.value = cfg.th_neg
        d.leak_i.value = cfg.leak
        d.refrac_i.value = cfg.refrac
        d.neg_en_i.value = int(cfg.neg_en)

    def membranes(self) -> list[int]:
        raw = int(self.dut.v_o.value)
        out = []
        for j in range(self.n):
            x = (raw >> (j * self.vw)) & ((1 << self.vw) - 1)
            out.append(x - (1 << self.vw) if x >> (self.vw - 1) else x)
        return out

    async def step(self, cfg: ChipConfig, w: list[int]):
        """One integration step, checked against the model."""
        d = self.dut
        packed = 0
        for j, wj in enumerate(w):
            packed |= (wj & ((1 << self.ww) - 1)) << (j * self.ww)
        d.w_i.value = packed
        d.step_i.value = 1
        await ReadOnly()
        v, refr, pos, neg = neuron_step(cfg, self.v, self.refr, w)
        got_pos = [int(d.fire_pos_o.value) >> j & 1 for j in range(self.n)]
        got_neg = [int(d.fire_neg_o.value) >> j & 1 for j in range(self.n)]
        assert got_pos == pos.astype(int).tolist(), \
            f"positive spikes: expected {pos.astype(int).tolist()}, actual {got_pos} (w={w})"
        assert got_neg == neg.astype(int).tolist(), \
            f"negative spikes: expected {neg.astype(int).tolist()}, actual {got_neg} (w={w})"
        await RisingEdge(d.clk_i)
        d.step_i.value = 0
        self.v, self.refr = v, refr
        await ReadOnly()
        assert self.membranes() == v.tolist(), \
            f"membranes: expected {v.tolist()}, actual {self.membranes()}"
        refractory = [int(d.refractory_o.value) >> j & 1 for j in range(self.n)]
        assert refractory == (refr > 0).astype(int).tolist(), "refractory flags"
        await RisingEdge(d.clk_i)


@cocotb.test()
async def random_steps(dut):
    """Random weights under many random settings; membranes saturate, leak and fire."""
    tb = NeuronTB(dut)
    rng = random.Random(cocotb.RANDOM_SEED)
    await tb.reset()
    wmax = (1 << (tb.ww - 1)) - 1
    for _ in range(30):
        cfg = tb.config(rng)
        tb.apply(cfg)
        bias = rng.choice([-wmax, 0, wmax])   # drive toward saturation sometimes
        for _ in range(40):
            w = [max(-wmax - 1, min(wmax, bias + rng.randint(-wmax, wmax))) for _ in range(tb.n)]
            await tb.step(cfg, w)


@cocotb.test()
async def idle_holds_and_clear_resets(dut):
    """Without step_i nothing changes; clear_i zeroes membranes and refractory counters."""
    tb = NeuronTB(dut)
    rng = random.Random(cocotb.RANDOM_SEED + 1)
    await tb.reset()
    cfg = tb.config(rng).replace(refrac=3, leak=0)
    tb.apply(cfg)
    for _ in range(5):
        await tb.step(cfg, [rng.randint(-3, 3) for _ in range(tb.n)])
    before = tb.membranes()
    await ClockCycles(dut.clk_i, 5)
    await ReadOnly()
    assert tb.membranes() == before, "membranes moved without a step"
    await RisingEdge(dut.clk_i)
    dut.clear_i.value = 1
    await RisingEdge(dut.clk_i)
    dut.clear_i.value = 0
    await ReadOnly()
    assert tb.membranes() == [0] * tb.n and int(dut.refractory_o.value) == 0, "clear"
    tb.v[:] = 0
    tb.refr[:] = 0
    await RisingEdge(dut.clk_i)


@cocotb.test()
async def refractory_blocks_firing_only(dut):
    """A neuron driven hard fires, then integrates without firing for `refrac` steps."""
    tb = NeuronTB(dut)
    await tb.reset()
    wmax = (1 << (tb.ww - 1)) - 1
    cfg = tb.config(random.Random(5)).replace(th_pos=wmax, th_neg=wmax, leak=0,
                                              refrac=(1 << tb.rfw) - 1, neg_en=True)
    tb.apply(cfg)
    for _ in range(3 * cfg.refrac):
        await tb.step(cfg, [wmax] * tb.n)
