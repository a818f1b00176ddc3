# SPDX-License-Identifier: Apache-2.0
"""Whole-chip soak: round after round of random settings, weights and images through the RTL,
every batch bit-exact with the model and every invariant checked, until a deadline, an event
budget or the first failure. tools/soak.py starts one run per chip structure.

The run is described by $SPIRIT_SOAK (JSON): seed, structure (its name and the ChipConfig
fields), deadline (Unix time, or null), events (input events to reach, or null), rounds (a list
of round numbers to run, or null for 0, 1, 2, ...), stop (a file whose appearance ends the run
early), progress and result (files this run writes, JSON).

A round depends only on (seed, structure name, round number): its generator is
numpy.random.default_rng([seed, crc32(name), round]). It clears the counters and ERROR,
writes random settings, programs random weights and sends 1 to 4 batches of random images,
each batch with its own input idle and output stall rates (none in half of them; then each
image's cycles must equal the model's timing). At the end of the round the counters and the
input ERROR bits are checked against the images.
"""

from __future__ import annotations

import json
import os
import time
import zlib
from pathlib import Path

import cocotb
import numpy as np

from model import ChipConfig, Crossbar, regmap, run_batch
from tb.common.invariants import check_input_errors, check_run_counters, read_counters
from tb.common.job import Job
from tb.common.robust import CheckedChipTB, check_timing, compare, program_job
from tb.common.stimulus import random_pacing, random_settings, random_streams, random_weights

FIGURES = ("rounds", "batches", "images", "words", "in_events", "syn_events", "out_spikes",
           "dropped", "skipped", "cycles", "timed_batches")


def round_rng(seed: int, name: str, number: int) -> np.random.Generator:
    """The generator of one round."""
    return np.random.default_rng([seed, zlib.crc32(name.encode()), number])


def round_plan(seed: int, name: str, number: int, base: ChipConfig):
    """The job of one round (settings, weights, images) and its batches with their pacing:
    [(first image, last image + 1, input idle rate, output stall rate, transactor seed)]."""
    rng = round_rng(seed, name, number)
    cfg = random_settings(rng, base)
    xbar = Crossbar.from_weights(random_weights(rng, cfg), cfg.cells)
    n_images = int(rng.integers(50, 400))
    max_len = int(rng.choice([40, 120, 300]))
    job = Job(cfg=cfg, synapses=xbar.synapse_words(),
              streams=random_streams(rng, cfg, n_images, max_len), verify_cells=4)
    cuts = sorted(set(rng.integers(1, n_images, size=int(rng.integers(0, 4))).tolist()))
    edges = [0] + cuts + [n_images]
    batches = []
    for lo, hi in zip(edges[:-1], edges[1:]):
        gap, bp = random_pacing(rng)
        batches.append((lo, hi, gap, bp, int(rng.integers(1, 1 << 31))))
    return job, batches


@cocotb.test()
async def soak(dut):
    """Rounds of random everything until the deadline, the event budget or a failure."""
    spec = json.loads(os.environ["SPIRIT_SOAK"])
    base = ChipConfig(**spec["structure"]["config"]).validate()
    name, seed = spec["structure"]["name"], spec["seed"]
    progress, result = Path(spec["progress"]), Path(spec["result"])
    stop = Path(spec["stop"]) if spec.get("stop") else None
    deadline, budget = spec.get("deadline"), spec.get("events")
    figures = dict.fromkeys(FIGURES, 0)
    figures.update(seed=seed, structure=name, sim_seconds=0.0)
    tb = CheckedChipTB(dut, base, workdir=Path.cwd())
    await tb.reset()
    await tb.check_identity()

    def over() -> bool:
        return (deadline is not None and time.time() >= deadline) or \
            (budget is not None and figures["in_events"] >= budget) or \
            (stop is not None and stop.exists())

    numbers = spec["rounds"] if spec.get("rounds") is not None else None
    number, where = 0, {}
    try:
        while True:
            if numbers is not None:
                if figures["rounds"] == len(numbers):
                    break
                number = numbers[figures["rounds"]]
            elif over():
                break
            where = dict(round=number)
            await _round(tb, seed, name, number, base, figures, where, progress,
                         stop_early=over if numbers is None else None)
            figures["rounds"] += 1
            number += 1
    except AssertionError as exc:
        result.write_text(json.dumps({**figures, **where, "failure": str(exc)}))
        raise
    except Exception as exc:
        result.write_text(json.dumps({**figures, **where,
                                      "failure": f"{type(exc).__name__}: {exc}"}))
        raise
    result.write_text(json.dumps(figures))


async def _round(tb: CheckedChipTB, seed: int, name: str, number: int, base: ChipConfig,
                 figures: dict, where: dict, progress: Path, stop_early=None) -> None:
    job, plan = round_plan(seed, name, number, base)
    cfg = job.cfg
    regs = tb.regs
    await regs.write_ok(regmap.CMD, 1)
    await regs.write_ok(regmap.ERROR, 0x7F)
    await tb.configure(cfg)
    await program_job(tb, job)
    xbar = job.crossbar()
    got, expected, sent = [], [], []
    for k, (lo, hi, gap, bp, tseed) in enumerate(plan):
        where.update(batch=k, first_image=lo, gap_rate=gap, bp_rate=bp)
        progress.write_text(json.dumps({**figures, **where}))
        streams = job.streams[lo:hi]
        words = np.concatenate(streams)
        exp = run_batch(cfg, xbar, streams)
        out = await tb.run_batch(words, gap, bp, tseed)
        if out.hang:
            raise AssertionError(f"the chip hung: no handshake for a watchdog period after "
                                 f"{int(tb.dut.n_sent.value)} of {len(words)} words")
        actual = tb.decode(out)
        compare(exp, actual, lo)
        if gap == 0 and bp == 0:
            check_timing(exp, actual, lo)
            figures["timed_batches"] += 1
        got.append(actual)
        expected.append(exp)
        sent.append(words)
        figures["batches"] += 1
        figures["images"] += len(actual)
        figures["words"] += len(words)
        for f in ("in_events", "syn_events", "out_spikes", "dropped", "skipped", "cycles"):
            figures[f] += int(np.sum(getattr(actual, f)))
        figures["sim_seconds"] += out.seconds
        if stop_early is not None and stop_early():
            break
    where.clear()
    where.update(round=number, check="end of round")
    progress.write_text(json.dumps({**figures, **where}))
    await check_run_counters(regs, cfg, got, expected)
    _, error = await read_counters(regs)
    check_input_errors(cfg, error, np.concatenate(sent))
    if error & ~(1 << regmap.E_ADDR_RANGE | 1 << regmap.E_BAD_CMD):
        raise AssertionError(f"ERROR reads {error:#x} after the round: only input bits expected")
