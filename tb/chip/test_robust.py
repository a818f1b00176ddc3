# SPDX-License-Identifier: Apache-2.0
"""Whole-chip testbench: bad input and its defined outcomes.

Each test takes its job from $SPIRIT_JOB (tb/common/job.py), checks every batch against the
golden model and the invariants (tb/common/invariants.py), and writes what it saw to
$SPIRIT_RESULT (JSON). tests/test_robust.py runs one test per simulator process.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from model import BatchResult, regmap, run_batch
from tb.common.agents import StreamSink, StreamSource
from tb.common.chip_env import decode
from tb.common.invariants import check_batch, check_run_counters, read_counters
from tb.common.job import Job
from tb.common.robust import (
    CheckedChipTB,
    check_timing,
    compare,
    program_job,
    reset_settings,
)

BUSY = 1 << regmap.STATUS_BUSY


def _job() -> Job:
    return Job.load(Path(os.environ["SPIRIT_JOB"]))


def _report(**facts) -> None:
    """Hand facts to the host side (the pytest that started the run)."""
    path = Path(os.environ.get("SPIRIT_RESULT", "result.json"))
    old = json.loads(path.read_text()) if path.exists() else {}
    path.write_text(json.dumps({**old, **facts}))


async def _start(dut, job: Job, cfg=None) -> CheckedChipTB:
    """Reset, configure (with `cfg`'s settings, else the job's) and program the synapses."""
    tb = CheckedChipTB(dut, job.cfg, workdir=Path.cwd())
    await tb.reset()
    await tb.check_identity()
    await tb.configure(cfg or job.cfg)
    await program_job(tb, job)
    return tb


def _words(streams) -> np.ndarray:
    return np.concatenate(streams) if len(streams) else np.zeros(0, np.int64)


async def _error_bits(tb) -> int:
    return await tb.regs.read_ok(regmap.ERROR)


async def _clear_errors(tb) -> None:
    await tb.regs.write_ok(regmap.ERROR, 0x7F)


async def _wait_busy(tb, limit: int = 1000) -> None:
    """Wait until STATUS says an image is in flight or events are queued."""
    for _ in range(limit):
        if await tb.regs.read_ok(regmap.STATUS) & BUSY:
            return
    raise AssertionError(f"the chip never became busy in {limit} status reads")


# ---- (a) reconfiguration during an image ------------------------------------------------------

@cocotb.test()
async def locked_registers_during_an_image(dut):
    """Writes to the locked registers (CTRL, thresholds, leak, refractory period, dS, CELL_DATA
    and any other regmap.LOCKED one) while a batch runs are refused with reg_err and the
    REG_BUSY bit of ERROR, and change nothing: each reads back its old value, the synapse keeps
    its cells, a CELL_DATA read is refused too, and every image matches the model with the old
    settings. CELL_ROW and CELL_COL are not locked and move while busy. Once the batch is over
    the same writes succeed and the next batch matches the model with the new settings."""
    job = _job()
    cfg = job.cfg
    tb = await _start(dut, job)
    xbar = job.crossbar()
    half = len(job.streams) // 2
    first, second = job.streams[:half], job.streams[half:]
    expected = run_batch(cfg, xbar, first)
    new = cfg.replace(th_pos=cfg.th_pos % cfg.v_max + 1, th_neg=cfg.th_neg % cfg.v_max + 1,
                      leak=(cfg.leak + 1) % 3, refrac=(cfg.refrac + 1) % 4,
                      ds=(cfg.ds + 2) % min(cfg.ds_max + 1, 16), neg_en=not cfg.neg_en,
                      net_count=not cfg.net_count)
    old_values = dict(cfg.register_writes())
    new_values = dict(new.register_writes())
    # other locked registers get a value next to their current one
    others = [a for a in regmap.LOCKED if a not in new_values and a != regmap.CELL_DATA]
    row, col = cfg.n_inputs - 1, cfg.n_neurons - 1
    word = int(xbar.synapse_words()[row, col])

    batch = cocotb.start_soon(tb.run_batch(_words(first), 0, job.bp_rate, job.seed))
    await _wait_busy(tb)
    refused = []
    for addr in list(new_values) + others:
        before = await tb.regs.read_ok(addr)
        value = new_values.get(addr, before ^ 1)
        await _clear_errors(tb)
        err = await tb.regs.write(addr, value)
        after = await tb.regs.read_ok(addr)
        error = await _error_bits(tb)
        assert err, f"register {addr:#04x} <- {value:#x} accepted while an image was in flight"
        assert error == 1 << regmap.E_REG_BUSY, \
            f"register {addr:#04x}: ERROR reads {error:#x}, expected REG_BUSY only"
        assert after == before, f"register {addr:#04x} changed from {before:#x} to {after:#x}"
        refused.append(addr)
    # the synapse pointer is not locked; the synapse it points at is
    await tb.regs.write_ok(regmap.CELL_ROW, row)
    await tb.regs.write_ok(regmap.CELL_COL, col)
    await _clear_errors(tb)
    assert await tb.regs.write(regmap.CELL_DATA, word ^ 1), "CELL_DATA write accepted while busy"
    assert await _error_bits(tb) == 1 << regmap.E_REG_BUSY, "CELL_DATA write: not REG_BUSY"
    _, err = await tb.regs.read(regmap.CELL_DATA)
    assert err, "CELL_DATA read accepted while busy"
    refused.append(regmap.CELL_DATA)
    still_busy = bool(await tb.regs.read_ok(regmap.STATUS) & BUSY)
    assert still_busy, "the batch ended before every locked write was tried"

    out = await batch
    actual = tb.decode(out)
    compare(expected, actual, 0, "batch with refused writes")
    assert await _error_bits(tb) == 1 << regmap.E_REG_BUSY, "ERROR after the batch"
    await _clear_errors(tb)
    assert await _error_bits(tb) == 0, "ERROR did not clear"
    for addr, value in old_values.items():
        got = await tb.regs.read_ok(addr)
        assert got == value, f"register {addr:#04x} reads {got:#x}, {value:#x} was set"
    await tb.regs.write_ok(regmap.CELL_ROW, row)
    await tb.regs.write_ok(regmap.CELL_COL, col)
    got = await tb.regs.read_ok(regmap.CELL_DATA)
    assert got == word, f"synapse ({row}, {col}) reads {got:#x} after a refused write, " \
                        f"programmed {word:#x}"

    # idle: the same settings are accepted now, and the next images follow them
    await tb.configure(new)
    expected2 = run_batch(new, xbar, second)
    actual2 = tb.decode(await tb.run_batch(_words(second), 0, job.bp_rate, job.seed + 1))
    compare(expected2, actual2, half, "batch with the new settings")
    await check_run_counters(tb.regs, cfg, [actual, actual2], [expected, expected2])
    _report(refused=[f"{a:#04x}" for a in refused], images=len(job.streams),
            matched=len(actual) + len(actual2))


# ---- (b) reset in the middle of an image -------------------------------------------------------

class ResetMidImage:
    """A source for ChipTB.run_cycle_mode that sends whole images, then part of one more,
    stalls the output so that spikes queue up, and asserts reset (rst_req) while that image
    is in flight; the words after that are never sent. Like any well-behaved source it keeps
    valid low while reset is held."""

    def __init__(self, tb, source: StreamSource, sink: StreamSink, whole: int, cut: int,
                 images: int, reset_cycles: int = 8):
        self.tb, self.source, self.sink = tb, source, sink
        self.whole, self.cut, self.images = whole, cut, images
        self.reset_cycles = reset_cycles
        self.sent = 0
        self.status_before = None

    async def send(self, word: int) -> None:
        dut = self.tb.dut
        if self.sent == self.whole:
            # every whole image recorded first, so that the cut one is the only one in flight
            while int(dut.n_rec.value) < self.images:
                await RisingEdge(dut.clk)
        if self.sent < self.whole + self.cut:
            await self.source.send(word)
        self.sent += 1
        if self.sent == self.whole + self.cut:
            self.sink.stall = 1.0
            await ClockCycles(dut.clk, 60)
            self.status_before = await self.tb.regs.read_ok(regmap.STATUS)
            dut.rst_req.value = 1
            await ClockCycles(dut.clk, self.reset_cycles)
            dut.rst_req.value = 0
            await ClockCycles(dut.clk, 2)
            self.sink.stall = 0.0


@cocotb.test()
async def reset_in_the_middle_of_an_image(dut):
    """Reset (rst_req) while an image is in flight, with spikes queued in the output FIFO.
    Defined outcome: the images that ended before are recorded and bit-exact; the cut image
    has no decision and no record, the spikes it sent before the reset are the first ones the
    model predicts for it, and those still queued are discarded. After reset every counter,
    ERROR, CLASS and STATUS read as after power-up, the settings registers hold their reset
    values, and the synapses keep their cells (the array is not reset). A fresh batch then
    runs bit-exact with the reset settings and the model's timing, the counters restart from
    zero, and after reconfiguration a second batch is bit-exact with the job's settings."""
    job = _job()
    base = job.cfg
    # no early stop while the cut image is in flight: its decision must not leave before reset
    tb = await _start(dut, job, base.replace(ds=0))
    xbar = job.crossbar()
    streams = job.streams
    k = next(i for i in range(4, len(streams)) if len(streams[i]) >= 12)
    cut = len(streams[k]) // 2
    whole_words = _words(streams[:k])
    got: list[int] = []
    source = StreamSource(dut, "s", dut.clk, signals=("valid_py", "ready", "data_py"))
    sink = StreamSink(dut, "m", dut.clk, signals=("valid", "ready_py", "data"),
                      callback=got.append)
    driver = ResetMidImage(tb, source, sink, len(whole_words), cut, k)
    out = await tb.run_cycle_mode(np.concatenate([whole_words, streams[k][:cut]]), driver,
                                  sink)
    sink.stop()
    status = driver.status_before
    assert status & BUSY and not status >> regmap.STATUS_OUT_EMPTY & 1, \
        f"STATUS {status:#x} before the reset: the cut image was not in flight with spikes queued"
    assert got == out.out_words.tolist(), "the sink agent and the HDL log differ"

    # the images that ended before the reset
    nw = base.neur_w
    ends = np.flatnonzero(out.out_words >> (nw + 1) & 1)
    assert len(ends) == k, f"{len(ends)} decisions before the reset, {k} images ended"
    head, tail = out.out_words[:ends[-1] + 1], out.out_words[ends[-1] + 1:]
    before = decode(base, head, out.records)
    check_batch(base, before, head, whole_words)
    compare(run_batch(base.replace(ds=0), xbar, streams[:k]), before, 0, "before the reset")
    # the cut image's spikes that left before the reset
    model_cut = run_batch(base.replace(ds=0), xbar,
                          [np.concatenate([streams[k][:cut], [base.eoi_word]])])
    want = list(zip(model_cut.spike_neuron.tolist(), model_cut.spike_sign.tolist()))
    sent = [(int(w) & ((1 << nw) - 1), int(w) >> nw & 1) for w in tail]
    assert sent == want[:len(sent)], \
        f"cut image: spikes {sent} left before the reset, the model's first ones are " \
        f"{want[:len(sent)]}"
    assert len(sent) < len(want), "stimulus: no spike of the cut image was queued at reset"

    # after reset: as after power-up, synapses kept
    counters, error = await read_counters(tb.regs)
    assert all(v == 0 for v in counters.values()), f"counters after reset: {counters}"
    assert error == 0, f"ERROR reads {error:#x} after reset"
    idle = 1 << regmap.STATUS_IN_EMPTY | 1 << regmap.STATUS_OUT_EMPTY
    assert await tb.regs.read_ok(regmap.STATUS) == idle, "STATUS after reset"
    assert await tb.regs.read_ok(regmap.CLASS) == 0, "CLASS after reset"
    fresh = reset_settings(base)
    for addr, value in fresh.register_writes():
        got_value = await tb.regs.read_ok(addr)
        assert got_value == value, \
            f"register {addr:#04x} reads {got_value:#x} after reset, its reset value is {value:#x}"
    words = xbar.synapse_words()
    for r, c in [(0, 0), (base.n_inputs // 2, base.n_neurons - 1),
                 (base.n_inputs - 1, base.n_neurons // 2)]:
        await tb.regs.write_ok(regmap.CELL_ROW, r)
        await tb.regs.write_ok(regmap.CELL_COL, c)
        cell = await tb.regs.read_ok(regmap.CELL_DATA)
        assert cell == words[r, c], \
            f"synapse ({r}, {c}) reads {cell:#x} after reset, programmed {int(words[r, c]):#x}"

    # a fresh batch with the reset settings, then one with the job's
    rest = streams[k + 1:]
    half = len(rest) // 2
    exp_a = run_batch(fresh, xbar, rest[:half])
    act_a = tb.decode(await tb.run_batch(_words(rest[:half])))
    compare(exp_a, act_a, k + 1, "first batch after reset (reset settings)")
    check_timing(exp_a, act_a, k + 1)
    await check_run_counters(tb.regs, base, [act_a], [exp_a])
    await tb.configure(base)
    exp_b = run_batch(base, xbar, rest[half:])
    act_b = tb.decode(await tb.run_batch(_words(rest[half:])))
    compare(exp_b, act_b, k + 1 + half, "second batch after reset (job settings)")
    check_timing(exp_b, act_b, k + 1 + half)
    await check_run_counters(tb.regs, base, [act_a, act_b], [exp_a, exp_b])
    _report(images_before=k, cut_words=cut, cut_spikes_sent=len(sent),
            cut_spikes_model=len(want), images_after=len(rest))


# ---- (c) unknown and read-only registers -------------------------------------------------------

def _stable_registers() -> list[int]:
    """Readable registers whose value does not move by itself on an idle chip, nor when read
    (CELL_DATA steps the synapse pointer, ERROR and STATUS carry the errors)."""
    skip = {regmap.CELL_DATA, regmap.ERROR, regmap.STATUS, regmap.CMD}
    return sorted(a for a in regmap.KNOWN if a not in skip)


async def _snapshot(tb) -> dict[int, int]:
    return {a: await tb.regs.read_ok(a) for a in _stable_registers()}


async def _expect_refused(tb, addr: int, write: bool, bit: int, value: int = 0) -> None:
    """One access that must fail with reg_err, read data 0 and exactly ERROR bit `bit`."""
    await _clear_errors(tb)
    rdata, err = await tb.regs.access(addr, write, value)
    what = f"{'write' if write else 'read'} {addr:#04x}" + (f" <- {value:#x}" if write else "")
    assert err, f"{what} accepted"
    assert rdata == 0, f"{what}: refused, but read data {rdata:#x}"
    error = await _error_bits(tb)
    assert error == 1 << bit, f"{what}: ERROR reads {error:#x}, expected bit {bit} only"


def _bad_values(cfg) -> list[tuple[int, int]]:
    """Writes of values out of their register's range (REG_VALUE)."""
    return [(regmap.TH_POS, 0), (regmap.TH_POS, cfg.v_max + 1), (regmap.TH_NEG, 0),
            (regmap.LEAK, cfg.v_max + 1), (regmap.REFRAC, 1 << cfg.rf_w),
            (regmap.DS, cfg.ds_max + 1), (regmap.CTRL, 4), (regmap.CELL_ROW, cfg.n_inputs),
            (regmap.CELL_COL, cfg.n_neurons), (regmap.NEUR_SEL, cfg.n_neurons),
            (regmap.CMD, 2)]


@cocotb.test()
async def bad_register_accesses(dut):
    """Reads and writes of every unknown address give reg_err, read data 0 and ERROR bit 2
    (REG_ADDR); writes to every read-only register give bit 3 (REG_RO); writes of values out
    of range give bit 4 (REG_VALUE). Each bit clears on its own (W1C). None of them changes a
    register, and the same accesses made while a batch runs leave it bit-exact."""
    job = _job()
    cfg = job.cfg
    tb = await _start(dut, job)
    unknown = [a for a in range(256) if a not in regmap.KNOWN]
    before = await _snapshot(tb)
    for addr in unknown:
        await _expect_refused(tb, addr, False, regmap.E_REG_ADDR)
        await _expect_refused(tb, addr, True, regmap.E_REG_ADDR, 0xFFFF_FFFF)
    for addr in regmap.RO:
        await _expect_refused(tb, addr, True, regmap.E_REG_RO, 0x1)
    for addr, value in _bad_values(cfg):
        await _expect_refused(tb, addr, True, regmap.E_REG_VALUE, value)
    after = await _snapshot(tb)
    changed = {f"{a:#04x}": (before[a], after[a]) for a in before if before[a] != after[a]}
    assert not changed, f"registers changed by refused accesses: {changed}"
    # each sticky bit clears on its own
    await _clear_errors(tb)
    await tb.regs.access(unknown[0], False)
    await tb.regs.access(regmap.ID, True, 1)
    await tb.regs.access(regmap.TH_POS, True, 0)
    bits = [regmap.E_REG_ADDR, regmap.E_REG_RO, regmap.E_REG_VALUE]
    want = sum(1 << b for b in bits)
    for b in bits:
        assert await _error_bits(tb) == want, f"ERROR before clearing bit {b}"
        await tb.regs.write_ok(regmap.ERROR, 1 << b)
        want &= ~(1 << b)
    assert await _error_bits(tb) == 0, "ERROR after clearing each bit"

    # the same while a batch runs
    xbar = job.crossbar()
    expected = run_batch(cfg, xbar, job.streams)
    batch = cocotb.start_soon(tb.run_batch(_words(job.streams), job.gap_rate, job.bp_rate,
                                           job.seed))
    await _wait_busy(tb)
    during = 0
    for addr in unknown[::7] + list(regmap.RO):
        rdata, err = await tb.regs.access(addr, addr in regmap.RO, 0x5A)
        assert err and rdata == 0, f"access to {addr:#04x} during the batch accepted"
        during += 1
    assert await tb.regs.read_ok(regmap.STATUS) & BUSY, "the batch ended before the accesses"
    actual = tb.decode(await batch)
    compare(expected, actual, 0, "batch with bad register accesses")
    error = await _error_bits(tb)
    assert error == 1 << regmap.E_REG_ADDR | 1 << regmap.E_REG_RO, \
        f"ERROR reads {error:#x} after the batch, expected REG_ADDR and REG_RO"
    await check_run_counters(tb.regs, cfg, [actual], [expected])
    _report(unknown=len(unknown), read_only=len(regmap.RO), bad_values=len(_bad_values(cfg)),
            during_batch=during, images=len(actual))


# ---- (d) input faster than the FIFO drains -----------------------------------------------------

@cocotb.test()
async def input_faster_than_the_fifo_drains(dut):
    """The source offers a word every cycle while output stalls hold the core back, so the
    input FIFO is full and s_aer_ready low much of the time. No word is lost: every word the
    source sent is counted by the HDL, and per image in_events + skipped + dropped + 1 equals
    its words (checked by CheckedChipTB.decode), bit-exact with the model."""
    job = _job()
    cfg = job.cfg
    tb = await _start(dut, job)
    xbar = job.crossbar()
    full_cycles = 0
    watching = True

    async def watch():
        nonlocal full_cycles
        while watching:
            await RisingEdge(dut.clk)
            await ReadOnly()
            if int(dut.running.value) and not int(dut.s_ready.value):
                full_cycles += 1

    watcher = cocotb.start_soon(watch())
    results: list[BatchResult] = []
    expected: list[BatchResult] = []
    step = max(1, job.batch)
    words_sent = 0
    for lo in range(0, len(job.streams), step):
        part = job.streams[lo:lo + step]
        words = _words(part)
        out = await tb.run_batch(words, 0, job.bp_rate, job.seed + lo)
        assert not out.hang, f"the chip hung in the batch from image {lo}"
        sent = int(dut.n_sent.value)
        assert sent == len(words), f"batch from image {lo}: {sent} of {len(words)} words sent"
        words_sent += sent
        actual = tb.decode(out)
        exp = run_batch(cfg, xbar, part)
        compare(exp, actual, lo, f"batch from image {lo}")
        results.append(actual)
        expected.append(exp)
    watching = False
    await RisingEdge(dut.clk)
    watcher.cancel()
    await check_run_counters(tb.regs, cfg, results, expected)
    dropped = int(sum(r.dropped.sum() for r in results))
    skipped = int(sum(r.skipped.sum() for r in results))
    assert full_cycles > 0, "stimulus: the input FIFO was never full"
    assert dropped > 0, "stimulus: no bad word to drop"
    _report(full_cycles=full_cycles, words=words_sent, dropped=dropped, skipped=skipped,
            images=sum(len(r) for r in results))


# ---- a source that breaks the handshake ------------------------------------------------------

@cocotb.test()
async def source_drops_valid_while_stalled(dut):
    """A broken source: it lowers s_aer_valid while the chip holds it stalled (input FIFO
    full). The FIFO's protocol assertion must stop the simulation with the rule's name;
    reaching the end of this test is a failure."""
    job = _job()
    await _start(dut, job)
    dut.py_drive.value = 1
    dut.m_ready_py.value = 0            # output stalled: the core stops, the FIFO fills
    dut.s_valid_py.value = 0
    await RisingEdge(dut.clk)
    words = _words(job.streams).tolist()
    for word in words * 4:
        dut.s_valid_py.value = 1
        dut.s_data_py.value = int(word)
        await ReadOnly()
        ready = int(dut.s_ready.value)
        await RisingEdge(dut.clk)
        if not ready:
            dut.s_valid_py.value = 0    # the violation: valid dropped before the word was taken
            await RisingEdge(dut.clk)
    dut.py_drive.value = 0
    raise AssertionError("no protocol assertion fired for a source that dropped valid")
