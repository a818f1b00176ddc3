# SPDX-License-Identifier: Apache-2.0
"""What the command-line tools share: error handling, datasets by name, defaults."""

from __future__ import annotations

import functools
import os
import re
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


def dataset(name: str, split: str, folder: str | None = None, deskewed: bool = False) -> Dataset:
    """A dataset by name, at the chip's input size, deskewed if asked."""
    if name == "digits":
        return load_digits(split, deskewed=deskewed)
    if name == "mnist":
        return load_mnist(mnist_dir(folder), split, deskewed=deskewed)
    raise SpiritError(f"DATASET must be one of {', '.join(DATASETS)}, got '{name}'")


def base_config(name: str) -> ChipConfig:
    """Chip structure for a dataset: 64 inputs for 8 x 8 digits, SPIRIT's 144 for MNIST."""
    return DIGITS if name == "digits" else SPIRIT


def default_weights(name: str) -> Path:
    return ROOT / "weights" / f"{name}.json"


def whole(name: str, value, lo: int, hi: int | None = None) -> int:
    """A whole-number parameter in lo..hi, or a SpiritError that says so."""
    text = str(value).strip()
    if not re.fullmatch(r"-?[0-9]+", text):
        raise SpiritError(f"{name} must be a whole number, got '{value}'")
    number = int(text)
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


def flag(name: str, value) -> bool:
    """A 0/1 switch; empty means 0."""
    text = str(value if value is not None else "").strip()
    if text not in ("", "0", "1"):
        raise SpiritError(f"{name} must be 0 or 1, got '{value}'")
    return text == "1"


def output_path(name: str, value) -> Path:
    """A file the tool will write, checked before any work is done: it is not a folder, its
    folder can be made, and it can be opened for writing (a file made by the check alone is
    removed again)."""
    path = Path(value).expanduser()
    if path.is_dir():
        raise SpiritError(f"{name} '{path}' is a folder; name a file")
    existed = path.exists()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a"):
            pass
    except OSError as exc:
        raise SpiritError(f"{name} '{path}' cannot be written ({exc.strerror or exc}); "
                          "name a writable file") from None
    if not existed:
        path.unlink(missing_ok=True)
    return path


def output_folder(name: str, value, default: Path, owner: str) -> Path:
    """The folder a tool writes its runs and reports into (`value`, else `default`), made if
    needed. A folder the user names that holds files of anything else is refused, so that
    the tool never deletes or overwrites them: the tool's folders carry a marker file naming
    `owner`."""
    path = Path(value or default).expanduser().resolve()
    marker = path / f".spirit-{owner}"
    if path.exists() and not path.is_dir():
        raise SpiritError(f"{name} '{path}' is a file; name a folder")
    try:
        if value and path.is_dir() and any(path.iterdir()) and not marker.exists():
            raise SpiritError(f"{name} '{path}' holds files that are not a {owner} run's; name "
                              "a new or empty folder")
        path.mkdir(parents=True, exist_ok=True)
        marker.touch()
    except OSError as exc:
        raise SpiritError(f"{name} '{path}' cannot be made a folder to write in "
                          f"({exc.strerror or exc}); name another") from None
    return path


def setting(argument, variable: str, default=None):
    """A setting from the command line, else from the environment (how make passes its
    variables, unquoted), else the default."""
    if argument is not None:
        return argument
    value = os.environ.get(variable)
    return value if value not in (None, "") else default
