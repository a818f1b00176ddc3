# SPDX-License-Identifier: Apache-2.0
"""Whole-chip testbench: real images through the RTL, every image compared with the model.

The job comes from $SPIRIT_JOB (see tb/common/job.py); the results go to $SPIRIT_RESULT.
Two ways to drive the chip, checked by the same scoreboard:
  - batch mode (default): HDL transactors stream a batch of images, Python wakes once per batch;
  - cycle mode: cocotb-bus agents drive s_aer and take m_aer cycle by cycle, with random idle
    cycles and backpressure, for the corner cases of the handshakes.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import cocotb
import numpy as np
from cocotb.utils import get_sim_time

from model import BatchResult, run_batch
from tb.common import fcov
from tb.common.agents import StreamSink, StreamSource
from tb.common.chip_env import BatchOutput, ChipTB
from tb.common.invariants import check_run_counters
from tb.common.job import Job, batches
from tb.common.robust import CheckedChipTB
from tb.common.scoreboard import FieldScoreboard, TransactionMonitor


async def _cycle_mode(tb: ChipTB, job: Job, words: np.ndarray) -> BatchOutput:
    """Drive s_aer with a cocotb-bus source and m_aer ready with a sink, with random idle
    cycles and backpressure; check that the sink saw what the HDL logged."""
    dut = tb.dut
    got: list[int] = []
    source = StreamSource(dut, "s", dut.clk, idle=job.gap_rate / 256, seed=job.seed,
                          signals=("valid_py", "ready", "data_py"))
    sink = StreamSink(dut, "m", dut.clk, stall=job.bp_rate / 256, seed=job.seed + 1,
                      signals=("valid", "ready_py", "data"), callback=got.append)
    out = await tb.run_cycle_mode(words, source, sink)
    sink.stop()
    if got != out.out_words.tolist():
        raise AssertionError(f"the sink agent saw {len(got)} words, the HDL log "
                             f"{len(out.out_words)}; they differ")
    return out


@cocotb.test()
async def run_job(dut):
    """Run the job's images through RTL and model; compare every image."""
    job = Job.load(Path(os.environ["SPIRIT_JOB"]))
    result_path = Path(os.environ.get("SPIRIT_RESULT", "result.json"))
    try:
        result = await _run(dut, job)
    except AssertionError as exc:
        # the host side reports this first failure as it is
        result_path.write_text(json.dumps({"failure": str(exc)}))
        raise
    except Exception as exc:
        result_path.write_text(json.dumps({"failure": f"{type(exc).__name__}: {exc}"}))
        raise
    result_path.write_text(json.dumps(result))


async def _run(dut, job: Job) -> dict:
    cfg = job.cfg
    # every decoded batch also goes through the run invariants (tb/common/invariants.py)
    tb = CheckedChipTB(dut, cfg, workdir=Path.cwd())
    t_model = time.perf_counter()
    model_replies: list[int] = []
    xbar, _ = job.programmed(model_replies)
    usage_programmed = tuple(int(x) for x in xbar.counters)
    expected = run_batch(job.cfg, xbar, job.streams)
    usage_end = tuple(int(x) for x in xbar.counters)
    t_model = time.perf_counter() - t_model
    parts = batches(job.streams, job.batch)

    # one transaction per batch: the scoreboard compares the batch's arrays, and names the
    # first differing image and field
    monitor = TransactionMonitor("images")
    board = FieldScoreboard(dut, "scoreboard")
    queue = [expected.part(p.start, p.stop) for p in parts]
    for p, q in zip(parts, queue):
        q.first_image = p.start
    board.add_interface(monitor, queue)

    await tb.reset()
    await tb.check_identity()
    await tb.configure()
    replies, report = await tb.program(job.weights(), job.verify, job.cond, job.verify_cells)
    if replies != model_replies:
        i = next(k for k, (a, b) in enumerate(zip(replies, model_replies)) if a != b) \
            if len(replies) == len(model_replies) else min(len(replies), len(model_replies))
        raise AssertionError(f"programming: read {i} sensed {replies[i:i + 1]}, the model "
                             f"{model_replies[i:i + 1]} ({len(replies)} reads, model "
                             f"{len(model_replies)})")
    usage = await tb.usage()
    if usage != usage_programmed:
        raise AssertionError(f"after programming the array counts (reads, operations, pulses) "
                             f"{usage}, the model {usage_programmed}")

    got: list[BatchResult] = []
    timed = not job.cycle_mode and job.gap_rate == 0 and job.bp_rate == 0
    sim_seconds, sim_cycles = 0.0, 0
    start_ps = int(get_sim_time("ps"))
    for part in parts:
        lo, words = part.start, np.concatenate(job.streams[part])
        if job.cycle_mode:
            out = await _cycle_mode(tb, job, words)
        else:
            out = await tb.run_batch(words, job.gap_rate, job.bp_rate, job.seed + lo)
        if out.hang:
            raise AssertionError(f"the chip hung in the batch from image {lo}: no handshake for "
                                 f"a watchdog period after {int(dut.n_sent.value)} of "
                                 f"{len(words)} words")
        actual = tb.decode(out)
        if len(actual) != part.stop - lo:
            raise AssertionError(f"batch from image {lo}: {part.stop - lo} images sent, "
                                 f"{len(actual)} ended")
        monitor.publish(actual)
        if timed:
            # with no idle cycle and no stall, the model predicts every image's cycles
            bad = np.flatnonzero(actual.cycles != expected.cycles[part])
            if bad.size:
                i = int(bad[0])
                raise AssertionError(f"image {lo + i}: the RTL took {actual.cycles[i]} cycles, "
                                     f"the model's timing predicts {expected.cycles[lo + i]}")
        got.append(actual)
        sim_seconds += out.seconds
        sim_cycles += out.cycles
        dut._log.info("images %d..%d: %d bit-exact so far", lo, part.stop - 1, board.matched)

    assert not queue, f"{len(queue)} batches expected but never ended"
    fcov.chip_job(job, expected, got)
    # the event counters, cleared by the reset, moved by exactly what the images did
    await check_run_counters(tb.regs, cfg, got, [expected])
    usage = await tb.usage()
    if usage != usage_end:
        raise AssertionError(f"after the images the array counts (reads, operations, pulses) "
                             f"{usage}, the model {usage_end}")

    def cat(field: str) -> list:
        return np.concatenate([getattr(g, field) for g in got]).tolist() if got else []

    result = dict(
        images=len(expected), matched=board.matched, batches=len(parts),
        cls=cat("cls"), early=cat("early"), in_events=cat("in_events"),
        syn_events=cat("syn_events"), out_spikes=cat("out_spikes"), dropped=cat("dropped"),
        skipped=cat("skipped"), cycles=cat("cycles"),
        sim_seconds=sim_seconds, sim_cycles=sim_cycles, model_seconds=t_model,
        cycles_checked=timed, first_batch_ps=start_ps,
        usage=dict(zip(("reads", "operations", "pulses"), usage)))
    dut._log.info("%d of %d images bit-exact with the model", board.matched, len(expected))
    return result
