# SPDX-License-Identifier: Apache-2.0
"""Random stimulus for long whole-chip runs (the soak, tools/soak.py): settings, weights and
input streams drawn from a numpy Generator, so that a seed gives the same run every time.

The draws reach the corners on purpose: thresholds from 1 to the membrane's limit, leak and
refractory periods, dS from off to large, weights of one sign or sparse (membranes and spike
counts saturate), images from empty to long, hot rows hit again and again, bad words (an
address out of range or an unknown command) at rates up to 15%.
"""

from __future__ import annotations

import numpy as np

from model import ChipConfig


def random_settings(rng: np.random.Generator, base: ChipConfig) -> ChipConfig:
    """`base`'s structure with every register setting drawn at random."""
    vmax = base.v_max
    low = min(vmax, 12)

    def threshold() -> int:
        return int(rng.integers(1, low + 1)) if rng.random() < 0.85 else \
            int(rng.integers(1, vmax + 1))

    leak = int(rng.choice([0, 0, 0, 1, 2])) if rng.random() < 0.9 else \
        int(rng.integers(0, vmax + 1))
    ds = 0 if rng.random() < 0.2 else int(rng.integers(1, min(base.ds_max, 12) + 1))
    return base.replace(th_pos=threshold(), th_neg=threshold(), leak=leak,
                        refrac=int(rng.integers(0, min((1 << base.rf_w) - 1, 5) + 1)), ds=ds,
                        neg_en=bool(rng.random() < 0.7), net_count=bool(rng.random() < 0.7))


def random_weights(rng: np.random.Generator, cfg: ChipConfig) -> np.ndarray:
    """Integer weights, inputs x neurons, in -cells..cells, in one of a few styles."""
    c, shape = cfg.cells, (cfg.n_inputs, cfg.n_neurons)
    style = rng.integers(0, 5)
    if style == 0:                                  # uniform
        return rng.integers(-c, c + 1, size=shape)
    if style == 1:                                  # sparse
        return np.where(rng.random(shape) < 0.2, rng.integers(-c, c + 1, size=shape), 0)
    if style == 2:                                  # excitatory only: membranes run high
        return rng.integers(0, c + 1, size=shape)
    if style == 3:                                  # inhibitory only: membranes run low
        return -rng.integers(0, c + 1, size=shape)
    sign = np.where(rng.random(cfg.n_inputs) < 0.5, 1, -1)[:, None]
    return sign * rng.integers(0, c + 1, size=shape)   # one sign per row


def bad_words(rng: np.random.Generator, cfg: ChipConfig, n: int) -> np.ndarray:
    """`n` words the chip must drop: addresses >= N_INPUTS, commands other than EOI."""
    out_of_range = (1 << cfg.addr_w) - cfg.n_inputs
    words = rng.integers(cfg.eoi_word + 1, 2 * cfg.eoi_word, size=n)    # unknown commands
    if out_of_range:
        addresses = rng.integers(cfg.n_inputs, 1 << cfg.addr_w, size=n)
        words = np.where(rng.random(n) < 0.5, addresses, words)
    return words.astype(np.int64)


def random_image(rng: np.random.Generator, cfg: ChipConfig, max_len: int) -> np.ndarray:
    """One image's input words, ending with its EOI."""
    style = rng.random()
    if style < 0.05:                                # empty: EOI alone
        length = 0
    elif style < 0.15:                              # long
        length = int(rng.integers(max_len // 2, max_len + 1))
    else:
        length = int(rng.integers(1, max_len // 2 + 1))
    if rng.random() < 0.2:                          # a few hot rows
        rows = rng.integers(0, cfg.n_inputs, size=int(rng.integers(1, 4)))
        words = rng.choice(rows, size=length)
    else:
        words = rng.integers(0, cfg.n_inputs, size=length)
    rate = 0.0 if rng.random() < 0.3 else float(rng.random() * 0.15)
    bad = rng.random(length) < rate
    if bad.any():
        words = np.where(bad, bad_words(rng, cfg, length), words)
    return np.concatenate([words, [cfg.eoi_word]]).astype(np.int64)


def random_streams(rng: np.random.Generator, cfg: ChipConfig, n_images: int,
                   max_len: int = 200) -> list[np.ndarray]:
    """Random images, each ending with its EOI."""
    return [random_image(rng, cfg, max_len) for _ in range(n_images)]


def random_pacing(rng: np.random.Generator) -> tuple[int, int]:
    """(input idle rate, output stall rate), out of 256: none in half of the batches."""
    if rng.random() < 0.5:
        return 0, 0
    return int(rng.choice([0, 20, 80, 200])), int(rng.choice([0, 40, 120, 230]))
