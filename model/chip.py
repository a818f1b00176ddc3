# SPDX-License-Identifier: Apache-2.0
"""Golden model of spirit_chip, one input word at a time: the readable statement of what the
RTL computes. `model.batch` computes the same, many images at once.

Semantics shared with the RTL (see README, "What the chip computes"):

* Input words are {command, address}. A spike names an input line; the command 0 ends an image
  (EOI). A word with an address >= n_inputs, or an unknown command, is dropped and counted.
* A spike before the image's decision is integrated: each neuron leaks toward zero, adds the
  weight of its synapse on that line (saturating), then fires if it reaches a threshold, unless
  it is refractory. A spike after the decision is skipped and counted.
* The spikes of one input event leave in round-robin order: from the pointer onward,
  cyclically; the pointer then moves just past the last one sent.
* Spikes are counted per neuron in a signed saturating counter: +1 for a positive spike, and
  with net counting -1 for a negative one. Once the top count leads the second by ds (ds > 0)
  the image is decided early; otherwise it is decided at EOI. The class is the neuron with the
  highest count, ties going to the higher membrane, then the lower index.
* EOI clears the membranes, refractory counters, spike counters and the round-robin pointer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .config import ChipConfig
from .rram import Crossbar


@dataclass
class ImageResult:
    """What the chip did with one image: its output and its counters."""

    cls: int                    # class decided
    early: bool                 # decided by the dS stop (else at EOI)
    in_events: int              # spikes integrated
    syn_events: int             # synapse reads integrated: in_events x n_neurons
    out_spikes: int             # output spikes, both signs
    dropped: int                # words dropped: bad address or unknown command
    skipped: int                # spikes after the decision, not integrated
    spikes: list[tuple[int, int]] = field(default_factory=list)   # (neuron, 1 if negative)
    membranes: tuple[int, ...] = ()   # at the decision (they do not change after it)
    counts: tuple[int, ...] = ()      # spike count per neuron (net or positive only)

    def words(self) -> int:
        """Input words the image took, EOI included."""
        return self.in_events + self.dropped + self.skipped + 1


def decide(counts, membranes) -> int:
    """The class: most spikes, then highest membrane, then lowest index."""
    return max(range(len(counts)), key=lambda j: (counts[j], membranes[j], -j))


def lead(counts) -> int:
    """How far the top spike count leads the second."""
    ranked = sorted(counts, reverse=True)
    return ranked[0] - ranked[1]


class ChipModel:
    """The chip, word by word. State persists across calls, as in the RTL."""

    def __init__(self, config: ChipConfig, crossbar: Crossbar):
        self.cfg = config.validate()
        if (crossbar.n_inputs, crossbar.n_neurons, crossbar.cells) != (
                config.n_inputs, config.n_neurons, config.cells):
            raise ValueError("crossbar and configuration differ in size")
        self.xbar = crossbar
        self.w = crossbar.weights()
        self._clear()

    def _clear(self) -> None:
        n = self.cfg.n_neurons
        self.v = [0] * n
        self.refr = [0] * n
        self.cnt = [0] * n
        self.rr = 0
        self.decided = False
        self.image = ImageResult(cls=-1, early=False, in_events=0, syn_events=0, out_spikes=0,
                                 dropped=0, skipped=0)

    def run(self, words) -> list[ImageResult]:
        """Feed input words; return one result per EOI among them."""
        cfg = self.cfg
        results = []
        for word in words:
            word = int(word)
            if word >> cfg.addr_w:
                if word == cfg.eoi_word:
                    results.append(self._end_of_image())
                else:
                    self.image.dropped += 1
            elif word >= cfg.n_inputs:
                self.image.dropped += 1
            elif self.decided:
                self.image.skipped += 1
            else:
                self._integrate(word)
        return results

    def _integrate(self, row: int) -> None:
        cfg, img = self.cfg, self.image
        n = cfg.n_neurons
        fired = []
        for j in range(n):
            v = self.v[j]
            if v > cfg.leak:
                v -= cfg.leak
            elif v < -cfg.leak:
                v += cfg.leak
            else:
                v = 0
            v = min(cfg.v_max, max(cfg.v_min, v + int(self.w[row, j])))
            sign = None
            if self.refr[j] == 0:
                if v >= cfg.th_pos:
                    sign, v = 0, v - cfg.th_pos
                elif cfg.neg_en and v <= -cfg.th_neg:
                    sign, v = 1, v + cfg.th_neg
            if sign is None:
                self.refr[j] = max(0, self.refr[j] - 1)
            else:
                self.refr[j] = cfg.refrac
                fired.append((j, sign))
                if sign == 0:
                    self.cnt[j] = min(cfg.cnt_max, self.cnt[j] + 1)
                elif cfg.net_count:
                    self.cnt[j] = max(cfg.cnt_min, self.cnt[j] - 1)
            self.v[j] = v
        img.in_events += 1
        img.syn_events += n
        # round robin: from the pointer onward, cyclically
        fired.sort(key=lambda f: (f[0] - self.rr) % n)
        img.spikes.extend(fired)
        img.out_spikes += len(fired)
        if fired:
            self.rr = (fired[-1][0] + 1) % n
        if cfg.ds and lead(self.cnt) >= cfg.ds:
            self._decide(early=True)

    def _decide(self, early: bool) -> None:
        self.decided = True
        self.image.cls = decide(self.cnt, self.v)
        self.image.early = early
        self.image.membranes = tuple(self.v)
        self.image.counts = tuple(self.cnt)

    def _end_of_image(self) -> ImageResult:
        if not self.decided:
            self._decide(early=False)
        result = self.image
        self._clear()
        return result
