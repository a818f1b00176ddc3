# SPDX-License-Identifier: Apache-2.0
"""Pixels to spike trains: a deterministic rate code ordered by spike time.

A pixel of intensity p (0 .. p_max) is first quantized to a level q = round(p * levels /
p_max), 0 .. levels. It then spikes at the regular times levels / q, 2 levels / q, ... up to
the horizon of `frames` time units, so q * frames / levels spikes in all: a full-intensity
pixel once per time unit, a half-intensity one every other unit, a blank one never.

The spikes of all pixels are merged in time order; spikes at the same time go in address order
(row-major pixel index). The brightest pixels therefore speak first, which is what lets the dS
stop decide early. The stream of an image is its spike addresses followed by one EOI word.

The times are compared exactly: k * levels / q is a ratio of small integers, and IEEE division
rounds equal ratios to the same double, so the order never depends on rounding.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import ConfigError


@dataclass(frozen=True)
class RateEncoder:
    """Turns images into input-word streams."""

    levels: int = 16    # intensity levels above zero
    frames: int = 16    # horizon, in time units; a full pixel spikes once per unit

    def __post_init__(self):
        for name in ("levels", "frames"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ConfigError(f"{name} must be a whole number, got {value!r}")
        if not (1 <= self.levels <= 255):
            raise ConfigError(f"levels must lie in 1..255, got {self.levels}")
        if not (1 <= self.frames <= 4096):
            raise ConfigError(f"frames must lie in 1..4096, got {self.frames}")

    def quantize(self, images: np.ndarray, p_max: int) -> np.ndarray:
        """Intensities 0..p_max to levels 0..levels (round half up), as int64."""
        images = np.asarray(images, dtype=np.int64)
        return (images * (2 * self.levels) + p_max) // (2 * p_max)

    def spike_counts(self, q: np.ndarray) -> np.ndarray:
        """Spikes each pixel sends over the whole horizon."""
        return (np.asarray(q, dtype=np.int64) * self.frames) // self.levels

    def encode_levels(self, q: np.ndarray) -> np.ndarray:
        """Spike addresses (int64) of one image given its levels, flattened row-major."""
        q = np.asarray(q, dtype=np.int64).ravel()
        n = self.spike_counts(q)
        addr = np.repeat(np.arange(q.size, dtype=np.int64), n)
        if addr.size == 0:
            return addr
        # k-th spike (k = 1..n) of pixel i at time k * levels / q_i
        starts = np.cumsum(n) - n
        k = np.arange(addr.size, dtype=np.int64) - np.repeat(starts, n) + 1
        t = (k * self.levels) / q[addr]
        order = np.lexsort((addr, t))
        return addr[order]

    def streams(self, images: np.ndarray, p_max: int, eoi_word: int) -> list[np.ndarray]:
        """One input-word stream per image: spike addresses, then EOI."""
        q = self.quantize(images, p_max).reshape(len(images), -1)
        eoi = np.array([eoi_word], dtype=np.int64)
        return [np.concatenate([self.encode_levels(row), eoi]) for row in q]
