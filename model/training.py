# SPDX-License-Identifier: Apache-2.0
"""Offline training of the perceptron for the chip, and the choice of its operating point.

The recipe (`Recipe`), step by step, for each candidate encoding (levels, horizon):
1. Inputs: the images (deskewed first if `deskew`) are quantized to the encoder's levels, the
   values the spike encoder turns into spike counts; they are the features, scaled to 0..1.
2. Start: a bias-free multinomial logistic regression (scikit-learn; the chip has no bias).
3. Quantization-aware training (`qat_epochs` > 0): the weights are trained in integer units
   through their rounded, clipped values (-cells..cells), with a straight-through gradient,
   a learned logit scale and Adam; the epoch with the best validation accuracy is kept. With
   `qat_epochs` = 0 the float weights are rounded at the scale that fits the training set best.
4. Operating point: with the golden model, every threshold and dS of a grid runs the held-out
   images.
Of all encodings, thresholds and dS whose mean input spikes per image stay within `budget`,
the points within `tolerance` of the best accuracy are kept, and the one with the fewest input
spikes wins: accuracy first, then as few spikes as accuracy allows.
"""

from __future__ import annotations

import platform
from dataclasses import asdict, dataclass

import numpy as np

from .batch import run_batch
from .config import ChipConfig
from .datasets import Dataset
from .encoding import RateEncoder
from .rram import Crossbar
from .weights import Weights

THRESHOLDS = (1, 2, 3, 4, 5, 6, 7, 8)
DS_VALUES = tuple(range(2, 31))


@dataclass(frozen=True)
class Recipe:
    deskew: bool = True        # shear the images upright before encoding
    # candidate encodings: (intensity levels, horizon in time units)
    encodings: tuple[tuple[int, int], ...] = ((4, 4), (8, 8), (16, 16))
    tolerance: float = 0.003   # accuracy given up for fewer spikes, at most
    qat_epochs: int = 30       # 0: round the float weights instead
    batch: int = 256
    lr: float = 0.05
    budget: float = 136.0      # mean input spikes per image allowed
    val_size: int = 10000      # held-out training images
    seed: int = 0


def features(data: Dataset, encoder: RateEncoder) -> np.ndarray:
    """Quantized intensity levels, one row per image, scaled to 0..1."""
    q = encoder.quantize(data.images, data.p_max).reshape(len(data), -1)
    return q / encoder.levels


def fit_float(x: np.ndarray, y: np.ndarray, reg: float = 0.05, seed: int = 0) -> np.ndarray:
    """Bias-free multinomial logistic regression; returns inputs x classes."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(fit_intercept=False, C=reg, max_iter=500, random_state=seed)
    clf.fit(x, y)
    return clf.coef_.T.copy()


def accuracy(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """Accuracy of the linear classifier argmax(x @ w)."""
    return float(np.mean(np.argmax(x @ w, axis=1) == y))


def quantize(w: np.ndarray, x: np.ndarray, y: np.ndarray, cells: int) -> tuple[np.ndarray, float]:
    """Round weights to -cells..cells at the scale that classifies (x, y) best."""
    best = (-1.0, None)
    mags = np.abs(w).ravel()
    for pct in (90, 95, 97, 98, 99, 99.5, 99.8, 100):
        scale = cells / max(np.percentile(mags, pct), 1e-12)
        wq = np.clip(np.rint(w * scale), -cells, cells).astype(np.int64)
        acc = accuracy(x, y, wq)
        if acc > best[0]:
            best = (acc, wq)
    return best[1], best[0]


def fit_qat(x: np.ndarray, y: np.ndarray, xv: np.ndarray, yv: np.ndarray, w0: np.ndarray,
            cells: int, recipe: Recipe, progress=None) -> tuple[np.ndarray, list[float]]:
    """Quantization-aware training from float weights `w0`; returns the integer weights of the
    best validation epoch and the validation accuracy of every epoch."""
    rng = np.random.default_rng(recipe.seed)
    n_cls = w0.shape[1]
    w = w0 * (cells / max(np.percentile(np.abs(w0), 99), 1e-12))   # integer units
    q = np.clip(np.rint(w), -cells, cells)
    alpha = 3.0 / max(float(np.abs(x @ q).mean()), 1e-9)            # logit scale
    onehot = np.eye(n_cls)[y]
    mom = [np.zeros_like(w), np.zeros_like(w), 0.0, 0.0]
    steps = recipe.qat_epochs * -(-len(x) // recipe.batch)
    best, history, t = (-1.0, q.astype(np.int64)), [], 0
    for _ in range(recipe.qat_epochs):
        order = rng.permutation(len(x))
        for lo in range(0, len(x), recipe.batch):
            b = order[lo:lo + recipe.batch]
            q = np.clip(np.rint(w), -cells, cells)
            z = alpha * (x[b] @ q)
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            g = (p - onehot[b]) / len(b)
            gw = alpha * (x[b].T @ g) * (np.abs(w) <= cells + 0.5)     # straight through
            ga = float(np.sum(g * (x[b] @ q)))
            t += 1
            lr = recipe.lr * 0.5 * (1 + np.cos(np.pi * t / steps))     # cosine decay
            for i, grad in ((0, gw), (2, ga)):
                mom[i] = 0.9 * mom[i] + 0.1 * grad
                mom[i + 1] = 0.999 * mom[i + 1] + 0.001 * grad * grad
                step = lr * (mom[i] / (1 - 0.9 ** t)) / (np.sqrt(mom[i + 1] / (1 - 0.999 ** t))
                                                         + 1e-8)
                if i == 0:
                    w -= step
                else:
                    alpha = max(alpha - 0.01 * step, 1e-6)
        q = np.clip(np.rint(w), -cells, cells).astype(np.int64)
        acc = accuracy(xv, yv, q)
        history.append(acc)
        if acc > best[0]:
            best = (acc, q)
        if progress is not None:
            progress.update(1)
    return best[1], history


@dataclass
class Point:
    th: int
    ds: int
    accuracy: float
    in_events: float
    levels: int = 16
    frames: int = 16


def sweep(base: ChipConfig, wq: np.ndarray, val: Dataset, encoder: RateEncoder,
          thresholds=THRESHOLDS, ds_values=DS_VALUES, progress=None) -> list[Point]:
    """Accuracy and input spikes on `val` for every threshold and dS."""
    xbar = Crossbar.from_weights(wq, base.cells)
    streams = encoder.streams(val.images, val.p_max, base.eoi_word)
    points = []
    for th in thresholds:
        for ds in ds_values:
            r = run_batch(base.replace(th_pos=th, th_neg=th, ds=ds), xbar, streams)
            points.append(Point(th, ds, float(np.mean(r.cls == val.labels)),
                                float(np.mean(r.in_events)), encoder.levels, encoder.frames))
            if progress is not None:
                progress.update(1)
    return points


def best_within(points: list[Point], budget: float, tolerance: float = 0.0) -> Point:
    """The fewest input spikes among the points within the budget whose accuracy is within
    `tolerance` of the best such point."""
    within = [p for p in points if p.in_events <= budget] or points
    top = max(p.accuracy for p in within)
    near = [p for p in within if p.accuracy >= top - tolerance - 1e-12]
    return min(near, key=lambda p: (p.in_events, -p.accuracy))


def train_encoding(fit: Dataset, val: Dataset, base: ChipConfig, recipe: Recipe,
                   encoder: RateEncoder, progress=None) -> tuple[np.ndarray, dict, list[Point]]:
    """Weights for one encoding, the record of how they were made, and their sweep."""
    x, y = features(fit, encoder), fit.labels
    xv, yv = features(val, encoder), val.labels
    w = fit_float(x, y, seed=recipe.seed)
    record = dict(float_fit_accuracy=round(accuracy(x, y, w), 4),
                  float_validation_accuracy=round(accuracy(xv, yv, w), 4))
    if recipe.qat_epochs:
        wq, history = fit_qat(x, y, xv, yv, w, base.cells, recipe, progress)
        record["qat_validation_accuracy"] = [round(a, 4) for a in history]
    else:
        wq, _ = quantize(w, x, y, base.cells)
    record.update(integer_fit_accuracy=round(accuracy(x, y, wq), 4),
                  integer_validation_accuracy=round(accuracy(xv, yv, wq), 4))
    return wq, record, sweep(base, wq, val, encoder, progress=progress)


def train(train_set: Dataset, base: ChipConfig, recipe: Recipe,
          progress=None) -> tuple[Weights, list[Point]]:
    """The whole recipe on `train_set` (already deskewed if the recipe says so). The last
    `val_size` images are held out to choose the epoch, the encoding and the operating
    point."""
    import sklearn

    n_val = recipe.val_size
    fit = Dataset(train_set.name, train_set.images[:-n_val], train_set.labels[:-n_val],
                  train_set.p_max)
    val = Dataset(train_set.name, train_set.images[-n_val:], train_set.labels[-n_val:],
                  train_set.p_max)
    results, points = {}, []
    for levels, frames in recipe.encodings:
        encoder = RateEncoder(levels=levels, frames=frames)
        wq, record, pts = train_encoding(fit, val, base, recipe, encoder, progress)
        results[(levels, frames)] = (wq, record, pts)
        points += pts
    point = best_within(points, recipe.budget, recipe.tolerance)
    wq, record, _ = results[(point.levels, point.frames)]
    encoder = RateEncoder(levels=point.levels, frames=point.frames)
    settings = dict(th_pos=point.th, th_neg=point.th, leak=0, refrac=0, ds=point.ds,
                    neg_en=True, net_count=True)
    record.update(
        recipe=asdict(recipe), fit_images=len(fit), validation_images=len(val),
        validation_accuracy=round(point.accuracy, 4),
        validation_input_spikes=round(point.in_events, 1),
        encodings_tried={f"{lv}/{fr}": {"accuracy": round(p.accuracy, 4),
                                        "input_spikes": round(p.in_events, 1),
                                        "th": p.th, "ds": p.ds}
                         for (lv, fr), (_, _, pts) in results.items()
                         for p in [best_within(pts, recipe.budget, recipe.tolerance)]},
        sklearn=sklearn.__version__, numpy=np.__version__, python=platform.python_version())
    return Weights(dataset=train_set.name.split("-")[0], weights=wq, cells=base.cells,
                   encoder=encoder, settings=settings, deskew=recipe.deskew,
                   training=record), points
