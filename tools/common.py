# SPDX-License-Identifier: Apache-2.0
"""What the command-line tools share: error handling, datasets by name, defaults."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

from model import DIGITS, SPIRIT, ChipConfig, SpiritError
from model.datasets import Dataset, load_digits, load_mnist

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_MNIST_DIR = ROOT.parent / "shared" / "data" / "mnist"
DATASETS = ("digits", "mnist")


def mnist_dir(value: str | None = None) -> Path:
    """The MNIST folder: the argument, else $MNIST_DIR, else ../shared/data/mnist."""
    return Path(value or os.environ.get("MNIST_DIR") or DEFAULT_MNIST_DIR)


def dataset(name: str, split: str, folder: str | None = None) -> Dataset:
    if name == "digits":
        return load_digits(split)
    if name == "mnist":
        return load_mnist(mnist_dir(folder), split)
    raise SpiritError(f"DATASET must be one of {', '.join(DATASETS)}, got '{name}'")


def base_config(name: str) -> ChipConfig:
    """Chip structure for a dataset: 64 inputs for 8 x 8 digits, SPIRIT's 144 for MNIST."""
    return DIGITS if name == "digits" else SPIRIT


def default_weights(name: str) -> Path:
    return ROOT / "weights" / f"{name}.json"


def whole(name: str, value, lo: int, hi: int | None = None) -> int:
    """A whole-number parameter in lo..hi, or a SpiritError that says so."""
    try:
        number = int(str(value).strip())
    except ValueError:
        raise SpiritError(f"{name} must be a whole number, got '{value}'") from None
    if number < lo or (hi is not None and number > hi):
        span = f"{lo}..{hi}" if hi is not None else f">= {lo}"
        raise SpiritError(f"{name} must be {span}, got {number}")
    return number


def guarded(main):
    """Run a tool's main: a user mistake prints one line and exits 2, never a traceback."""

    @functools.wraps(main)
    def wrapper(argv=None):
        try:
            return main(argv)
        except SpiritError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130

    return wrapper
