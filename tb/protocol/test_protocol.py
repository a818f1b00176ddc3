# SPDX-License-Identifier: Apache-2.0
"""Broken drivers: each test breaks one input rule of a block on purpose, so that the block's
simulation-only assertion fires. Under Verilator an assertion ($error) stops the simulation,
so a test that gets to its end has failed: no assertion caught the violation.

They run on the block builds of tb/common/blocks.py (the same parameters, $SPIRIT_PARAMS);
tests/test_assertions.py runs one test per simulator run and looks for the rule's message.
"""

from __future__ import annotations

import cocotb
from cocotb.triggers import ClockCycles, RisingEdge

from tb.common.blocks import params, reset, start_clock


def _not_caught(rule: str):
    raise AssertionError(f"no assertion caught the broken rule: {rule}")


# ---- spirit_fifo ----------------------------------------------------------------------------

async def _fifo_full(dut) -> None:
    """Reset, then fill the FIFO with the reader stalled."""
    start_clock(dut)
    await reset(dut, s_valid_i=0, s_data_i=0, m_ready_i=0)
    for k in range(params()["DEPTH"]):
        dut.s_valid_i.value = 1
        dut.s_data_i.value = k
        await RisingEdge(dut.clk_i)
    dut.s_data_i.value = 0x55           # the next word, offered while full: stalled
    await RisingEdge(dut.clk_i)


@cocotb.test()
async def fifo_valid_dropped_while_stalled(dut):
    """A writer lowers s_valid_i before its word was taken."""
    await _fifo_full(dut)
    dut.s_valid_i.value = 0
    await ClockCycles(dut.clk_i, 3)
    _not_caught("s_valid_i held while stalled")


@cocotb.test()
async def fifo_data_changed_while_stalled(dut):
    """A writer changes s_data_i before its word was taken."""
    await _fifo_full(dut)
    dut.s_data_i.value = 0xAA
    await ClockCycles(dut.clk_i, 3)
    _not_caught("s_data_i held while stalled")


# ---- spirit_out_path ------------------------------------------------------------------------

async def _out_path_busy(dut) -> None:
    """Reset, then one step with every neuron firing while m_aer is stalled: the FIFO fills
    and spikes stay pending, so spk_ready_o and dec_ready_o are low."""
    n = params()["N_NEURONS"]
    start_clock(dut)
    await reset(dut, clear_i=0, spk_valid_i=0, spk_pos_i=0, spk_neg_i=0, dec_valid_i=0,
                dec_class_i=0, dec_early_i=0, m_aer_ready_i=0)
    dut.spk_valid_i.value = 1
    dut.spk_pos_i.value = (1 << n) - 1
    await RisingEdge(dut.clk_i)
    dut.spk_valid_i.value = 0
    await ClockCycles(dut.clk_i, params()["FIFO_DEPTH"] + 2)
    assert not int(dut.spk_ready_o.value), "stimulus: spikes should be pending"


async def _out_path_offer_then_break(dut, valid: str, data: str, broken: str,
                                     value: int) -> None:
    """With the out path busy, offer a word on `valid`/`data`, then set `broken` to `value`
    in the next cycle, before the word was taken."""
    await _out_path_busy(dut)
    getattr(dut, valid).value = 1
    getattr(dut, data).value = 1
    await RisingEdge(dut.clk_i)
    getattr(dut, broken).value = value
    await ClockCycles(dut.clk_i, 3)


@cocotb.test()
async def out_path_step_dropped_while_stalled(dut):
    """The core lowers spk_valid_i before its step was taken."""
    await _out_path_offer_then_break(dut, "spk_valid_i", "spk_pos_i", "spk_valid_i", 0)
    _not_caught("spk_valid_i held while stalled")


@cocotb.test()
async def out_path_step_changed_while_stalled(dut):
    """The core changes spk_pos_i before its step was taken."""
    await _out_path_offer_then_break(dut, "spk_valid_i", "spk_pos_i", "spk_pos_i", 2)
    _not_caught("spk_pos_i held while stalled")


@cocotb.test()
async def out_path_decision_dropped_while_stalled(dut):
    """The core lowers dec_valid_i before its decision was taken."""
    await _out_path_offer_then_break(dut, "dec_valid_i", "dec_class_i", "dec_valid_i", 0)
    _not_caught("dec_valid_i held while stalled")


@cocotb.test()
async def out_path_decision_changed_while_stalled(dut):
    """The core changes dec_class_i before its decision was taken."""
    await _out_path_offer_then_break(dut, "dec_valid_i", "dec_class_i", "dec_class_i", 2)
    _not_caught("dec_class_i held while stalled")


@cocotb.test()
async def out_path_step_and_decision_together(dut):
    """The core offers a step and a decision in the same cycle of an idle out path: both
    would be taken, and the decision would pass the spikes that led to it."""
    start_clock(dut)
    await reset(dut, clear_i=0, spk_valid_i=0, spk_pos_i=0, spk_neg_i=0, dec_valid_i=0,
                dec_class_i=0, dec_early_i=0, m_aer_ready_i=1)
    dut.spk_valid_i.value = 1
    dut.spk_pos_i.value = 1
    dut.dec_valid_i.value = 1
    await RisingEdge(dut.clk_i)
    dut.spk_valid_i.value = 0
    dut.dec_valid_i.value = 0
    await ClockCycles(dut.clk_i, 3)
    _not_caught("a step and a decision never accepted together")


@cocotb.test()
async def out_path_neuron_fires_both_ways(dut):
    """A step in which one neuron fired positive and negative at once."""
    start_clock(dut)
    await reset(dut, clear_i=0, spk_valid_i=0, spk_pos_i=0, spk_neg_i=0, dec_valid_i=0,
                dec_class_i=0, dec_early_i=0, m_aer_ready_i=1)
    dut.spk_valid_i.value = 1
    dut.spk_pos_i.value = 1
    dut.spk_neg_i.value = 1
    await RisingEdge(dut.clk_i)
    dut.spk_valid_i.value = 0
    await ClockCycles(dut.clk_i, 3)
    _not_caught("at most one spike per neuron per step")


# ---- spirit_neurons -------------------------------------------------------------------------

async def _neurons_step(dut, th_pos: int, th_neg: int, leak: int) -> None:
    start_clock(dut)
    await reset(dut, step_i=0, clear_i=0, w_i=0, th_pos_i=1, th_neg_i=1, leak_i=0,
                refrac_i=0, neg_en_i=1)
    dut.th_pos_i.value = th_pos
    dut.th_neg_i.value = th_neg
    dut.leak_i.value = leak
    dut.step_i.value = 1
    await RisingEdge(dut.clk_i)
    dut.step_i.value = 0
    await ClockCycles(dut.clk_i, 3)


@cocotb.test()
async def neurons_step_with_threshold_zero(dut):
    """A step with TH_POS = 0, which the register block never lets through."""
    await _neurons_step(dut, 0, 3, 0)
    _not_caught("thresholds in 1 .. 2^(V_W-1)-1")


@cocotb.test()
async def neurons_step_with_leak_out_of_range(dut):
    """A step with a leak of 2^(V_W-1)."""
    await _neurons_step(dut, 3, 3, 1 << (params()["V_W"] - 1))
    _not_caught("leak in 0 .. 2^(V_W-1)-1")


# ---- spirit_decision ------------------------------------------------------------------------

@cocotb.test()
async def decision_counts_up_and_down(dut):
    """A step that counts one neuron up and down at once."""
    start_clock(dut)
    await reset(dut, clear_i=0, inc_i=0, dec_i=0, net_i=1, v_i=0, ds_i=0)
    dut.inc_i.value = 1
    dut.dec_i.value = 1
    await RisingEdge(dut.clk_i)
    dut.inc_i.value = 0
    dut.dec_i.value = 0
    await ClockCycles(dut.clk_i, 3)
    _not_caught("a neuron spikes at most one way per step")
