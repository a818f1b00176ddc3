# SPDX-License-Identifier: Apache-2.0
"""The golden model for many images at once, compiled with numba.

It computes exactly what `model.chip.ChipModel` computes (the tests hold the two together), one
image after the other, in a loop that numba compiles to machine code on first use (and caches
beside this file).
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from .chip import ImageResult
from .config import ChipConfig
from .device import read_row
from .rram import Crossbar


def split_images(words: np.ndarray, eoi_word: int) -> tuple[list[np.ndarray], np.ndarray]:
    """Cut a word stream after each EOI: (complete images, words left after the last EOI)."""
    words = np.asarray(words, dtype=np.int64)
    ends = np.flatnonzero(words == eoi_word) + 1
    images = np.split(words[: ends[-1]], ends[:-1]) if ends.size else []
    rest = words[ends[-1]:] if ends.size else words
    return images, rest


@dataclass(eq=False)
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
    cycles: np.ndarray         # RTL cycles per image with no stall (model.chip.Timing)

    def __len__(self) -> int:
        return len(self.cls)

    PER_IMAGE = ("cls", "early", "in_events", "syn_events", "out_spikes", "dropped", "skipped",
                 "membranes", "counts")

    def part(self, lo: int, hi: int) -> BatchResult:
        """Images lo..hi-1 as a batch of their own."""
        a, b = self.spike_start[lo], self.spike_start[hi]
        return BatchResult(
            **{f: getattr(self, f)[lo:hi] for f in self.PER_IMAGE},
            spike_neuron=self.spike_neuron[a:b], spike_sign=self.spike_sign[a:b],
            spike_start=self.spike_start[lo:hi + 1] - a, cycles=self.cycles[lo:hi])

    def first_mismatch(self, other: BatchResult) -> int | None:
        """The first image whose results differ from `other`'s (cycles aside), or None."""
        if len(self) != len(other):
            return min(len(self), len(other))
        bad = np.zeros(len(self), dtype=bool)
        for f in self.PER_IMAGE:
            x, y = getattr(self, f), getattr(other, f)
            bad |= (x != y).reshape(len(self), -1).any(axis=1)
        bad |= self.out_spikes != other.out_spikes
        if not bad.any() and (not np.array_equal(self.spike_neuron, other.spike_neuron) or
                              not np.array_equal(self.spike_sign, other.spike_sign)):
            # same counts everywhere, so the spike arrays line up image by image
            diff = (self.spike_neuron != other.spike_neuron) | (self.spike_sign != other.spike_sign)
            first = int(np.flatnonzero(diff)[0])
            return int(np.searchsorted(self.spike_start, first, side="right") - 1)
        return int(np.flatnonzero(bad)[0]) if bad.any() else None

    def __eq__(self, other) -> bool:
        return isinstance(other, BatchResult) and self.first_mismatch(other) is None

    def image(self, i: int) -> ImageResult:
        lo, hi = self.spike_start[i], self.spike_start[i + 1]
        return ImageResult(
            cls=int(self.cls[i]), early=bool(self.early[i]),
            in_events=int(self.in_events[i]), syn_events=int(self.syn_events[i]),
            out_spikes=int(self.out_spikes[i]), dropped=int(self.dropped[i]),
            skipped=int(self.skipped[i]),
            spikes=list(zip(self.spike_neuron[lo:hi].tolist(), self.spike_sign[lo:hi].tolist())),
            membranes=tuple(self.membranes[i].tolist()), counts=tuple(self.counts[i].tolist()),
            cycles=int(self.cycles[i]))


NEVER = 1 << 62


@numba.njit(cache=True, nogil=True)
def _run(words, start, length, w, s, dev, state, codes, stuck, limit, row_reads, counters,
         noise_thr, noise_seed, v_out, c_out, cls, early, in_events, dropped, skipped,
         cycles, sp_neuron, sp_sign, sp_start):  # pragma: no cover - compiled
    """The chip, image after image, with the cycle timing of model.chip.Timing. `words` holds
    every image's words but its EOI; `s` holds the settings (see run_batch), `dev` the read
    path's: [reads change state, multi-level, cells per synapse, cells, sense_ref, code_max].
    When reads change nothing, `w` holds every row's weights; otherwise each row is read
    through model.device.read_row. Returns the number of output spikes, or -1 if the spike
    arrays are too small."""
    leak, th_pos, th_neg, neg_en, net, refrac = s[0], s[1], s[2], s[3], s[4], s[5]
    v_min, v_max, c_min, c_max, ds, v_w = s[6], s[7], s[8], s[9], s[10], s[11]
    n_inputs, addr_w = s[12], s[13]
    dynamic, mlc, cps, cells, sense_ref, code_max = dev[0], dev[1], dev[2], dev[3], dev[4], \
        dev[5]
    n = w.shape[1]
    cells_per_row = n * cps
    row_codes = np.zeros(cells_per_row, np.int64)
    wrow = np.zeros(n, np.int64)
    v = np.zeros(n, np.int64)
    refr = np.zeros(n, np.int64)
    cnt = np.zeros(n, np.int64)
    sign = np.zeros(n, np.int64)     # per neuron: 0 none, 1 positive, 2 negative spike
    k, cap = 0, sp_neuron.shape[0]
    for b in range(length.shape[0]):
        v[:] = 0
        refr[:] = 0
        cnt[:] = 0
        rr = 0
        sp_start[b] = k
        head, slot_free, pend_free, gap_at = 0, 0, 0, NEVER
        for e in range(length[b]):
            word = words[start[b] + e]
            if word >> addr_w != 0 or word >= n_inputs:
                dropped[b] += 1
                head += 1
                continue
            c = max(head, min(gap_at, slot_free))
            head = c + 1
            if c >= gap_at:
                skipped[b] += 1
                continue
            # the crossbar read
            if dynamic:
                read_row(word, cells_per_row, state, codes, stuck, limit, row_reads, counters,
                         noise_thr, noise_seed, code_max, row_codes)
                for j in range(n):
                    if mlc:
                        mag = row_codes[j * 2]
                        wrow[j] = -mag if row_codes[j * 2 + 1] >= sense_ref else mag
                    else:
                        acc = 0
                        for q in range(cells):
                            acc += row_codes[j * cps + q] - row_codes[j * cps + cells + q]
                        wrow[j] = acc
            else:
                row_reads[word] += 1
                counters[0] += 1
                for j in range(n):
                    wrow[j] = w[word, j]
            for j in range(n):
                x = v[j]
                if x > leak:
                    x -= leak
                elif x < -leak:
                    x += leak
                else:
                    x = 0
                x += wrow[j]
                x = min(v_max, max(v_min, x))
                sign[j] = 0
                if refr[j] == 0:
                    if x >= th_pos:
                        sign[j] = 1
                        x -= th_pos
                    elif neg_en and x <= -th_neg:
                        sign[j] = 2
                        x += th_neg
                if sign[j] == 0:
                    if refr[j] > 0:
                        refr[j] -= 1
                else:
                    refr[j] = refrac
                    if sign[j] == 1:
                        cnt[j] = min(c_max, cnt[j] + 1)
                    elif net:
                        cnt[j] = max(c_min, cnt[j] - 1)
                v[j] = x
            # the out path: round robin from the pointer
            last, fired = -1, 0
            for t in range(n):
                j = rr + t
                if j >= n:
                    j -= n
                if sign[j] != 0:
                    if k >= cap:
                        return -1
                    sp_neuron[k] = j
                    sp_sign[k] = sign[j] - 1
                    k += 1
                    fired += 1
                    last = j
            if last >= 0:
                rr = last + 1 if last + 1 < n else 0
            in_events[b] += 1
            reached = False
            if ds > 0:
                top, second = c_min, c_min
                for j in range(n):
                    cj = cnt[j]
                    if cj > top:
                        second = top
                        top = cj
                    elif cj > second:
                        second = cj
                reached = top - second >= ds
            step = max(c + 1, pend_free)
            slot_free = step + 1
            pend_free = step + 1 + fired
            if reached:
                early[b] = True
                gap_at = step + 1
        if gap_at < NEVER:
            eoi = max(head, max(gap_at, max(slot_free, pend_free)) + 1)
        else:
            eoi = max(head, max(slot_free, pend_free))
        cycles[b] = eoi + 1
        # most spikes, then highest membrane, then lowest index
        best, best_key = 0, cnt[0] * (1 << v_w) + v[0]
        for j in range(1, n):
            key = cnt[j] * (1 << v_w) + v[j]
            if key > best_key:
                best, best_key = j, key
        cls[b] = best
        v_out[b, :] = v
        c_out[b, :] = cnt
    sp_start[length.shape[0]] = k
    return k


def run_batch(config: ChipConfig, crossbar: Crossbar, streams: list[np.ndarray]) -> BatchResult:
    """Run images through the model. Each stream holds one image's words and ends with EOI.
    The crossbar's cells, read counts and counters move on as the chip's would."""
    cfg = config.validate()
    if (crossbar.n_inputs, crossbar.n_neurons, crossbar.cells, crossbar.mlc) != (
            cfg.n_inputs, cfg.n_neurons, cfg.cells, cfg.mlc):
        raise ValueError("crossbar and configuration differ in size or kind of cell")
    n, n_img = cfg.n_neurons, len(streams)
    lens = np.array([len(x) for x in streams], dtype=np.int64)
    words = np.concatenate(streams).astype(np.int64) if n_img else np.zeros(0, np.int64)

    # every stream ends with its only EOI word, which the kernel does not see
    is_eoi = words == cfg.eoi_word
    ends = np.cumsum(lens) - 1
    if n_img and (np.any(lens == 0) or not np.all(is_eoi[ends[lens > 0]])
                  or np.count_nonzero(is_eoi) != n_img):
        raise ValueError("every stream must end with its only EOI word")
    if np.any(words < 0) or np.any(words >= 2 * cfg.eoi_word):
        raise ValueError(f"input words must lie in 0..{2 * cfg.eoi_word - 1}")
    body = words[~is_eoi]
    length = lens - 1
    start = np.concatenate([[0], np.cumsum(length)[:-1]]).astype(np.int64)

    settings = np.array([cfg.leak, cfg.th_pos, cfg.th_neg, int(cfg.neg_en), int(cfg.net_count),
                         cfg.refrac, cfg.v_min, cfg.v_max, cfg.cnt_min, cfg.cnt_max, cfg.ds,
                         cfg.v_w, cfg.n_inputs, cfg.addr_w], dtype=np.int64)
    dynamic = not crossbar.stateless
    dev = np.array([int(dynamic), int(cfg.mlc), crossbar.cps, cfg.cells, crossbar.sense_ref,
                    crossbar.code_max], dtype=np.int64)
    weights = np.ascontiguousarray(crossbar.weights() if not dynamic
                                   else np.zeros((cfg.n_inputs, n)), dtype=np.int64)
    d = crossbar.device
    v = np.zeros((n_img, n), np.int64)
    c = np.zeros((n_img, n), np.int64)
    cls = np.zeros(n_img, np.int64)
    spike_start = np.zeros(n_img + 1, np.int64)
    cap = max(1024, 4 * int(body.size))
    while True:
        # the crossbar's state moves on during the run: work on copies until the run fits
        state, row_reads = crossbar.state.copy(), crossbar.row_reads.copy()
        xcounters = crossbar.counters.copy()
        counters = [np.zeros(n_img, np.int64) for _ in range(4)]
        early = np.zeros(n_img, np.bool_)
        spike_neuron = np.zeros(cap, np.int64)
        spike_sign = np.zeros(cap, np.int64)
        total = _run(body, start, length, weights, settings, dev, state, d.codes, d.stuck,
                     d.limit, row_reads, xcounters, np.array(d.noise_thr, dtype=np.int64),
                     d.noise_seed, v, c, cls, early, *counters, spike_neuron, spike_sign,
                     spike_start)
        if total >= 0:
            break
        cap = n * int(body.size) + 1
    crossbar.state[:], crossbar.row_reads[:], crossbar.counters[:] = state, row_reads, xcounters
    in_events, dropped, skipped, cycles = counters
    return BatchResult(
        cls=cls, early=early, in_events=in_events, syn_events=in_events * n,
        out_spikes=np.diff(spike_start), dropped=dropped, skipped=skipped, membranes=v,
        counts=c, spike_neuron=spike_neuron[:total], spike_sign=spike_sign[:total],
        spike_start=spike_start, cycles=cycles)
