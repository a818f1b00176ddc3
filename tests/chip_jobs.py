# SPDX-License-Identifier: Apache-2.0
"""Jobs for the whole-chip tests: real digits with trained weights, or random everything."""

from __future__ import annotations

import numpy as np
from conftest import random_streams

from model import DIGITS, SPIRIT, ChipConfig, Crossbar
from model.datasets import load_digits, load_mnist
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
    xbar = Crossbar.from_weights(w, cfg.cells)
    streams = random_streams(rng, cfg, n_images, max_len=120, bad_rate=0.04)
    return Job(cfg=cfg, synapses=xbar.synapse_words(), streams=streams, seed=seed, **job_args)
