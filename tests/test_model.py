# SPDX-License-Identifier: Apache-2.0
"""Unit tests of the golden model: semantics by hand-made cases, batch against reference."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import random_config, random_streams

from model import ChipConfig, ChipModel, ConfigError, Crossbar, run_batch
from model.batch import split_images
from model.chip import decide, lead


def tiny(**settings) -> ChipConfig:
    base = dict(n_inputs=4, n_neurons=3, cells=4, addr_w=3, v_w=6, cnt_w=6, th_pos=4, th_neg=4)
    base.update(settings)
    return ChipConfig(**base).validate()


def run(cfg, weights, words):
    return ChipModel(cfg, Crossbar.from_weights(np.array(weights), cfg.cells)).run(words)


EOI = 1 << 3


def test_integrate_fire_and_subtract():
    cfg = tiny()
    # neuron 0 gets +3 per spike on line 0: fires on the 2nd spike (6 >= 4), keeps 2
    (r,) = run(cfg, [[3, 0, -1], [0] * 3, [0] * 3, [0] * 3], [0, 0, EOI])
    assert r.spikes == [(0, 0)]
    assert r.membranes == (2, 0, -2)
    assert r.counts == (1, 0, 0)
    assert (r.in_events, r.syn_events, r.cls, r.early) == (2, 6, 0, False)


def test_negative_spikes_and_net_count():
    cfg = tiny()
    (r,) = run(cfg, [[-4, 0, 0]] + [[0] * 3] * 3, [0, 0, EOI])
    assert r.spikes == [(0, 1), (0, 1)]
    assert r.counts == (-2, 0, 0) and r.membranes == (0, 0, 0)
    # ties at 0 between neurons 1 and 2 go to the lower index; neuron 0 is at -2
    assert r.cls == 1
    (r,) = run(cfg.replace(net_count=False), [[-4, 0, 0]] + [[0] * 3] * 3, [0, 0, EOI])
    assert r.counts == (0, 0, 0) and r.cls == 0
    (r,) = run(cfg.replace(neg_en=False), [[-4, 0, 0]] + [[0] * 3] * 3, [0, 0, EOI])
    assert r.spikes == [] and r.membranes == (-8, 0, 0)


def test_saturation_not_wrap():
    cfg = tiny(v_w=5, th_pos=15, th_neg=15)  # membrane -16..15
    (r,) = run(cfg, [[4, -4, 0]] + [[0] * 3] * 3, [0] * 4 + [EOI])
    # the 4th spike takes +12 to 16, which saturates at 15 (wrapping would give -16) and fires:
    # 15 - 15 = 0; likewise -16 stays -16 and fires negative: -16 + 15 = -1
    assert r.membranes == (0, -1, 0) and r.counts == (1, -1, 0)
    (r,) = run(cfg, [[4, -4, 0]] + [[0] * 3] * 3, [0] * 3 + [EOI])
    assert r.membranes == (12, -12, 0)


def test_refractory_blocks_firing_not_integration():
    cfg = tiny(refrac=2)
    (r,) = run(cfg, [[4, 0, 0]] + [[0] * 3] * 3, [0] * 4 + [EOI])
    # fires at spike 1, blocked at 2 and 3 (v climbs to 8), fires at 4 (12 - 4 = 8)
    assert r.spikes == [(0, 0), (0, 0)]
    assert r.membranes[0] == 8


def test_leak_toward_zero():
    cfg = tiny(leak=1, th_pos=20, th_neg=20)
    (r,) = run(cfg, [[3, -3, 1]] + [[0] * 3] * 3, [0, 0, 1, 1, EOI])
    # v: 3, 5, 4, 3 | -3, -5, -4, -3 | 1, 1, 0, 0
    assert r.membranes == (3, -3, 0)


def test_round_robin_order():
    cfg = tiny(n_neurons=4, th_pos=1, th_neg=1)
    w = [[1, 1, 1, 1], [0, 1, 0, 1], [1, 0, 1, 0], [0] * 4]
    (r,) = run(cfg, w, [0, 1, 2, EOI])
    # event 1: all four from pointer 0; pointer 1 -> event 2: 1, 3; pointer 0 -> 0, 2
    assert [n for n, _ in r.spikes] == [0, 1, 2, 3, 1, 3, 0, 2]


def test_early_stop_and_skip():
    cfg = tiny(th_pos=1, ds=2)
    (r,) = run(cfg, [[1, 0, 0]] + [[0] * 3] * 3, [0, 0, 0, 0, 9 & 7, EOI])
    assert r.early and r.cls == 0 and r.in_events == 2 and r.skipped == 3
    assert r.counts == (2, 0, 0)


def test_bad_words_dropped():
    cfg = tiny(n_inputs=5)
    words = [5, 6, 7, EOI + 1, EOI + 7, 0, EOI]
    (r,) = run(cfg, [[1, 0, 0]] * 5, words)
    assert r.dropped == 5 and r.in_events == 1 and r.words() == len(words)


def test_decide_and_lead_helpers():
    assert decide([2, 3, 3], [0, 1, 1]) == 1
    assert decide([2, 3, 3], [0, 1, 2]) == 2
    assert lead([5, 5, 1]) == 0 and lead([7, 2, 5]) == 2


def test_state_clears_between_images():
    cfg = tiny()
    r1, r2 = run(cfg, [[3, 0, 0]] + [[0] * 3] * 3, [0, EOI, 0, EOI])
    assert r1 == r2


@pytest.mark.parametrize("seed", range(40))
def test_batch_matches_reference(seed):
    rng = np.random.default_rng(seed)
    cfg = random_config(rng)
    xbar = Crossbar.from_weights(
        rng.integers(-cfg.cells, cfg.cells + 1, size=(cfg.n_inputs, cfg.n_neurons)), cfg.cells)
    streams = random_streams(rng, cfg, 25)
    reference = ChipModel(cfg, xbar).run(np.concatenate(streams))
    batch = run_batch(cfg, xbar, streams)
    assert len(reference) == len(batch) == 25
    for i, expected in enumerate(reference):
        assert batch.image(i) == expected, f"image {i}"
        assert batch.image(i).cycles == expected.cycles, f"image {i} cycles"


def test_split_images():
    images, rest = split_images(np.array([1, 2, 8, 8, 3]), 8)
    assert [list(i) for i in images] == [[1, 2, 8], [8]] and list(rest) == [3]


@pytest.mark.parametrize("change, message", [
    (dict(th_pos=0), "th_pos must lie in 1..127"),
    (dict(th_neg=200), "th_neg must lie in 1..127"),
    (dict(ds=256), "ds must lie in 0..255"),
    (dict(n_neurons=1), "n_neurons must lie in 2..65535"),
    (dict(n_inputs=70000, addr_w=16), "n_inputs must lie in 1..65535"),
    (dict(addr_w=7), "addr_w must lie in 8..16"),
    (dict(in_fifo_depth=12), "in_fifo_depth must be a power of two"),
    (dict(out_fifo_depth=65536), "out_fifo_depth must be a power of two in 2..32768"),
    (dict(v_w=4), "v_w must lie in 5..16"),
    (dict(leak=-1), "leak must lie in 0..127"),
    (dict(refrac=1.5), "refrac must be a whole number"),
    (dict(bogus=1), "unknown chip setting"),
])
def test_config_errors(change, message):
    with pytest.raises(ConfigError, match=message):
        ChipConfig().replace(**change)


def test_crossbar_programming():
    w = np.array([[4, -4, 0], [1, -2, 3]])
    xbar = Crossbar.from_weights(w, 4)
    assert (xbar.weights() == w).all()
    words = xbar.synapse_words()
    assert words[0, 0] == 0x0F and words[0, 1] == 0xF0 and words[1, 1] == 0x30
    copy = Crossbar(2, 3, 4)
    copy.set_synapse_words(words)
    assert (copy.weights() == w).all()
    # row 1: neuron 0 exc cell 0, neuron 1 inh cells 0-1, neuron 2 exc cells 0-2
    assert int(xbar.row_hex()[1], 16) == (0x01 | 0x30 << 8 | 0x07 << 16)
    with pytest.raises(ConfigError, match="weights must lie in -4..4"):
        Crossbar.from_weights(np.array([[5, 0]]), 4)
