# SPDX-License-Identifier: Apache-2.0
"""Soak the whole chip: a long random stream through the RTL, bit-exact with the model.

    python -m tools.soak [--minutes M | --events N] [--seed S] [--structure NAME ...]
                         [--jobs J] [--rtl DIR] [--out DIR]
    python -m tools.soak --seed S --structure NAME --round R     # replay one round

Each structure (default: narrow and spirit) runs in a simulator of its own, `--jobs` at a time
(default 2), for its share of the time (default 3 minutes in all, builds aside) or of the input
events. It runs rounds of random settings, random weights and random images with bad words,
in batches with random input gaps and output backpressure in half of them
(tb/chip/test_soak.py); every image is compared with the golden model, and the invariants of
tb/common/invariants.py are checked on every batch and at the end of every round. It prints
the input events, synaptic events, output spikes and images checked.

The first mismatch ends the soak (the other structures stop at their next batch) with one line
naming the structure, round, batch and field, and the command that replays that round: a
round depends only on the seed, the structure and its number. The seed is random unless given,
and is printed first. Exit status: 0 all bit-exact, 1 a mismatch or a broken invariant,
2 bad argument.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import math
import os
import secrets
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path

from model import DIGITS, SPIRIT, ChipConfig, SpiritError

from .common import guarded, output_folder, whole

# the chip structures a soak can run; narrow and wide are those of tests/test_chip.py
STRUCTURES = {
    # tiny FIFOs, narrow membranes and counters: everything fills and saturates
    "narrow": ChipConfig(n_inputs=37, n_neurons=3, cells=2, addr_w=7, v_w=5, cnt_w=3, rf_w=2,
                         in_fifo_depth=2, out_fifo_depth=2),
    "spirit": SPIRIT,
    "wide": ChipConfig(n_inputs=200, n_neurons=13, cells=3, addr_w=9, v_w=10, cnt_w=6),
    "digits": DIGITS,
}
DEFAULT_STRUCTURES = ("narrow", "spirit")
DEFAULT_MINUTES = 3.0
# seconds between progress lines
PROGRESS_EVERY = 30.0
FIGURES = (("rounds", "rounds"), ("images", "images"), ("in_events", "input events"),
           ("syn_events", "synaptic events"), ("out_spikes", "output spikes"),
           ("dropped", "dropped"), ("skipped", "skipped"), ("cycles", "cycles"))


def minutes(value: str, name: str = "--minutes") -> float:
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and 0 < number <= 24 * 60):
        raise SpiritError(f"{name} must be a number of minutes in (0, 1440], got '{value}'")
    return number


def parse(argv) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="python -m tools.soak", description=__doc__.split("\n")[0])
    ap.add_argument("--minutes", help=f"soak time, builds aside (default {DEFAULT_MINUTES:g})")
    ap.add_argument("--events", help="stop once this many input events are checked instead")
    ap.add_argument("--seed", help="seed of the random stream (default: random, printed)")
    ap.add_argument("--structure", action="append",
                    help=f"chip structure: {', '.join(STRUCTURES)}; repeatable (default: "
                         f"{', '.join(DEFAULT_STRUCTURES)})")
    ap.add_argument("--round", help="replay this one round (needs --seed and one --structure)")
    ap.add_argument("--jobs", default="2", help="simulators at once (default 2)")
    ap.add_argument("--rtl", help="folder holding the RTL to soak instead of rtl/")
    ap.add_argument("--out", help="folder of the runs (default build/soak)")
    args = ap.parse_args(argv)
    # make soak MINUTES=... SEED=... (through the environment, so no shell parses the values)
    env_minutes = os.environ.get("SPIRIT_SOAK_MINUTES") or None
    if args.minutes is None and args.events is None and args.round is None and env_minutes:
        args.minutes = minutes(env_minutes, "MINUTES")
    env_seed = os.environ.get("SPIRIT_SOAK_SEED") or None
    if args.seed is None and env_seed:
        args.seed = whole("SEED", env_seed, 0, (1 << 32) - 1)
    if args.minutes is not None and args.events is not None:
        raise SpiritError("give --minutes or --events, not both")
    if isinstance(args.minutes, str):
        args.minutes = minutes(args.minutes)
    args.events = whole("--events", args.events, 1) if args.events is not None else None
    args.jobs = whole("--jobs", args.jobs, 1, 16)
    if isinstance(args.seed, str):
        args.seed = whole("--seed", args.seed, 0, (1 << 32) - 1)
    args.structure = list(dict.fromkeys(args.structure or DEFAULT_STRUCTURES))
    unknown = [s for s in args.structure if s not in STRUCTURES]
    if unknown:
        raise SpiritError(f"unknown structure '{unknown[0]}'; choose from "
                          f"{', '.join(STRUCTURES)}")
    if args.round is not None:
        args.round = whole("--round", args.round, 0)
        if args.seed is None or len(args.structure) != 1:
            raise SpiritError("--round replays one round: give its --seed and one --structure")
        if args.minutes is not None or args.events is not None:
            raise SpiritError("--round runs one whole round; leave out --minutes and --events")
    elif args.minutes is None and args.events is None:
        args.minutes = DEFAULT_MINUTES
    return args


def rtl_sources(folder: str | None):
    """The RTL files to build: rtl/, or the same files from another folder."""
    from tb.common.build import RTL_SOURCES

    if folder is None:
        return RTL_SOURCES, ""
    base = Path(folder).expanduser()
    if not base.is_dir():
        raise SpiritError(f"--rtl '{base}' is not a folder; name the folder of the RTL files")
    missing = [s.name for s in RTL_SOURCES if not (base / s.name).is_file()]
    if missing:
        raise SpiritError(f"--rtl folder '{base}' lacks {', '.join(missing)}")
    sources = [base / s.name for s in RTL_SOURCES]
    digest = hashlib.sha256(b"".join(s.read_bytes() for s in sources)).hexdigest()[:10]
    return sources, f"_rtl_{digest}"


def command(seed: int, name: str, number: int, rtl: str | None) -> str:
    extra = f" --rtl {rtl}" if rtl else ""
    return f"python -m tools.soak --seed {seed} --structure {name} --round {number}{extra}"


class Leg:
    """One structure's simulator run."""

    def __init__(self, name: str, build, folder: Path, spec: dict):
        self.name, self.build, self.folder, self.spec = name, build, folder, spec
        self.results = None
        self.result: dict | None = None

    @property
    def progress(self) -> dict:
        try:
            return json.loads((self.folder / "progress.json").read_text())
        except (OSError, ValueError):
            return {}

    def run(self, share: float | None, stop: Path) -> None:
        spec = dict(self.spec)
        if share is not None:
            spec["deadline"] = time.time() + share
        for name in ("progress.json", "result.json"):
            (self.folder / name).unlink(missing_ok=True)
        timeout = (share or 0) + 1800
        self.results = self.build.run("tb.chip.test_soak", test_dir=self.folder,
                                      env={"SPIRIT_SOAK": json.dumps(spec)}, timeout=timeout)
        path = self.folder / "result.json"
        self.result = json.loads(path.read_text()) if path.exists() else None
        if self.failure():
            stop.touch()

    def failure(self) -> str | None:
        if self.result is not None and "failure" in self.result:
            return self.result["failure"]
        if self.results is not None and (not self.results.ok or self.result is None):
            return "the simulation ended abnormally: " + self.results.summary()
        return None


@guarded
def main(argv=None) -> int:
    from tb.common.build import BUILD_ROOT, BuildError

    args = parse(argv)
    sources, tag = rtl_sources(args.rtl)
    seed = args.seed if args.seed is not None else secrets.randbelow(1 << 31)
    out = output_folder("--out", args.out, BUILD_ROOT / "soak", "soak")
    lock = open(out / ".lock", "w")
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        raise SpiritError(f"another soak is running in {out}; wait for it, or give "
                          "python -m tools.soak a folder of its own with --out") \
            from None
    names = args.structure
    if args.round is not None:
        plan = f"round {args.round} only"
    elif args.minutes is not None:
        plan = f"{args.minutes:g} minute{'' if args.minutes == 1 else 's'}"
    else:
        plan = f"{args.events:,} input events"
    print(f"soak: seed {seed}, {plan}, structures {', '.join(names)}, {args.jobs} at a time"
          + (f", RTL from {args.rtl}" if args.rtl else ""), flush=True)

    from tb.common.chip_run import chip_build

    legs = []
    for name in names:
        cfg = STRUCTURES[name]
        build = chip_build(cfg, rtl_sources=sources)
        if tag:
            build.name += tag
        try:
            seconds = build.build()
        except BuildError as exc:
            raise SpiritError(str(exc).splitlines()[0] + f" (see {build.dir / 'build.log'})") \
                from None
        print(f"  build {name}: {'up to date' if not seconds else f'{seconds:.0f} s'}",
              flush=True)
        folder = out / name
        folder.mkdir(parents=True, exist_ok=True)
        spec = dict(seed=seed, structure=dict(name=name, config=asdict(cfg)),
                    progress=str(folder / "progress.json"), result=str(folder / "result.json"),
                    stop=str(out / "stop"), deadline=None, events=None,
                    rounds=[args.round] if args.round is not None else None)
        if args.events is not None:
            spec["events"] = -(-args.events // len(names))
        legs.append(Leg(name, build, folder, spec))

    stop = out / "stop"
    stop.unlink(missing_ok=True)
    share = None
    if args.minutes is not None:
        share = args.minutes * 60 * min(args.jobs, len(legs)) / len(legs)
    t0 = time.time()
    done = threading.Event()

    def report_progress():
        while not done.wait(PROGRESS_EVERY):
            parts = []
            for leg in legs:
                p = leg.progress
                if p:
                    parts.append(f"{leg.name} {p.get('images', 0):,} images, "
                                 f"{p.get('in_events', 0):,} input events")
            if parts:
                print(f"  {(time.time() - t0) / 60:4.1f} min: " + "; ".join(parts), flush=True)

    watcher = threading.Thread(target=report_progress, daemon=True)
    watcher.start()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        list(pool.map(lambda leg: leg.run(share, stop), legs))
    done.set()
    stop.unlink(missing_ok=True)
    elapsed = time.time() - t0
    return summarize(legs, seed, elapsed, args.rtl)


def summarize(legs: list[Leg], seed: int, elapsed: float, rtl: str | None) -> int:
    """Print the figures per structure and in all; then the first failure, if any."""
    rows = [(leg.name, leg.result or leg.progress) for leg in legs]
    totals = {key: sum(int(r.get(key, 0)) for _, r in rows) for key, _ in FIGURES}
    rows.append(("total", totals))
    first = max(len("structure"), *(len(n) for n, _ in rows))
    widths = [max(len(label), *(len(f"{int(r.get(key, 0)):,}") for _, r in rows))
              for key, label in FIGURES]
    print("\n" + "structure".ljust(first) + "".join(
        f"  {label:>{w}}" for (_, label), w in zip(FIGURES, widths)))
    for name, r in rows:
        print(name.ljust(first) + "".join(
            f"  {int(r.get(key, 0)):>{w},}" for (key, _), w in zip(FIGURES, widths)))
    failed = [leg for leg in legs if leg.failure()]
    took = f"{elapsed:.0f} s" if elapsed < 120 else f"{elapsed / 60:.1f} minutes"
    print(f"{took} of soak: {totals['images']:,} images checked, "
          f"{totals['in_events']:,} input events, {totals['syn_events']:,} synaptic events, "
          f"{totals['out_spikes']:,} output spikes")
    if not failed and totals["images"] == 0:
        print("error: the soak ended before it checked a single image; give it more time "
              "(MINUTES, --minutes) or more input events (--events)", file=sys.stderr)
        return 2
    if not failed:
        print(f"PASS: every image bit-exact with the model, every invariant held (seed {seed})")
        return 0
    for leg in failed:
        where = leg.result if leg.result and "failure" in leg.result else leg.progress
        number = where.get("round")
        place = f"round {number}" if number is not None else "set-up"
        if "batch" in where:
            place += (f", batch {where['batch']} (images from {where.get('first_image', 0)}, "
                      f"input idle {where.get('gap_rate', 0)}/256, output stalls "
                      f"{where.get('bp_rate', 0)}/256)")
        print(f"FAIL {leg.name}, {place}: {leg.failure()}")
        if number is not None:
            print(f"seed {seed}; replay: {command(seed, leg.name, number, rtl)}")
        else:
            print(f"seed {seed}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
