# SPDX-License-Identifier: Apache-2.0
"""Whole-chip test environment around tb/hdl/spirit_tb_top.v.

`ChipTB` resets the chip, writes its registers, programs the crossbar, and runs batches of
images through the HDL-side transactors (one Python wake-up per batch). It turns what the
transactors recorded back into `ImageResult`s, so that the scoreboard compares them with the
golden model field by field.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from cocotb.triggers import ClockCycles, RisingEdge

from model import ChipConfig, Crossbar, ImageResult, regmap

from .agents import RegMaster


@dataclass
class BatchOutput:
    """What the transactors saw during one batch."""

    out_words: np.ndarray     # every m_aer word, in order
    records: list[int]        # one packed record per image
    hang: bool
    cycles: int
    seconds: float


def _signed(value: int, width: int) -> int:
    return value - (1 << width) if value >> (width - 1) else value


class ChipTB:
    """Drives spirit_tb_top.

    Args:
        dut: the spirit_tb_top handle.
        cfg: the configuration the RTL was built with (structure) and is to run (settings).
        workdir: folder for the transactor files (the simulator's working folder).
    """

    def __init__(self, dut, cfg: ChipConfig, workdir: Path = Path(".")):
        self.dut = dut
        self.cfg = cfg.validate()
        self.clk = dut.clk
        self.workdir = Path(workdir)
        self.log = logging.getLogger("cocotb.tb.chip")
        self.regs = RegMaster(dut, dut.clk)
        self.log.info("spirit_tb_top: %d inputs, %d neurons, %d+%d cells, v %d b, count %d b",
                      cfg.n_inputs, cfg.n_neurons, cfg.cells, cfg.cells, cfg.v_w, cfg.cnt_w)

    # ---- set-up ----------------------------------------------------------------------------

    async def reset(self) -> None:
        self.dut.start.value = 0
        self.dut.rst_req.value = 1
        await ClockCycles(self.clk, 20)
        self.dut.rst_req.value = 0
        await ClockCycles(self.clk, 2)
        self.log.info("reset released")

    async def check_identity(self) -> None:
        """The ID and parameter registers match the configuration."""
        cfg = self.cfg
        assert await self.regs.read_ok(regmap.ID) == regmap.ID_VALUE, "ID register"
        p0 = await self.regs.read_ok(regmap.PARAM0)
        p1 = await self.regs.read_ok(regmap.PARAM1)
        assert p0 == cfg.n_neurons << 16 | cfg.n_inputs, f"PARAM0 {p0:#x}"
        assert p1 == cfg.addr_w << 24 | cfg.cnt_w << 16 | cfg.v_w << 8 | cfg.cells, f"PARAM1 {p1:#x}"

    async def configure(self, cfg: ChipConfig | None = None) -> None:
        """Write the settings registers and read them back."""
        if cfg is not None:
            self.cfg = cfg.validate()
        for addr, value in self.cfg.register_writes():
            await self.regs.write_ok(addr, value)
            got = await self.regs.read_ok(addr)
            assert got == value, f"register {addr:#04x} reads {got:#x} after writing {value:#x}"
        self.log.info("configured: th +%d/-%d, leak %d, refrac %d, dS %d, neg %d, net %d",
                      self.cfg.th_pos, self.cfg.th_neg, self.cfg.leak, self.cfg.refrac,
                      self.cfg.ds, self.cfg.neg_en, self.cfg.net_count)

    async def program(self, xbar: Crossbar, verify: int = 0) -> None:
        """Program every synapse through CELL_DATA (the column steps by itself); then read
        back `verify` synapses spread over the array."""
        words = xbar.synapse_words()
        await self.regs.write_ok(regmap.CELL_ROW, 0)
        await self.regs.write_ok(regmap.CELL_COL, 0)
        for value in words.ravel().tolist():
            await self.regs.write_ok(regmap.CELL_DATA, value)
        n_syn = words.size
        for k in np.linspace(0, n_syn - 1, num=min(verify, n_syn), dtype=np.int64):
            row, col = divmod(int(k), self.cfg.n_neurons)
            await self.regs.write_ok(regmap.CELL_ROW, row)
            await self.regs.write_ok(regmap.CELL_COL, col)
            got = await self.regs.read_ok(regmap.CELL_DATA)
            assert got == words[row, col], f"synapse ({row}, {col}) reads {got:#x}, " \
                                           f"programmed {int(words[row, col]):#x}"
        self.log.info("programmed %d synapses, read back %d", n_syn, min(verify, n_syn))

    # ---- batches ---------------------------------------------------------------------------

    async def run_batch(self, words: np.ndarray, gap_rate: int = 0, bp_rate: int = 0,
                        seed: int = 1) -> BatchOutput:
        """Send `words` through the chip with the HDL transactors; wait for the batch."""
        t0 = time.perf_counter()
        digits = (self.cfg.addr_w + 1 + 3) // 4
        text = "\n".join(f"{w:0{digits}x}" for w in np.asarray(words).tolist())
        (self.workdir / "spirit_stim.hex").write_text(text + "\n")
        self._arm(len(words), gap_rate, bp_rate, seed, py_drive=False)
        return await self._collect(t0)

    async def run_cycle_mode(self, words: np.ndarray, source, sink) -> BatchOutput:
        """Send `words` with a cocotb-bus source while a sink takes m_aer; the HDL records."""
        t0 = time.perf_counter()
        self._arm(0, 0, 0, 1, py_drive=True)
        await RisingEdge(self.clk)
        for w in np.asarray(words).tolist():
            await source.send(w)
        self.dut.py_done.value = 1
        return await self._collect(t0)

    def _arm(self, n_words: int, gap_rate: int, bp_rate: int, seed: int, py_drive: bool):
        dut = self.dut
        for name in ("spirit_out.hex", "spirit_rec.hex"):
            (self.workdir / name).unlink(missing_ok=True)
        dut.stim_len.value = n_words
        dut.gap_rate.value = gap_rate
        dut.bp_rate.value = bp_rate
        dut.seed.value = seed
        dut.py_drive.value = int(py_drive)
        dut.py_done.value = 0
        dut.start.value = 1

    async def _collect(self, t0: float) -> BatchOutput:
        dut = self.dut
        if not int(dut.batch_done.value):
            await RisingEdge(dut.batch_done)
        hang = bool(dut.hang.value)
        cycles = int(dut.n_cycles.value)
        n_out, n_rec = int(dut.n_out.value), int(dut.n_rec.value)
        if int(dut.out_overflow.value):
            raise AssertionError(f"the batch produced {n_out} output words, more than the "
                                 "testbench's OUT_DEPTH; use smaller batches")
        dut.start.value = 0
        dut.py_drive.value = 0
        dut.py_done.value = 0
        # the HDL lowers batch_done on the first edge that sees start low (a RisingEdge can
        # fire again in the very time step that woke us, so wait on the level)
        while int(dut.batch_done.value):
            await RisingEdge(self.clk)
        out_words = np.zeros(0, dtype=np.int64)
        if n_out:
            out_words = np.array([int(x, 16) for x in
                                  (self.workdir / "spirit_out.hex").read_text().split()
                                  if not x.startswith("@")], dtype=np.int64)
        records = []
        if n_rec:
            records = [int(x, 16) for x in (self.workdir / "spirit_rec.hex").read_text().split()
                       if not x.startswith("@")]
        assert len(out_words) == n_out and len(records) == n_rec, "transactor files truncated"
        return BatchOutput(out_words, records, hang, cycles, time.perf_counter() - t0)

    def decode(self, out: BatchOutput) -> tuple[list[ImageResult], list[int]]:
        """Per-image results from a batch's output words and records, plus cycles per image."""
        cfg = self.cfg
        n, vw, cw, nw = cfg.n_neurons, cfg.v_w, cfg.cnt_w, cfg.neur_w
        results, cycles = [], []
        spikes: list[tuple[int, int]] = []
        decisions = []
        for word in out.out_words.tolist():
            kind, flag, idx = word >> (nw + 1), (word >> nw) & 1, word & ((1 << nw) - 1)
            if kind:
                decisions.append((idx, flag, spikes))
                spikes = []
            else:
                spikes.append((idx, flag))
        if spikes:
            raise AssertionError(f"{len(spikes)} output spikes after the last decision")
        if len(decisions) != len(out.records):
            raise AssertionError(f"{len(decisions)} decisions on m_aer but {len(out.records)} "
                                 "images ended")
        for (cls, early, spk), rec in zip(decisions, out.records):
            v = tuple(_signed((rec >> (j * vw)) & ((1 << vw) - 1), vw) for j in range(n))
            rec >>= n * vw
            c = tuple(_signed((rec >> (j * cw)) & ((1 << cw) - 1), cw) for j in range(n))
            rec >>= n * cw
            stat = [(rec >> (32 * k)) & 0xFFFFFFFF for k in range(len(regmap.STATS))]
            d = dict(zip(regmap.STATS, stat))
            if d["images"] != 1:
                raise AssertionError(f"the IMAGES counter moved by {d['images']} in one image")
            results.append(ImageResult(
                cls=cls, early=bool(early), in_events=d["in_events"], syn_events=d["syn_events"],
                out_spikes=d["out_spikes"], dropped=d["dropped"], skipped=d["skipped"],
                spikes=spk, membranes=v, counts=c))
            cycles.append(d["cycles"])
        return results, cycles
