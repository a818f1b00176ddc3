# SPDX-License-Identifier: Apache-2.0
"""Chip configuration: the RTL parameters and the register settings, checked in one place."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from .errors import ConfigError


def clog2(n: int) -> int:
    """Ceiling of log2(n) for n >= 1, as Verilog's $clog2."""
    return max(0, (n - 1).bit_length())


@dataclass(frozen=True)
class ChipConfig:
    """Everything that decides what the chip computes.

    Structural fields are RTL parameters (fixed at build time); the others are registers that
    the host writes before a run. `validate()` applies the same limits as the RTL's elaboration
    checks and register block, so a bad value fails here with a clear message first.
    """

    # structure (RTL parameters)
    n_inputs: int = 144
    n_neurons: int = 10
    cells: int = 4
    addr_w: int = 8
    v_w: int = 8
    cnt_w: int = 8
    rf_w: int = 8
    stat_w: int = 32
    in_fifo_depth: int = 16
    out_fifo_depth: int = 16
    # read path: multi-level cells, sense code width, the code from which a binary cell reads
    # as LRS, and the code step between magnitude levels (2^step_shift)
    mlc: bool = False
    code_w: int = 1
    sense_ref: int = 1
    step_shift: int = 0
    # settings (registers)
    th_pos: int = 4
    th_neg: int = 4
    leak: int = 0
    refrac: int = 0
    ds: int = 0
    neg_en: bool = True
    net_count: bool = True

    # ---- derived -------------------------------------------------------------------------

    @property
    def neur_w(self) -> int:
        return max(1, clog2(self.n_neurons))

    @property
    def row_w(self) -> int:
        return max(1, clog2(self.n_inputs))

    @property
    def code_max(self) -> int:
        return (1 << self.code_w) - 1

    @property
    def cps(self) -> int:
        """Cells per synapse."""
        return 2 if self.mlc else 2 * self.cells

    @property
    def state_w(self) -> int:
        """Bits of a cell's state in the array."""
        return max(1, clog2(self.cells + 1)) if self.mlc else 1

    @property
    def word_bits(self) -> int:
        """Bits of a CELL_DATA word."""
        return self.cells.bit_length() + 1 if self.mlc else 2 * self.cells

    @property
    def w_w(self) -> int:
        """Width of a signed weight current."""
        span = self.code_max if self.mlc else self.cells * self.code_max
        return clog2(span + 1) + 1

    @property
    def out_w(self) -> int:
        return self.neur_w + 2

    @property
    def v_max(self) -> int:
        return (1 << (self.v_w - 1)) - 1

    @property
    def v_min(self) -> int:
        return -(1 << (self.v_w - 1))

    @property
    def cnt_max(self) -> int:
        return (1 << (self.cnt_w - 1)) - 1

    @property
    def cnt_min(self) -> int:
        return -(1 << (self.cnt_w - 1))

    @property
    def ds_max(self) -> int:
        return (1 << self.cnt_w) - 1

    @property
    def stat_max(self) -> int:
        return (1 << self.stat_w) - 1

    @property
    def eoi_word(self) -> int:
        """The end-of-image command word: the command bit above the address."""
        return 1 << self.addr_w

    # ---- checks --------------------------------------------------------------------------

    def validate(self) -> ChipConfig:
        def need(ok: bool, msg: str) -> None:
            if not ok:
                raise ConfigError(msg)

        for name in ("n_inputs", "n_neurons", "cells", "addr_w", "v_w", "cnt_w", "rf_w",
                     "stat_w", "in_fifo_depth", "out_fifo_depth", "th_pos", "th_neg", "leak",
                     "refrac", "ds"):
            value = getattr(self, name)
            need(isinstance(value, int) and not isinstance(value, bool),
                 f"{name} must be a whole number, got {value!r}")
        need(2 <= self.n_neurons <= 65535, f"n_neurons must lie in 2..65535, got {self.n_neurons}")
        need(1 <= self.n_inputs <= 65535, f"n_inputs must lie in 1..65535, got {self.n_inputs}")
        need(1 <= self.cells <= 15, f"cells must lie in 1..15, got {self.cells}")
        need(isinstance(self.code_w, int) and 1 <= self.code_w <= 8,
             f"code_w must lie in 1..8, got {self.code_w}")
        if self.mlc:
            need(self.cells <= 7, f"multi-level cells take at most 7 levels above 0, got "
                                  f"{self.cells}")
            need(self.code_max >= self.cells,
                 f"code_w {self.code_w} cannot code {self.cells} levels above 0")
        need(isinstance(self.sense_ref, int) and 1 <= self.sense_ref <= self.code_max,
             f"sense_ref must lie in 1..{self.code_max}, got {self.sense_ref}")
        need(isinstance(self.step_shift, int) and 0 <= self.step_shift < self.code_w,
             f"step_shift must lie in 0..{self.code_w - 1}, got {self.step_shift}")
        need(self.row_w <= self.addr_w <= 16,
             f"addr_w must lie in {self.row_w}..16 for {self.n_inputs} inputs, got {self.addr_w}")
        need(self.w_w < self.v_w <= 16,
             f"v_w must lie in {self.w_w + 1}..16 for weights of {self.w_w} bits, got "
             f"{self.v_w}")
        need(2 <= self.cnt_w <= 16, f"cnt_w must lie in 2..16, got {self.cnt_w}")
        need(1 <= self.rf_w <= 16, f"rf_w must lie in 1..16, got {self.rf_w}")
        need(clog2(self.n_neurons + 1) <= self.stat_w <= 32,
             f"stat_w must lie in {clog2(self.n_neurons + 1)}..32, got {self.stat_w}")
        for name in ("in_fifo_depth", "out_fifo_depth"):
            d = getattr(self, name)
            need(2 <= d <= 32768 and d & (d - 1) == 0,
                 f"{name} must be a power of two in 2..32768, got {d}")
        need(1 <= self.th_pos <= self.v_max,
             f"th_pos must lie in 1..{self.v_max} for v_w={self.v_w}, got {self.th_pos}")
        need(1 <= self.th_neg <= self.v_max,
             f"th_neg must lie in 1..{self.v_max} for v_w={self.v_w}, got {self.th_neg}")
        need(0 <= self.leak <= self.v_max, f"leak must lie in 0..{self.v_max}, got {self.leak}")
        need(0 <= self.refrac < 1 << self.rf_w,
             f"refrac must lie in 0..{(1 << self.rf_w) - 1}, got {self.refrac}")
        need(0 <= self.ds <= self.ds_max, f"ds must lie in 0..{self.ds_max}, got {self.ds}")
        for name in ("neg_en", "net_count", "mlc"):
            need(isinstance(getattr(self, name), bool),
                 f"{name} must be true or false, got {getattr(self, name)!r}")
        return self

    def replace(self, **changes) -> ChipConfig:
        """A copy with some fields changed, checked."""
        unknown = set(changes) - {f.name for f in dataclasses.fields(self)}
        if unknown:
            raise ConfigError(f"unknown chip setting(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **changes).validate()

    # ---- views for the RTL ---------------------------------------------------------------

    def rtl_parameters(self) -> dict[str, int]:
        """Verilog parameters of spirit_chip for this configuration."""
        params = {
            "N_INPUTS": self.n_inputs, "N_NEURONS": self.n_neurons, "CELLS": self.cells,
            "ADDR_W": self.addr_w, "V_W": self.v_w, "CNT_W": self.cnt_w, "RF_W": self.rf_w,
            "STAT_W": self.stat_w, "IN_FIFO_DEPTH": self.in_fifo_depth,
            "OUT_FIFO_DEPTH": self.out_fifo_depth,
        }
        # the read path's parameters only where they differ from the ideal single-level cell
        if self.mlc or self.code_w != 1 or self.sense_ref != 1 or self.step_shift:
            params.update(MLC=int(self.mlc), CODE_W=self.code_w, SENSE_REF=self.sense_ref,
                          STEP_SHIFT=self.step_shift)
        return params

    def register_writes(self) -> list[tuple[int, int]]:
        """(address, value) writes that put the settings into the chip's registers."""
        from . import regmap

        return [
            (regmap.CTRL, int(self.neg_en) | int(self.net_count) << 1),
            (regmap.TH_POS, self.th_pos),
            (regmap.TH_NEG, self.th_neg),
            (regmap.LEAK, self.leak),
            (regmap.REFRAC, self.refrac),
            (regmap.DS, self.ds),
        ]


SPIRIT = ChipConfig()
"""The SPIRIT configuration: 144 inputs (12 x 12 pixels), 10 neurons, 4 + 4 cells."""

DIGITS = ChipConfig(n_inputs=64, addr_w=7)
"""The same chip sized for scikit-learn's 8 x 8 digits: 64 inputs."""
