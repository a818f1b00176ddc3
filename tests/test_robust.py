# SPDX-License-Identifier: Apache-2.0
"""Bad input at chip level, each with its defined outcome (README, "Bad input"):

  (a) writes to locked registers while an image is in flight: refused with REG_BUSY, nothing
      changes, the images match the model with the old settings;
  (b) reset in the middle of an image: the image is abandoned, the chip comes back as after
      power-up with its synapses kept, and the next images are bit-exact;
  (c) unknown and read-only registers: reg_err and an ERROR bit, nothing changes, the run
      stays bit-exact;
  (d) input words faster than the input FIFO drains: no word lost;
  (e) X or Z on the inputs (Icarus Verilog, 4-state): none while valid is low; on a valid, a
      ready, on data while valid is high or on the register request, the run stops with a
      message that names the port.

(a) to (d) run tb/chip/test_robust.py under Verilator, one cocotb test per simulator run; a
run also fails on any broken invariant (tb/common/invariants.py). (e) runs the X and Z cases
of tb/hdl/spirit_icarus_smoke.v under Icarus Verilog, skipped where it is not installed.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from chip_jobs import digits_job, random_job
from test_chip import STRUCTURES

from tb.common.build import RTL_SOURCES, TB_HDL
from tb.common.chip_run import chip_build
from tools import icarus


def run_case(case: str, job, tmp_path: Path):
    """Run one test of tb/chip/test_robust.py on `job`; return its results and its facts."""
    build = chip_build(job.cfg)
    build.build()
    job.save(tmp_path / "job.npz")
    result = tmp_path / "result.json"
    results = build.run("tb.chip.test_robust", testcase=case, test_dir=tmp_path,
                        env={"SPIRIT_JOB": str(tmp_path / "job.npz"),
                             "SPIRIT_RESULT": str(result)}, timeout=900)
    facts = json.loads(result.read_text()) if result.exists() else {}
    return results, facts


def test_locked_registers_refuse_changes_during_an_image(tmp_path):
    """(a) Every locked register (settings, CELL_DATA) refuses writes while a batch runs:
    reg_err, REG_BUSY, old value kept, images bit-exact with the old settings; after the
    batch the new settings are accepted and followed."""
    job = digits_job(80, bp_rate=60)
    results, facts = run_case("locked_registers_during_an_image", job, tmp_path)
    assert results.ok, results.summary()
    assert facts["matched"] == 80
    assert {"0x08", "0x10", "0x11", "0x12", "0x13", "0x14", "0x1a"} <= set(facts["refused"])


def test_reset_in_the_middle_of_an_image_recovers(tmp_path):
    """(b) Reset while an image is in flight with spikes queued: earlier images bit-exact,
    the cut image abandoned, power-up state with the synapses kept, then bit-exact again with
    the counters restarted from zero."""
    job = digits_job(60)
    results, facts = run_case("reset_in_the_middle_of_an_image", job, tmp_path)
    assert results.ok, results.summary()
    assert facts["images_before"] >= 4 and facts["images_after"] > 40
    assert facts["cut_spikes_sent"] < facts["cut_spikes_model"]


def test_unknown_and_read_only_registers_are_refused(tmp_path):
    """(c) Unknown addresses, read-only registers and values out of range: reg_err, the
    ERROR bit, nothing changed, and a batch with such accesses running is bit-exact."""
    job = digits_job(40, gap_rate=30, bp_rate=30)
    results, facts = run_case("bad_register_accesses", job, tmp_path)
    assert results.ok, results.summary()
    assert facts["unknown"] > 200 and facts["read_only"] >= 16 and facts["during_batch"] > 40


@pytest.mark.seed(11)
def test_input_faster_than_the_fifo_drains_loses_no_word(tmp_path, seed):
    """(d) A word offered every cycle, output stalled often, FIFOs of two words: the input
    FIFO is full for many cycles and every word is accounted for, image by image."""
    job = random_job(STRUCTURES["narrow"], seed, n_images=120, gap_rate=0, bp_rate=200,
                     batch=40)
    results, facts = run_case("input_faster_than_the_fifo_drains", job, tmp_path)
    assert results.ok, f"seed {seed}: {results.summary()}"
    assert facts["full_cycles"] > 100, facts
    assert facts["words"] == sum(len(s) for s in job.streams)


def test_a_source_that_drops_valid_while_stalled_stops_the_run(tmp_path):
    """A broken source at chip level: the input FIFO's assertion names the rule and the run
    fails."""
    job = digits_job(8)
    results, _ = run_case("source_drops_valid_while_stalled", job, tmp_path)
    assert not results.ok
    log = results.log_path.read_text(errors="replace")
    assert re.search(r"u_router\.u_fifo: s_valid_i dropped while stalled", log), \
        results.log_tail()
    assert "no protocol assertion fired" not in log


# ---- (e) X and Z, under Icarus Verilog ---------------------------------------------------------

XZ = TB_HDL / "spirit_icarus_smoke.v"
needs_icarus = pytest.mark.skipif(
    bool(icarus.missing_tools()),
    reason="Icarus Verilog is not installed (iverilog, vvp); e.g. 'apt-get install iverilog'")

def run_xz(case: str, out: Path) -> tuple[int, str]:
    """Compile the X/Z testbench with the RTL and run one case; return the
    exit status and everything it printed."""
    image = out / f"xz_{case}.vvp"
    files = [str(s) for s in RTL_SOURCES] + [str(XZ)]
    comp = subprocess.run(["iverilog", "-g2005", "-Wall", "-s", "spirit_icarus_smoke", "-o",
                           str(image)] + files, capture_output=True, text=True, timeout=300,
                          check=False)
    assert comp.returncode == 0, comp.stdout + comp.stderr
    new, _ = icarus.warnings(comp.stdout + comp.stderr, "spirit_icarus_smoke")
    assert not new, "\n".join(new)
    sim = subprocess.run(["vvp", "-n", str(image), f"+case={case}"], capture_output=True,
                         text=True, timeout=300, check=False)
    return sim.returncode, sim.stdout + sim.stderr


@needs_icarus
def test_x_and_z_on_idle_inputs_change_nothing(tmp_path):
    """(e) X and Z on s_aer_data_i while s_aer_valid_i is low, on the register bus's data
    while reg_req_i is low, and on every input during reset: the image's output words,
    counters and ERROR are those of a clean run."""
    code, text = run_xz("idle", tmp_path)
    assert code == 0 and "PASS spirit_icarus_smoke idle" in text, text
    assert not re.search(r"^(ERROR|FATAL|WARNING):", text, re.M), text


@needs_icarus
@pytest.mark.parametrize("case, message", [
    ("x_valid", r"u_router: s_aer_valid_i is X or Z"),
    ("z_valid", r"u_router: s_aer_valid_i is X or Z"),
    ("x_data", r"u_router: s_aer_data_i is X or Z while s_aer_valid_i is high"),
    ("x_ready", r"u_out: m_aer_ready_i is X or Z"),
])
def test_x_on_a_valid_ready_or_data_stops_the_run(tmp_path, case, message):
    """(e) X on s_aer_valid_i (or Z), on s_aer_data_i while valid is high, on m_aer_ready_i:
    the RTL's assertion names the port and stops the simulation."""
    code, text = run_xz(case, tmp_path)
    assert code != 0, text
    assert re.search(r"^FATAL: .*" + message, text, re.M), text
    assert "was not caught" not in text


@needs_icarus
def test_x_on_the_register_request_stops_the_run(tmp_path):
    """(e) X on reg_req_i: the run stops naming the port (without the check a 4-state
    simulator would silently ignore the request)."""
    code, text = run_xz("x_req", tmp_path)
    assert code != 0, text
    assert re.search(r"^FATAL: .*spirit_regs .*u_regs: reg_req_i is X or Z", text, re.M), text
