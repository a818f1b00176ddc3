# SPDX-License-Identifier: Apache-2.0
"""The main job: real handwritten digits through the chip's RTL, every image checked against
the golden model, and a report of accuracy, events, energy, cycles and speed.

    python -m tools.sim [--dataset digits|mnist] [--images N] [--mnist-dir DIR]
                        [--weights FILE] [--waves] [--report FILE]
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from model import EnergyModel, SpiritError
from model.weights import load_weights

from .common import DATASETS, base_config, dataset, default_weights, guarded, whole

WAVES_IMAGES = 20


def fst_available() -> bool:
    """Can this machine build Verilator's FST writer (it needs lz4 and zlib headers)?"""
    src = ("#include <lz4.h>\n#include <zlib.h>\n"
           "int main() { return LZ4_versionNumber() > 0 && zlibVersion() ? 0 : 1; }\n")
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(["g++", "-x", "c++", "-", "-o", f"{tmp}/probe", "-llz4", "-lz"],
                             input=src, capture_output=True, text=True, check=False)
    return out.returncode == 0


def build_report(args, data, weights, cfg, run, wall: float) -> dict:
    r = run.result
    n = r["images"]
    labels = data.labels[:n]
    cls = np.array(r["cls"])
    energy = EnergyModel()
    syn = float(np.mean(r["syn_events"]))
    correct = int(np.sum(cls == labels))
    sim_s = r["sim_seconds"]
    return {
        "dataset": data.name, "images": n,
        "config": {k: v for k, v in cfg.__dict__.items()},
        "weights": str(weights), "encoder": {"levels": args.encoder.levels,
                                             "frames": args.encoder.frames},
        "accuracy": correct / n, "correct": correct,
        "bit_exact": r["matched"], "compared": n,
        "early_stops": int(np.sum(r["early"])),
        "input_spikes_per_image": float(np.mean(r["in_events"])),
        "synaptic_events_per_image": syn,
        "output_spikes_per_image": float(np.mean(r["out_spikes"])),
        "skipped_per_image": float(np.mean(r["skipped"])),
        "dropped": int(np.sum(r["dropped"])),
        "energy_per_image_j": {"core_3.6pJ": energy.core_joules(syn),
                               "chip_180pJ": energy.chip_joules(syn)},
        "cycles_per_image": float(np.mean(r["cycles"])),
        "sim_cycles": r["sim_cycles"],
        "rtl_seconds": sim_s, "model_seconds": r["model_seconds"],
        "images_per_second": n / sim_s if sim_s else None,
        "cycles_per_second": r["sim_cycles"] / sim_s if sim_s else None,
        "build_seconds": run.build_seconds, "wall_seconds": wall,
        "host": {"python": platform.python_version(), "machine": platform.machine()},
    }


def print_report(rep: dict, out) -> None:
    e = rep["energy_per_image_j"]
    rows = [
        ("images", f"{rep['images']} ({rep['dataset']})"),
        ("accuracy (RTL)", f"{100 * rep['accuracy']:.2f}% ({rep['correct']} of {rep['images']})"),
        ("bit-exact with the model", f"{rep['bit_exact']} of {rep['compared']}"),
        ("decided early (dS)", f"{rep['early_stops']} of {rep['images']}"),
        ("input spikes per image", f"{rep['input_spikes_per_image']:.1f}"),
        ("synaptic events per image", f"{rep['synaptic_events_per_image']:.1f}"),
        ("output spikes per image", f"{rep['output_spikes_per_image']:.1f}"),
        ("energy per image, 3.6 pJ/event", f"{e['core_3.6pJ'] * 1e9:.2f} nJ (synapse and neuron)"),
        ("energy per image, 180 pJ/event", f"{e['chip_180pJ'] * 1e9:.1f} nJ (whole chip)"),
        ("cycles per image", f"{rep['cycles_per_image']:.1f}"),
        ("simulation speed", f"{rep['images_per_second']:.0f} images/s, "
                             f"{rep['cycles_per_second'] / 1e6:.2f} M cycles/s"),
    ]
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {value}", file=out)


@guarded
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="make sim", description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", default="digits")
    ap.add_argument("--images", default=None,
                    help="how many test images (default: all 599 digits, 1000 MNIST)")
    ap.add_argument("--mnist-dir", default=None, help="MNIST folder (default: $MNIST_DIR)")
    ap.add_argument("--weights", default=None,
                    help="weights file (default: weights/<dataset>.json)")
    ap.add_argument("--waves", default="0", help="1: write a waveform trace")
    ap.add_argument("--batch", default="2000", help="images per transactor batch")
    ap.add_argument("--report", default=None, help="JSON report (default: build/reports/...)")
    args = ap.parse_args(argv)

    if args.dataset not in DATASETS:
        raise SpiritError(f"DATASET must be one of {', '.join(DATASETS)}, got '{args.dataset}'")
    waves = args.waves.strip() not in ("", "0")
    batch = whole("BATCH", args.batch, 1, 16384)
    weights_path = Path(args.weights) if args.weights else default_weights(args.dataset)
    weights = load_weights(weights_path)
    data = dataset(args.dataset, "test", args.mnist_dir)
    default_n = min(len(data), WAVES_IMAGES if waves else (1000 if args.dataset == "mnist"
                                                           else len(data)))
    n = whole("N", args.images, 1, len(data)) if args.images not in (None, "") else default_n
    data = data.head(n)
    if weights.n_inputs != data.n_inputs:
        raise SpiritError(f"{weights_path} is for {weights.n_inputs} inputs, the {args.dataset} "
                          f"images have {data.n_inputs}; name matching weights with WEIGHTS=")
    cfg = weights.chip_config(base_config(args.dataset))
    if weights.n_neurons != cfg.n_neurons or weights.cells != cfg.cells:
        raise SpiritError(f"{weights_path} is for {weights.n_neurons} neurons and "
                          f"{weights.cells} cells, the chip has {cfg.n_neurons} and {cfg.cells}")
    args.encoder = weights.encoder

    from model import Crossbar
    from tb.common.build import BUILD_ROOT, BuildError
    from tb.common.chip_run import chip_build, run_job
    from tb.common.job import Job

    t0 = time.perf_counter()
    streams = weights.encoder.streams(data.images, data.p_max, cfg.eoi_word)
    xbar = Crossbar.from_weights(weights.weights, cfg.cells)
    job = Job(cfg=cfg, synapses=xbar.synapse_words(), streams=streams, labels=data.labels,
              batch=batch, meta={"dataset": data.name})
    trace_file = None
    if waves:
        fst = fst_available()
        if not fst:
            print("note: FST needs the lz4 and zlib development headers (Debian: apt install "
                  "liblz4-dev zlib1g-dev); writing VCD instead, which GTKWave and Surfer open "
                  "too", file=sys.stderr)
        build = chip_build(cfg, trace="fst" if fst else "vcd")
        trace_file = str((BUILD_ROOT / "waves" / f"spirit_{args.dataset}."
                          f"{'fst' if fst else 'vcd'}").resolve())
        Path(trace_file).parent.mkdir(parents=True, exist_ok=True)
    else:
        build = chip_build(cfg)
    workdir = BUILD_ROOT / "sim" / args.dataset
    if workdir.exists():
        shutil.rmtree(workdir)
    print(f"SPIRIT twin: {n} {args.dataset} test images, {cfg.n_inputs} inputs x "
          f"{cfg.n_neurons} neurons, th {cfg.th_pos}, dS {cfg.ds}, weights {weights_path.name}")
    if not build.exe.exists():
        print("building the RTL with Verilator (once; about half a minute)...")
    try:
        run = run_job(job, build, workdir=workdir, trace_file=trace_file)
    except BuildError as exc:
        raise SpiritError(str(exc)) from None
    if not run.ok:
        print(f"FAILED: {run.failure()}", file=sys.stderr)
        print(f"full log: {run.results.log_path}", file=sys.stderr)
        return 1
    rep = build_report(args, data, weights_path, cfg, run, time.perf_counter() - t0)
    report = Path(args.report or BUILD_ROOT / "reports" / f"sim_{args.dataset}.json")
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps(rep, indent=1, default=str) + "\n")
    print_report(rep, sys.stdout)
    print(f"report: {report}")
    if trace_file:
        from .waves import write_save_files

        gtkw, sucl = write_save_files(cfg, Path(trace_file))
        print(f"waves:  {trace_file}")
        print(f"        gtkwave {gtkw}")
        print(f"        surfer {trace_file} --command-file {sucl}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
