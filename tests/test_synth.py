# SPDX-License-Identifier: Apache-2.0
"""Two checks of the RTL outside Verilator: every block synthesizes under Yosys with no error and
no latch, and Icarus Verilog elaborates every module and runs the chip's smoke simulation."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from conftest import ROOT

from tb.common.build import BUILD_ROOT, RTL_SOURCES
from tools import icarus, synth


def run_tool(module: str, *args, env=None):
    full = {k: v for k, v in os.environ.items() if not k.startswith("SPIRIT_")}
    return subprocess.run([sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True,
                          text=True, env={**full, **(env or {})}, timeout=900)


# ---- Yosys ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def yosys():
    """The Yosys command, run once first; its lock in build/ is shared by parallel workers."""
    command = synth.yosys_command()
    synth.warm_up(command, BUILD_ROOT / "synth")
    return command


def test_every_module_and_both_chips_are_synthesized():
    tops = [b.top for b in synth.BLOCKS]
    assert sorted(set(tops)) == sorted(s.stem for s in RTL_SOURCES)
    chips = {tuple(sorted(b.params.items())) for b in synth.BLOCKS if b.top == "spirit_chip"}
    assert chips == {(), (("ADDR_W", 7), ("N_INPUTS", 64))}


@pytest.mark.parametrize("block", synth.BLOCKS, ids=[b.tag for b in synth.BLOCKS])
def test_block_synthesizes_without_error_or_latch(block, yosys, tmp_path):
    result = synth.run_block(block, yosys, tmp_path)
    assert result.ok, "\n".join(result.problems)
    assert result.cells > 0
    log = (tmp_path / f"{block.tag}.log").read_text()
    assert "ERROR" not in log
    assert not any(line.startswith("Latch inferred") for line in log.splitlines())
    if block.top == synth.ARRAY:
        # the array's storage stays a memory; its flip-flops are the sensed row's output latch
        # and the three 32-bit usage counters
        assert result.memory_bits == 144 * 80 and result.flops == 80 + 3 * 32
    elif block.top in ("spirit_xbar_ctrl", "spirit_chip"):
        rows = block.params.get("N_INPUTS", 144)
        assert result.array == f"black box {rows} x 80"
        assert result.memory_bits == 0 and result.flops > 0
    else:
        assert result.array == "" and result.flops > 0


def test_a_latch_fails_the_block(yosys, tmp_path):
    src = tmp_path / "spirit_latchy.v"
    src.write_text("module spirit_latchy (input wire en, input wire d, output reg q);\n"
                   "  always @* if (en) q = d;\n"
                   "endmodule\n")
    result = synth.run_block(synth.Block("spirit_latchy", "test"), yosys, tmp_path, [src])
    assert not result.ok
    assert any("Latch inferred" in p for p in result.problems), result.problems


def test_synth_command_prints_the_table_and_writes_the_report(yosys, tmp_path):
    out = run_tool("tools.synth", "fifo", "spirit_sat_counter",
                   env={"SPIRIT_BUILD": str(tmp_path)})
    assert out.returncode == 0, out.stdout + out.stderr
    rows = [line.split() for line in out.stdout.splitlines() if line.startswith("ok ")]
    assert [row[1] for row in rows] == ["spirit_fifo", "spirit_sat_counter"]
    assert all(int(row[3]) > 0 for row in rows)
    assert "2 of 2 blocks synthesized: no error, no latch" in out.stdout
    report = (tmp_path / "synth" / "report.txt").read_text()
    assert report.startswith("Yosys ") and "spirit_sat_counter" in report


def test_synth_unknown_block_is_one_line():
    out = run_tool("tools.synth", "spirit_gpu")
    assert out.returncode == 2
    assert out.stderr.strip().startswith("error: unknown block 'spirit_gpu'")
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr


def test_synth_without_yosys_says_so(monkeypatch, capsys):
    monkeypatch.setattr(synth.importlib.util, "find_spec", lambda name, *a: None)
    assert synth.main([]) == synth.EXIT_MISSING
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: Yosys is not installed") and len(err.splitlines()) == 1


# ---- Icarus Verilog -------------------------------------------------------------------------

needs_icarus = pytest.mark.skipif(
    bool(icarus.missing_tools()),
    reason="Icarus Verilog is not installed (iverilog, vvp); e.g. 'apt-get install iverilog'")


def test_every_module_is_elaborated_and_the_smoke_test_runs_twice():
    tops = {c.top for c in icarus.CHECKS if c.run != "smoke"}
    assert tops == {s.stem for s in RTL_SOURCES} | {"spirit_tb_top"}
    assert [c.params for c in icarus.CHECKS if c.run == "smoke"] == [{}, icarus.CONFIG_64]


@needs_icarus
@pytest.mark.parametrize("check", icarus.CHECKS, ids=[c.name for c in icarus.CHECKS])
def test_icarus(check, tmp_path):
    ok, summary, problems = icarus.run_check(check, tmp_path)
    assert ok, "\n".join([summary] + problems)
    if check.run == "smoke":
        assert summary.startswith("PASS spirit_icarus_smoke")
        assert "5 words on m_aer, 1 dropped" in summary


@needs_icarus
def test_a_bad_parameter_is_caught_at_time_0(tmp_path):
    check = icarus.Check("bad depth", "spirit_fifo", RTL_SOURCES, {"DEPTH": 12})
    ok, summary, problems = icarus.run_check(check, tmp_path)
    assert not ok and summary == "simulation failed"
    assert any(p.startswith("ERROR:") and "power of two" in p for p in problems), problems


@needs_icarus
def test_a_failing_smoke_simulation_is_reported(tmp_path):
    # the same testbench expecting the wrong class
    text = icarus.SMOKE.read_text()
    wrong = text.replace("expected[4] = {1'b1, 1'b0, 4'd3}", "expected[4] = {1'b1, 1'b0, 4'd2}")
    assert wrong != text
    smoke = tmp_path / "spirit_icarus_smoke.v"
    smoke.write_text(wrong)
    check = icarus.Check("wrong", "spirit_icarus_smoke", RTL_SOURCES + [smoke], run="smoke")
    ok, summary, problems = icarus.run_check(check, tmp_path)
    assert not ok and summary == "simulation failed"
    assert any(p.startswith("FATAL:") and "word 4" in p for p in problems), problems


@needs_icarus
def test_icarus_command_passes(tmp_path):
    out = run_tool("tools.icarus", env={"SPIRIT_BUILD": str(tmp_path)})
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"{len(icarus.CHECKS)} of {len(icarus.CHECKS)} Icarus checks passed" in out.stdout


def test_icarus_missing_is_one_line_with_its_own_exit_code():
    out = run_tool("tools.icarus", env={"PATH": ""})
    assert out.returncode == icarus.EXIT_MISSING == 3
    err = out.stderr.strip()
    assert err.startswith("error: Icarus Verilog is not installed")
    assert len(err.splitlines()) == 1 and out.stdout == ""
