# SPDX-License-Identifier: Apache-2.0
"""The whole chip in RTL against the golden model: real digits, random configurations, both
drive modes, and proof that the scoreboard catches a broken RTL."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
from chip_jobs import digits_job, mnist_job, random_job

from model import ChipConfig
from tb.common.build import BUILD_ROOT, RTL_SOURCES
from tb.common.chip_run import chip_build, run_job


def check(run, n: int):
    assert run.ok, run.failure()
    assert run.result["images"] == n and run.result["matched"] == n


def test_digits_test_set_bit_exact_under_backpressure():
    """All 599 embedded test digits, random input gaps and output stalls, several batches."""
    job = digits_job(gap_rate=40, bp_rate=90, batch=200)
    run = run_job(job, chip_build(job.cfg))
    check(run, 599)
    accuracy = np.mean(np.array(run.result["cls"]) == job.labels)
    assert accuracy >= 0.85, f"RTL accuracy on digits {accuracy:.3f}"
    assert run.result["batches"] == 3


@pytest.mark.parametrize("weights", ["mnist", "mnist_chip"])
def test_mnist_test_set_bit_exact(mnist_dir, weights):
    """All 10,000 MNIST test images through the SPIRIT configuration, bit-exact. The default
    weights reach at least SPIRIT's ideal 88% within its 136 input spikes per image; the
    chip-like ones at least the silicon's 84%."""
    job = mnist_job(mnist_dir, 10000, weights, batch=5000)
    run = run_job(job, chip_build(job.cfg))
    check(run, 10000)
    assert run.result["cycles_checked"], "the model's cycle count was not checked"
    accuracy = np.mean(np.array(run.result["cls"]) == job.labels)
    spikes = np.mean(run.result["in_events"])
    if weights == "mnist":
        assert accuracy >= 0.88 and spikes <= 136, (accuracy, spikes)
    else:
        assert accuracy >= 0.84, accuracy


@pytest.mark.parametrize("ds", [3, 20])
def test_mnist_ds_points_bit_exact(mnist_dir, ds):
    """Points of the dS curve away from the trained one, in RTL."""
    job = mnist_job(mnist_dir, 2000, batch=2000)
    job.cfg = job.cfg.replace(ds=ds)
    run = run_job(job, chip_build(job.cfg))
    check(run, 2000)


def test_cycle_mode_agents_bit_exact():
    """cocotb-bus agents drive s_aer and m_aer cycle by cycle with idle cycles and stalls."""
    job = digits_job(40, gap_rate=80, bp_rate=110, batch=15, cycle_mode=True)
    run = run_job(job, chip_build(job.cfg))
    check(run, 40)


STRUCTURES = {
    # narrow everything: membranes, counters and FIFOs saturate and fill
    "narrow": ChipConfig(n_inputs=37, n_neurons=3, cells=2, addr_w=7, v_w=5, cnt_w=3,
                         rf_w=2, in_fifo_depth=2, out_fifo_depth=2),
    # wider than SPIRIT, non-power-of-two neurons
    "wide": ChipConfig(n_inputs=200, n_neurons=13, cells=3, addr_w=9, v_w=10, cnt_w=6),
}


@pytest.mark.parametrize("name", STRUCTURES)
def test_random_configurations_bit_exact(name):
    """Random settings, weights and streams with bad words, on unusual structures."""
    cfg = STRUCTURES[name]
    build = chip_build(cfg)
    for seed in range(3):
        job = random_job(cfg, seed, gap_rate=30 * seed, bp_rate=60 * seed, batch=25)
        run = run_job(job, build)
        assert run.ok, f"seed {seed}: {run.failure()}"
        assert run.result["matched"] == len(job.streams)
        assert sum(run.result["dropped"]) > 0, "the streams had bad words to drop"


MUTANTS = {
    # the threshold compare is off by one
    "threshold": ("spirit_neurons.v", "can_fire && sum >= th_pos;", "can_fire && sum > th_pos;"),
    # the round-robin pointer never moves
    "round_robin": ("spirit_out_path.v",
                    "rr_q <= (gnt_idx == LastIdx) ? {NEUR_W{1'b0}} : gnt_idx + 1'b1;",
                    "rr_q <= rr_q;"),
    # the dS stop comes one spike late
    "early_stop": ("spirit_decision.v", "gap >= $signed({1'b0, ds_i});",
                   "gap > $signed({1'b0, ds_i});"),
}


@pytest.mark.parametrize("name", MUTANTS)
def test_scoreboard_catches_broken_rtl(name, tmp_path):
    """A deliberately broken copy of the RTL must fail the comparison on real digits."""
    file, good, bad = MUTANTS[name]
    sources = []
    for src in RTL_SOURCES:
        dst = tmp_path / src.name
        shutil.copy(src, dst)
        if src.name == file:
            text = dst.read_text()
            assert good in text, f"{good!r} not found in {file}"
            dst.write_text(text.replace(good, bad))
        sources.append(dst)
    job = digits_job(100, batch=100)
    run = run_job(job, chip_build(job.cfg, name=f"mutant_{name}", rtl_sources=sources),
                  workdir=tmp_path / "run")
    assert not run.ok, f"the broken RTL ({name}) passed"
    message = run.failure()
    assert re.search(r"RTL differs from the model at image \d+: \w+", message), message
    shutil.rmtree(BUILD_ROOT / f"mutant_{name}", ignore_errors=True)
