# SPDX-License-Identifier: Apache-2.0
"""The main job: real handwritten digits through the chip's RTL, every image checked against
the golden model, and a report of accuracy, events, energy, cycles and speed.

    python -m tools.sim [--dataset digits|mnist] [--images N] [--mnist-dir DIR]
                        [--weights FILE] [--waves 0|1] [--waves-from I] [--waves-count K]
                        [--waves-unit image|cycle] [--batch N] [--report FILE]
                        [--devices 0|1] [--reset strong|weak] [--verify N] [--device-seed S]

Each option not given is read from the environment variable make passes (DATASET, N,
MNIST_DIR, WEIGHTS, WAVES, WAVES_FROM, WAVES_COUNT, WAVES_UNIT, BATCH, REPORT, DEVICES, RESET,
VERIFY, DEVICE_SEED, each prefixed SPIRIT_), then defaults.

With devices, the chip's cells are RRAM devices drawn from the calibrated device model
(model/device.py) with the seed given; the host programs them through the registers with the
strong or the weak RESET, and with VERIFY read-and-repair rounds per synapse.

With waves, the checked run itself is not traced: the C++ harness runs the same model and
transactors over the images up to the window and traces only the window, and its results
are checked against the model as well.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
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

from .common import (
    DATASETS,
    ROOT,
    base_config,
    dataset,
    default_weights,
    flag,
    guarded,
    mnist_dir,
    output_path,
    setting,
    whole,
)

WAVES_IMAGES = 20
RESETS = {"strong": 0, "weak": 1}          # programming conditions (PROG_COND)
VCD_BYTES_PER_CYCLE = 1300      # measured on the SPIRIT configuration


def fst_available() -> bool:
    """Can this machine build Verilator's FST writer (it needs lz4 and zlib headers)?"""
    src = ("#include <lz4.h>\n#include <zlib.h>\n"
           "int main() { return LZ4_versionNumber() > 0 && zlibVersion() ? 0 : 1; }\n")
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(["g++", "-x", "c++", "-", "-o", f"{tmp}/probe", "-llz4", "-lz"],
                             input=src, capture_output=True, text=True, check=False)
    return out.returncode == 0


def revision() -> dict:
    """The checkout's git revision (and whether it has local changes), and a hash of rtl/."""
    rtl = hashlib.sha256()
    for src in sorted((ROOT / "rtl").glob("*.v")):
        rtl.update(src.read_bytes())
    info = {"rtl_sha256": rtl.hexdigest()[:16]}
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "rtl", "model", "tb",
                                "weights"], cwd=ROOT, capture_output=True, text=True,
                               check=True).stdout.strip()
        info.update(git=head, local_changes=bool(dirty))
    except (OSError, subprocess.CalledProcessError):
        pass
    return info


def build_report(opts: dict, data, cfg, run, wall: float) -> dict:
    r = run.result
    n = r["images"]
    cls = np.array(r["cls"])
    energy = EnergyModel()
    syn = float(np.mean(r["syn_events"]))
    correct = int(np.sum(cls == data.labels[:n]))
    sim_s = r["sim_seconds"]
    return {
        "dataset": data.name, "images": n, "settings": opts,
        "config": dict(cfg.__dict__),
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
        "revision": revision(),
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
                             f"{rep['cycles_per_second'] / 1e6:.2f} M cycles/s "
                             "(RTL with checking)"),
    ]
    if "programming" in rep:
        g = rep["programming"]
        rows.append(("synapses programmed right", f"{100 * g['synapses_right']:.2f}% with "
                     f"{g['pulses']} pulses and {g['verify_reads']} verify reads"))
    width = max(len(k) for k, _ in rows)
    for key, value in rows:
        print(f"  {key:<{width}}  {value}", file=out)


def shown(path: Path) -> str:
    """A path as the user would type it: relative to the current folder when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def check_report_path(value: str) -> Path:
    path = output_path("REPORT", value)
    if path.is_file() and path.stat().st_size:
        try:
            old = json.loads(path.read_text())
            is_report = isinstance(old, dict) and "bit_exact" in old
        except (ValueError, OSError, RecursionError):
            is_report = False
        if not is_report:
            raise SpiritError(f"REPORT '{path}' exists and is not a report of make sim; "
                              "name another file")
    return path


def trace_window(job, cfg, unit: str, first: int, count: int, trace_file: Path, fst: bool,
                 workdir: Path) -> None:
    """Trace images (or cycles) first..first+count-1 of the run with the C++ harness (same
    model, same transactors), and check what it ran against the model."""
    from model import run_batch
    from tb.common.build import BuildError
    from tb.common.chip_run import harness_build, run_harness
    from tb.common.job import Job

    from .waves import write_save_files

    streams = job.streams[:first + count] if unit == "image" else job.streams
    head = Job(cfg=cfg, synapses=job.synapses, streams=streams, verify_cells=0,
               device=job.device, cond=job.cond)
    # the trace is written aside and replaces the previous one only once it is good
    partial = trace_file.with_name(trace_file.name + ".part")
    try:
        build = harness_build(cfg, trace="fst" if fst else "vcd", device=job.device is not None)
        report, actual = run_harness(head, build, workdir / "waves", str(partial.resolve()),
                                     (unit, first, count))
        model = run_batch(cfg, head.crossbar(), head.streams)
        bad = model.first_mismatch(actual)
        if bad is not None:
            raise SpiritError(f"the traced run differs from the model at image {bad}")
        if not report["dumped_to_ps"]:
            raise SpiritError(f"the run has no {unit} {first}: nothing was traced")
        partial.replace(trace_file)
    except (BuildError, RuntimeError, ValueError) as exc:
        raise SpiritError(f"tracing failed: {exc}") from None
    finally:
        partial.unlink(missing_ok=True)
    gtkw, tcl, sucl = write_save_files(cfg, trace_file, report["dumped_from_ps"],
                                       report["dumped_to_ps"] - report["dumped_from_ps"])
    print(f"waves:  {shown(trace_file)}: {unit}s {first}..{first + count - 1}, "
          f"{len(model)} of {len(model)} images bit-exact in the traced run")
    print(f"        gtkwave -S {shown(tcl)} {shown(gtkw)}")
    print(f"        surfer {shown(trace_file)} --command-file {shown(sucl)}")


@guarded
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.sim", description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", help="digits (default) or mnist")
    ap.add_argument("--images", help="how many test images (default: all 599 digits, 1000 MNIST)")
    ap.add_argument("--mnist-dir", help="MNIST folder (default: ../shared/data/mnist)")
    ap.add_argument("--weights", help="weights file (default: weights/<dataset>.json)")
    ap.add_argument("--waves", help="1: write a waveform trace (default 0)")
    ap.add_argument("--waves-from", help="first image traced (default 0)")
    ap.add_argument("--waves-count", help="images traced (default 20)")
    ap.add_argument("--waves-unit", help="image (default) or cycle: the unit of the window")
    ap.add_argument("--batch", help="images per transactor batch (default 2000)")
    ap.add_argument("--report", help="JSON report (default: build/reports/...)")
    ap.add_argument("--devices", help="1: calibrated RRAM devices instead of ideal cells")
    ap.add_argument("--reset", help="with devices: strong (default) or weak RESET")
    ap.add_argument("--verify", help="with devices: program-and-verify rounds (default 0)")
    ap.add_argument("--device-seed", help="with devices: the seed that draws the chip (1)")
    args = ap.parse_args(argv)

    name = setting(args.dataset, "SPIRIT_DATASET", "digits")
    if name not in DATASETS:
        raise SpiritError(f"DATASET must be one of {', '.join(DATASETS)}, got '{name}'")
    waves = flag("WAVES", setting(args.waves, "SPIRIT_WAVES", "0"))
    waves_from = whole("WAVES_FROM", setting(args.waves_from, "SPIRIT_WAVES_FROM", "0"), 0)
    unit = setting(args.waves_unit, "SPIRIT_WAVES_UNIT", "image")
    if unit not in ("image", "cycle"):
        raise SpiritError(f"WAVES_UNIT must be image or cycle, got '{unit}'")
    waves_count = whole("WAVES_COUNT", setting(args.waves_count, "SPIRIT_WAVES_COUNT",
                                               str(WAVES_IMAGES if unit == "image" else 2000)),
                        1)
    window_given = [v for v, a in (("WAVES_FROM", args.waves_from),
                                   ("WAVES_COUNT", args.waves_count),
                                   ("WAVES_UNIT", args.waves_unit))
                    if setting(a, f"SPIRIT_{v}") is not None]
    if window_given and not waves:
        raise SpiritError(f"{', '.join(window_given)} choose what WAVES=1 traces; add WAVES=1")
    batch = whole("BATCH", setting(args.batch, "SPIRIT_BATCH", "2000"), 1, 16384)
    devices = flag("DEVICES", setting(args.devices, "SPIRIT_DEVICES", "0"))
    reset = setting(args.reset, "SPIRIT_RESET", "strong") or "strong"
    if reset not in RESETS:
        raise SpiritError(f"RESET must be strong or weak, got '{reset}'")
    verify = whole("VERIFY", setting(args.verify, "SPIRIT_VERIFY", "0") or "0", 0, 8)
    seed_given = setting(args.device_seed, "SPIRIT_DEVICE_SEED")
    device_seed = whole("DEVICE_SEED", seed_given or "1", 0, (1 << 32) - 1)
    if not devices and (verify or reset != "strong" or seed_given is not None):
        raise SpiritError("RESET, VERIFY and DEVICE_SEED describe RRAM devices and how they "
                          "are programmed; add DEVICES=1")
    if devices and waves and verify:
        raise SpiritError("the traced run programs in one shot: use VERIFY=0 with WAVES=1")
    count = setting(args.images, "SPIRIT_N")
    if count is not None:
        whole("N", count, 1)
    weights_path = Path(setting(args.weights, "SPIRIT_WEIGHTS", default_weights(name)))
    folder = mnist_dir(setting(args.mnist_dir, "SPIRIT_MNIST_DIR"))
    variant = ("_devices" if devices else "") + ("_waves" if waves else "")
    report_default = f"build/reports/sim_{name}{variant}.json"
    report = check_report_path(setting(args.report, "SPIRIT_REPORT", ROOT / report_default))
    weights = load_weights(weights_path)
    if weights.dataset != name:
        raise SpiritError(f"{weights_path} holds weights for {weights.dataset}, DATASET is "
                          f"{name}; name matching weights with WEIGHTS=")
    data = dataset(name, "test", str(folder), deskewed=weights.deskew)
    default_n = min(len(data), 1000 if name == "mnist" else len(data))
    n = whole("N", count, 1, len(data)) if count is not None else default_n
    if waves and unit == "image":
        if waves_from >= n:
            raise SpiritError(f"WAVES_FROM must be below the {n} images run, got {waves_from}")
        waves_count = min(waves_count, n - waves_from)
    data = data.head(n)
    if weights.n_inputs != data.n_inputs:
        raise SpiritError(f"{weights_path} is for {weights.n_inputs} inputs, the {name} "
                          f"images have {data.n_inputs}; name matching weights with WEIGHTS=")
    cfg = weights.chip_config(base_config(name))
    if weights.n_neurons != cfg.n_neurons or weights.cells != cfg.cells:
        raise SpiritError(f"{weights_path} is for {weights.n_neurons} neurons and "
                          f"{weights.cells} cells, the chip has {cfg.n_neurons} and "
                          f"{cfg.cells}; name matching weights with WEIGHTS=")

    from model import Crossbar
    from tb.common.build import BUILD_ROOT, BuildError
    from tb.common.chip_run import chip_build, run_job
    from tb.common.job import Job

    workdir = BUILD_ROOT / "sim" / name
    workdir.mkdir(parents=True, exist_ok=True)
    lock = open(workdir.parent / f".{name}.lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        raise SpiritError(f"another make sim DATASET={name} is running in this checkout; "
                          "wait for it to finish") from None
    shutil.rmtree(workdir)

    t0 = time.perf_counter()
    streams = weights.encoder.streams(data.images, data.p_max, cfg.eoi_word)
    xbar = Crossbar.from_weights(weights.weights, cfg.cells)
    job = Job(cfg=cfg, synapses=xbar.synapse_words(), streams=streams, labels=data.labels,
              batch=batch, meta={"dataset": data.name})
    if devices:
        from model import DeviceParams
        from model.device import device_config

        params = DeviceParams(seed=device_seed)
        job.cfg = cfg = device_config(cfg, params)
        job.device = Crossbar.with_devices(cfg, params).device
        job.cond, job.verify = RESETS[reset], verify
    trace_file = None
    if waves and unit == "cycle":
        # the traced run has no idle cycle and no stall: the model knows its length
        from model import run_batch

        total = int(run_batch(cfg, job.crossbar(), streams).cycles.sum())
        if waves_from >= total:
            raise SpiritError(f"WAVES_FROM must be below the {total:,} cycles the run takes, "
                              f"got {waves_from:,}")
        waves_count = min(waves_count, total - waves_from)
    if waves:
        fst = fst_available()
        if not fst:
            print("note: FST needs the lz4 and zlib development headers (Debian: apt install "
                  "liblz4-dev zlib1g-dev); writing VCD instead, which GTKWave and Surfer open "
                  "too", file=sys.stderr)
        trace_file = BUILD_ROOT / "waves" / \
            f"spirit_{name}{'_devices' if devices else ''}.{'fst' if fst else 'vcd'}"
        trace_file.parent.mkdir(parents=True, exist_ok=True)
        if unit == "image":
            size = sum(len(s) for s in streams[waves_from:waves_from + waves_count]) * 2 * \
                VCD_BYTES_PER_CYCLE
        else:
            size = waves_count * VCD_BYTES_PER_CYCLE
        if not fst and size > 1 << 30:
            print(f"note: the trace will take about {size >> 20} MB; lower WAVES_COUNT to "
                  "trace less", file=sys.stderr)
    build = chip_build(cfg, device=devices)
    th = f"th {cfg.th_pos}"
    if devices:
        th += f" sense codes ({weights.settings['th_pos']} LRS cells)"
    print(f"SPIRIT twin: {n} {name} test images, {cfg.n_inputs} inputs x {cfg.n_neurons} "
          f"neurons, {th}, dS {cfg.ds}, weights {shown(weights_path)}")
    if devices:
        print(f"RRAM devices: calibrated, seed {device_seed}, {reset} RESET, "
              f"program-and-verify rounds: {verify}")
    if not build.exe.exists():
        print("building the RTL with Verilator (once; about half a minute)...")
    try:
        run = run_job(job, build, workdir=workdir)
    except BuildError as exc:
        raise SpiritError(str(exc)) from None
    if not run.ok:
        print(f"FAILED: {run.failure()}", file=sys.stderr)
        print(f"full log: {run.results.log_path}", file=sys.stderr)
        return 1
    opts = dict(dataset=name, images=n, mnist_dir=str(folder), weights=str(weights_path),
                deskew=weights.deskew, levels=weights.encoder.levels,
                frames=weights.encoder.frames, waves=waves, batch=batch)
    if waves:
        opts.update(waves_from=waves_from, waves_count=waves_count)
    if devices:
        opts.update(devices=True, reset=reset, verify=verify, device_seed=device_seed)
    rep = build_report(opts, data, cfg, run, time.perf_counter() - t0)
    if devices:
        from model.programming import synapses_right

        programmed, prog = job.programmed()
        rep["programming"] = {
            "synapses_right": synapses_right(programmed, weights.weights),
            "pulses": prog.pulses, "verify_reads": prog.reads,
            "synapses_left_wrong": prog.wrong_after, "array_counters": run.result.get("usage")}
    print_report(rep, sys.stdout)
    try:
        report.write_text(json.dumps(rep, indent=1, default=str) + "\n")
    except OSError as exc:
        raise SpiritError(f"REPORT '{report}' could not be written ({exc.strerror or exc}); "
                          "the figures above are the run's") from None
    print(f"report: {shown(report)}")
    if trace_file:
        trace_window(job, cfg, unit, waves_from, waves_count, trace_file, fst, workdir)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
