# SPDX-License-Identifier: Apache-2.0
"""Offline training of the perceptron, then its conversion to the chip.

1. A linear classifier without bias (the chip has none) is fitted on the quantized intensity
   levels that the encoder will turn into spikes: scikit-learn's multinomial logistic
   regression.
2. The float weights are scaled and rounded to -cells..+cells; the scale that gives the best
   training accuracy of the integer linear classifier wins.
3. The operating point (threshold and dS) is chosen with the golden model on held-out training
   images: the best accuracy whose mean input spikes per image stay within a budget.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass

import numpy as np

from .batch import run_batch
from .config import ChipConfig
from .datasets import Dataset
from .encoding import RateEncoder
from .rram import Crossbar
from .weights import Weights


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


def quantize(w: np.ndarray, x: np.ndarray, y: np.ndarray, cells: int) -> tuple[np.ndarray, float]:
    """Round weights to -cells..cells at the scale that classifies (x, y) best."""
    best = (-1.0, None)
    mags = np.abs(w).ravel()
    for pct in (90, 95, 97, 98, 99, 99.5, 99.8, 100):
        scale = cells / max(np.percentile(mags, pct), 1e-12)
        wq = np.clip(np.rint(w * scale), -cells, cells).astype(np.int64)
        acc = float(np.mean(np.argmax(x @ wq, axis=1) == y))
        if acc > best[0]:
            best = (acc, wq)
    return best[1], best[0]


DS_VALUES = tuple(range(2, 31))


@dataclass
class Point:
    th: int
    ds: int
    accuracy: float
    in_events: float


def choose_point(base: ChipConfig, wq: np.ndarray, val: Dataset, encoder: RateEncoder,
                 budget: float, thresholds=(1, 2, 3, 4, 5, 6, 8), ds_values=DS_VALUES,
                 progress=None) -> tuple[Point, list[Point]]:
    """Best accuracy on `val` whose mean input spikes per image stay within `budget`."""
    xbar = Crossbar.from_weights(wq, base.cells)
    streams = encoder.streams(val.images, val.p_max, base.eoi_word)
    points = []
    for th in thresholds:
        for ds in ds_values:
            cfg = base.replace(th_pos=th, th_neg=th, ds=ds)
            r = run_batch(cfg, xbar, streams)
            points.append(Point(th, ds, float(np.mean(r.cls == val.labels)),
                                float(np.mean(r.in_events))))
            if progress is not None:
                progress.update(1)
    within = [p for p in points if p.in_events <= budget] or points
    best = max(within, key=lambda p: (p.accuracy, -p.in_events))
    return best, points


def train(train_set: Dataset, base: ChipConfig, encoder: RateEncoder, budget: float,
          val_size: int, seed: int = 0, progress=None) -> tuple[Weights, list[Point]]:
    """The whole recipe. The last `val_size` training images choose the operating point."""
    import sklearn

    fit_set = Dataset(train_set.name, train_set.images[:-val_size],
                      train_set.labels[:-val_size], train_set.p_max)
    val = Dataset(train_set.name, train_set.images[-val_size:], train_set.labels[-val_size:],
                  train_set.p_max)
    x, y = features(fit_set, encoder), fit_set.labels
    w = fit_float(x, y, seed=seed)
    float_acc = float(np.mean(np.argmax(x @ w, axis=1) == y))
    wq, int_acc = quantize(w, x, y, base.cells)
    point, points = choose_point(base, wq, val, encoder, budget, progress=progress)
    settings = dict(th_pos=point.th, th_neg=point.th, leak=0, refrac=0, ds=point.ds,
                    neg_en=True, net_count=True)
    record = dict(
        method="bias-free multinomial logistic regression on quantized levels, weights "
               "rounded at the scale of best training accuracy, operating point searched "
               "with the golden model",
        fit_images=len(fit_set), validation_images=len(val), seed=seed,
        float_train_accuracy=round(float_acc, 4), integer_train_accuracy=round(int_acc, 4),
        spike_budget=budget, validation_accuracy=round(point.accuracy, 4),
        validation_input_spikes=round(point.in_events, 1),
        sklearn=sklearn.__version__, numpy=np.__version__, python=platform.python_version())
    return Weights(dataset=train_set.name.split("-")[0], weights=wq, cells=base.cells,
                   encoder=encoder, settings=settings, training=record), points
