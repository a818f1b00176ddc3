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


def clean_env(extra=None) -> dict:
    """The environment without make's SPIRIT_ variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPIRIT_")}
    return {**env, **(extra or {})}


def sim(*args, env=None):
    return subprocess.run([sys.executable, "-m", "tools.sim", *args], cwd=ROOT,
                          capture_output=True, text=True, env=clean_env(env), timeout=900)


def train(*args):
    return subprocess.run([sys.executable, "-m", "tools.train", *args], cwd=ROOT,
                          capture_output=True, text=True, env=clean_env(), timeout=900)


def make(*args):
    return subprocess.run(["make", "--no-print-directory", *args], cwd=ROOT,
                          capture_output=True, text=True, env=clean_env(), timeout=900)


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


def test_sim_on_rram_devices(tmp_path):
    """DEVICES=1: calibrated devices programmed with the weak RESET and one verify round,
    bit-exact, and the report says how the programming went."""
    report = tmp_path / "r.json"
    out = sim("--images", "40", "--devices", "1", "--reset", "weak", "--verify", "1",
              "--report", str(report))
    assert out.returncode == 0, out.stderr
    assert "bit-exact with the model        40 of 40" in out.stdout
    assert "weak RESET" in out.stdout and "synapses programmed right" in out.stdout
    rep = json.loads(report.read_text())
    g = rep["programming"]
    assert 0.9 < g["synapses_right"] <= 1 and g["verify_reads"] >= 640
    assert g["array_counters"]["pulses"] == g["pulses"]
    assert rep["settings"]["reset"] == "weak" and rep["config"]["code_w"] == 4


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
    (["--images", "0"], ["N must be >= 1, got 0"]),
    (["--images", "100000"], ["N must be 1..599"]),
    (["--batch", "-3"], ["BATCH must be 1..16384"]),
    (["--dataset", "mnist", "--mnist-dir", "/nonexistent/mnist"],
     ["MNIST folder '/nonexistent/mnist' does not exist", "MNIST_DIR"]),
    (["--weights", "/nonexistent/w.json"], ["weights file '/nonexistent/w.json' does not exist"]),
    (["--waves", "no"], ["WAVES must be 0 or 1, got 'no'"]),
    (["--images", "1_000"], ["N must be a whole number"]),
    (["--report", "/"], ["REPORT '/' is a folder"]),
    (["--report", "/proc/spirit/r.json"], ["cannot be written"]),
    (["--report", "weights/digits.json"], ["exists and is not a report of make sim"]),
    (["--weights", "weights"], ["is a folder"]),
    (["--weights", "weights/mnist.json"], ["holds weights for mnist, DATASET is digits"]),
    (["--dataset", "mnist", "--weights", "weights/digits.json", "--mnist-dir", "/nonexistent"],
     ["holds weights for digits, DATASET is mnist"]),
    (["--verify", "2"], ["add DEVICES=1"]),
    (["--devices", "1", "--reset", "medium"], ["RESET must be strong or weak, got 'medium'"]),
    (["--devices", "1", "--verify", "9"], ["VERIFY must be 0..8"]),
    (["--devices", "1", "--device-seed", "x"], ["DEVICE_SEED must be a whole number"]),
    (["--devices", "1", "--verify", "1", "--waves", "1"], ["use VERIFY=0 with WAVES=1"]),
    (["--device-seed", "5"], ["DEVICE_SEED describe RRAM devices", "add DEVICES=1"]),
    (["--waves-from", "3"], ["WAVES_FROM choose what WAVES=1 traces; add WAVES=1"]),
    (["--waves-unit", "cycle", "--waves-count", "9"],
     ["WAVES_COUNT, WAVES_UNIT choose what WAVES=1 traces"]),
    (["--waves", "1", "--waves-unit", "cycle", "--waves-from", "999999999", "--images", "5"],
     ["WAVES_FROM must be below the", "cycles the run takes, got 999,999,999"]),
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


def test_sim_weights_of_another_size(tmp_path):
    """A weights file that names the right dataset but has another size is refused."""
    doc = json.loads((ROOT / "weights" / "mnist.json").read_text())
    doc["dataset"] = "digits"
    (tmp_path / "w.json").write_text(json.dumps(doc))
    one_line_error(sim("--weights", str(tmp_path / "w.json")), "is for 144 inputs", "64")


def test_make_sim_reports_bad_dataset():
    out = make("sim", "DATASET=nope")
    assert out.returncode != 0
    assert "error: DATASET must be one of digits, mnist, got 'nope'" in out.stderr
    assert "Traceback" not in out.stderr


def test_make_variables_are_not_parsed_by_a_shell(tmp_path):
    """A value with quotes reaches the tool as it is, and is refused as a value."""
    target = tmp_path / "injected.json"
    out = make("sim", f'N=2" --report "{target}')
    assert "error: N must be a whole number" in out.stderr
    assert not target.exists()


def test_sim_refuses_a_second_run_at_once():
    import fcntl

    from tb.common.build import BUILD_ROOT

    (BUILD_ROOT / "sim").mkdir(parents=True, exist_ok=True)
    with open(BUILD_ROOT / "sim" / ".digits.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        one_line_error(sim("--images", "2"), "another make sim DATASET=digits is running")


@pytest.mark.parametrize("args, fragments", [
    (["--dataset", "digits", "--out", "/"], ["--out '/' is a folder"]),
    (["--dataset", "digits", "--budget", "nan"], ["--budget must be a positive number"]),
    (["--dataset", "digits", "--budget", "-1"], ["--budget must be a positive number"]),
    (["--all", "--mnist-dir", "/nonexistent"], ["MNIST folder '/nonexistent' does not exist"]),
])
def test_train_bad_parameters_before_any_work(args, fragments):
    out = train(*args)
    one_line_error(out, *fragments)
    assert "training on" not in out.stdout
