# SPDX-License-Identifier: Apache-2.0
"""Handwritten digits: scikit-learn's bundled 8 x 8 digits, and MNIST from a folder.

MNIST images are brought to the chip's 12 x 12 inputs by dropping a 2-pixel border (MNIST
digits sit in the central 20 x 20 of 28 x 28) and averaging 2 x 2 blocks, rounding half up.
Optionally each image is first deskewed (`deskew`): sheared horizontally so that its strokes
stand upright, a classic preprocessing that helps a linear classifier.
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
MNIST_HINT = ("get the four original MNIST files (gzipped or not; for example from "
              "https://ossci-datasets.s3.amazonaws.com/mnist/) and set MNIST_DIR to their folder")


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

def load_digits(split: str = "test", deskewed: bool = False) -> Dataset:
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
    if deskewed:
        images = deskew(images, 16)
    return Dataset(f"digits-{split}", images, d.target[pick].astype(np.int64), 16)


# ---- MNIST ----------------------------------------------------------------------------------

def _find(folder: Path, stem: str) -> Path | None:
    for name in (stem + ".gz", stem, stem.replace("-idx", ".idx") + ".gz",
                 stem.replace("-idx", ".idx")):
        path = folder / name
        if path.is_file():
            return path
        if path.is_symlink() or path.exists():
            raise DataError(f"{path} is not a regular file (a folder, a device, a pipe or a "
                            f"broken link); {MNIST_HINT}")
    return None


def _read_idx(path: Path, magic: int, count: int, dims: tuple[int, ...]) -> np.ndarray:
    """Read an IDX file, gzipped or not, checking its header before its data (so a bad file
    never costs more memory than a good one)."""
    header_size = 4 * (2 + len(dims))
    size = count * int(np.prod(dims, dtype=np.int64))
    try:
        with open(path, "rb") as raw:
            gz = raw.read(2) == b"\x1f\x8b"
        with (gzip.open(path, "rb") if gz else open(path, "rb")) as f:
            header = f.read(header_size)
            if len(header) < header_size:
                raise DataError(f"{path}: only {len(header)} bytes, too short for an IDX "
                                f"header; the file is truncated; {MNIST_HINT}")
            fields = np.frombuffer(header, dtype=">u4")
            if fields[0] != magic:
                kind = "image" if magic == 2051 else "label"
                raise DataError(f"{path}: magic number {int(fields[0])}, expected {magic}; "
                                f"this is not an MNIST {kind} file; {MNIST_HINT}")
            shape = tuple(int(x) for x in fields[2:])
            if fields[1] != count or shape != dims:
                raise DataError(f"{path}: header says {int(fields[1])} items of {shape}, "
                                f"expected {count} of {dims}; {MNIST_HINT}")
            data = f.read(size + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise DataError(f"{path}: cannot read it ({exc}); it is corrupt or truncated; "
                        f"{MNIST_HINT}") from None
    if len(data) != size:
        raise DataError(f"{path}: {'more' if len(data) > size else len(data)} data bytes, "
                        f"expected {size}; the file is truncated or has trailing data; "
                        f"{MNIST_HINT}")
    return np.frombuffer(data, dtype=np.uint8).reshape((count,) + dims)


def load_mnist(folder: str | os.PathLike, split: str = "test", size: int = 12,
               deskewed: bool = False) -> Dataset:
    """MNIST from `folder`, downscaled to 12 x 12 (size=12) or kept at 28 x 28 (size=28),
    deskewed first if asked."""
    if split not in MNIST_FILES:
        raise DataError(f"split must be 'train' or 'test', got {split!r}")
    if size not in (12, 28):
        raise DataError(f"size must be 12 or 28, got {size}")
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise DataError(f"MNIST_DIR '{folder}' is a file, not a folder; {MNIST_HINT}")
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
                        f"the file is corrupt; {MNIST_HINT}")
    if deskewed:
        images = deskew(images, 255)
    if size == 12:
        images = downscale(images)
    return Dataset(f"mnist-{split}", images, labels.astype(np.int64), 255)


def downscale(images: np.ndarray) -> np.ndarray:
    """28 x 28 to 12 x 12: crop a 2-pixel border, then average 2 x 2 blocks (half up)."""
    x = np.asarray(images, dtype=np.int64)[:, 2:26, 2:26]
    x = x.reshape(len(x), 12, 2, 12, 2).sum(axis=(2, 4))
    return ((x + 2) // 4).astype(np.uint8)


def deskew(images: np.ndarray, p_max: int) -> np.ndarray:
    """Shear each image horizontally about its centre of mass so that its main axis stands
    upright: the row at height y moves by alpha * (y - cy), with alpha the ratio of the
    intensity's xy and yy second moments; pixels are interpolated linearly along the row.
    Returns the same shape and range (0..p_max, rounded half to even)."""
    x = np.asarray(images, dtype=np.float64)
    n, h, w = x.shape
    ys = np.arange(h, dtype=np.float64)[None, :, None]
    xs = np.arange(w, dtype=np.float64)[None, None, :]
    total = x.sum(axis=(1, 2))
    safe = np.where(total > 0, total, 1.0)
    cy = (x * ys).sum(axis=(1, 2)) / safe
    cx = (x * xs).sum(axis=(1, 2)) / safe
    dy = ys - cy[:, None, None]
    vyy = (x * dy * dy).sum(axis=(1, 2))
    vxy = (x * dy * (xs - cx[:, None, None])).sum(axis=(1, 2))
    alpha = np.where(vyy > 0, vxy / np.where(vyy > 0, vyy, 1.0), 0.0)
    src = xs + alpha[:, None, None] * dy                      # where each output pixel comes from
    x0 = np.floor(src).astype(np.int64)
    frac = src - x0

    def tap(col: np.ndarray) -> np.ndarray:
        inside = (col >= 0) & (col < w)
        return np.where(inside, np.take_along_axis(x, np.clip(col, 0, w - 1), axis=2), 0.0)

    out = tap(x0) * (1.0 - frac) + tap(x0 + 1) * frac
    return np.clip(np.rint(out), 0, p_max).astype(np.uint8)
