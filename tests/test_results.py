# SPDX-License-Identifier: Apache-2.0
"""docs/results.md is true for the committed weights: its operating points agree with the
golden model now, and the file is what its generator writes from docs/results.json."""

from __future__ import annotations

import json

import pytest
from conftest import ROOT

from model import SPIRIT, Crossbar, run_batch
from model.datasets import load_mnist
from model.weights import load_weights
from tools.results import markdown

DOC = json.loads((ROOT / "docs" / "results.json").read_text())


def test_results_markdown_is_generated():
    assert (ROOT / "docs" / "results.md").read_text() == markdown(DOC)
    assert (ROOT / "docs" / "ds_sweep.png").stat().st_size > 10_000


@pytest.mark.parametrize("key, weights", [("chip_net", "mnist_chip"), ("best", "mnist")])
def test_results_points_match_the_model(mnist_dir, key, weights):
    w = load_weights(ROOT / "weights" / f"{weights}.json")
    data = load_mnist(mnist_dir, "test", deskewed=w.deskew)
    cfg = w.chip_config(SPIRIT)
    r = run_batch(cfg, Crossbar.from_weights(w.weights, w.cells),
                  w.encoder.streams(data.images, data.p_max, cfg.eoi_word))
    point = DOC["points"][key]
    assert (point["th"], point["ds"]) == (cfg.th_pos, cfg.ds)
    assert point["accuracy"] == pytest.approx((r.cls == data.labels).mean(), abs=1e-12)
    assert point["input_spikes"] == pytest.approx(r.in_events.mean(), abs=1e-9)


def test_results_meet_the_targets():
    """At or below SPIRIT's 136 input spikes per image, at least its ideal 88%."""
    best = DOC["points"]["best"]
    assert best["accuracy"] >= 0.88 and best["input_spikes"] <= 136
    for checks in DOC["rtl"].values():
        assert checks and all(c["bit_exact"] == c["images"] == 10000 for c in checks)
