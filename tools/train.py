# SPDX-License-Identifier: Apache-2.0
"""Train the perceptron offline and write the weights files that `make sim` reads.

    python -m tools.train [--dataset digits|mnist] [--recipe best|chip] [--mnist-dir DIR]
                          [--out FILE] [--budget SPIKES] [--seed N]
    python -m tools.train --all          # what `make train` runs: every committed file

Recipes: `best` deskews the images and trains with quantization awareness; `chip` follows the
published chip (no deskew, a float classifier rounded to -4..+4). Both choose the threshold
and dS on held-out training images under the input-spike budget.
"""

from __future__ import annotations

import argparse
import math
import time
from dataclasses import replace

from model import SpiritError
from model.training import DS_VALUES, THRESHOLDS, Recipe, train

from .common import ROOT, base_config, dataset, guarded, output_path

RECIPES = {
    "best": Recipe(deskew=True, qat_epochs=30),
    "chip": Recipe(deskew=False, qat_epochs=0, encodings=((16, 16),), tolerance=0.0),
}
BUDGET = {"mnist": 136.0, "digits": 60.0}
VALIDATION = {"mnist": 10000, "digits": 300}
# the committed weights files: (dataset, recipe)
COMMITTED = (("digits", "best"), ("mnist", "best"), ("mnist", "chip"))


def default_out(name: str, recipe: str) -> str:
    return str(ROOT / "weights" / (f"{name}.json" if recipe == "best" else
                                   f"{name}_{recipe}.json"))


@guarded
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tools.train", description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", default="mnist", choices=("mnist", "digits"))
    ap.add_argument("--recipe", default="best", choices=tuple(RECIPES))
    ap.add_argument("--all", action="store_true", help="every committed weights file")
    ap.add_argument("--mnist-dir", help="folder of the MNIST files (default: $MNIST_DIR)")
    ap.add_argument("--out", help="weights file (default: weights/<dataset>[_<recipe>].json)")
    ap.add_argument("--budget", type=float,
                    help="mean input spikes per image allowed (default: 136 MNIST, 60 digits)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    if args.budget is not None and not (math.isfinite(args.budget) and args.budget > 0):
        raise SpiritError(f"--budget must be a positive number of spikes, got {args.budget}")
    if args.all and args.out:
        raise SpiritError("--out names one file; --all writes every committed weights file")

    from tqdm import tqdm

    jobs = COMMITTED if args.all else ((args.dataset, args.recipe),)
    # every input and output is checked before any training starts
    plan = []
    for name, recipe_name in jobs:
        out = output_path("--out", args.out or default_out(name, recipe_name))
        recipe = replace(RECIPES[recipe_name], seed=args.seed,
                         budget=args.budget if args.budget is not None else BUDGET[name],
                         val_size=VALIDATION[name])
        data = dataset(name, "train", args.mnist_dir, deskewed=recipe.deskew)
        plan.append((name, recipe_name, recipe, data, out))
    for name, recipe_name, recipe, data, out in plan:
        t0 = time.perf_counter()
        print(f"training on {len(data)} {name} images with the '{recipe_name}' recipe "
              f"({recipe.val_size} held out to choose the operating point)")
        total = len(recipe.encodings) * (recipe.qat_epochs + len(THRESHOLDS) * len(DS_VALUES))
        with tqdm(total=total, desc="training", unit="step", leave=False, disable=None) as bar:
            weights, _ = train(data, base_config(name), recipe, progress=bar)
        weights.save(out)
        t = weights.training
        print(f"  integer weights: {t['integer_fit_accuracy']:.4f} on the training images, "
              f"{t['integer_validation_accuracy']:.4f} held out (linear)")
        print(f"  on the chip model: {t['validation_accuracy']:.4f} held out at "
              f"{t['validation_input_spikes']} input spikes per image, encoding "
              f"{weights.encoder.levels} levels over {weights.encoder.frames} time units, "
              f"threshold {weights.settings['th_pos']}, dS {weights.settings['ds']}")
        print(f"  wrote {out} in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
