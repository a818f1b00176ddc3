# SPDX-License-Identifier: Apache-2.0
"""The RTL's simulation-only protocol assertions fire, and the run fails naming the rule.

Two kinds of broken drivers:
  - a driver that breaks an input rule of a block (valid dropped or data changed while
    stalled, a step and a decision at once, a neuron firing both ways, settings out of range):
    tb/protocol/test_protocol.py under Verilator, on the block builds of the regression;
  - a deliberately broken copy of the block that drives its own outputs wrongly (a FIFO that
    accepts a word while full, shows one while empty, pops or overwrites while stalled; a
    router that pops while the core stalls; a counter that wraps or saturates silently):
    the scripted drivers of tb/hdl/spirit_icarus_protocol.v under Icarus Verilog, which pass
    on the RTL as it is (skipped where Icarus Verilog is not installed).
The chip-level case (a source dropping s_aer_valid while stalled) is in tests/test_robust.py,
the X and Z checks in tests/test_robust.py too.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tb.common.blocks import BLOCKS
from tb.common.build import RTL, TB_HDL
from tools import icarus

# (block, test in tb/protocol/test_protocol.py, the rule's message)
BROKEN_DRIVERS = [
    ("fifo", "fifo_valid_dropped_while_stalled",
     r"spirit_fifo \S+: s_valid_i dropped while stalled"),
    ("fifo", "fifo_data_changed_while_stalled",
     r"spirit_fifo \S+: s_data_i changed while stalled"),
    ("out_path", "out_path_step_dropped_while_stalled",
     r"spirit_out_path \S+: spk_valid_i dropped while stalled"),
    ("out_path", "out_path_step_changed_while_stalled",
     r"spirit_out_path \S+: spk_pos_i or spk_neg_i changed while stalled"),
    ("out_path", "out_path_decision_dropped_while_stalled",
     r"spirit_out_path \S+: dec_valid_i dropped while stalled"),
    ("out_path", "out_path_decision_changed_while_stalled",
     r"spirit_out_path \S+: dec_class_i or dec_early_i changed while stalled"),
    ("out_path", "out_path_step_and_decision_together",
     r"spirit_out_path \S+: a spike step and a decision accepted in the same cycle"),
    ("out_path", "out_path_neuron_fires_both_ways",
     r"spirit_out_path \S+: a neuron fired both ways in one step"),
    ("neurons", "neurons_step_with_threshold_zero",
     r"spirit_neurons \S+: a step with a threshold out of range \(th_pos_i 0, th_neg_i 3\)"),
    ("neurons", "neurons_step_with_leak_out_of_range",
     r"spirit_neurons \S+: a step with leak_i 32 above 2\^\(V_W-1\)-1"),
    ("decision", "decision_counts_up_and_down",
     r"spirit_decision \S+: a neuron counted up and down in one step"),
]


@pytest.mark.parametrize("block_name, test, message", BROKEN_DRIVERS,
                         ids=[t for _, t, _ in BROKEN_DRIVERS])
def test_a_broken_driver_stops_the_run(block_name, test, message, tmp_path):
    """Verilator stops at the assertion ($error); the run fails with the rule in its log."""
    block = next(b for b in BLOCKS if b.name == block_name and not b.variant)
    build = block.build()
    build.build()
    results = build.run("tb.protocol.test_protocol", testcase=test, test_dir=tmp_path,
                        env={"SPIRIT_PARAMS": json.dumps(block.parameters)}, timeout=300)
    assert not results.ok, f"{test}: the run passed"
    log = results.log_path.read_text(errors="replace")
    assert re.search(r"%Error: .*Assertion failed in .*" + message, log), results.log_tail()
    assert "no assertion caught" not in log, results.log_tail()


# ---- broken blocks, under Icarus Verilog -------------------------------------------------------

PROTOCOL = TB_HDL / "spirit_icarus_protocol.v"
FILES = {"spirit_proto_fifo": ["fifo"], "spirit_proto_router": ["fifo", "sat_counter", "router"],
         "spirit_proto_counter": ["sat_counter"]}
needs_icarus = pytest.mark.skipif(
    bool(icarus.missing_tools()),
    reason="Icarus Verilog is not installed (iverilog, vvp); e.g. 'apt-get install iverilog'")

# name: (driver, file, good text, broken text, messages every one of which must be reported)
MUTANTS = {
    "fifo_ready_while_full": (
        "spirit_proto_fifo", "fifo", "assign s_ready_o = !full;", "assign s_ready_o = 1'b1;",
        [r"overflow, a word accepted while full"]),
    "fifo_valid_while_empty": (
        "spirit_proto_fifo", "fifo", "assign m_valid_o = !empty;", "assign m_valid_o = 1'b1;",
        [r"underflow, a word taken while empty"]),
    "fifo_pops_while_stalled": (
        "spirit_proto_fifo", "fifo", "wire pop   = m_ready_i && !empty;", "wire pop   = !empty;",
        [r"m_valid_o dropped while stalled", r"m_data_o changed while stalled"]),
    "fifo_writes_while_full": (
        "spirit_proto_fifo", "fifo", "wire push  = s_valid_i && !full;", "wire push  = s_valid_i;",
        [r"overflow, level_o 5 above DEPTH 4"]),
    "router_pops_while_stalled": (
        "spirit_proto_router", "router",
        "assign head_pop   = drop_o || (ev_valid_o && ev_ready_i);",
        "assign head_pop   = drop_o || ev_valid_o;",
        [r"ev_valid_o dropped while stalled", r"ev_row_o or ev_eoi_o changed while stalled"]),
    "counter_wraps": (
        "spirit_proto_counter", "sat_counter", "count_o    <= {WIDTH{1'b1}};",
        "count_o    <= sum[WIDTH-1:0];", [r"count_o went down from 15 to 2 without clear_i"]),
    "counter_saturates_silently": (
        "spirit_proto_counter", "sat_counter", "      overflow_o <= 1'b1;\n", "",
        [r"an increment was lost at the maximum, overflow_o is low"]),
}


def run_driver(top: str, folder: Path, out: Path) -> tuple[int, str]:
    """Compile one scripted driver with the block files in `folder`; run it."""
    image = out / f"{top}.vvp"
    files = [str(folder / f"spirit_{f}.v") for f in FILES[top]] + [str(PROTOCOL)]
    comp = subprocess.run(["iverilog", "-g2005", "-Wall", "-s", top, "-o", str(image)] + files,
                          capture_output=True, text=True, timeout=300, check=False)
    assert comp.returncode == 0, comp.stdout + comp.stderr
    new, _ = icarus.warnings(comp.stdout + comp.stderr, top)
    assert not new, "\n".join(new)
    sim = subprocess.run(["vvp", "-n", str(image)], capture_output=True, text=True, timeout=300,
                         check=False)
    return sim.returncode, sim.stdout + sim.stderr


@needs_icarus
@pytest.mark.parametrize("top", FILES)
def test_the_scripted_drivers_pass_on_the_rtl(top, tmp_path):
    code, text = run_driver(top, RTL, tmp_path)
    assert code == 0 and f"PASS {top}" in text, text
    assert not re.search(r"^(ERROR|FATAL|WARNING):", text, re.M), text


@needs_icarus
@pytest.mark.parametrize("name", MUTANTS)
def test_a_broken_block_fires_its_assertion(name, tmp_path):
    top, block, good, bad, messages = MUTANTS[name]
    for f in FILES[top]:
        shutil.copy(RTL / f"spirit_{f}.v", tmp_path)
    path = tmp_path / f"spirit_{block}.v"
    text = path.read_text()
    assert text.count(good) == 1, f"{good!r} not found once in {path.name}"
    path.write_text(text.replace(good, bad))
    code, out = run_driver(top, tmp_path, tmp_path)
    assert f"PASS {top}" not in out, f"{name}: the broken block passed\n{out}"
    for message in messages:
        assert re.search(rf"^ERROR: .*spirit_{block}\.v:\d+: spirit_{block} \S+: {message}",
                         out, re.M), f"{name}: no assertion reported {message!r}\n{out}"
