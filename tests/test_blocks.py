# SPDX-License-Identifier: Apache-2.0
"""Every block testbench, built and run under Verilator."""

from __future__ import annotations

import pytest

from tb.common.blocks import BLOCKS


@pytest.mark.parametrize("block", BLOCKS, ids=[b.id for b in BLOCKS])
def test_block(block):
    results = block.run(seed=1)
    assert results.ok, results.summary()
