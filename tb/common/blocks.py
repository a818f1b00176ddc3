# SPDX-License-Identifier: Apache-2.0
"""The block testbenches: which RTL files and parameters each one builds, and how it runs.

Each block has a cocotb module tb/<block>/test_<block>.py. Its parameters reach the tests
through $SPIRIT_PARAMS (JSON), since Verilator does not show parameters to VPI.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from .build import ROOT, RTL, Build, Results


@dataclass
class Block:
    name: str                 # tb/<name>/test_<name>.py
    top: str
    files: list[str]          # rtl/spirit_<file>.v
    parameters: dict = field(default_factory=dict)
    variant: str = ""         # tells apart two configurations of one block

    @property
    def id(self) -> str:
        return f"{self.name}_{self.variant}" if self.variant else self.name

    def build(self, tag: str = "", coverage: bool = False) -> Build:
        """The Verilator build of this block; with `coverage`, a line and toggle coverage
        build in a folder of its own."""
        label = "_".join(f"{v}" for v in self.parameters.values() if not isinstance(v, str))
        return Build(name=f"blk_{self.id}{tag}_{label}", top=self.top,
                     sources=[RTL / f"spirit_{f}.v" for f in self.files],
                     parameters=self.parameters, public_all=True, coverage=coverage)

    def run(self, seed: int = 1, testcase: str | None = None, timeout: float = 900,
            build: Build | None = None, test_dir: Path | None = None) -> Results:
        """Build (if needed) and run the block's cocotb module, on `build` if given (such as
        a coverage build); the run folder is `test_dir`, by default run_<seed> in the build
        folder."""
        build = build or self.build()
        build.build()
        return build.run(f"tb.{self.name}.test_{self.name}", testcase=testcase, seed=seed,
                         env={"SPIRIT_PARAMS": json.dumps(self.parameters)},
                         test_dir=test_dir or build.dir / f"run_{seed}", timeout=timeout)


def params() -> dict:
    """Inside a block test: the parameters its DUT was built with."""
    return json.loads(os.environ.get("SPIRIT_PARAMS", "{}"))


def start_clock(dut, period_ns: int = 10) -> None:
    """Run clk_i with the given period."""
    from cocotb import start_soon
    from cocotb.clock import Clock

    start_soon(Clock(dut.clk_i, period_ns, unit="ns").start())


async def reset(dut, cycles: int = 2, **idle: int) -> None:
    """Set the named inputs to their idle values, then hold rst_ni low for `cycles` edges;
    returns just after the first edge out of reset."""
    from cocotb.triggers import ClockCycles, RisingEdge

    for name, value in idle.items():
        getattr(dut, name).value = value
    dut.rst_ni.value = 0
    await ClockCycles(dut.clk_i, cycles)
    dut.rst_ni.value = 1
    await RisingEdge(dut.clk_i)


BLOCKS = [
    Block("fifo", "spirit_fifo", ["fifo"], {"WIDTH": 9, "DEPTH": 4}),
    Block("sat_counter", "spirit_sat_counter", ["sat_counter"], {"WIDTH": 6, "INC_W": 3}),
    Block("router", "spirit_router", ["fifo", "sat_counter", "router"],
          {"N_INPUTS": 144, "ADDR_W": 8, "FIFO_DEPTH": 8, "STAT_W": 8}),
    Block("xbar", "spirit_xbar_ctrl", ["rram_array", "xbar_ctrl"],
          {"N_INPUTS": 20, "N_NEURONS": 5, "CELLS": 4}),
    # the array preloaded from a $readmemh image instead of programmed
    Block("xbar_init", "spirit_xbar_ctrl", ["rram_array", "xbar_ctrl"],
          {"N_INPUTS": 20, "N_NEURONS": 5, "CELLS": 4,
           "INIT_FILE": str(ROOT / "tb" / "xbar_init" / "cells.hex")}),
    Block("neurons", "spirit_neurons", ["neurons"],
          {"N_NEURONS": 7, "W_W": 4, "V_W": 6, "RF_W": 3}),
    Block("decision", "spirit_decision", ["decision"], {"N_NEURONS": 6, "CNT_W": 4, "V_W": 6}),
    Block("out_path", "spirit_out_path", ["fifo", "out_path"],
          {"N_NEURONS": 6, "FIFO_DEPTH": 4}),
    Block("regs", "spirit_regs", ["regs"],
          {"N_INPUTS": 144, "N_NEURONS": 10, "CELLS": 4, "ADDR_W": 8, "V_W": 8, "CNT_W": 8,
           "RF_W": 8, "STAT_W": 32}),
    # powers of two, narrow counters and other reset values
    Block("regs", "spirit_regs", ["regs"],
          {"N_INPUTS": 16, "N_NEURONS": 4, "CELLS": 2, "ADDR_W": 5, "V_W": 5, "CNT_W": 4,
           "RF_W": 3, "STAT_W": 12, "IN_FIFO_DEPTH": 4, "OUT_FIFO_DEPTH": 8, "TH_POS_INIT": 7,
           "TH_NEG_INIT": 1, "DS_INIT": 9}, variant="small"),
]
