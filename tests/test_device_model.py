# SPDX-License-Identifier: Apache-2.0
"""The device model: each effect on its own by hand-made cases, and the compiled batch model
against the per-event reference with every effect at once (state after the run included)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import random_streams

from model import ChipConfig, ChipModel, Crossbar, DeviceParams, run_batch
from model.device import HALF, NEVER, mix32, noise_thresholds, threshold


def device_xbar(cfg: ChipConfig, params: DeviceParams) -> Crossbar:
    return Crossbar.with_devices(cfg, params)


def test_mix32_known_values():
    """The hash is the one the RTL computes (values fixed here, checked against the RTL by
    the array's block test)."""
    assert mix32(0, 0, 0) == 0
    values = {mix32(1, i, 7) for i in range(1000)}
    assert len(values) == 1000 and all(0 <= v < 1 << 32 for v in values)


def test_thresholds():
    assert threshold(1.0) == HALF and threshold(0.0) == 0
    t = noise_thresholds(1.0)
    assert t == sorted(t) and 0 < t[0] < t[1] < HALF // 2 < t[2] < t[3] < HALF
    assert noise_thresholds(0.0) == [0, 0, HALF, HALF]


def test_programming_success_rate():
    cfg = ChipConfig(n_inputs=50, n_neurons=20, cells=4, addr_w=6, code_w=4, v_w=12)
    params = DeviceParams(p_reset=(0.9, 0.5, 1.0, 1.0))
    for cond, want in ((0, 0.9), (1, 0.5)):
        xbar = device_xbar(cfg, params)          # formed in LRS: every RESET pulse counts
        for row in range(cfg.n_inputs):
            for col in range(cfg.n_neurons):
                xbar.program(row, col, 0, 0xFF, cond)
        got = np.mean(xbar.state == 0)
        assert abs(got - want) < 0.02, (cond, got)
        assert xbar.pulses == cfg.n_inputs * cfg.n_neurons * 8


def test_stuck_cells_ignore_pulses():
    cfg = ChipConfig(n_inputs=20, n_neurons=10, cells=4, addr_w=5, code_w=4, v_w=12)
    xbar = device_xbar(cfg, DeviceParams(stuck_hrs=0.1, stuck_lrs=0.1))
    stuck = xbar.device.stuck
    before = xbar.state.copy()
    for row in range(cfg.n_inputs):
        for col in range(cfg.n_neurons):
            xbar.program(row, col, 0xF0, 0xFF, 0)
    assert np.array_equal(xbar.state[stuck >= 0], before[stuck >= 0])
    assert 0.15 < np.mean(stuck >= 0) < 0.25


def test_read_disturb_flips_hrs_at_its_limit():
    cfg = ChipConfig(n_inputs=2, n_neurons=2, cells=1, addr_w=1, code_w=4, v_w=12)
    xbar = device_xbar(cfg, DeviceParams(disturb_reads=5, disturb_spread=0.0, formed=0))
    assert np.all(xbar.device.limit == 5)
    for _ in range(4):
        xbar.read(0)
    assert np.all(xbar.state == 0)
    xbar.read(0)
    assert np.all(xbar.state.reshape(2, -1)[0] == 1) and np.all(xbar.state.reshape(2, -1)[1] == 0)
    assert xbar.row_reads.tolist() == [5, 0] and xbar.reads == 5


def test_read_noise_statistics():
    cfg = ChipConfig(n_inputs=1, n_neurons=16, cells=4, addr_w=1, code_w=4, v_w=12)
    xbar = device_xbar(cfg, DeviceParams(noise=1.0, formed=1, lrs=8.0))
    base = xbar.device.codes[np.arange(len(xbar.state)), xbar.state]
    diffs = np.concatenate([xbar.read(0) - base for _ in range(500)])
    assert set(np.unique(diffs)) <= {-2, -1, 0, 1, 2}
    assert abs(diffs.mean()) < 0.05 and 0.8 < diffs.std() < 1.1
    assert not xbar.stateless


def test_spread_and_sense_quantization():
    cfg = ChipConfig(n_inputs=40, n_neurons=10, cells=4, addr_w=6, code_w=4, v_w=12)
    xbar = device_xbar(cfg, DeviceParams(lrs=8.0, hrs=0.4, lrs_spread=0.2, hrs_spread=0.5,
                                         disturb_reads=NEVER, disturb_spread=0.0))
    lrs, hrs = xbar.device.codes[:, 1], xbar.device.codes[:, 0]
    assert 7 < lrs.mean() < 9 and lrs.std() > 1 and lrs.max() <= 15
    assert hrs.max() <= 3 and lrs.dtype == np.int64
    assert xbar.stateless


def test_mlc_coding_and_sense():
    cfg = ChipConfig(n_inputs=3, n_neurons=3, cells=4, addr_w=2, mlc=True, code_w=3, v_w=8)
    w = np.array([[4, -4, 0], [1, -2, 3], [-1, 2, -3]])
    xbar = Crossbar.for_config(cfg)
    for row in range(3):
        for col in range(3):
            word = int(xbar.words(xbar.target_states(w)[row, col]))
            xbar.program(row, col, word, 0b11)
    assert np.array_equal(xbar.weights(), w)
    assert xbar.sense(1, 1) == (1 << 3) | 2          # {sign, magnitude}
    assert np.array_equal(xbar.read_weights(2), w[2])


CONFIGS = {
    "slc": dict(cells=4, mlc=False, code_w=4, v_w=12),
    "mlc": dict(cells=4, mlc=True, code_w=4, v_w=10, step_shift=1, sense_ref=4),
}
EFFECTS = [
    dict(),
    dict(lrs_spread=0.3, hrs_spread=0.6),
    dict(stuck_hrs=0.05, stuck_lrs=0.05),
    dict(noise=0.8),
    dict(disturb_reads=40, disturb_spread=0.5, formed=0),
    dict(lrs_spread=0.2, stuck_hrs=0.02, noise=0.6, disturb_reads=60, p_set=(0.9,) * 4,
         p_reset=(0.8,) * 4),
]


@pytest.mark.parametrize("kind", CONFIGS)
@pytest.mark.parametrize("effects", range(len(EFFECTS)))
def test_batch_matches_reference_with_devices(kind, effects):
    rng = np.random.default_rng(100 + effects)
    cfg = ChipConfig(n_inputs=30, n_neurons=6, addr_w=6, th_pos=12, th_neg=12, ds=6,
                     **CONFIGS[kind]).validate()
    params = DeviceParams(seed=7 + effects, **EFFECTS[effects])
    a, b = device_xbar(cfg, params), device_xbar(cfg, params)
    w = rng.integers(-cfg.cells, cfg.cells + 1, size=(cfg.n_inputs, cfg.n_neurons))
    states = a.target_states(w)
    for xbar in (a, b):
        for row in range(cfg.n_inputs):
            for col in range(cfg.n_neurons):
                xbar.program(row, col, int(xbar.words(states[row, col])), (1 << cfg.cps) - 1)
    assert np.array_equal(a.state, b.state)
    streams = random_streams(rng, cfg, 30, max_len=60)
    reference = ChipModel(cfg, a).run(np.concatenate(streams))
    batch = run_batch(cfg, b, streams)
    for i, expected in enumerate(reference):
        assert batch.image(i) == expected, f"image {i}"
        assert batch.image(i).cycles == expected.cycles
    assert np.array_equal(a.state, b.state) and np.array_equal(a.row_reads, b.row_reads)
    assert np.array_equal(a.counters, b.counters)
    if EFFECTS[effects].get("disturb_reads"):
        assert np.any(a.state != states.ravel()), "some cell was disturbed"
