# SPDX-License-Identifier: Apache-2.0
"""A traced run writes a waveform that holds every signal the save files ask for."""

from __future__ import annotations

import re

from chip_jobs import digits_job

from tb.common.chip_run import chip_build, run_job
from tools.waves import groups, write_save_files


def vcd_signals(path) -> set[str]:
    """Full names of the signals declared in a VCD header."""
    names, scope = set(), []
    with open(path) as f:
        for line in f:
            words = line.split()
            if not words:
                continue
            if words[0] == "$scope":
                scope.append(words[2])
            elif words[0] == "$upscope":
                scope.pop()
            elif words[0] == "$var":
                names.add(".".join(scope + [words[4]]))
            elif words[0] == "$enddefinitions":
                break
    return names


def test_trace_has_every_saved_signal(tmp_path):
    job = digits_job(3, batch=3)
    dump = tmp_path / "spirit.vcd"
    run = run_job(job, chip_build(job.cfg, trace="vcd"), workdir=tmp_path / "run",
                  trace_file=str(dump))
    assert run.ok, run.failure()
    have = vcd_signals(dump)
    wanted = [path for _, signals in groups(job.cfg) for path, _, _ in signals]
    missing = [p for p in wanted if p not in have]
    assert not missing, f"not in the trace: {missing}"
    gtkw, tcl, sucl = write_save_files(job.cfg, dump, run.result["first_batch_ps"], 10_000)
    assert f'[dumpfile] "{dump}"' in gtkw.read_text()
    assert len(re.findall(r"^variable_add ", sucl.read_text(), re.M)) == len(wanted)
    assert "setZoomRangeTimes" in tcl.read_text() and run.result["first_batch_ps"] > 0
    # the trace covers the run: the clock toggles for thousands of cycles
    assert dump.stat().st_size > 100_000
