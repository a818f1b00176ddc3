# SPDX-License-Identifier: Apache-2.0
"""The command line as a user meets it: `make sim` works, and each mistake gets one clear line
with no traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from conftest import ROOT


def sim(*args, env=None):
    return subprocess.run([sys.executable, "-m", "tools.sim", *args], cwd=ROOT,
                          capture_output=True, text=True, env={**os.environ, **(env or {})},
                          timeout=900)


def make(*args):
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=900)


def test_sim_prints_and_writes_the_report(tmp_path):
    report = tmp_path / "r.json"
    out = sim("--images", "30", "--report", str(report))
    assert out.returncode == 0, out.stderr
    assert "bit-exact with the model        30 of 30" in out.stdout
    for line in ("accuracy (RTL)", "input spikes per image", "synaptic events per image",
                 "energy per image, 3.6 pJ/event", "energy per image, 180 pJ/event",
                 "cycles per image", "simulation speed"):
        assert line in out.stdout
    rep = json.loads(report.read_text())
    assert rep["images"] == 30 and rep["bit_exact"] == 30 and rep["compared"] == 30
    assert 0 < rep["accuracy"] <= 1 and rep["images_per_second"] > 0
    assert rep["energy_per_image_j"]["chip_180pJ"] == pytest.approx(
        rep["synaptic_events_per_image"] * 180e-12)


def one_line_error(out, *fragments):
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr + out.stdout
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: "), out.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize("args, fragments", [
    (["--dataset", "cifar"], ["DATASET must be one of digits, mnist", "'cifar'"]),
    (["--images", "many"], ["N must be a whole number", "'many'"]),
    (["--images", "0"], ["N must be 1..599"]),
    (["--images", "100000"], ["N must be 1..599"]),
    (["--batch", "-3"], ["BATCH must be 1..16384"]),
    (["--dataset", "mnist", "--mnist-dir", "/nonexistent/mnist"],
     ["MNIST folder '/nonexistent/mnist' does not exist", "MNIST_DIR"]),
    (["--weights", "/nonexistent/w.json"], ["weights file '/nonexistent/w.json' does not exist"]),
])
def test_sim_bad_parameters(args, fragments):
    one_line_error(sim(*args), *fragments)


def test_sim_mnist_folder_without_files(tmp_path):
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"")
    one_line_error(sim("--dataset", "mnist", "--mnist-dir", str(tmp_path)),
                   "lacks t10k-images-idx3-ubyte[.gz]")


def test_sim_corrupt_weights(tmp_path):
    bad = tmp_path / "w.json"
    bad.write_text('{"format": "spirit-weights/1", "weights": [[1, 2]')
    one_line_error(sim("--weights", str(bad)), "not valid JSON", "make train")


def test_sim_weights_for_another_dataset(mnist_dir):
    one_line_error(sim("--weights", str(ROOT / "weights" / "mnist.json")),
                   "is for 144 inputs", "64")


def test_make_sim_reports_bad_dataset():
    out = make("sim", "DATASET=nope")
    assert out.returncode != 0
    assert "error: DATASET must be one of digits, mnist, got 'nope'" in out.stderr
    assert "Traceback" not in out.stderr
