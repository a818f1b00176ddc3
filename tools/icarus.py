# SPDX-License-Identifier: Apache-2.0
"""Elaborate the RTL under Icarus Verilog, and run a smoke simulation of the chip under vvp.

    python -m tools.icarus

`iverilog -g2005 -Wall` elaborates every RTL module as the top (default parameters), the chip
with 64 inputs (N_INPUTS=64, ADDR_W=7) and the whole-chip testbench top tb/hdl/spirit_tb_top.v;
each module then runs alone under vvp for time 0, which runs its parameter checks. Then
tb/hdl/spirit_icarus_smoke.v, a self-checking testbench with no Python, runs under vvp in the
SPIRIT configuration and in the 64-input one: reset, synapses programmed and read back over the
register bus, one image with an out-of-range address and an end-of-image word, and checks of
the words on m_aer and of the event counters.

A check fails on an elaboration error, on a warning not known to be harmless, on a simulation
that reports an error ($error, $fatal) or ends otherwise than it should. Icarus Verilog is a
system package (Debian: iverilog). Exit status: 0 all passed, 1 a check failed, 2 bad argument,
3 iverilog or vvp is not installed.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from tb.common.build import BUILD_ROOT, RTL_SOURCES, TB_HDL

from .common import guarded

EXIT_MISSING = 3
TB_TOP = TB_HDL / "spirit_tb_top.v"
SMOKE = TB_HDL / "spirit_icarus_smoke.v"
CONFIG_64 = {"N_INPUTS": 64, "ADDR_W": 7}
# seconds one compile or simulation may take before it counts as hung
TIMEOUT = 300

# Warnings of -Wall known to be harmless: (pattern, top it applies to or None for any).
HARMLESS = [
    # an always @* that reads a register array in a loop over every word (neurons, decision,
    # counters) is sensitive to the whole array, as it must be
    (re.compile(r"@\* is sensitive to all \d+ words in array"), None),
    # the testbench top sets `timescale for its clock; the RTL has no delays and no `timescale
    (re.compile(r"Some modules have no timescale|timescale for \S+ inherited"),
     "spirit_tb_top"),
]


@dataclass
class Check:
    """Elaborate `top` from `files`, then run it under vvp: a module alone (no clock) for time 0
    only, which runs its parameter checks; the smoke test to its PASS line; the testbench top,
    whose clock never stops, not at all."""

    name: str
    top: str
    files: list[Path]
    params: dict[str, int] = field(default_factory=dict)
    run: str = "time0"  # "time0", "smoke" or "none"


CHECKS = [Check(src.stem, src.stem, RTL_SOURCES) for src in RTL_SOURCES]
CHECKS += [
    Check("spirit_chip, 64 inputs", "spirit_chip", RTL_SOURCES, CONFIG_64),
    Check("spirit_tb_top", "spirit_tb_top", RTL_SOURCES + [TB_TOP], run="none"),
    Check("smoke, SPIRIT (144 inputs)", "spirit_icarus_smoke", RTL_SOURCES + [SMOKE],
          run="smoke"),
    Check("smoke, 64 inputs", "spirit_icarus_smoke", RTL_SOURCES + [SMOKE], CONFIG_64,
          run="smoke"),
]


def missing_tools() -> list[str]:
    return [tool for tool in ("iverilog", "vvp") if shutil.which(tool) is None]


def warnings(text: str, top: str) -> tuple[list[str], int]:
    """The warnings in iverilog's output that are not known to be harmless, and how many were."""
    bad, harmless = [], 0
    for line in text.splitlines():
        if "warning:" not in line:
            continue
        if any(p.search(line) and (where is None or where == top) for p, where in HARMLESS):
            harmless += 1
        else:
            bad.append(line.strip())
    return bad, harmless


def run_check(check: Check, out: Path) -> tuple[bool, str, list[str]]:
    """(passed, one-line result, problems) of one check."""
    tag = re.sub(r"[^A-Za-z0-9]+", "_", check.name).strip("_")
    image = out / f"{tag}.vvp"
    image.unlink(missing_ok=True)
    cmd = ["iverilog", "-g2005", "-Wall", "-s", check.top, "-o", str(image)]
    cmd += [f"-P{check.top}.{k}={v}" for k, v in check.params.items()]
    cmd += [str(f) for f in check.files]
    try:
        comp = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return False, "iverilog hung", [f"iverilog still running after {TIMEOUT} s; stopped"]
    text = comp.stdout + comp.stderr
    (out / f"{tag}.iverilog.log").write_text(text)
    bad, harmless = warnings(text, check.top)
    if comp.returncode != 0 or not image.exists():
        errors = [line.strip() for line in text.splitlines() if line.strip()]
        return False, "elaboration failed", errors or [f"iverilog exited {comp.returncode}"]
    known = f", {harmless} known warning{'s' if harmless > 1 else ''}" if harmless else ""
    if bad:
        return False, f"elaborated with {len(bad)} new warnings{known}", bad
    if check.run == "none":
        return True, f"elaborated{known}", []

    try:
        sim = subprocess.run(["vvp", "-n", str(image)], capture_output=True, text=True,
                             timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return False, "simulation hung", [f"vvp still running after {TIMEOUT} s; stopped"]
    text = sim.stdout + sim.stderr
    (out / f"{tag}.vvp.log").write_text(text)
    lines = [line.strip() for line in text.splitlines()]
    reports = [line for line in lines if re.match(r"(ERROR|FATAL|WARNING):", line)]
    passed = [line for line in lines if line.startswith("PASS ")]
    if sim.returncode != 0 or reports or (check.run == "smoke" and not passed):
        why = reports or [f"vvp exited {sim.returncode}"
                          + (" without a PASS line" if check.run == "smoke" else "")]
        return False, "simulation failed", why + [f"log: {out / (tag + '.vvp.log')}"]
    if check.run == "smoke":
        return True, passed[-1], []
    return True, f"elaborated{known}; parameter checks pass", []


@guarded
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.icarus", description=__doc__.split("\n")[0])
    ap.parse_args(argv)
    missing = missing_tools()
    if missing:
        print(f"error: Icarus Verilog is not installed ({' and '.join(missing)} not found on "
              "PATH); install it, e.g. 'apt-get install iverilog' on Debian or Ubuntu",
              file=sys.stderr)
        return EXIT_MISSING

    version = subprocess.run(["iverilog", "-V"], capture_output=True, text=True, check=False)
    print((version.stdout.splitlines() or ["Icarus Verilog"])[0].replace(" ()", ""), flush=True)
    out = BUILD_ROOT / "icarus"
    out.mkdir(parents=True, exist_ok=True)
    failed = 0
    width = max(len(c.name) for c in CHECKS)
    for check in CHECKS:
        ok, summary, problems = run_check(check, out)
        print(f"{'ok  ' if ok else 'FAIL'} {check.name.ljust(width)}  {summary}", flush=True)
        for problem in problems:
            print(f"     {problem}")
        failed += not ok
    print(f"{len(CHECKS) - failed} of {len(CHECKS)} Icarus checks passed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
