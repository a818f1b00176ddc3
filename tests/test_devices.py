# SPDX-License-Identifier: Apache-2.0
"""The chip with real RRAM devices (the array's DEVICE=1 mode) against the golden model: every
device effect at once on single-level and multi-level cells, the calibrated SPIRIT devices on
the embedded digits, and proof that the comparison catches a broken device model.

Each run compares, bit for bit, what the programming procedure reads back (program and verify
included), the array's counters of reads, operations and pulses after programming and after
the images, and every image's results and cycle count."""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
from chip_jobs import DEVICE_STRUCTURES as STRUCTURES
from chip_jobs import device_job, digits_job

from model import Crossbar, DeviceParams, run_batch
from model.device import device_config
from model.programming import synapses_right
from tb.common.build import BUILD_ROOT, RTL_SOURCES
from tb.common.chip_run import chip_build, run_job


@pytest.mark.parametrize("kind", STRUCTURES)
def test_every_device_effect_bit_exact(kind):
    """Random weights programmed with two verify rounds into devices with every effect, then
    random images with bad words: RTL and model agree on every read-back, counter and image,
    and the run really did meet every effect."""
    build = chip_build(device_job(kind, 0).cfg, device=True)
    for seed, verify, cond in ((0, 2, 0), (1, 0, 1)):
        job = device_job(kind, seed, gap_rate=40 * seed, bp_rate=70 * seed)
        job.verify, job.cond = verify, cond
        run = run_job(job, build)
        assert run.ok, f"seed {seed}: {run.failure()}"
        assert run.result["matched"] == len(job.streams)
        # what the model says the run went through
        xbar, report = job.programmed()
        d = xbar.device
        programmed = xbar.state.copy()
        assert np.any(d.stuck >= 0) and report.pulses > 0
        assert synapses_right(xbar, job.weights()) < 1.0, "no synapse came out wrong"
        run_batch(job.cfg, xbar, job.streams)
        assert np.any(xbar.state != programmed), "no cell was disturbed during the images"
        assert len(np.unique(d.codes[:, 1])) > 3, "no spread of LRS codes"


def test_calibrated_devices_on_digits():
    """The 599 embedded test digits on the calibrated SPIRIT devices, bit-exact both after
    one-shot programming with a weak RESET (most synapse errors) and after program and verify
    with the strong one; the verified chip classifies at least as well as the one-shot one."""
    params = DeviceParams(seed=3)
    accuracy = {}
    build = None
    for cond, verify in ((1, 0), (0, 3)):
        job = digits_job(batch=300, verify_cells=32)
        weights = job.weights()
        job.cfg = device_config(job.cfg, params)
        job.synapses = Crossbar.from_weights(weights, job.cfg.cells).synapse_words()
        job.device = Crossbar.with_devices(job.cfg, params).device
        job.cond, job.verify = cond, verify
        build = build or chip_build(job.cfg, device=True)
        run = run_job(job, build)
        assert run.ok, run.failure()
        assert run.result["matched"] == 599
        accuracy[cond] = np.mean(np.array(run.result["cls"]) == job.labels)
        right = synapses_right(job.crossbar(), weights)
        if cond == 1:
            assert right < 0.99, f"weak RESET one-shot: {right:.4f} of synapses right"
        else:
            assert right > 0.995, f"strong RESET with verify: {right:.4f} of synapses right"
    assert accuracy[0] >= accuracy[1] and accuracy[0] >= 0.85, accuracy


DEVICE_MUTANTS = {
    # a cell is disturbed one read late
    "disturb": ("rd_count >= rd_info[InfoW-1 -: 32]", "rd_count > rd_info[InfoW-1 -: 32]"),
    # the noise draw of a read uses the wrong read index
    "noise": ("rd_h    = mix32(header[1][31:0], reads_o, rd_g);",
              "rd_h    = mix32(header[1][31:0], reads_o + 32'd1, rd_g);"),
    # a pulse takes when the draw equals its threshold
    "pulse": ("if ({1'b0, pg_h} < pg_thr) pg_s = pg_target;",
              "if ({1'b0, pg_h} <= pg_thr + 33'd40000000) pg_s = pg_target;"),
}


@pytest.mark.parametrize("name", DEVICE_MUTANTS)
def test_comparison_catches_broken_devices(name, tmp_path):
    """A deliberately broken copy of the device array must fail the comparison."""
    good, bad = DEVICE_MUTANTS[name]
    sources = []
    for src in RTL_SOURCES:
        dst = tmp_path / src.name
        shutil.copy(src, dst)
        if src.name == "spirit_rram_array.v":
            text = dst.read_text()
            assert good in text, f"{good!r} not found in {src.name}"
            dst.write_text(text.replace(good, bad))
        sources.append(dst)
    job = device_job("slc", 0)
    job.verify = 2
    run = run_job(job, chip_build(job.cfg, name=f"mutant_dev_{name}", rtl_sources=sources,
                                  device=True), workdir=tmp_path / "run")
    assert not run.ok, f"the broken device array ({name}) passed"
    message = run.failure()
    assert re.search(r"programming: read \d+|array counts|RTL differs from the model at image",
                     message), message
    shutil.rmtree(BUILD_ROOT / f"mutant_dev_{name}", ignore_errors=True)


# ---- make devices --------------------------------------------------------------------------

def test_default_reset_rates_are_the_calibrated_ones():
    """DeviceParams' RESET success rates give SPIRIT's 73.5% and 98.6% of synapses right in
    expectation for the chip-like MNIST weights, as tools/devices.py calibrates them."""
    from model.weights import load_weights
    from tools.common import default_weights
    from tools.devices import CHIP, calibrate

    w = load_weights(default_weights("mnist_chip"))
    p = DeviceParams()
    assert calibrate(w.weights, w.cells, CHIP["weak"]["synapses_right"]) == \
        pytest.approx(p.p_reset[1], abs=5e-4)
    assert calibrate(w.weights, w.cells, CHIP["strong"]["synapses_right"]) == \
        pytest.approx(p.p_reset[0], abs=5e-4)


def test_devices_tool_quick_run(tmp_path):
    """The whole study on the embedded digits, small: the programming table lands near
    SPIRIT's synapse figures, verify repairs, RTL agrees, the weak cells' soak disturbs cells
    and the calibrated one does not; the markdown is what the generator writes."""
    import json

    from tools.devices import main, markdown

    assert main(["--dataset", "digits", "--seeds", "3", "--soak-passes", "12",
                 "--rtl-images", "60", "--out", str(tmp_path)]) == 0
    doc = json.loads((tmp_path / "devices.json").read_text())
    assert (tmp_path / "devices.md").read_text() == markdown(doc)
    assert (tmp_path / "devices.png").stat().st_size > 20_000
    for key, target in (("weak", 0.735), ("strong", 0.986)):
        assert doc["chip_table"][key]["plain"]["synapses_right"] == pytest.approx(target,
                                                                                   abs=0.03)
        assert doc["rtl"][key]["bit_exact"] == doc["rtl"][key]["images"] == 60
        rounds = doc["verify"][key]
        assert rounds[3]["synapses_right"] >= rounds[0]["synapses_right"]
        assert rounds[3]["pulses_per_synapse"] > rounds[0]["pulses_per_synapse"] == 8
    soak = doc["soak"]
    assert soak["calibrated"]["cells_disturbed"] == 0 and soak["weak"]["cells_disturbed"] > 0
    assert soak["rtl"]["bit_exact"] == soak["rtl"]["images"]
    spread = doc["sweeps"]["spread"]["mlc"]
    assert spread[-1]["accuracy"] < spread[0]["accuracy"]


def test_devices_doc_is_generated():
    """docs/devices.md is what its generator writes from docs/devices.json, which holds the
    full study on MNIST: SPIRIT's synapse figures met within a percent, every RTL run
    bit-exact."""
    import json

    from conftest import ROOT

    from tools.devices import markdown

    doc = json.loads((ROOT / "docs" / "devices.json").read_text())
    assert (ROOT / "docs" / "devices.md").read_text() == markdown(doc)
    assert doc["dataset"] == "mnist" and doc["images"] == 10000
    for key, target in (("weak", 0.735), ("strong", 0.986)):
        assert doc["chip_table"][key]["plain"]["synapses_right"] == pytest.approx(target,
                                                                                   abs=0.01)
        assert doc["rtl"][key]["bit_exact"] == doc["rtl"][key]["images"] == 1000
    assert doc["soak"]["calibrated"]["passes"] == 200
    assert doc["soak"]["calibrated"]["cells_disturbed"] == 0
