# SPDX-License-Identifier: Apache-2.0
"""Every RTL module is clean under verilator --lint-only -Wall, with no waivers; the Python
is clean under ruff (settings in pyproject.toml)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from tb.common.build import RTL_SOURCES
from tools.lint import VARIANTS, lint


@pytest.mark.parametrize("src", RTL_SOURCES, ids=[s.stem for s in RTL_SOURCES])
def test_lint_clean(src):
    ok, text = lint(src.stem)
    assert ok, text


@pytest.mark.parametrize("top, params", VARIANTS, ids=[f"{t}_{i}" for i, (t, _) in
                                                       enumerate(VARIANTS)])
def test_lint_clean_with_other_code_switched_on(top, params):
    ok, text = lint(top, params)
    assert ok, text


def test_python_ruff_clean():
    ruff = Path(sys.executable).parent / "ruff"
    ruff = str(ruff) if ruff.exists() else shutil.which("ruff")
    if ruff is None:
        pytest.skip("ruff is not installed")
    out = subprocess.run([ruff, "check", "model", "tb", "tools", "tests"], cwd=ROOT,
                         capture_output=True, text=True, check=False)
    assert out.returncode == 0, out.stdout + out.stderr
