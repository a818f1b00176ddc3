# SPDX-License-Identifier: Apache-2.0
"""Handwritten digits: scikit-learn's bundled 8 x 8 digits, and MNIST from a folder.

MNIST images are brought to the chip's 12 x 12 inputs by dropping a 2-pixel border (MNIST
digits sit in the central 20 x 20 of 28 x 28) and averaging 2 x 2 blocks, rounding half up.
"""

from __future__ import annotations

import gzip
import os
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .errors import DataError

MNIST_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", 60000),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", 10000),
}
MNIST_HINT = ("get the four files from https://yann.lecun.com/exdb/mnist/ (gzipped or not) "
              "and set MNIST_DIR to their folder")


@dataclass
class Dataset:
    """Images (n x h x w, uint8, 0 .. p_max) and labels (n, int64)."""

    name: str
    images: np.ndarray
    labels: np.ndarray
    p_max: int

    def __len__(self) -> int:
        return len(self.labels)

    @property
    def n_inputs(self) -> int:
        return int(np.prod(self.images.shape[1:]))

    def head(self, n: int) -> Dataset:
        return Dataset(self.name, self.images[:n], self.labels[:n], self.p_max)


# ---- scikit-learn digits ---------------------------------------------------------------------

def load_digits(split: str = "test") -> Dataset:
    """scikit-learn's 1,797 digits (8 x 8, 0..16): a fixed stratified split, 1,198 train and
    599 test images."""
    from sklearn.datasets import load_digits as sk_digits
    from sklearn.model_selection import train_test_split

    if split not in ("train", "test"):
        raise DataError(f"split must be 'train' or 'test', got {split!r}")
    d = sk_digits()
    idx = np.arange(len(d.target))
    train, test = train_test_split(idx, test_size=599, stratify=d.target, random_state=0)
    pick = np.sort(train if split == "train" else test)
    images = d.images[pick].astype(np.uint8)
    return Dataset(f"digits-{split}", images, d.target[pick].astype(np.int64), 16)


# ---- MNIST ----------------------------------------------------------------------------------

def _find(folder: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx") + ".gz",
                 stem.replace("-idx", ".idx")):
        if (folder / name).is_file():
            return folder / name
    return None


def _read_idx(path: Path, magic: int, count: int, dims: tuple[int, ...]) -> np.ndarray:
    try:
        raw = path.read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise DataError(f"{path}: cannot read it ({exc}); it is corrupt or truncated. "
                        f"{MNIST_HINT}") from None
    header = 4 * (2 + len(dims))
    if len(raw) < header:
        raise DataError(f"{path}: only {len(raw)} bytes, too short for an IDX header; "
                        f"the file is truncated. {MNIST_HINT}")
    fields = np.frombuffer(raw[:header], dtype=">u4")
    if fields[0] != magic:
        raise DataError(f"{path}: magic number {int(fields[0])}, expected {magic}; this is not "
                        f"an MNIST {'image' if magic == 2051 else 'label'} file. {MNIST_HINT}")
    if fields[1] != count or tuple(int(x) for x in fields[2:]) != dims:
        raise DataError(f"{path}: header says {int(fields[1])} items of "
                        f"{tuple(int(x) for x in fields[2:])}, expected {count} of {dims}. "
                        f"{MNIST_HINT}")
    size = count * int(np.prod(dims, dtype=np.int64))
    if len(raw) != header + size:
        raise DataError(f"{path}: {len(raw) - header} data bytes, expected {size}; the file is "
                        f"truncated or has trailing data. {MNIST_HINT}")
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape((count,) + dims)


def load_mnist(folder: str | os.PathLike, split: str = "test", size: int = 12) -> Dataset:
    """MNIST from `folder`, downscaled to 12 x 12 (size=12) or kept at 28 x 28 (size=28)."""
    if split not in MNIST_FILES:
        raise DataError(f"split must be 'train' or 'test', got {split!r}")
    if size not in (12, 28):
        raise DataError(f"size must be 12 or 28, got {size}")
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"MNIST folder '{folder}' does not exist; {MNIST_HINT}")
    img_stem, lbl_stem, count = MNIST_FILES[split]
    paths = {stem: _find(folder, stem) for stem in (img_stem, lbl_stem)}
    missing = [stem + "[.gz]" for stem, path in paths.items() if path is None]
    if missing:
        raise DataError(f"MNIST folder '{folder}' lacks {' and '.join(missing)}; {MNIST_HINT}")
    images = _read_idx(paths[img_stem], 2051, count, (28, 28))
    labels = _read_idx(paths[lbl_stem], 2049, count, ())
    if labels.max() > 9:
        raise DataError(f"{paths[lbl_stem]}: a label is {int(labels.max())}, labels are 0..9; "
                        f"the file is corrupt. {MNIST_HINT}")
    if size == 12:
        images = downscale(images)
    return Dataset(f"mnist-{split}", images, labels.astype(np.int64), 255)


def downscale(images: np.ndarray) -> np.ndarray:
    """28 x 28 to 12 x 12: crop a 2-pixel border, then average 2 x 2 blocks (half up)."""
    x = np.asarray(images, dtype=np.int64)[:, 2:26, 2:26]
    x = x.reshape(len(x), 12, 2, 12, 2).sum(axis=(2, 4))
    return ((x + 2) // 4).astype(np.uint8)
