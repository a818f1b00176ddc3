# SPDX-License-Identifier: Apache-2.0
"""Jobs for the whole-chip tests: real digits with trained weights, or random everything."""

from __future__ import annotations

import numpy as np
from conftest import random_streams

from model import DIGITS, SPIRIT, ChipConfig, Crossbar, DeviceParams
from model.datasets import load_digits, load_mnist
from model.device import device_config
from model.weights import load_weights
from tb.common.job import Job
from tools.common import default_weights


def digits_job(n: int | None = None, **job_args) -> Job:
    weights = load_weights(default_weights("digits"))
    data = load_digits("test", deskewed=weights.deskew)
    if n is not None:
        data = data.head(n)
    cfg = weights.chip_config(DIGITS)
    streams = weights.encoder.streams(data.images, data.p_max, cfg.eoi_word)
    xbar = Crossbar.from_weights(weights.weights, cfg.cells)
    return Job(cfg=cfg, synapses=xbar.synapse_words(), streams=streams, labels=data.labels,
               **job_args)


def mnist_job(folder, n: int, weights_name: str = "mnist", **job_args) -> Job:
    weights = load_weights(default_weights(weights_name))
    data = load_mnist(folder, "test", deskewed=weights.deskew).head(n)
    cfg = weights.chip_config(SPIRIT)
    streams = weights.encoder.streams(data.images, data.p_max, cfg.eoi_word)
    xbar = Crossbar.from_weights(weights.weights, cfg.cells)
    return Job(cfg=cfg, synapses=xbar.synapse_words(), streams=streams, labels=data.labels,
               **job_args)


def random_job(cfg: ChipConfig, seed: int, n_images: int = 60, **job_args) -> Job:
    """Random settings, random weights, random streams with bad words mixed in."""
    rng = np.random.default_rng(seed)
    vmax = cfg.v_max
    cfg = cfg.replace(th_pos=int(rng.integers(1, min(vmax, 12) + 1)),
                      th_neg=int(rng.integers(1, min(vmax, 12) + 1)),
                      leak=int(rng.choice([0, 0, 1, 2])), refrac=int(rng.integers(0, 4)),
                      ds=int(rng.integers(0, min(cfg.ds_max, 8) + 1)),
                      neg_en=bool(rng.integers(0, 2)), net_count=bool(rng.integers(0, 2)))
    w = rng.integers(-cfg.cells, cfg.cells + 1, size=(cfg.n_inputs, cfg.n_neurons))
    xbar = Crossbar.from_weights(w, cfg.cells, cfg.mlc)
    streams = random_streams(rng, cfg, n_images, max_len=120, bad_rate=0.04)
    return Job(cfg=cfg, synapses=xbar.synapse_words(), streams=streams, seed=seed, **job_args)


def corner_job(cfg: ChipConfig, seed: int, n_images: int = 24, **settings) -> Job:
    """Streams that drive membranes and spike counts to both ends under the given settings:
    each row's synapses share one sign (even rows excitatory, odd rows inhibitory), and each
    image sends a long run of one sign, then of the other."""
    rng = np.random.default_rng(seed)
    sign = np.where(np.arange(cfg.n_inputs) % 2 == 0, 1, -1)[:, None]
    w = sign * rng.integers(1, cfg.cells + 1, size=(cfg.n_inputs, cfg.n_neurons))
    cfg = cfg.replace(**settings)
    even, odd = np.arange(0, cfg.n_inputs, 2), np.arange(1, cfg.n_inputs, 2)
    streams = []
    for _ in range(n_images):
        first, second = (even, odd) if rng.integers(0, 2) else (odd, even)
        words = np.concatenate([rng.choice(first, int(rng.integers(0, 60))),
                                rng.choice(second, int(rng.integers(0, 60))), [cfg.eoi_word]])
        streams.append(words.astype(np.int64))
    xbar = Crossbar.from_weights(w, cfg.cells, cfg.mlc)
    return Job(cfg=cfg, synapses=xbar.synapse_words(), streams=streams, seed=seed, batch=12)


def round_robin_job(cfg: ChipConfig, **job_args) -> Job:
    """Input row j excites neuron j alone, just enough to fire it: each input spike makes
    exactly one output spike, so the output order is the input order. Image a sends rows
    a, 0, a, 1, ..., a, N-1: every neuron follows every other (and itself) on m_aer, from
    every round-robin pointer."""
    n = cfg.n_neurons
    w = np.zeros((cfg.n_inputs, n), dtype=np.int64)
    w[np.arange(n), np.arange(n)] = cfg.cells
    cfg = cfg.replace(th_pos=cfg.cells, leak=0, refrac=0, neg_en=False, net_count=True, ds=0)
    streams = [np.array([x for b in range(n) for x in (a, b)] + [cfg.eoi_word], dtype=np.int64)
               for a in range(n)]
    xbar = Crossbar.from_weights(w, cfg.cells)
    return Job(cfg=cfg, synapses=xbar.synapse_words(), streams=streams, **job_args)


# every effect at once: conductance spread, stuck cells, read noise, read disturb within the
# run (a few hundred reads of a row), pulses that fail now and then
EVERYTHING = dict(lrs_spread=0.25, hrs_spread=0.6, stuck_hrs=0.02, stuck_lrs=0.02, noise=0.7,
                  disturb_reads=150, disturb_spread=0.5, p_set=(0.9, 0.8, 1.0, 1.0),
                  p_reset=(0.85, 0.6, 1.0, 1.0), formed=1)
DEVICE_STRUCTURES = {
    "slc": ChipConfig(n_inputs=40, n_neurons=5, cells=3, addr_w=6, v_w=7, cnt_w=5, rf_w=3,
                      in_fifo_depth=4, out_fifo_depth=4),
    "mlc": ChipConfig(n_inputs=40, n_neurons=5, cells=4, addr_w=6, v_w=7, cnt_w=5, rf_w=3,
                      mlc=True, code_w=4, in_fifo_depth=4, out_fifo_depth=4),
}


def device_job(kind: str, seed: int, changes: dict | None = None, **job_args) -> Job:
    """Random weights and images with bad words on a device structure whose cells show every
    device effect at once (EVERYTHING, with `changes`), drawn from `seed`."""
    params = DeviceParams(seed=seed, **{**EVERYTHING, **(changes or {})})
    job = random_job(DEVICE_STRUCTURES[kind], seed, n_images=80, batch=40, **job_args)
    weights = job.weights()
    job.cfg = device_config(job.cfg, params)
    job.synapses = Crossbar.from_weights(weights, job.cfg.cells, job.cfg.mlc).synapse_words()
    job.device = Crossbar.with_devices(job.cfg, params).device
    return job


def coverage_jobs(quick: bool = False) -> dict[str, Job]:
    """The whole-chip jobs that `make coverage` runs on coverage builds, by name: those of the
    regression (tests/test_chip.py: digits under backpressure, the cycle mode, random settings
    with bad words on the narrow and the wide structure), and a few for corners they leave
    out: random words on the digits structure (the digits never light the border pixels, so
    some rows are never read), every pair of neurons in a row on m_aer on the wide structure,
    and on the narrow structure settings that saturate membranes and spike counts at both
    ends and let refractory neurons miss spikes of both signs.
    `quick` keeps one small job, for the test of the coverage tool itself."""
    from test_chip import STRUCTURES

    narrow = STRUCTURES["narrow"]
    if quick:
        return {"narrow_random_0": random_job(narrow, 0, n_images=12, batch=6)}
    jobs = {"digits_backpressure": digits_job(gap_rate=40, bp_rate=90, batch=200),
            "digits_cycle_mode": digits_job(40, gap_rate=80, bp_rate=110, batch=15,
                                            cycle_mode=True)}
    for name, cfg in STRUCTURES.items():
        for seed in range(3):
            jobs[f"{name}_random_{seed}"] = random_job(cfg, seed, gap_rate=30 * seed,
                                                       bp_rate=60 * seed, batch=25)
    jobs["digits_structure_random"] = random_job(DIGITS, 7, gap_rate=20, bp_rate=40, batch=30)
    # low thresholds and a refractory period: neurons fire often, counts run to both ends
    jobs["narrow_refractory"] = corner_job(narrow, 1, th_pos=1, th_neg=1, leak=0, refrac=2,
                                           neg_en=True, net_count=True, ds=0)
    jobs["wide_round_robin"] = round_robin_job(STRUCTURES["wide"], bp_rate=100)
    # thresholds at the top, no negative spikes: membranes run into both limits
    # the device array: every effect on single- and multi-level cells, program-and-verify
    for kind in DEVICE_STRUCTURES:
        jobs[f"device_{kind}"] = device_job(kind, 0, gap_rate=30, bp_rate=50)
        jobs[f"device_{kind}"].verify = 2
    # and devices with no read noise, whose reads skip the noise draw
    jobs["device_slc_quiet"] = device_job("slc", 1, dict(noise=0.0))
    jobs["narrow_saturation"] = corner_job(narrow, 2, th_pos=narrow.v_max, th_neg=narrow.v_max,
                                           leak=0, refrac=0, neg_en=False, net_count=True,
                                           ds=0)
    return jobs
