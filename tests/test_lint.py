# SPDX-License-Identifier: Apache-2.0
"""Every RTL module is clean under verilator --lint-only -Wall, with no waivers."""

import pytest

from tb.common.build import RTL_SOURCES
from tools.lint import lint


@pytest.mark.parametrize("src", RTL_SOURCES, ids=[s.stem for s in RTL_SOURCES])
def test_lint_clean(src):
    ok, text = lint(src.stem)
    assert ok, text
