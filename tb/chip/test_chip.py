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

from model import ImageResult, run_batch
from tb.common.agents import StreamSink, StreamSource
from tb.common.chip_env import BatchOutput, ChipTB
from tb.common.job import Job, batches
from tb.common.scoreboard import FieldScoreboard, TransactionMonitor


def _expected(job: Job) -> list[ImageResult]:
    model = run_batch(job.cfg, job.crossbar(), job.streams)
    return [model.image(i) for i in range(len(model))]


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
    tb = ChipTB(dut, cfg, workdir=Path.cwd())
    t_model = time.perf_counter()
    expected = _expected(job)
    t_model = time.perf_counter() - t_model

    monitor = TransactionMonitor("images")
    board = FieldScoreboard(dut, "scoreboard")
    queue = list(expected)
    board.add_interface(monitor, queue)
    board.label = lambda i: f"image {i}"

    await tb.reset()
    await tb.check_identity()
    await tb.configure()
    await tb.program(job.crossbar(), verify=job.verify_cells)

    actual: list[ImageResult] = []
    cycles: list[int] = []
    timed = not job.cycle_mode and job.gap_rate == 0 and job.bp_rate == 0
    sim_seconds, sim_cycles, n_batches = 0.0, 0, 0
    start_ps = int(get_sim_time("ps"))
    for part in batches(job.streams, job.batch):
        lo, chunk = part.start, job.streams[part]
        words = np.concatenate(chunk)
        if job.cycle_mode:
            out = await _cycle_mode(tb, job, words)
        else:
            out = await tb.run_batch(words, job.gap_rate, job.bp_rate, job.seed + lo)
        if out.hang:
            raise AssertionError(f"the chip hung in the batch from image {lo}: no handshake for "
                                 f"a watchdog period after {int(dut.n_sent.value)} of "
                                 f"{len(words)} words")
        results, cyc = tb.decode(out)
        if len(results) != len(chunk):
            raise AssertionError(f"batch from image {lo}: {len(chunk)} images sent, "
                                 f"{len(results)} ended")
        if timed:
            # with no idle cycle and no stall, the model predicts every image's cycles
            for i, (got, exp) in enumerate(zip(cyc, queue[:len(cyc)])):
                if got != exp.cycles:
                    raise AssertionError(f"image {lo + i}: the RTL took {got} cycles, the "
                                         f"model's timing predicts {exp.cycles}")
        for r in results:
            monitor.publish(r)
        actual += results
        cycles += cyc
        sim_seconds += out.seconds
        sim_cycles += out.cycles
        n_batches += 1
        dut._log.info("images %d..%d: %d bit-exact so far", lo, lo + len(chunk) - 1,
                      board.matched)

    assert not queue, f"{len(queue)} images expected but never ended"
    result = dict(
        images=len(actual), matched=board.matched, batches=n_batches,
        cls=[r.cls for r in actual], early=[r.early for r in actual],
        in_events=[r.in_events for r in actual], syn_events=[r.syn_events for r in actual],
        out_spikes=[r.out_spikes for r in actual], dropped=[r.dropped for r in actual],
        skipped=[r.skipped for r in actual], cycles=cycles,
        sim_seconds=sim_seconds, sim_cycles=sim_cycles, model_seconds=t_model,
        cycles_checked=timed,
        first_batch_ps=start_ps)
    dut._log.info("%d of %d images bit-exact with the model", board.matched, len(expected))
    return result
