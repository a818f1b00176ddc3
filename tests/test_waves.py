# SPDX-License-Identifier: Apache-2.0
"""A traced run writes a waveform that holds every signal the save files ask for."""

from __future__ import annotations

import re

from chip_jobs import digits_job

from model import run_batch
from tb.common.chip_run import harness_build, run_harness
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


def test_window_trace_has_every_saved_signal(tmp_path):
    """The harness traces only the window, and the trace holds every signal the save files
    name; the traced run is bit-exact with the model."""
    job = digits_job(6, batch=6, verify_cells=0)
    dump = tmp_path / "spirit.vcd"
    report, actual = run_harness(job, harness_build(job.cfg, trace="vcd"), tmp_path / "run",
                                 str(dump), ("image", 3, 2))
    model = run_batch(job.cfg, job.crossbar(), job.streams)
    assert model.first_mismatch(actual) is None
    have = vcd_signals(dump)
    wanted = [path for _, signals in groups(job.cfg) for path, _, _ in signals]
    missing = [p for p in wanted if p not in have]
    assert not missing, f"not in the trace: {missing}"
    # only the window: its first dump comes after images 0..2, its last before the end
    times = [int(line[1:]) for line in dump.read_text().splitlines() if line.startswith("#")]
    assert times[0] == report["dumped_from_ps"] and times[-1] == report["dumped_to_ps"]
    window = sum(model.cycles[3:5]) * 10_000
    assert times[0] > sum(model.cycles[:3]) * 10_000
    assert abs((times[-1] - times[0]) - window) <= 50_000    # within five cycles
    gtkw, tcl, sucl = write_save_files(job.cfg, dump, times[0], times[-1] - times[0])
    assert f'[dumpfile] "{dump}"' in gtkw.read_text()
    assert len(re.findall(r"^variable_add ", sucl.read_text(), re.M)) == len(wanted)
    assert f"setZoomRangeTimes {times[0]} {times[-1]}" in tcl.read_text()
