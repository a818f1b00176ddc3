# SPDX-License-Identifier: Apache-2.0
"""The soak (tools/soak.py), in a quick version: a few thousand input events of random
settings, weights and images through the narrow structure, bit-exact; its bad arguments; and
a broken copy of the RTL that makes it fail with its seed and a replay command that fails the
same way."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

from tb.common.build import RTL_SOURCES
from tb.common.chip_run import chip_build
from tools.soak import STRUCTURES, rtl_sources


def soak(*args: str, timeout: float = 900):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPIRIT_")}
    return subprocess.run([sys.executable, "-m", "tools.soak", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def figures(text: str, name: str) -> dict[str, int]:
    """The numbers of one row of the soak's table."""
    lines = text.splitlines()
    head = next(line for line in lines if line.startswith("structure"))
    labels = re.split(r"\s{2,}", head.strip())[1:]
    row = next(line for line in lines if line.startswith(name + " "))
    values = [int(v.replace(",", "")) for v in row.split()[1:]]
    return dict(zip(labels, values))


@pytest.mark.seed(5)
def test_a_quick_soak_is_bit_exact(tmp_path, seed):
    out = soak("--events", "4000", "--structure", "narrow", "--seed", str(seed), "--jobs", "1",
               "--out", str(tmp_path))
    assert out.returncode == 0, f"seed {seed}:\n{out.stdout}{out.stderr}"
    assert out.stdout.startswith(f"soak: seed {seed}, 4,000 input events, structures narrow")
    got = figures(out.stdout, "narrow")
    assert got["rounds"] >= 1 and got["images"] >= 50, got
    assert got["input events"] >= 4000 and got["dropped"] > 0, got
    assert got["synaptic events"] == 3 * got["input events"], got
    assert f"PASS: every image bit-exact with the model, every invariant held (seed {seed})" \
        in out.stdout


@pytest.mark.parametrize("args, fragment", [
    (["--minutes", "0"], "--minutes must be a number of minutes in (0, 1440], got '0'"),
    (["--minutes", "soon"], "--minutes must be a number of minutes"),
    (["--events", "-3"], "--events must be >= 1, got -3"),
    (["--minutes", "1", "--events", "5"], "give --minutes or --events, not both"),
    (["--round", "2"], "--round replays one round: give its --seed and one --structure"),
    (["--structure", "huge"], "unknown structure 'huge'; choose from narrow, spirit"),
    (["--seed", "x"], "--seed must be a whole number, got 'x'"),
    (["--rtl", "/nonexistent"], "--rtl '/nonexistent' is not a folder"),
    (["--rtl", "/tmp"], "--rtl folder '/tmp' lacks spirit_fifo.v"),
])
def test_bad_arguments_are_one_line(args, fragment):
    out = soak(*args, timeout=120)
    assert out.returncode == 2, out.stdout + out.stderr
    err = out.stderr.strip()
    assert err.startswith("error: ") and fragment in err, err
    assert len(err.splitlines()) == 1 and "Traceback" not in err and out.stdout == ""


def test_make_soak_settings_are_checked_like_the_options():
    """make soak MINUTES=... SEED=... reach the soak through the environment."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPIRIT_")}
    env.update(SPIRIT_SOAK_MINUTES="soon", SPIRIT_SOAK_SEED="4")
    out = subprocess.run([sys.executable, "-m", "tools.soak"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "MINUTES must be a number of minutes" in out.stderr, \
        out.stdout + out.stderr
    env.update(SPIRIT_SOAK_MINUTES="1", SPIRIT_SOAK_SEED="x")
    out = subprocess.run([sys.executable, "-m", "tools.soak"], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "SEED must be a whole number, got 'x'" in out.stderr, \
        out.stdout + out.stderr


def test_a_soak_that_checks_nothing_does_not_pass(tmp_path):
    out = soak("--minutes", "1e-6", "--structure", "narrow", "--jobs", "1",
               "--out", str(tmp_path))
    assert out.returncode == 2, out.stdout + out.stderr
    assert "PASS" not in out.stdout and "ended before it checked a single image" in out.stderr


def test_out_is_never_a_folder_of_other_files(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    out = soak("--events", "10", "--out", str(tmp_path), timeout=120)
    assert out.returncode == 2 and "holds files that are not a soak run's" in out.stderr, \
        out.stdout + out.stderr
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_a_broken_rtl_fails_with_its_seed_and_the_replay_fails_alike(tmp_path):
    """The dS stop one spike late: the soak stops at the first mismatch, prints the seed and
    the command that replays the round, and that command reproduces the same mismatch."""
    rtl = tmp_path / "rtl"
    rtl.mkdir()
    for src in RTL_SOURCES:
        shutil.copy(src, rtl)
    decision = rtl / "spirit_decision.v"
    good, bad = "gap >= $signed({1'b0, ds_i});", "gap > $signed({1'b0, ds_i});"
    assert good in decision.read_text()
    decision.write_text(decision.read_text().replace(good, bad))
    out = soak("--events", "100000", "--structure", "narrow", "--seed", "3", "--jobs", "1",
               "--rtl", str(rtl), "--out", str(tmp_path / "a"))
    assert out.returncode == 1, out.stdout + out.stderr
    fail = re.search(r"^FAIL narrow, round (\d+), batch \d+ \(images from \d+, input idle "
                     r"\d+/256, output stalls \d+/256\): (.*RTL differs from the model at "
                     r"image \d+: \w+.*)$", out.stdout, re.M)
    assert fail, out.stdout
    replay = re.search(r"^seed 3; replay: python -m tools\.soak (.*)$", out.stdout, re.M)
    assert replay, out.stdout
    args = replay.group(1).split()
    assert args[:6] == ["--seed", "3", "--structure", "narrow", "--round", fail.group(1)]
    again = soak(*args, "--out", str(tmp_path / "b"))
    assert again.returncode == 1, again.stdout + again.stderr
    assert fail.group(2) in again.stdout, again.stdout
    sources, tag = rtl_sources(str(rtl))
    shutil.rmtree(chip_build(STRUCTURES["narrow"], rtl_sources=sources).dir.with_name(
        chip_build(STRUCTURES["narrow"]).name + tag), ignore_errors=True)
