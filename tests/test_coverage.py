# SPDX-License-Identifier: Apache-2.0
"""Coverage: the coverage.dat reader and merger on hand-made files, the per-line and per-bit
summaries, the written reasons and the threshold, the functional coverage observer of the
model, and a quick subset of `make coverage` end to end."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from model import run_batch
from tb.common.coverage_data import (
    Coverage,
    CoverageFormatError,
    covered_lines,
    format_key,
    signal_ranges,
    summarize,
)


def point(count: int, **fields) -> str:
    """One coverage line; field order as Verilator writes it."""
    order = ("f", "l", "n", "t", "page", "o", "S", "h")
    key = tuple((k, str(fields[k])) for k in order if k in fields)
    return f"C '{format_key(key)}' {count}"


def dat(*lines: str) -> str:
    return "\n".join(["# SystemC::Coverage-3", *lines]) + "\n"


A = "/src/rtl/a.v"
B = "/src/rtl/b.v"


def test_parse_reads_fields_and_counts():
    text = dat(point(5, f=A, l=10, n=3, t="line", page="v_line/a", o="block", S=10, h="top.u"),
               point(0, f=A, l=11, n=5, t="branch", page="v_branch/a", o="if", S="11-13",
                     h="top.u"))
    cov = Coverage.parse(text, "a.dat")
    assert len(cov) == 2
    got = {dict(k)["l"]: c for k, c in cov.counts.items()}
    assert got == {"10": 5, "11": 0}
    first = dict(next(iter(cov.counts)))
    assert first == {"f": A, "l": "10", "n": "3", "t": "line", "page": "v_line/a",
                     "o": "block", "S": "10", "h": "top.u"}


def test_parse_takes_long_field_names():
    key = "\x01filename\x02/x.v\x01lineno\x027\x01type\x02line\x01comment\x02block"
    cov = Coverage.parse(f"C '{key}' 4\n")
    assert dict(next(iter(cov.counts))) == {"f": "/x.v", "l": "7", "t": "line", "o": "block"}


@pytest.mark.parametrize("line, what", [
    ("C 'f/x.v' 3", "starts with"),                        # no \x01 before the field
    ("C '\x01f\x02/x.v 3", "expected C"),                  # the quote is not closed
    ("C '\x01f\x02/x.v' three", "not a whole number"),
    ("C '\x01f\x02/x.v' -1", "not a whole number"),
    ("X '\x01f\x02/x.v' 1", "expected C"),
    ("C '\x01f/x.v' 1", "lacks a name or a value"),
    ("C '\x01f\x02/x.v'", "expected C"),
])
def test_parse_names_the_file_and_line_of_a_bad_line(line, what):
    with pytest.raises(CoverageFormatError) as err:
        Coverage.parse(dat(point(1, f=A, l=1, t="line"), line), "run/coverage.dat")
    assert "run/coverage.dat line 3" in str(err.value)
    assert what in str(err.value)


def test_read_of_a_missing_file_is_one_clear_error(tmp_path):
    with pytest.raises(CoverageFormatError, match="cannot read coverage file"):
        Coverage.read(tmp_path / "nothing.dat")


def test_merge_adds_identical_points_and_keeps_the_others():
    one = Coverage.parse(dat(point(2, f=A, l=1, t="line", h="top.u"),
                             point(0, f=A, l=2, t="line", h="top.u")))
    two = Coverage.parse(dat(point(3, f=A, l=1, t="line", h="top.u"),
                             point(7, f=A, l=1, t="line", h="top.v"),
                             point(0, f=A, l=2, t="line", h="top.u")))
    merged = Coverage.merge([one, two])
    got = {(dict(k)["l"], dict(k)["h"]): c for k, c in merged.counts.items()}
    assert got == {("1", "top.u"): 5, ("2", "top.u"): 0, ("1", "top.v"): 7}
    # the inputs are left as they were
    assert sum(one.counts.values()) == 2


def test_write_and_read_back(tmp_path):
    cov = Coverage.parse(dat(point(9, f=A, l=4, n=1, t="toggle", o="x[0]:0->1", h="t"),
                             point(1, f=B, l=2, t="line", o="block", S="2-3", h="t")))
    cov.write(tmp_path / "m.dat")
    text = (tmp_path / "m.dat").read_text()
    assert text.startswith("# SystemC::Coverage-3\n")
    assert Coverage.read(tmp_path / "m.dat").counts == cov.counts


def test_covered_lines_reads_line_sets():
    assert covered_lines({"l": "70", "S": "70-72"}) == [70, 71, 72]
    assert covered_lines({"l": "64", "S": "62,64-65"}) == [62, 64, 65]
    assert covered_lines({"l": "5"}) == [5]
    assert covered_lines({"l": "9", "S": "9,x-3"}) == [9]


def test_summary_merges_instances_and_needs_every_point_on_a_line():
    cov = Coverage.parse(dat(
        # line 10: an if taken in one instance only, its else in the other: covered
        point(4, f=A, l=10, n=5, t="branch", o="if", S="10-11", h="top.u1"),
        point(0, f=A, l=10, n=6, t="branch", o="else", h="top.u1"),
        point(0, f=A, l=10, n=5, t="branch", o="if", S="10-11", h="top.u2"),
        point(2, f=A, l=10, n=6, t="branch", o="else", h="top.u2"),
        # line 20: the if always taken, its else never: not covered
        point(3, f=A, l=20, n=5, t="branch", o="if", S="20", h="top.u1"),
        point(0, f=A, l=20, n=6, t="branch", o="else", h="top.u1"),
        # a file outside the filter
        point(0, f="/src/tb/x.v", l=1, t="line", o="block", h="top"),
    ))
    files = summarize(cov, keep=lambda f: "/rtl/" in f)
    assert list(files) == [A]
    s = files[A]
    assert sorted(s.lines) == [10, 11, 20]
    assert s.lines[10].covered and s.lines[11].covered
    assert not s.lines[20].covered
    assert s.lines[20].missed() == ["branch else"]
    assert s.lines_covered == 2
    assert [u.line for u in s.unreached()] == [20]


def test_toggles_count_a_bit_once_it_rose_and_fell():
    cov = Coverage.parse(dat(
        point(1, f=A, l=3, t="toggle", o="d[0]:0->1", h="top.u1"),
        point(0, f=A, l=3, t="toggle", o="d[0]:1->0", h="top.u1"),
        point(2, f=A, l=3, t="toggle", o="d[0]:1->0", h="top.u2"),  # the other instance
        point(5, f=A, l=3, t="toggle", o="d[1]:0->1", h="top.u1"),
        point(0, f=A, l=3, t="toggle", o="d[1]:1->0", h="top.u1"),
        point(0, f=A, l=3, t="toggle", o="d[2]:0->1", h="top.u1"),
        point(0, f=A, l=3, t="toggle", o="d[2]:1->0", h="top.u1"),
        point(0, f=A, l=3, t="toggle", o="d[3]:0->1", h="top.u1"),
        point(0, f=A, l=3, t="toggle", o="d[3]:1->0", h="top.u1"),
        # an older file: one point per bit, no direction
        point(3, f=A, l=4, t="toggle", o="e", h="top.u1"),
        point(0, f=A, l=4, t="toggle", o="g", h="top.u1"),
    ))
    s = summarize(cov)[A]
    assert len(s.bits) == 6
    assert s.toggles_covered == 2           # d[0] and e
    assert [b.name for b in s.untoggled()] == ["d[1]", "d[2]", "d[3]", "g"]
    assert signal_ranges(s.untoggled()) == ["d[1] 1->0", "d[3:2] 0->1/1->0", "g toggle"]


def test_waivers_match_by_file_pattern_and_text():
    from tools.coverage import WAIVERS, waiver_for

    w = waiver_for("/any/rtl/spirit_regs.v", "default: ;")
    assert w is not None and w.reason
    assert waiver_for("/any/rtl/spirit_chip.v", "default: ;") is None
    assert waiver_for("/x/rtl/spirit_fifo.v", "if (rst_ni === 1'b1) begin") is not None
    assert all(w.reason and w.text for w in WAIVERS)


def test_threshold_fails_only_with_an_unexplained_line():
    from tools.coverage import CodeReport

    rows = [dict(file="rtl/a.v", lines=100, lines_hit=90, toggles=0, toggles_hit=0)]
    total = dict(lines=100, lines_hit=90, toggles=0, toggles_hit=0)
    explained = dict(file="rtl/a.v", line=3, text="x", missed=[], reason="cannot happen")
    unexplained = dict(explained, reason=None)
    assert CodeReport(rows, total, [explained]).passed
    report = CodeReport(rows, total, [explained, unexplained])
    assert report.below == ["rtl/a.v", "rtl/"] and not report.passed
    high = [dict(rows[0], lines_hit=96)]
    assert CodeReport(high, dict(total, lines_hit=96), [unexplained]).passed


def test_model_events_see_saturation_refractory_and_ties():
    """The observer of the per-event model, on the corner jobs of `make coverage`: it sees
    what those jobs are for, and the model decides every image as the batch model does."""
    from chip_jobs import coverage_jobs

    from tb.common import fcov

    jobs = coverage_jobs()
    seen = {}
    for name in ("narrow_refractory", "narrow_saturation"):
        job = jobs[name]
        events, results = fcov.model_events(job)
        expected = run_batch(job.cfg, job.crossbar(), job.streams)
        assert [r.cls for r in results] == expected.cls.tolist()
        assert [r.early for r in results] == expected.early.tolist()
        assert len(events) == len(job.streams)
        seen[name] = {f: set().union(*(getattr(e, f) for e in events))
                      for f in ("refractory", "membrane", "count", "words", "weights")}
        seen[name]["tie"] = {e.tie for e in events}
    assert seen["narrow_refractory"]["refractory"] == {"positive", "negative"}
    assert seen["narrow_refractory"]["count"] == {"max", "min"}
    assert seen["narrow_saturation"]["membrane"] == {"max", "min"}
    assert seen["narrow_saturation"]["words"] == {"spike", "end of image"}
    assert seen["narrow_saturation"]["weights"] <= set(range(-2, 3)) - {0}
    assert "index" in seen["narrow_refractory"]["tie"] | seen["narrow_saturation"]["tie"]


def test_word_kinds():
    from model import ChipConfig
    from tb.common.fcov import word_kind

    cfg = ChipConfig(n_inputs=5, n_neurons=2, cells=1, addr_w=3, v_w=4)
    kinds = [word_kind(cfg, w) for w in (0, 4, 5, 7, 8, 9, 15)]
    assert kinds == ["spike", "spike", "address out of range", "address out of range",
                     "end of image", "unknown command", "unknown command"]


def test_quick_run_end_to_end(tmp_path):
    """A small subset (a block and a short chip job) on coverage builds: the tool runs, and
    code and functional coverage figures come out. No threshold applies to the subset."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPIRIT_")}
    out = subprocess.run([sys.executable, "-m", "tools.coverage", "--quick", "--jobs", "1",
                          "--out", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                         env=env, timeout=900)
    assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-3000:]
    assert "error:" not in out.stdout + out.stderr, out.stdout[-3000:] + out.stderr[-3000:]
    figures = json.loads((tmp_path / "coverage.json").read_text())
    assert figures["runs"] == 2 and not figures["failed"]
    files = {r["file"]: r for r in figures["files"]}
    for name in ("rtl/spirit_sat_counter.v", "rtl/spirit_chip.v", "rtl/spirit_neurons.v"):
        assert files[name]["measured"] and files[name]["lines"] > 0, files[name]
        assert 0 < files[name]["lines_hit"] <= files[name]["lines"]
        assert 0 < files[name]["toggles_hit"] <= files[name]["toggles"]
    assert figures["total"]["lines_hit"] > 0.5 * figures["total"]["lines"]
    points = {p["name"]: p for p in figures["functional"]}
    assert points["spirit.chip.input_word"]["covered"] == 4      # the job has bad words
    assert points["spirit.chip_37x3.row_read"]["size"] == 37
    assert sum(p["covered"] for p in points.values()) > 0
    report = (tmp_path / "report.txt").read_text()
    assert "rtl/spirit_chip.v" in report and "unreached lines" in report
    assert "spirit.chip.weight" in (tmp_path / "functional.txt").read_text()
    merged = Coverage.read(tmp_path / "coverage.dat")
    assert len(merged) > 100
    assert np.all(np.array(list(merged.counts.values())) >= 0)
    assert "SPIRIT twin coverage (quick subset)" in out.stdout


@pytest.mark.parametrize("kind", ["file", "under a file", "foreign folder"])
def test_out_must_be_a_folder_of_its_own(tmp_path, kind):
    """--out never deletes or overwrites what is not a coverage run's."""
    keep = tmp_path / "keep.txt"
    keep.write_text("mine")
    where = {"file": keep, "under a file": keep / "sub", "foreign folder": tmp_path}[kind]
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPIRIT_")}
    out = subprocess.run([sys.executable, "-m", "tools.coverage", "--quick", "--out",
                          str(where)], cwd=ROOT, capture_output=True, text=True, env=env,
                         timeout=120)
    assert out.returncode == 2 and out.stderr.startswith("error: --out"), out.stderr
    assert "Traceback" not in out.stderr and keep.read_text() == "mine"
