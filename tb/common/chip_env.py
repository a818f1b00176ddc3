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

from model import BatchResult, ChipConfig, Crossbar, regmap
from model.programming import ProgramReport, procedure

from .agents import RegMaster


@dataclass
class BatchOutput:
    """What the transactors saw during one batch."""

    out_words: np.ndarray     # every m_aer word, in order
    records: np.ndarray       # one packed record per image, 32-bit words, LSB first
    hang: bool
    cycles: int
    seconds: float


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
        want = cfg.addr_w << 24 | cfg.cnt_w << 16 | cfg.v_w << 8 | cfg.cells
        assert p1 == want, f"PARAM1 reads {p1:#x}, expected {want:#x}"

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

    async def program(self, weights: np.ndarray, verify: int = 0, cond: int = 0,
                      readback: int = 0) -> tuple[list[int], ProgramReport]:
        """Program `weights` through the registers with the host's procedure (the one the
        model follows, model/programming.py); return the words its reads sensed, and its
        report. The synapse pointer steps by itself after each CELL_DATA access, so CELL_ROW
        and CELL_COL are written only where the procedure jumps."""
        cfg = self.cfg
        coding = Crossbar.for_config(cfg)
        full = (1 << cfg.cps) - 1
        await self.regs.write_ok(regmap.PROG_COND, cond)
        gen = procedure(coding, weights, verify, readback)
        pointer, mask, replies, reply = None, full, [], None
        while True:
            try:
                op = gen.send(reply)
            except StopIteration as done:
                report = done.value
                break
            reply = None
            row, col = op[1], op[2]
            if pointer != (row, col):
                await self.regs.write_ok(regmap.CELL_ROW, row)
                await self.regs.write_ok(regmap.CELL_COL, col)
            if op[0] == "write":
                if op[4] != mask:
                    mask = op[4]
                    await self.regs.write_ok(regmap.CELL_MASK, mask)
                await self.regs.write_ok(regmap.CELL_DATA, op[3])
            else:
                reply = await self.regs.read_ok(regmap.CELL_DATA)
                replies.append(reply)
            col += 1
            if col == cfg.n_neurons:
                col, row = 0, (row + 1) % cfg.n_inputs
            pointer = (row, col)
        if mask != full:
            await self.regs.write_ok(regmap.CELL_MASK, full)
        self.log.info("programmed %d synapses (condition %d, %d verify rounds): %d pulses, "
                      "%d verify reads, %d synapses still wrong", report.synapses, cond, verify,
                      report.pulses, report.reads, report.wrong_after)
        return replies, report

    async def usage(self) -> tuple[int, int, int]:
        """The array's usage counters: row reads, programming operations, cell pulses."""
        return (await self.regs.read_ok(regmap.READS), await self.regs.read_ok(regmap.PROG_OPS),
                await self.regs.read_ok(regmap.PULSES))

    # ---- batches ---------------------------------------------------------------------------

    async def run_batch(self, words: np.ndarray, gap_rate: int = 0, bp_rate: int = 0,
                        seed: int = 1) -> BatchOutput:
        """Send `words` through the chip with the HDL transactors; wait for the batch."""
        t0 = time.perf_counter()
        dtype = ">u2" if self.cfg.addr_w + 1 <= 16 else ">u4"
        np.asarray(words).astype(dtype).tofile(self.workdir / "spirit_stim.bin")
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
        for name in ("spirit_out.bin", "spirit_rec.bin"):
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
        dut.start.value = 0
        dut.py_drive.value = 0
        dut.py_done.value = 0
        # the HDL lowers batch_done on the first edge that sees start low (a RisingEdge can
        # fire again in the very time step that woke us, so wait on the level)
        while int(dut.batch_done.value):
            await RisingEdge(self.clk)
        out_words, records = read_outputs(self.cfg, self.workdir)
        if len(out_words) != n_out or len(records) != n_rec:
            raise AssertionError(f"transactor files hold {len(out_words)} words and "
                                 f"{len(records)} records, the HDL counted {n_out} and {n_rec}")
        return BatchOutput(out_words, records, hang, cycles, time.perf_counter() - t0)

    @property
    def record_words(self) -> int:
        return record_words(self.cfg)

    def decode(self, out: BatchOutput) -> BatchResult:
        """What the chip did with each image of a batch, as the model reports it."""
        return decode(self.cfg, out.out_words, out.records)


def record_words(cfg: ChipConfig) -> int:
    """32-bit words per image record: stats, counts and membranes, padded."""
    bits = 32 * len(regmap.STATS) + cfg.n_neurons * (cfg.cnt_w + cfg.v_w)
    return bits // 32 + 1


def read_outputs(cfg: ChipConfig, folder: Path) -> tuple[np.ndarray, np.ndarray]:
    """The output words and the image records the transactors wrote in `folder`."""
    out_words = np.fromfile(folder / "spirit_out.bin", dtype="<u4").astype(np.int64)
    records = np.fromfile(folder / "spirit_rec.bin", dtype="<u4")
    n = record_words(cfg)
    return out_words, records.reshape(-1, n) if records.size else np.zeros((0, n), np.uint32)


def decode(cfg: ChipConfig, out_words: np.ndarray, records: np.ndarray) -> BatchResult:
    """What the chip did with each image, from the transactors' output words and records, in
    the golden model's own form (cycles included, from the chip's cycle counter)."""
    n, vw, cw, nw = cfg.n_neurons, cfg.v_w, cfg.cnt_w, cfg.neur_w
    kind = out_words >> (nw + 1)
    flag = (out_words >> nw) & 1
    idx = out_words & ((1 << nw) - 1)
    ends = np.flatnonzero(kind == 1)
    if len(out_words) and (not ends.size or ends[-1] != len(out_words) - 1):
        raise AssertionError("output spikes after the last decision")
    if len(ends) != len(records):
        raise AssertionError(f"{len(ends)} decisions on m_aer but {len(records)} images ended")
    # unpack the records: membranes, counts, then the counter deltas, LSB first
    bits = np.unpackbits(records.astype("<u4").view(np.uint8), axis=1,
                         bitorder="little").astype(np.int64)

    def fields(lo: int, width: int, count: int, signed: bool) -> np.ndarray:
        f = bits[:, lo:lo + width * count].reshape(len(bits), count, width)
        value = f @ (1 << np.arange(width, dtype=np.int64))
        return value - (f[:, :, -1] << width) if signed else value

    v = fields(0, vw, n, True)
    c = fields(n * vw, cw, n, True)
    stats = fields(n * (vw + cw), 32, len(regmap.STATS), False)
    d = dict(zip(regmap.STATS, stats.T))
    if np.any(d["images"] != 1):
        raise AssertionError("the IMAGES counter did not move by exactly one per image")
    spike = kind == 0
    # spikes of image i lie between decision i-1 and decision i
    spike_start = np.concatenate([[0], np.cumsum(ends - np.concatenate([[-1], ends[:-1]]) - 1)])
    return BatchResult(
        cls=idx[ends], early=flag[ends].astype(bool), in_events=d["in_events"],
        syn_events=d["syn_events"], out_spikes=d["out_spikes"], dropped=d["dropped"],
        skipped=d["skipped"], membranes=v, counts=c, spike_neuron=idx[spike],
        spike_sign=flag[spike], spike_start=spike_start.astype(np.int64), cycles=d["cycles"])
