# SPDX-License-Identifier: Apache-2.0
"""Train the perceptron offline and write the weights file that `make sim` reads.

    python -m tools.train --dataset mnist [--mnist-dir DIR] [--out weights/mnist.json]
"""

from __future__ import annotations

import argparse
import time

from model import RateEncoder
from model.training import train

from .common import base_config, dataset, default_weights, guarded

BUDGET = {"mnist": 136.0, "digits": 60.0}
VALIDATION = {"mnist": 10000, "digits": 300}


@guarded
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="make train", description=__doc__.split("\n")[0])
    ap.add_argument("--dataset", default="mnist", choices=("mnist", "digits"))
    ap.add_argument("--mnist-dir", help="folder of the MNIST files (default: $MNIST_DIR)")
    ap.add_argument("--out", help="weights file to write (default: weights/<dataset>.json)")
    ap.add_argument("--budget", type=float,
                    help="mean input spikes per image allowed (default: 136 MNIST, 60 digits)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)

    from tqdm import tqdm

    t0 = time.perf_counter()
    data = dataset(args.dataset, "train", args.mnist_dir)
    base = base_config(args.dataset)
    encoder = RateEncoder(levels=16, frames=16)
    budget = args.budget if args.budget is not None else BUDGET[args.dataset]
    print(f"training on {len(data)} {args.dataset} images "
          f"({VALIDATION[args.dataset]} held out to choose the operating point)")
    with tqdm(total=7 * 29, desc="operating point", unit="run", leave=False) as bar:
        weights, _ = train(data, base, encoder, budget, VALIDATION[args.dataset], args.seed,
                           progress=bar)
    out = args.out or default_weights(args.dataset)
    weights.save(out)
    t = weights.training
    print(f"float {t['float_train_accuracy']:.4f}, integer {t['integer_train_accuracy']:.4f} "
          f"(training set); validation {t['validation_accuracy']:.4f} at "
          f"{t['validation_input_spikes']} input spikes per image, th {weights.settings['th_pos']}"
          f", dS {weights.settings['ds']}")
    print(f"wrote {out} in {time.perf_counter() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
