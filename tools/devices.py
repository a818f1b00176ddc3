# SPDX-License-Identifier: Apache-2.0
"""The twin on real RRAM devices: the chip's programming table reproduced, program-and-verify
and its cost, accuracy against each device effect, multi-level cells, and a read-disturb soak.
Writes docs/devices.md, the plot docs/devices.png and the numbers in docs/devices.json.

    python -m tools.devices [--dataset mnist] [--mnist-dir DIR] [--seeds 3] [--images N]
                            [--soak-passes 200] [--rtl-images 1000] [--out docs]

Everything runs in the golden model; the chip's table (weak and strong RESET) and a stretch of
the soak also run in RTL with the device array (DEVICE=1), which must agree bit for bit."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from model import ChipConfig, Crossbar, DeviceParams, SpiritError, run_batch
from model.device import device_config
from model.programming import program, synapses_right
from model.weights import load_weights

from .common import ROOT, base_config, dataset, default_weights, guarded, whole

CHIP = {  # ../shared/SPIRIT.md
    "weak": {"synapses_right": 0.735, "accuracy": 0.627},
    "strong": {"synapses_right": 0.986, "accuracy": 0.856},
    "accuracy_ideal": 0.88, "images": 1000, "soak_passes": 200, "soak_spikes": 750e6,
}
CONDITIONS = {"weak": 1, "strong": 0}
SPREADS = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.8)
STUCK = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2)
NOISE = (0.0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5)
COARSE = dict(code_w=2, lrs=2.0, hrs=0.1)   # a coarse sense: an LRS cell reads as 2 codes
CHIP_SPREAD = 0.5          # conductance spread that costs the strong-RESET chip what SPIRIT lost
WEAK_SHARE = 0.25          # weak cells: median disturb limit, in reads of the most-read row
# how the datasets are named in the documents
LABELS = {"mnist": "MNIST", "digits": "scikit-learn digits"}
PERFECT = dict(p_set=(1.0,) * 4, p_reset=(1.0,) * 4)


@dataclass
class Setup:
    """The images, weights and ideal configuration the study runs on."""

    name: str
    cfg: ChipConfig          # ideal cells
    weights: np.ndarray
    streams: list
    labels: np.ndarray


def load_setup(name: str, weights_path: Path, folder: str | None, images: int) -> Setup:
    w = load_weights(weights_path)
    data = dataset(name, "test", folder, deskewed=w.deskew)
    if images < len(data.labels):
        data = data.head(images)
    cfg = w.chip_config(base_config(name))
    streams = w.encoder.streams(data.images, data.p_max, cfg.eoi_word)
    return Setup(weights_path.stem, cfg, w.weights, streams, data.labels)


# ---- calibration ---------------------------------------------------------------------------

def resets_needed(weights: np.ndarray, cells: int) -> np.ndarray:
    """Cells of each synapse that a freshly formed (all LRS) array must RESET: those its
    weight leaves in HRS."""
    return 2 * cells - np.abs(weights)


def calibrate(weights: np.ndarray, cells: int, target: float) -> float:
    """The RESET success rate at which the expected fraction of synapses programmed right in
    one shot is `target` (a synapse is right when every RESET it needs succeeds)."""
    k = resets_needed(weights, cells).ravel()
    lo, hi = 0.0, 1.0
    for _ in range(60):
        mid = (lo + hi) / 2
        if np.mean(mid ** k) < target:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


# ---- one measurement -----------------------------------------------------------------------

def measure(s: Setup, params: DeviceParams, cond: int = 0, verify: int = 0,
            mlc: bool = False) -> dict:
    """Program the weights into a chip drawn from `params` and run the images."""
    cfg = device_config(s.cfg.replace(mlc=True, code_w=params.code_w) if mlc else s.cfg, params)
    xbar = Crossbar.with_devices(cfg, params)
    report = program(xbar, s.weights, verify, cond)
    right = synapses_right(xbar, s.weights)
    result = run_batch(cfg, xbar, s.streams)
    return {"synapses_right": right, "accuracy": float(np.mean(result.cls == s.labels)),
            "pulses_per_synapse": report.pulses / report.synapses,
            "reads_per_synapse": report.reads / report.synapses,
            "input_spikes": float(np.mean(result.in_events))}


def averaged(s: Setup, seeds: int, params: DeviceParams, **kw) -> dict:
    """`measure` over chips drawn with seeds 1..seeds: mean of each figure, and the spread
    (standard deviation) of the accuracy."""
    runs = [measure(s, params.replace(seed=k + 1), **kw) for k in range(seeds)]
    out = {key: float(np.mean([r[key] for r in runs])) for key in runs[0]}
    out["accuracy_std"] = float(np.std([r["accuracy"] for r in runs]))
    return out


# ---- RTL -----------------------------------------------------------------------------------

def rtl_run(s: Setup, params: DeviceParams, cond: int, verify: int, streams=None,
            labels=None) -> dict:
    """The same chip in RTL with the device array: programming through the registers, then
    the images; returns what it did, bit-exact against the model or an error."""
    from tb.common.chip_run import chip_build, run_job
    from tb.common.job import Job

    cfg = device_config(s.cfg, params)
    streams = s.streams if streams is None else streams
    labels = s.labels if labels is None else labels
    synapses = Crossbar.from_weights(s.weights, cfg.cells).synapse_words()
    job = Job(cfg=cfg, synapses=synapses, streams=streams, labels=labels, batch=5000,
              device=Crossbar.with_devices(cfg, params).device, cond=cond, verify=verify,
              verify_cells=0)
    run = run_job(job, chip_build(cfg, device=True))
    if not run.ok:
        raise SpiritError(f"the RTL with devices differs from the model: {run.failure()}")
    r = run.result
    return {"images": r["images"], "bit_exact": r["matched"],
            "accuracy": float(np.mean(np.array(r["cls"]) == labels)),
            "images_per_second": r["images"] / max(r["sim_seconds"], 1e-9), "cls": r["cls"]}


# ---- the soak ------------------------------------------------------------------------------

def hottest_row_reads(streams, n_inputs: int) -> int:
    """Reads of the most-read row in one pass over `streams` (one per valid input event)."""
    words = np.concatenate(streams)
    return int(np.bincount(words[words < n_inputs], minlength=n_inputs).max())


def weak_limit(streams, n_inputs: int, passes: int) -> float:
    """The median disturb limit of weak cells: a quarter of the reads the most-read row gets
    in `passes` passes, so that its cells start to flip within the soak."""
    return max(1.0, WEAK_SHARE * passes * hottest_row_reads(streams, n_inputs))


def soak(s: Setup, params: DeviceParams, passes: int) -> dict:
    """`passes` runs over the test images on one chip, whose cells keep their read counts
    and states from pass to pass."""
    cfg = device_config(s.cfg, params)
    xbar = Crossbar.with_devices(cfg, params)
    program(xbar, s.weights, 2, 0)
    start = xbar.state.copy()
    accuracy, spikes, events = [], 0, 0
    for _ in range(passes):
        r = run_batch(cfg, xbar, s.streams)
        accuracy.append(float(np.mean(r.cls == s.labels)))
        spikes += int(r.in_events.sum())
        events += int(r.syn_events.sum())
    return {"passes": passes, "images": passes * len(s.streams), "input_spikes": spikes,
            "synaptic_events": events, "accuracy_first": accuracy[0],
            "accuracy_last": accuracy[-1], "accuracy": accuracy,
            "cells_disturbed": int(np.sum(xbar.state != start)),
            "max_row_reads": int(xbar.row_reads.max()),
            "min_limit": int(xbar.device.limit.min())}


# ---- report --------------------------------------------------------------------------------

def plot(doc: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(10, 7), dpi=110)
    sw = doc["sweeps"]

    def panel(ax, key, xs, label, xscale=1.0, unit=""):
        for kind, title in (("slc", "single-level cells (4 + 4)"),
                            ("mlc", "multi-level cells (magnitude + sign)"),
                            ("coarse", "single-level, coarse sense (LRS = 2 codes)")):
            rows = sw[key].get(kind)
            if not rows:
                continue
            y = np.array([100 * r["accuracy"] for r in rows])
            e = np.array([100 * r["accuracy_std"] for r in rows])
            ax.errorbar([x * xscale for x in xs[:len(rows)]], y, yerr=e, marker=".",
                        capsize=2, label=title)
        ax.set_xlabel(label + unit)
        ax.set_ylabel("accuracy (%)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)

    panel(axes[0, 0], "spread", SPREADS, "conductance spread, sigma of ln G (LRS and HRS)")
    panel(axes[0, 1], "stuck", STUCK, "stuck cells", 100, " (%, half at HRS, half at LRS)")
    panel(axes[1, 0], "noise", NOISE, "read noise, sigma", unit=" (sense codes)")
    ax = axes[1, 1]
    for key, title in (("calibrated", "calibrated (no disturb in a billion reads)"),
                       ("weak", f"weak cells (median {doc['soak']['weak_limit']:.1e} reads)")):
        acc = doc["soak"][key]["accuracy"]
        ax.plot(range(1, len(acc) + 1), [100 * a for a in acc], label=title)
    ax.set_xlabel("pass over the test set")
    ax.set_ylabel("accuracy (%)")
    ax.set_title("read-disturb soak", fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.suptitle(f"Accuracy on {doc['images']:,} {LABELS[doc['dataset']]} test images, mean "
                 f"and spread over {doc['seeds']} chips", fontsize=10)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def markdown(doc: dict) -> str:
    c = doc["chip_table"]
    lines = [
        "# The twin on RRAM devices",
        "",
        f"Made by `make devices` ({LABELS[doc['dataset']]}, weights `{doc['weights']}`, "
        f"{doc['images']} test images, {doc['seeds']} chips drawn per point; "
        f"{doc['seconds']:.0f} s). The device model and its units are in `model/device.py`; "
        "README.md, \"RRAM devices\", explains how the RTL reproduces it.",
        "",
        "## The chip's programming table",
        "",
        "Every cell is formed to LRS; one-shot programming RESETs the cells a weight leaves in "
        "HRS, and a RESET succeeds with the probability of its condition. That probability is "
        "calibrated so that the expected fraction of synapses programmed right equals "
        "SPIRIT's: "
        f"weak RESET {doc['calibration']['weak']:.4f}, strong RESET "
        f"{doc['calibration']['strong']:.4f} (the defaults of `DeviceParams.p_reset` are "
        f"{doc['calibration']['defaults'][1]:.4f} and {doc['calibration']['defaults'][0]:.4f}).",
        "",
        "| condition | synapses right: SPIRIT | twin | accuracy: SPIRIT | twin, ideal cells "
        f"| twin | twin, spread {CHIP_SPREAD} |",
        "|---|---|---|---|---|---|---|",
    ]
    for key in ("weak", "strong"):
        t = c[key]
        lines.append(
            f"| {key} RESET, one shot | {pct(CHIP[key]['synapses_right'])} | "
            f"{pct(t['plain']['synapses_right'])} | {pct(CHIP[key]['accuracy'])} | "
            f"{pct(doc['ideal']['accuracy'])} | {pct(t['plain']['accuracy'])} "
            f"± {100 * t['plain']['accuracy_std']:.1f} | {pct(t['spread']['accuracy'])} "
            f"± {100 * t['spread']['accuracy_std']:.1f} |")
    lines += [
        "",
        f"SPIRIT's ideal simulation gave {pct(CHIP['accuracy_ideal'])}; the twin's ideal cells "
        f"give {pct(doc['ideal']['accuracy'])} with these weights.",
        "",
        "How near, and why not nearer: the synapse figures match by construction (the twin "
        "draws each chip, so a chip lands within about a percent of the target). The "
        "accuracy figures do not: the twin loses far less than the silicon. In the twin a "
        "failed RESET leaves one cell in LRS, so the synapse's weight is one step too high "
        "(excitatory side) or too low (inhibitory side); the errors of different cells of a "
        "column partly cancel and the net spike count shrugs most of them off. The "
        "silicon's 26.5% of wrong synapses cost 25 points, so its errors must have been "
        "larger than one step (cells left between HRS and LRS that the analog neuron "
        "integrates as current) and its neurons and sense path add mismatch the twin does "
        "not model. A conductance spread of sigma "
        f"{CHIP_SPREAD} on top of the calibrated programming brings the strong-RESET chip's "
        "loss near SPIRIT's (last column).",
        "",
    ]
    if doc.get("rtl"):
        lines += ["In RTL, with the device array (`DEVICE=1`), on the first "
                  f"{doc['rtl']['images']} images (SPIRIT measured 1,000):", "",
                  "| condition | bit-exact | accuracy | images/s |", "|---|---|---|---|"]
        for key in ("weak", "strong"):
            r = doc["rtl"][key]
            lines.append(f"| {key} RESET, one shot | {r['bit_exact']} of {r['images']} | "
                         f"{pct(r['accuracy'])} | {r['images_per_second']:,.0f} |")
        lines.append("")
    lines += [
        "## Program and verify",
        "",
        "Each synapse is written, then read back through CELL_DATA; the cells read wrong are "
        "pulsed again (CELL_MASK), up to n rounds. A pulse is one programming pulse on one "
        "cell; one-shot programming spends 8 per synapse.",
        "",
        "| condition | rounds | synapses right | accuracy | pulses / synapse | "
        "reads / synapse |", "|---|---|---|---|---|---|",
    ]
    for key in ("weak", "strong"):
        for r in doc["verify"][key]:
            lines.append(f"| {key} RESET | {r['rounds']} | {pct(r['synapses_right'])} | "
                         f"{pct(r['accuracy'])} | {r['pulses_per_synapse']:.2f} | "
                         f"{r['reads_per_synapse']:.2f} |")
    sw = doc["sweeps"]
    lines += [
        "",
        "## Accuracy against each device effect",
        "",
        "Each effect alone, every pulse taking, mean ± spread over the chips drawn; "
        "![sweeps](devices.png). Multi-level cells (the chip's next step: a magnitude cell "
        "with five levels and a sign cell) on the same weights, levels 2 codes apart.",
        "",
        "| spread sigma | " + " | ".join(f"{x}" for x in SPREADS) + " |",
        "|---|" + "---|" * len(SPREADS),
        "| single-level | " + " | ".join(pct(r["accuracy"]) for r in sw["spread"]["slc"]) + " |",
        "| multi-level | " + " | ".join(pct(r["accuracy"]) for r in sw["spread"]["mlc"]) + " |",
        "",
        "| stuck cells | " + " | ".join(f"{100 * x:g}%" for x in STUCK) + " |",
        "|---|" + "---|" * len(STUCK),
        "| single-level | " + " | ".join(pct(r["accuracy"]) for r in sw["stuck"]["slc"]) + " |",
        "",
        "| read noise sigma (codes) | " + " | ".join(f"{x}" for x in NOISE) + " |",
        "|---|" + "---|" * len(NOISE),
        "| single-level | " + " | ".join(pct(r["accuracy"]) for r in sw["noise"]["slc"]) + " |",
        "| multi-level | " + " | ".join(pct(r["accuracy"]) for r in sw["noise"]["mlc"]) + " |",
        "| single-level, coarse sense | " + " | ".join(pct(r["accuracy"])
                                                     for r in sw["noise"]["coarse"]) + " |",
        "",
        "Read noise moves a code by at most two (the RTL's noise source gives -2..+2). With "
        "the default sense (an LRS cell reads as 8 codes) that is a quarter of one cell, and "
        "a synaptic event sums eight cells whose noise is drawn independently: accuracy does "
        "not move. A coarse sense (LRS = 2 codes, 2-bit codes) feels it.",
        "",
        "## Read disturb",
        "",
    ]
    for key, title in (("calibrated", "Calibrated cells (the default: median limit "
                        f"{doc['soak']['calibrated_limit']:.0e} row reads)"),
                       ("weak", f"Weak cells (median limit {doc['soak']['weak_limit']:,.0f} row "
                        "reads, a quarter of what the most-read row gets in the soak)")):
        s = doc["soak"][key]
        lines.append(
            f"- {title}: {s['passes']} passes over the {doc['images']} test images, "
            f"{s['images']:,} images, {s['input_spikes']:,} input spikes, "
            f"{s['synaptic_events']:,} synaptic events; the most-read row was read "
            f"{s['max_row_reads']:,} times (the weakest cell's limit: {s['min_limit']:,}); "
            f"{s['cells_disturbed']} cells disturbed; accuracy {pct(s['accuracy_first'])} on "
            f"the first pass, {pct(s['accuracy_last'])} on the last.")
    if doc["soak"].get("rtl"):
        r = doc["soak"]["rtl"]
        lines.append(
            f"- In RTL, weak cells: {r['passes']} passes over the first {r['per_pass']} "
            f"images in one run, {r['bit_exact']} of {r['images']} images bit-exact with the "
            f"model, accuracy {pct(r['accuracy_first'])} on the first pass and "
            f"{pct(r['accuracy_last'])} on the last.")
    lines += [
        "",
        f"SPIRIT saw no effect after {CHIP['soak_spikes'] / 1e6:,.0f} million to a billion "
        "spikes (200 passes over the test set), and the calibrated cells show none either.",
        "",
    ]
    return "\n".join(lines)


@guarded
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.devices",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", default="mnist", help="mnist (default) or digits")
    ap.add_argument("--mnist-dir", help="MNIST folder (default: $MNIST_DIR)")
    ap.add_argument("--weights", help="weights file (default: mnist_chip.json for MNIST, "
                                      "digits.json for digits)")
    ap.add_argument("--images", default="10000", help="test images per measurement")
    ap.add_argument("--seeds", default="3", help="chips drawn per point")
    ap.add_argument("--soak-passes", default="200", help="passes of the read-disturb soak")
    ap.add_argument("--rtl-images", default="1000", help="images run in RTL (0: none)")
    ap.add_argument("--out", default=str(ROOT / "docs"), help="folder for the results")
    args = ap.parse_args(argv)
    images = whole("--images", args.images, 1)
    seeds = whole("--seeds", args.seeds, 1, 100)
    passes = whole("--soak-passes", args.soak_passes, 1)
    rtl_images = whole("--rtl-images", args.rtl_images, 0)
    if args.dataset not in ("mnist", "digits"):
        raise SpiritError(f"--dataset must be mnist or digits, got '{args.dataset}'")
    weights = Path(args.weights) if args.weights else \
        default_weights("mnist_chip" if args.dataset == "mnist" else "digits")
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    s = load_setup(args.dataset, weights, args.mnist_dir, images)
    base = DeviceParams()
    doc = {"dataset": args.dataset, "weights": weights.name, "images": len(s.labels),
           "seeds": seeds, "chip": CHIP}

    # the chip's table
    cal = {key: calibrate(s.weights, s.cfg.cells, CHIP[key]["synapses_right"])
           for key in CONDITIONS}
    doc["calibration"] = dict(cal, defaults=list(base.p_reset))
    p_reset = (cal["strong"], cal["weak"], 1.0, 1.0)
    calibrated = base.replace(p_reset=p_reset)
    ideal = DeviceParams(**PERFECT)
    doc["ideal"] = averaged(s, 1, ideal)
    doc["chip_table"] = {}
    for key, cond in CONDITIONS.items():
        doc["chip_table"][key] = {
            "plain": averaged(s, seeds, calibrated, cond=cond),
            "spread": averaged(s, seeds, calibrated.replace(lrs_spread=CHIP_SPREAD,
                                                            hrs_spread=CHIP_SPREAD), cond=cond)}
        t = doc["chip_table"][key]["plain"]
        print(f"{key} RESET: {pct(t['synapses_right'])} of synapses right (SPIRIT "
              f"{pct(CHIP[key]['synapses_right'])}), accuracy {pct(t['accuracy'])} (SPIRIT "
              f"{pct(CHIP[key]['accuracy'])})")
    if rtl_images:
        sub = Setup(s.name, s.cfg, s.weights, s.streams[:rtl_images], s.labels[:rtl_images])
        doc["rtl"] = {"images": len(sub.labels)}
        for key, cond in CONDITIONS.items():
            r = rtl_run(sub, calibrated.replace(seed=1), cond, 0)
            del r["cls"]
            doc["rtl"][key] = r
            print(f"{key} RESET in RTL: {r['bit_exact']} of {r['images']} bit-exact, "
                  f"{pct(r['accuracy'])}")

    # program and verify
    doc["verify"] = {}
    for key, cond in CONDITIONS.items():
        doc["verify"][key] = [dict(averaged(s, seeds, calibrated, cond=cond, verify=n),
                                   rounds=n) for n in range(4)]

    # each effect alone
    doc["sweeps"] = {"spread": {}, "stuck": {}, "noise": {}}
    for kind, mlc in (("slc", False), ("mlc", True)):
        doc["sweeps"]["spread"][kind] = [
            averaged(s, seeds, ideal.replace(lrs_spread=x, hrs_spread=x), mlc=mlc)
            for x in SPREADS]
        doc["sweeps"]["noise"][kind] = [averaged(s, seeds, ideal.replace(noise=x), mlc=mlc)
                                        for x in NOISE]
    coarse = ideal.replace(**COARSE)
    doc["sweeps"]["noise"]["coarse"] = [averaged(s, seeds, coarse.replace(noise=x))
                                        for x in NOISE]
    doc["sweeps"]["stuck"]["slc"] = [
        averaged(s, seeds, ideal.replace(stuck_hrs=x / 2, stuck_lrs=x / 2)) for x in STUCK]
    print("sweeps: spread, stuck cells, read noise (single- and multi-level cells)")

    # read-disturb soak
    weak = weak_limit(s.streams, s.cfg.n_inputs, passes)
    doc["soak"] = {"calibrated_limit": base.disturb_reads, "weak_limit": weak,
                   "calibrated": soak(s, calibrated, passes),
                   "weak": soak(s, calibrated.replace(disturb_reads=weak), passes)}
    for key in ("calibrated", "weak"):
        k = doc["soak"][key]
        print(f"soak, {key} cells: {k['images']:,} images, {k['input_spikes']:,} input spikes, "
              f"{k['cells_disturbed']} cells disturbed, accuracy {pct(k['accuracy_first'])} -> "
              f"{pct(k['accuracy_last'])}")
    if rtl_images:
        doc["soak"]["rtl"] = rtl_soak(s, calibrated, rtl_images)
    doc["seconds"] = time.perf_counter() - t0
    plot(doc, out / "devices.png")
    (out / "devices.json").write_text(json.dumps(doc, indent=1) + "\n")
    (out / "devices.md").write_text(markdown(doc))
    print(f"wrote {out / 'devices.md'}, devices.png and devices.json in {doc['seconds']:.0f} s")
    return 0


def rtl_soak(s: Setup, calibrated: DeviceParams, per_pass: int) -> dict:
    """A stretch of the weak-cell soak in RTL: passes over the first images in one run, with
    limits scaled down so that cells are disturbed within it."""
    n = min(per_pass, len(s.labels))
    passes = 10
    params = calibrated.replace(disturb_reads=weak_limit(s.streams[:n], s.cfg.n_inputs, passes))
    streams = list(s.streams[:n]) * passes
    labels = np.tile(s.labels[:n], passes)
    r = rtl_run(s, params, 0, 2, streams, labels)
    cls = np.array(r.pop("cls"))
    per = [float(np.mean(cls[k * n:(k + 1) * n] == labels[k * n:(k + 1) * n]))
           for k in range(passes)]
    print(f"soak in RTL, weak cells: {r['bit_exact']} of {r['images']} bit-exact, accuracy "
          f"{pct(per[0])} -> {pct(per[-1])}")
    return {"passes": passes, "per_pass": n, "images": r["images"], "bit_exact": r["bit_exact"],
            "accuracy_first": per[0], "accuracy_last": per[-1],
            "limit": params.disturb_reads}


if __name__ == "__main__":
    raise SystemExit(main())
