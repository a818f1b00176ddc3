# SPDX-License-Identifier: Apache-2.0
"""Build the whole-chip testbench for a configuration and run a job on it."""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from model import ChipConfig

from .build import BUILD_ROOT, RTL_SOURCES, TB_HDL, Build, Results
from .job import STIM_DEPTH, Job

DEVICE_FILE = "spirit_device"     # device map files, in the run's folder


def chip_build(cfg: ChipConfig, name: str | None = None, rtl_sources=None,
               trace: str | None = None, extra_args=(), defines=None,
               device: bool = False) -> Build:
    """The spirit_tb_top build for `cfg`'s structure (settings are registers, not parameters);
    with `device`, the array follows the device map it finds in the run's folder."""
    params = dict(cfg.rtl_parameters(), STIM_DEPTH=STIM_DEPTH)
    if device:
        params.update(DEVICE=1, DEVICE_FILE=DEVICE_FILE)
    if name is None:
        name = "chip_" + "_".join(f"{v}" for v in cfg.rtl_parameters().values()) + \
            ("_dev" if device else "") + (f"_{trace}" if trace else "")
    return Build(name=name, top="spirit_tb_top",
                 sources=list(rtl_sources or RTL_SOURCES) + [TB_HDL / "spirit_tb_top.v"],
                 parameters=params, public_all=False, trace=trace, extra_args=list(extra_args),
                 defines=defines or {})


HARNESS = Path(__file__).resolve().parents[1] / "harness" / "spirit_harness.cpp"


def harness_build(cfg: ChipConfig, rtl_sources=None, trace: str | None = None,
                  device: bool = False) -> Build:
    """The same testbench top as chip_build, run by a C++ main instead of cocotb."""
    build = chip_build(cfg, rtl_sources=rtl_sources, trace=trace, device=device)
    build.name = build.name.replace("chip_", "harness_", 1)
    build.main = HARNESS
    return build


def run_harness(job: Job, build: Build, workdir: Path, trace_file: str | None = None,
                window: tuple[str, int, int] | None = None) -> tuple[dict, object]:
    """Run all of `job`'s images in one batch through the C++ harness; return its report and
    what the chip did with each image (decoded as the model reports it). With a trace file,
    only the window (("image" or "cycle"), first, count) is dumped."""
    import subprocess

    import numpy as np

    from .chip_env import decode, read_outputs

    build.build()
    workdir = Path(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    words = np.concatenate(job.streams)
    if len(words) > STIM_DEPTH:
        raise ValueError(f"{len(words)} input words, the harness takes {STIM_DEPTH} at most")
    words.astype(">u2" if job.cfg.addr_w + 1 <= 16 else ">u4").tofile(workdir / "spirit_stim.bin")
    (workdir / "regs.txt").write_text(register_script(job))
    write_device(job, workdir)
    cmd = [str(build.exe), "regs.txt", str(len(words))]
    if trace_file:
        kind, first, count = window or ("image", 0, len(job.streams))
        cmd += [str(trace_file), kind, str(first), str(count)]
    out = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"the C++ harness failed: {(out.stderr or out.stdout).strip()[-300:]}")
    report = json.loads(out.stdout.strip().splitlines()[-1])
    return report, decode(job.cfg, *read_outputs(job.cfg, workdir))


def write_device(job: Job, workdir: Path) -> None:
    """The device map files the array loads, when the job has devices."""
    if job.device is not None:
        job.device.write_files(Path(workdir) / DEVICE_FILE, job.cfg.state_w,
                               job.cfg.code_w)


def register_script(job: Job) -> str:
    """The register writes that configure the chip and program its synapses, in order: what
    ChipTB.configure and ChipTB.program do, as "addr value" lines for the C++ harness."""
    from model import regmap

    if job.verify or job.verify_cells:
        raise ValueError("the C++ harness programs one-shot, with no read-back: set verify "
                         "and verify_cells to 0")
    lines = [f"{a:x} {v:x}" for a, v in job.cfg.register_writes()]
    lines += [f"{regmap.PROG_COND:x} {job.cond:x}"]
    lines += [f"{regmap.CELL_ROW:x} 0", f"{regmap.CELL_COL:x} 0"]
    lines += [f"{regmap.CELL_DATA:x} {int(w):x}" for w in job.synapses.ravel()]
    return "\n".join(lines) + "\n"


@dataclass
class ChipRun:
    results: Results
    result: dict | None
    build_seconds: float

    @property
    def ok(self) -> bool:
        return self.results.ok and self.result is not None and "failure" not in self.result

    def failure(self) -> str:
        """The first mismatch or error, in one paragraph."""
        if self.result and "failure" in self.result:
            return self.result["failure"]
        return self.results.summary()


def run_job(job: Job, build: Build, workdir: Path | None = None, trace_file: str | None = None,
            timeout: float | None = None) -> ChipRun:
    """Build (if needed) and run `job`; return the cocotb results and the result file."""
    build_seconds = build.build()
    temporary = workdir is None
    workdir = Path(workdir or tempfile.mkdtemp(prefix="run_", dir=BUILD_ROOT))
    workdir.mkdir(parents=True, exist_ok=True)
    job_path, result_path = workdir / "job.npz", workdir / "result.json"
    result_path.unlink(missing_ok=True)
    job.save(job_path)
    write_device(job, workdir)
    results = build.run("tb.chip.test_chip", test_dir=workdir, trace_file=trace_file,
                        env={"SPIRIT_JOB": str(job_path), "SPIRIT_RESULT": str(result_path)},
                        timeout=timeout)
    result = json.loads(result_path.read_text()) if result_path.exists() else None
    run = ChipRun(results, result, build_seconds)
    if temporary and run.ok:
        shutil.rmtree(workdir, ignore_errors=True)      # a failed run stays for inspection
    return run
