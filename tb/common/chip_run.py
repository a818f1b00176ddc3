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


def chip_build(cfg: ChipConfig, name: str | None = None, rtl_sources=None,
               trace: str | None = None, extra_args=(), defines=None) -> Build:
    """The spirit_tb_top build for `cfg`'s structure (settings are registers, not parameters)."""
    params = dict(cfg.rtl_parameters(), STIM_DEPTH=STIM_DEPTH)
    if name is None:
        name = "chip_" + "_".join(f"{v}" for v in cfg.rtl_parameters().values()) + \
            (f"_{trace}" if trace else "")
    return Build(name=name, top="spirit_tb_top",
                 sources=list(rtl_sources or RTL_SOURCES) + [TB_HDL / "spirit_tb_top.v"],
                 parameters=params, public_all=False, trace=trace, extra_args=list(extra_args),
                 defines=defines or {})


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
    results = build.run("tb.chip.test_chip", test_dir=workdir, trace_file=trace_file,
                        env={"SPIRIT_JOB": str(job_path), "SPIRIT_RESULT": str(result_path)},
                        timeout=timeout)
    result = json.loads(result_path.read_text()) if result_path.exists() else None
    run = ChipRun(results, result, build_seconds)
    if temporary and run.ok:
        shutil.rmtree(workdir, ignore_errors=True)      # a failed run stays for inspection
    return run
