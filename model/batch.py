# SPDX-License-Identifier: Apache-2.0
"""The golden model for many images at once, vectorized over images with numpy.

It computes exactly what `model.chip.ChipModel` computes (the tests hold the two together),
stepping all images through their k-th spike together. Images that are decided, or whose
stream has ended, drop out of the step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .chip import ImageResult, count_step, neuron_step
from .config import ChipConfig
from .errors import ConfigError
from .rram import Crossbar


def split_images(words: np.ndarray, eoi_word: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Cut a word stream after each EOI: (complete images, words left after the last EOI)."""
    words = np.asarray(words, dtype=np.int64)
    ends = np.flatnonzero(words == eoi_word) + 1
    images = np.split(words[: ends[-1]], ends[:-1]) if ends.size else []
    rest = words[ends[-1]:] if ends.size else words
    return images, rest


@dataclass
class BatchResult:
    """Per-image results of a batch, as arrays (index = image)."""

    cls: np.ndarray
    early: np.ndarray
    in_events: np.ndarray
    syn_events: np.ndarray
    out_spikes: np.ndarray
    dropped: np.ndarray
    skipped: np.ndarray
    membranes: np.ndarray      # images x neurons
    counts: np.ndarray         # images x neurons
    spike_neuron: np.ndarray   # all output spikes, image by image, in order
    spike_sign: np.ndarray
    spike_start: np.ndarray    # images + 1 offsets into the spike arrays

    def __len__(self) -> int:
        return len(self.cls)

    def image(self, i: int) -> ImageResult:
        lo, hi = self.spike_start[i], self.spike_start[i + 1]
        return ImageResult(
            cls=int(self.cls[i]), early=bool(self.early[i]),
            in_events=int(self.in_events[i]), syn_events=int(self.syn_events[i]),
            out_spikes=int(self.out_spikes[i]), dropped=int(self.dropped[i]),
            skipped=int(self.skipped[i]),
            spikes=list(zip(self.spike_neuron[lo:hi].tolist(), self.spike_sign[lo:hi].tolist())),
            membranes=tuple(self.membranes[i].tolist()), counts=tuple(self.counts[i].tolist()))


def run_batch(config: ChipConfig, crossbar: Crossbar, streams: list[np.ndarray]) -> BatchResult:
    """Run images through the model. Each stream holds one image's words and ends with EOI."""
    cfg = config.validate()
    if not getattr(crossbar.read_path, "stateless", False):
        raise ConfigError("the batch model needs a read path whose reads do not change state; "
                          "use model.chip.ChipModel")
    n, n_img = cfg.n_neurons, len(streams)
    weights = crossbar.weights()

    # sort each stream into spikes to integrate and words to drop
    rows_list, dropped = [], np.zeros(n_img, dtype=np.int64)
    for b, s in enumerate(streams):
        s = np.asarray(s, dtype=np.int64)
        if s.size == 0 or s[-1] != cfg.eoi_word or np.count_nonzero(s == cfg.eoi_word) != 1:
            raise ValueError(f"stream {b} must end with its only EOI word")
        body = s[:-1]
        good = (body >= 0) & (body < cfg.n_inputs)
        dropped[b] = body.size - np.count_nonzero(good)
        rows_list.append(body[good])
    length = np.array([r.size for r in rows_list], dtype=np.int64)
    steps = int(length.max()) if n_img else 0
    rows = np.full((n_img, max(steps, 1)), -1, dtype=np.int64)
    for b, r in enumerate(rows_list):
        rows[b, : r.size] = r

    v = np.zeros((n_img, n), dtype=np.int64)
    refr = np.zeros((n_img, n), dtype=np.int64)
    cnt = np.zeros((n_img, n), dtype=np.int64)
    rr = np.zeros(n_img, dtype=np.int64)
    decided = np.zeros(n_img, dtype=bool)
    early = np.zeros(n_img, dtype=bool)
    in_events = np.zeros(n_img, dtype=np.int64)
    out_spikes = np.zeros(n_img, dtype=np.int64)
    neuron_idx = np.arange(n, dtype=np.int64)
    rec_img, rec_step, rec_key, rec_neuron, rec_sign = [], [], [], [], []

    for s in range(steps):
        a = np.flatnonzero((length > s) & ~decided)
        if a.size == 0:
            break
        v[a], refr[a], pos, neg = neuron_step(cfg, v[a], refr[a], weights[rows[a, s]])
        cnt[a] = count_step(cfg, cnt[a], pos, neg)
        fired = pos | neg
        in_events[a] += 1

        hit = np.flatnonzero(fired.any(axis=1))
        if hit.size:
            b = a[hit]
            f = fired[hit]
            key = (neuron_idx - rr[b, None]) % n
            ii, jj = np.nonzero(f)
            rec_img.append(b[ii])
            rec_step.append(np.full(ii.size, s, dtype=np.int64))
            rec_key.append(key[ii, jj])
            rec_neuron.append(jj)
            rec_sign.append(neg[hit][ii, jj])
            out_spikes[b] += f.sum(axis=1)
            last = np.where(f, key, -1).max(axis=1)
            rr[b] = (rr[b] + last + 1) % n

        if cfg.ds:
            c = cnt[a]
            top2 = np.partition(c, n - 2, axis=1)[:, n - 2:]
            now = (top2[:, 1] - top2[:, 0]) >= cfg.ds
            decided[a[now]] = True
            early[a[now]] = True

    # class: most spikes, then highest membrane, then lowest index (argmax takes the first)
    cls = np.argmax(cnt * (1 << cfg.v_w) + v, axis=1) if n_img else cnt[:, 0]

    if rec_img:
        img = np.concatenate(rec_img)
        order = np.lexsort((np.concatenate(rec_key), np.concatenate(rec_step), img))
        spike_neuron = np.concatenate(rec_neuron)[order]
        spike_sign = np.concatenate(rec_sign)[order].astype(np.int64)
        spike_start = np.searchsorted(img[order], np.arange(n_img + 1))
    else:
        spike_neuron = spike_sign = np.zeros(0, dtype=np.int64)
        spike_start = np.zeros(n_img + 1, dtype=np.int64)

    return BatchResult(
        cls=cls.astype(np.int64), early=early, in_events=in_events, syn_events=in_events * n,
        out_spikes=out_spikes, dropped=dropped, skipped=length - in_events, membranes=v,
        counts=cnt, spike_neuron=spike_neuron, spike_sign=spike_sign, spike_start=spike_start)
