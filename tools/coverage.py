# SPDX-License-Identifier: Apache-2.0
"""Code and functional coverage of the RTL.

    python -m tools.coverage [--quick] [--jobs N] [--out DIR]

Every block testbench and a set of whole-chip jobs (tests/chip_jobs.py, `coverage_jobs`) run on
coverage builds of the RTL (Verilator line and toggle coverage, build/<name>_cov, never the
normal builds). Each run leaves a coverage.dat, merged here into one (tb/common/coverage_data.py),
and, from the functional coverage points of tb/common/fcov.py, a functional.yml that
cocotb-coverage merges.

Writes, in the output folder (build/coverage by default):
  report.txt       per RTL file lines and toggled bits, every unreached line of rtl/ with its
                   source text and, where it has one, the written reason (WAIVERS below), and
                   the bits that never toggled
  coverage.dat     the merged Verilator coverage, readable by verilator_coverage
  functional.txt   every coverpoint with its bins and hits; functional.yml the merged database
  coverage.json    the figures of both, for scripts
and prints a summary. Exits 1 if a run fails, or if line coverage of rtl/ (as a whole or of
any file) is below 95% while some unreached line has no written reason; 2 on a usage error.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path

from model import SpiritError

from .common import ROOT, guarded, output_folder, whole

THRESHOLD = 95.0
RTL_DIR = ROOT / "rtl"
# the coverage runs are short: unoptimized builds compile in half the time of -O2 ones and
# cost less than that in running time
COVERAGE_OPT = "-O0"


@dataclass(frozen=True)
class Waiver:
    """Why a line of rtl/ cannot be reached. It applies to the lines of the files named by
    `file` (a pattern) whose source text contains `text`, so it survives edits that move the
    line."""

    file: str
    text: str
    reason: str


WAIVERS = (
    Waiver("spirit_regs.v", "default: ;",
           "defensive: this case only sees writes that the decode accepted, and every "
           "writable register has its own item (CELL_DATA goes to the synapse port instead); "
           "an unknown address fails before it"),
    Waiver("spirit_*.v", "if (rst_ni === 1'b1) begin",
           "simulation-only check for X or Z handshake inputs, in the out-of-reset branch of "
           "an asynchronous-reset block: rst_ni is 1 there in Verilator's two-state "
           "simulation, so the check's else (X or Z on the reset) cannot happen"),
)


@dataclass
class Outcome:
    """What one coverage run left behind."""

    ok: bool
    message: str
    build_seconds: float
    run_seconds: float
    folder: Path
    name: str = ""

    @property
    def code_file(self) -> Path:
        return self.folder / "coverage.dat"

    @property
    def functional_file(self) -> Path:
        from tb.common import fcov

        return self.folder / fcov.EXPORT_NAME


@dataclass
class Task:
    """One coverage run: a block testbench or a chip job, run into a given folder."""

    name: str
    go: Callable[[Path], Outcome]
    weight: float = 1.0        # rough cost, to start the longest first


def block_task(block) -> Task:
    def go(folder: Path) -> Outcome:
        build = block.build(coverage=True)
        build.opt = COVERAGE_OPT
        t_build = build.build()
        results = block.run(seed=1, build=build, test_dir=folder)
        return Outcome(results.ok, results.summary(), t_build, results.seconds, folder)

    return Task(f"block {block.id}", go, weight=1.0 + 2.0 * (block.name == "regs"))


def chip_task(name: str, job) -> Task:
    def go(folder: Path) -> Outcome:
        from tb.common.chip_run import chip_build, run_job

        build = chip_build(job.cfg, device=job.device is not None)
        build.coverage = True
        build.opt = COVERAGE_OPT
        run = run_job(job, build, workdir=folder)
        return Outcome(run.ok, "passed" if run.ok else run.failure(), run.build_seconds,
                       run.results.seconds, folder)

    return Task(f"chip {name}", go, weight=2.0 + len(job.streams) / 300)


QUICK_BLOCKS = ("sat_counter",)


def plan(quick: bool) -> list[Task]:
    """The runs: every block testbench and the chip jobs (a small subset with `quick`)."""
    from tb.common.blocks import BLOCKS

    if str(ROOT / "tests") not in sys.path:
        sys.path.insert(0, str(ROOT / "tests"))
    from chip_jobs import coverage_jobs

    blocks = [b for b in BLOCKS if not quick or b.id in QUICK_BLOCKS]
    tasks = [block_task(b) for b in blocks]
    tasks += [chip_task(name, job) for name, job in coverage_jobs(quick).items()]
    return tasks


def execute(tasks: list[Task], out: Path, jobs: int, log=print) -> list[Outcome]:
    """Run the tasks, `jobs` at a time, each in its folder out/runs/<name>."""
    from tb.common import fcov

    runs = out / "runs"
    shutil.rmtree(runs, ignore_errors=True)
    runs.mkdir(parents=True)
    outcomes: dict[str, Outcome] = {}

    def one(task: Task) -> Outcome:
        folder = runs / task.name.replace(" ", "_")
        folder.mkdir()
        t0 = time.perf_counter()
        try:
            outcome = task.go(folder)
        except Exception as exc:       # a build or set-up failure is this run's result
            outcome = Outcome(False, f"{type(exc).__name__}: {exc}", 0.0,
                              time.perf_counter() - t0, folder)
        outcome.name = task.name
        state = "ok  " if outcome.ok else "FAIL"
        log(f"  {state} {outcome.name:<28} build {outcome.build_seconds:5.1f} s, run "
            f"{outcome.run_seconds:5.1f} s")
        return outcome

    saved = os.environ.get(fcov.ENV)
    os.environ[fcov.ENV] = "1"          # the simulations sample and export functional coverage
    try:
        order = sorted(tasks, key=lambda t: -t.weight)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            for task, outcome in zip(order, pool.map(one, order)):
                outcomes[task.name] = outcome
    finally:
        if saved is None:
            os.environ.pop(fcov.ENV, None)
        else:
            os.environ[fcov.ENV] = saved
    return [outcomes[t.name] for t in tasks]


# ---- code coverage ------------------------------------------------------------------------

def in_rtl(path: str) -> bool:
    try:
        return Path(path).resolve().parent == RTL_DIR.resolve()
    except OSError:
        return False


def waiver_for(file: str, text: str) -> Waiver | None:
    name = Path(file).name
    return next((w for w in WAIVERS if fnmatch(name, w.file) and w.text in text), None)


@dataclass
class CodeReport:
    """Per-file figures, unreached lines with their reasons, and the verdict."""

    rows: list[dict] = field(default_factory=list)
    total: dict = field(default_factory=dict)
    unreached: list[dict] = field(default_factory=list)
    untoggled: dict[str, list[str]] = field(default_factory=dict)
    unused_waivers: list[Waiver] = field(default_factory=list)

    @property
    def below(self) -> list[str]:
        """The files, and "rtl/" for the whole, whose line coverage is below the threshold."""
        rows = self.rows + [dict(self.total, file="rtl/")]
        return [r["file"] for r in rows if r["lines"] and pct(r["lines_hit"], r["lines"]) <
                THRESHOLD]

    @property
    def unexplained(self) -> list[dict]:
        return [u for u in self.unreached if u["reason"] is None]

    @property
    def passed(self) -> bool:
        return not self.below or not self.unexplained


def pct(hit: int, total: int) -> float:
    return 100.0 * hit / total if total else 100.0


def code_report(cov) -> CodeReport:
    from tb.common.build import RTL_SOURCES
    from tb.common.coverage_data import signal_ranges, summarize

    files = summarize(cov, keep=in_rtl)
    by_name = {Path(f).name: s for f, s in files.items()}
    report = CodeReport()
    used: set[Waiver] = set()
    names = [s.name for s in RTL_SOURCES] + sorted(set(by_name) - {s.name for s in RTL_SOURCES})
    for name in names:
        s = by_name.get(name)
        if s is None:
            report.rows.append(dict(file=f"rtl/{name}", lines=0, lines_hit=0, toggles=0,
                                    toggles_hit=0, measured=False))
            continue
        report.rows.append(dict(file=f"rtl/{name}", lines=len(s.lines),
                                lines_hit=s.lines_covered, toggles=len(s.bits),
                                toggles_hit=s.toggles_covered, measured=True))
        source = (RTL_DIR / name).read_text().splitlines() if (RTL_DIR / name).exists() else []
        for line in s.unreached():
            text = source[line.line - 1].strip() if line.line <= len(source) else ""
            waiver = waiver_for(name, text)
            if waiver:
                used.add(waiver)
            report.unreached.append(dict(file=f"rtl/{name}", line=line.line, text=text,
                                         missed=line.missed(),
                                         reason=waiver.reason if waiver else None))
        report.untoggled[f"rtl/{name}"] = signal_ranges(s.untoggled())
    keys = ("lines", "lines_hit", "toggles", "toggles_hit")
    report.total = {k: sum(r[k] for r in report.rows) for k in keys}
    report.unused_waivers = [w for w in WAIVERS if w not in used]
    return report


def format_table(report: CodeReport) -> list[str]:
    lines = [f"{'file':<26} {'lines':>15} {'toggled bits':>19}"]
    for r in report.rows + [dict(report.total, file="rtl/ (all)", measured=True)]:
        if not r.get("measured", True):
            lines.append(f"{r['file']:<26} {'not measured':>15}")
            continue
        lines.append(f"{r['file']:<26} {r['lines_hit']:>5}/{r['lines']:<4} "
                     f"{pct(r['lines_hit'], r['lines']):5.1f}% "
                     f"{r['toggles_hit']:>6}/{r['toggles']:<5} "
                     f"{pct(r['toggles_hit'], r['toggles']):5.1f}%")
    return lines


def format_unreached(report: CodeReport) -> list[str]:
    if not report.unreached:
        return ["every coverable line of rtl/ was reached"]
    out = [f"unreached lines of rtl/: {len(report.unreached)}, "
           f"{len(report.unreached) - len(report.unexplained)} with a written reason"]
    for u in report.unreached:
        out.append(f"  {u['file']}:{u['line']}: {u['text']}")
        out.append(f"      never hit: {', '.join(u['missed'])}")
        out.append(f"      reason: {u['reason']}" if u["reason"] else
                   "      reason: NONE (reach it with a test, or write down why it cannot be)")
    return out


# ---- functional coverage ------------------------------------------------------------------

def merge_functional(files: list[Path], out: Path) -> dict | None:
    """Merge the runs' functional.yml with cocotb-coverage; return the merged database."""
    import yaml
    from cocotb_coverage.coverage import merge_coverage

    files = [f for f in files if f.exists()]
    if not files:
        return None
    merge_coverage(lambda *a: None, str(out), *map(str, files))
    return yaml.safe_load(out.read_text())


def functional_points(db: dict) -> list[dict]:
    """Every coverpoint and cross of the merged database: bins, hits, covered bins."""
    points = []
    for name in sorted(db):
        item = db[name]
        if "bins:_hits" not in item:
            continue
        at_least = item.get("at_least", 1)
        bins = item["bins:_hits"]
        points.append(dict(name=name, bins=dict(bins), size=len(bins),
                           covered=sum(h >= at_least for h in bins.values())))
    return points


def format_functional(points: list[dict], bins: bool) -> list[str]:
    out = []
    width = max((len(p["name"]) for p in points), default=10)
    for p in points:
        out.append(f"  {p['name']:<{width}} {p['covered']:>4}/{p['size']:<4} "
                   f"{pct(p['covered'], p['size']):5.1f}%")
        if bins:
            for b, hits in p["bins"].items():
                out.append(f"      {'  ' if hits else '! '}{b}: {hits}")
        elif p["covered"] < p["size"]:
            missing = [str(b) for b, h in p["bins"].items() if not h]
            shown = ", ".join(missing[:6]) + (f", ... ({len(missing)} in all)"
                                              if len(missing) > 6 else "")
            out.append(f"      not hit: {shown}")
    covered = sum(p["covered"] for p in points)
    size = sum(p["size"] for p in points)
    out.append(f"  {'total':<{width}} {covered:>4}/{size:<4} {pct(covered, size):5.1f}%")
    return out


# ---- the tool -----------------------------------------------------------------------------

def run(quick: bool, jobs: int, out: Path, log=print) -> tuple[int, dict]:
    """Run everything, write the reports; return the exit code and the figures. One run at a
    time per output folder."""
    out.mkdir(parents=True, exist_ok=True)
    with open(out / ".lock", "w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise SpiritError(f"another coverage run is using {out}; wait for it to end") \
                from None
        return _run_locked(quick, jobs, out, log)


def _run_locked(quick: bool, jobs: int, out: Path, log) -> tuple[int, dict]:
    from tb.common.coverage_data import Coverage

    t0 = time.perf_counter()
    tasks = plan(quick)
    log(f"coverage: {len(tasks)} runs on coverage builds, {jobs} at a time")
    outcomes = execute(tasks, out, jobs, log)
    failed = [o for o in outcomes if not o.ok]
    dats = [o.code_file for o in outcomes if o.code_file.exists()]
    cov = Coverage.merge(Coverage.read(p) for p in dats)
    cov.write(out / "coverage.dat")
    code = code_report(cov)
    db = merge_functional([o.functional_file for o in outcomes], out / "functional.yml")
    points = functional_points(db) if db else []
    seconds = time.perf_counter() - t0

    head = (f"SPIRIT twin coverage{' (quick subset)' if quick else ''}: {len(outcomes)} runs "
            f"({len(failed)} failed), {len(dats)} coverage files merged, {seconds:.0f} s")
    text = [head, "", "Code coverage of rtl/ (Verilator line and toggle; a line counts as "
            "covered when every line and branch point on it was hit; instances and parameter "
            "sets merged)", ""]
    text += format_table(code) + [""] + format_unreached(code) + [""]
    if code.unused_waivers:
        text.append("written reasons that match no unreached line now (remove them once the "
                    "lines they explain are gone):")
        text += [f"  {w.file}: {w.text!r}" for w in code.unused_waivers] + [""]
    text.append("bits never toggled both ways, per file:")
    for file, groups in code.untoggled.items():
        if groups:
            text.append(f"  {file}: " + "; ".join(groups))
    text += ["", "Runs:"]
    text += [f"  {'ok  ' if o.ok else 'FAIL'} {o.name:<28} build {o.build_seconds:5.1f} s, "
             f"run {o.run_seconds:5.1f} s" for o in outcomes]
    for o in failed:
        text += ["", f"{o.name} failed: {o.message}"]
    (out / "report.txt").write_text("\n".join(text) + "\n")
    if points:
        ftext = ["Functional coverage (cocotb-coverage, points in tb/common/fcov.py). Hits "
                 "count images for spirit.chip*, cycles for the FIFO, router and output path, "
                 "answered accesses for the registers; '!' marks a bin never hit.", ""]
        ftext += format_functional(points, bins=True)
        (out / "functional.txt").write_text("\n".join(ftext) + "\n")

    figures = dict(quick=quick, seconds=round(seconds, 1), runs=len(outcomes),
                   failed=[o.name for o in failed], files=code.rows, total=code.total,
                   unreached=code.unreached, below_threshold=code.below,
                   functional=[dict(name=p["name"], covered=p["covered"], size=p["size"])
                               for p in points])
    (out / "coverage.json").write_text(json.dumps(figures, indent=1) + "\n")

    log("")
    log(head)
    for line in format_table(code):
        log("  " + line)
    n_un, n_ex = len(code.unreached), len(code.unexplained)
    log(f"  unreached lines: {n_un} ({n_un - n_ex} with a written reason, {n_ex} without)")
    if points:
        log("functional coverage:")
        for line in format_functional(points, bins=False):
            log(line)
    log(f"reports: {out / 'report.txt'}" + (f", {out / 'functional.txt'}" if points else ""))
    for o in failed:
        log(f"error: {o.name} failed: {o.message.splitlines()[0] if o.message else ''}")
    if not code.passed and not quick:
        log(f"error: line coverage below {THRESHOLD:.0f}% ({', '.join(code.below)}) with "
            f"{n_ex} unreached lines that have no written reason (see {out / 'report.txt'})")
    return (0 if code.passed and not failed else 1), figures


@guarded
def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.coverage",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="a small subset of the runs (no threshold applies)")
    parser.add_argument("--jobs", default=os.environ.get("SPIRIT_COVERAGE_JOBS", "2"),
                        help="runs at a time (default 2)")
    parser.add_argument("--out", default=None, help="output folder (default build/coverage)")
    args = parser.parse_args(argv)
    jobs = whole("--jobs", args.jobs, 1, 64)
    from tb.common.build import BUILD_ROOT

    out = output_folder("--out", args.out, BUILD_ROOT / "coverage", "coverage")
    code, figures = run(args.quick, jobs, out)
    if args.quick and not figures["failed"]:
        return 0
    return code


if __name__ == "__main__":
    sys.exit(main())
