# SPDX-License-Identifier: Apache-2.0
"""Speed and memory, measured in one run on the same RTL and the same images:

  (a) the cocotb co-simulation with full bit-exact checking (model prediction included),
  (b) a C++ harness around the same Verilator model and transactors, no Python,
  (c) the golden model alone;

then the cost of rebuilding after an RTL edit, and a ladder of crossbar sizes up to more than a
million cells. Medians over repeats; ratios from the same run. Nothing here asserts a timing.

    python -m tools.bench [--images N] [--repeats R] [--ladder 0|1] [--mnist-dir DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np

from model import SPIRIT, ChipConfig, Crossbar, SpiritError, run_batch
from model.weights import load_weights

from .common import ROOT, dataset, flag, guarded, whole

LADDER = [  # (inputs, neurons): cells = inputs x neurons x 8
    (144, 10), (256, 32), (512, 64), (1024, 128), (2048, 128),
]


def median_time(fn, repeats: int) -> tuple[float, object]:
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def bench_model(cfg, xbar, streams, repeats):
    run_batch(cfg, xbar, streams[:10])              # compile once, outside the timing
    seconds, result = median_time(lambda: run_batch(cfg, xbar, streams), repeats)
    return seconds, result


def bench_cocotb(job, repeats):
    from tb.common.chip_run import chip_build, run_job

    build = chip_build(job.cfg)
    build.build()
    runs = []
    for _ in range(repeats):
        run = run_job(job, build)
        if not run.ok:
            raise SpiritError(f"the cocotb run failed: {run.failure()}")
        runs.append(run.result)
    return runs


def bench_harness(job, model, repeats):
    from tb.common.chip_run import harness_build, run_harness

    build = harness_build(job.cfg)
    workdir = Path(tempfile.mkdtemp(prefix="harness_", dir=build.dir.parent))
    runs = []
    for _ in range(repeats):
        report, actual = run_harness(job, build, workdir)
        runs.append(report)
    # the harness ran what the model predicts, bit for bit
    exact = sum(actual.image(i) == model.image(i) for i in range(len(actual)))
    timed = int(np.sum(actual.cycles == model.cycles))
    shutil.rmtree(workdir, ignore_errors=True)
    return runs, exact, timed


def bench_rebuild() -> dict:
    """Build a private copy of the RTL from nothing, rebuild it after a logic edit, and build it
    in a fresh folder; each with and without the cache of Verilator's runtime objects."""
    from tb.common import build as build_mod
    from tb.common.build import RTL_SOURCES
    from tb.common.chip_run import chip_build

    out = {}
    for cache in (False, True):
        build_mod.USE_OBJECT_CACHE = cache
        tmp = Path(tempfile.mkdtemp(prefix="rtl_"))
        sources = [Path(shutil.copy(s, tmp / s.name)) for s in RTL_SOURCES]
        build = chip_build(SPIRIT, name=f"bench_rebuild_{int(cache)}", rtl_sources=sources)
        shutil.rmtree(build.dir, ignore_errors=True)
        first = build.build()
        neurons = tmp / "spirit_neurons.v"
        text = neurons.read_text()
        neurons.write_text(text.replace("fire_neg_o[j] = step_i && can_fire",
                                        "fire_neg_o[j] = (step_i) && can_fire"))
        edit = build.build()
        shutil.rmtree(build.dir)
        fresh = build.build()
        shutil.rmtree(build.dir)
        shutil.rmtree(tmp)
        out["with cache" if cache else "without cache"] = {
            "first build": first, "rebuild after an RTL edit": edit, "fresh folder": fresh}
    build_mod.USE_OBJECT_CACHE = True
    return out


def ladder_job(n_in: int, n_out: int, images: int, seed: int = 0):
    """Random weights and random spike streams for a size: every input line is used."""
    from tb.common.job import Job

    addr_w = max(8, (n_in - 1).bit_length())
    cfg = ChipConfig(n_inputs=n_in, n_neurons=n_out, addr_w=addr_w, v_w=10, cnt_w=8,
                     th_pos=8, th_neg=8, ds=12).validate()
    rng = np.random.default_rng(seed)
    w = rng.integers(-4, 5, size=(n_in, n_out))
    streams = [np.concatenate([rng.integers(0, n_in, size=int(rng.integers(50, 300))),
                               [cfg.eoi_word]]) for _ in range(images)]
    xbar = Crossbar.from_weights(w, cfg.cells)
    return Job(cfg=cfg, synapses=xbar.synapse_words(), streams=streams, batch=images,
               verify_cells=0), xbar


def harness_ladder(job, model) -> dict:
    """The same images through the C++ harness: speed and peak memory without Python."""
    from tb.common.build import run_measured
    from tb.common.chip_run import harness_build, run_harness

    build = harness_build(job.cfg)
    workdir = Path(tempfile.mkdtemp(prefix="ladder_", dir=build.dir.parent))
    report, actual = run_harness(job, build, workdir)
    with open(workdir / "rerun.log", "w") as log:
        _, peak = run_measured([str(build.exe), "regs.txt", str(sum(map(len, job.streams)))],
                               cwd=workdir, env=dict(os.environ), stdout=log)
    shutil.rmtree(workdir, ignore_errors=True)
    shutil.rmtree(build.dir, ignore_errors=True)
    return {"harness_input_events_per_s": int(model.in_events.sum()) / report["seconds"],
            "harness_peak_mb": peak,
            "harness_bit_exact": model.first_mismatch(actual) is None}


def bench_ladder(images: int) -> list[dict]:
    from tb.common.chip_run import chip_build, run_job

    rows = []
    for n_in, n_out in LADDER:
        job, xbar = ladder_job(n_in, n_out, images)
        build = chip_build(job.cfg)
        shutil.rmtree(build.dir, ignore_errors=True)
        t0 = time.perf_counter()
        build.build()
        build_s = time.perf_counter() - t0
        run = run_job(job, build, timeout=3600)
        row = {"inputs": n_in, "neurons": n_out, "cells": n_in * n_out * 2 * job.cfg.cells,
               "build_s": build_s, "ok": run.ok,
               "bit_exact": f"{run.result['matched']} of {run.result['images']}"
               if run.ok else run.failure()[:120],
               "peak_mb": run.results.max_rss_mb}
        if run.ok:
            r = run.result
            events = sum(r["in_events"])
            row.update(input_events_per_s=events / r["sim_seconds"],
                       synaptic_events_per_s=sum(r["syn_events"]) / r["sim_seconds"],
                       cycles_per_s=r["sim_cycles"] / r["sim_seconds"])
            t, model = median_time(
                lambda job=job, xbar=xbar: run_batch(job.cfg, xbar, job.streams), 3)
            row["model_input_events_per_s"] = events / t
            row.update(harness_ladder(job, model))
        rows.append(row)
        print(f"  {row['cells']:>9,} cells ({n_in} x {n_out}): build {build_s:5.1f} s, "
              f"cocotb {row.get('input_events_per_s', 0):8,.0f} input events/s "
              f"({row.get('synaptic_events_per_s', 0) / 1e6:4.1f} M synaptic), "
              f"peak {row['peak_mb']:4.0f} MB; harness "
              f"{row.get('harness_input_events_per_s', 0):8,.0f} events/s, "
              f"peak {row.get('harness_peak_mb', 0):4.0f} MB; {row['bit_exact']} bit-exact",
              flush=True)
        shutil.rmtree(build.dir, ignore_errors=True)
    return rows


@guarded
def main(argv=None) -> int:
    from tb.common.build import BuildError

    try:
        return _main(argv)
    except BuildError as exc:
        raise SpiritError(str(exc)) from None


def _main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--images", default="10000", help="MNIST test images (default 10000)")
    ap.add_argument("--repeats", default="3", help="runs of each, the median is kept")
    ap.add_argument("--ladder", default="1", help="1: also the size ladder (default)")
    ap.add_argument("--ladder-images", default="300", help="images per ladder size")
    ap.add_argument("--mnist-dir", help="MNIST folder (default: $MNIST_DIR)")
    ap.add_argument("--report", default=str(ROOT / "build" / "reports" / "bench.json"))
    args = ap.parse_args(argv)
    n = whole("--images", args.images, 1, 10000)
    repeats = whole("--repeats", args.repeats, 1, 20)
    ladder = flag("--ladder", args.ladder)
    ladder_images = whole("--ladder-images", args.ladder_images, 1, 5000)

    from tb.common.job import Job

    weights = load_weights(ROOT / "weights" / "mnist.json")
    data = dataset("mnist", "test", args.mnist_dir, deskewed=weights.deskew).head(n)
    cfg = weights.chip_config(SPIRIT)
    xbar = Crossbar.from_weights(weights.weights, cfg.cells)
    streams = weights.encoder.streams(data.images, data.p_max, cfg.eoi_word)
    job = Job(cfg=cfg, synapses=xbar.synapse_words(), streams=streams, labels=data.labels,
              batch=n, verify_cells=0)
    print(f"SPIRIT configuration, {n} MNIST test images, {repeats} runs of each "
          f"(median), {os.cpu_count()} cores")

    model_s, model = bench_model(cfg, xbar, streams, repeats)
    cycles = int(model.cycles.sum())
    cocotb_runs = bench_cocotb(job, repeats)
    sim_s = statistics.median(r["sim_seconds"] for r in cocotb_runs)
    pred_s = statistics.median(r["model_seconds"] for r in cocotb_runs)
    cocotb_s = statistics.median(r["sim_seconds"] + r["model_seconds"] for r in cocotb_runs)
    harness_runs, exact, timed = bench_harness(job, model, repeats)
    harness_s = statistics.median(r["seconds"] for r in harness_runs)
    if harness_runs[0]["cycles"] < cycles:
        raise SpiritError("the harness ran fewer cycles than the images take")

    rows = [
        ("(a) cocotb co-simulation, full checking", cocotb_s),
        ("    of which RTL batches and comparison", sim_s),
        ("    of which the model's prediction", pred_s),
        ("(b) C++ harness, same model, no Python", harness_s),
        ("(c) golden model alone", model_s),
    ]
    print(f"\n  {'':42s} {'images/s':>10s} {'M cycles/s':>11s}")
    for name, s in rows:
        print(f"  {name:42s} {n / s:10,.0f} {cycles / s / 1e6:11.2f}")
    ratio_ab, ratio_cb = harness_s / cocotb_s, harness_s / model_s
    print(f"\n  cocotb / C++ harness: {ratio_ab:.2f} (images per second)")
    print(f"  model / C++ harness:  {ratio_cb:.2f}")
    print(f"  the harness's output: {exact} of {n} images bit-exact with the model, "
          f"{timed} of {n} with the predicted cycles")

    print("\n  building the chip model (seconds):")
    rebuild = bench_rebuild()
    for kind, times in rebuild.items():
        print("    " + kind + ": " + ", ".join(f"{k} {v:.1f}" for k, v in times.items()))

    ladder_rows = []
    if ladder:
        print(f"\n  size ladder, {ladder_images} random images each, RTL with full checking:")
        ladder_rows = bench_ladder(ladder_images)

    report = Path(args.report)
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps({
        "images": n, "repeats": repeats, "cycles": cycles,
        "cocotb_seconds": cocotb_s, "cocotb_sim_seconds": sim_s,
        "cocotb_model_seconds": pred_s, "harness_seconds": harness_s,
        "model_seconds": model_s, "cocotb_over_harness": ratio_ab,
        "model_over_harness": ratio_cb, "harness_bit_exact": exact,
        "harness_cycles_exact": timed, "rebuild": rebuild, "ladder": ladder_rows,
        "runs": {"cocotb": cocotb_runs and [
            {k: r[k] for k in ("sim_seconds", "model_seconds", "sim_cycles")}
            for r in cocotb_runs], "harness": harness_runs},
    }, indent=1) + "\n")
    print(f"\nreport: {report}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
