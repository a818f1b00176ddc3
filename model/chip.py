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

Timing (`Timing`): the clock cycles an image takes in the RTL, counted as its CYCLES counter
counts them (from the cycle its first word is taken to the cycle its EOI is), when input words
arrive back to back and the output is never stalled. A spike is read from the crossbar in the
cycle it is taken and integrated in the next, once the previous spikes have all left (one per
cycle); a word is taken only when the previous row has been integrated, except skipped and
dropped words, which leave in one cycle each.
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
    # cycles in RTL with no stall (see Timing); not part of the comparison, since stalls
    # change it
    cycles: int = field(default=0, compare=False)

    def words(self) -> int:
        """Input words the image took, EOI included."""
        return self.in_events + self.dropped + self.skipped + 1


def neuron_step(cfg: ChipConfig, v, refr, w):
    """One integration step of every neuron (integer sequences or arrays of equal length).

    Returns (v, refr, pos, neg): new membranes and refractory counters, and which neurons
    fired a positive or a negative spike."""
    v = np.asarray(v, dtype=np.int64)
    refr = np.asarray(refr, dtype=np.int64)
    x = np.where(v > cfg.leak, v - cfg.leak, np.where(v < -cfg.leak, v + cfg.leak, 0))
    x = np.clip(x + np.asarray(w, dtype=np.int64), cfg.v_min, cfg.v_max)
    can = refr == 0
    pos = can & (x >= cfg.th_pos)
    neg = can & ~pos & (x <= -cfg.th_neg) if cfg.neg_en else np.zeros_like(pos)
    x = x - cfg.th_pos * pos + cfg.th_neg * neg
    refr = np.where(pos | neg, cfg.refrac, np.maximum(refr - 1, 0))
    return x, refr, pos, neg


def count_step(cfg: ChipConfig, counts, pos, neg):
    """Spike counters after one step: +1 per positive spike, -1 per negative one when
    counting net, saturating."""
    c = np.asarray(counts, dtype=np.int64) + pos - (neg if cfg.net_count else 0)
    return np.clip(c, cfg.cnt_min, cfg.cnt_max)


def round_robin(fired, pointer: int) -> tuple[list[int], int]:
    """The order in which the out path sends the neurons in `fired` (a boolean vector), and
    the pointer after them."""
    n = len(fired)
    order = [(pointer + k) % n for k in range(n) if fired[(pointer + k) % n]]
    return order, ((order[-1] + 1) % n if order else pointer)


def decide(counts, membranes) -> int:
    """The class: most spikes, then highest membrane, then lowest index."""
    return max(range(len(counts)), key=lambda j: (counts[j], membranes[j], -j))


def lead(counts) -> int:
    """How far the top spike count leads the second."""
    ranked = sorted(counts, reverse=True)
    return ranked[0] - ranked[1]


NEVER = 1 << 62


class Timing:
    """Cycle by cycle, what the RTL does with one image's words when they arrive back to back
    and the output never stalls. Cycle 0 is the one in which the image's first word is taken;
    `head` is the cycle from which the next word waits at the head of the input FIFO."""

    def __init__(self):
        self.head = 0          # the next word is at the FIFO head from this cycle
        self.slot_free = 0     # the crossbar stage is empty from this cycle
        self.pend_free = 0     # no output spike is pending from this cycle
        self.gap_at = NEVER    # the dS lead holds from this cycle
        self.read_at = 0

    def drop(self) -> None:
        """A bad word leaves the head in the cycle it arrives there."""
        self.head += 1

    def spike(self) -> bool:
        """Take a spike word: read (True) once the stage is empty, or skip (False) once the
        lead is reached, whichever comes first."""
        c = max(self.head, min(self.gap_at, self.slot_free))
        self.head = c + 1
        if c >= self.gap_at:
            return False
        self.read_at = c
        return True

    def step(self, spikes: int, lead_reached: bool) -> None:
        """Integrate the row read last: the cycle after its read, once no spike is pending."""
        cycle = max(self.read_at + 1, self.pend_free)
        self.slot_free = cycle + 1
        self.pend_free = cycle + 1 + spikes
        if lead_reached:
            self.gap_at = cycle + 1

    def end(self) -> int:
        """Take the EOI word; return the image's cycle count."""
        if self.gap_at < NEVER:
            # the early decision goes out once the stage is empty and no spike is pending
            pushed = max(self.gap_at, self.slot_free, self.pend_free)
            eoi = max(self.head, pushed + 1)
        else:
            eoi = max(self.head, self.slot_free, self.pend_free)
        return eoi + 1


class ChipModel:
    """The chip, word by word. State persists across calls, as in the RTL."""

    def __init__(self, config: ChipConfig, crossbar: Crossbar):
        self.cfg = config.validate()
        if (crossbar.n_inputs, crossbar.n_neurons, crossbar.cells, crossbar.mlc) != (
                config.n_inputs, config.n_neurons, config.cells, config.mlc):
            raise ValueError("crossbar and configuration differ in size or kind of cell")
        self.xbar = crossbar
        self._clear()

    def _clear(self) -> None:
        n = self.cfg.n_neurons
        self.v = [0] * n
        self.refr = [0] * n
        self.cnt = [0] * n
        self.rr = 0
        self.decided = False
        self.timing = Timing()
        self.image = ImageResult(cls=-1, early=False, in_events=0, syn_events=0, out_spikes=0,
                                 dropped=0, skipped=0)

    def run(self, words) -> list[ImageResult]:
        """Feed input words; return one result per EOI among them."""
        cfg = self.cfg
        results = []
        for word in words:
            word = int(word)
            if word == cfg.eoi_word:
                results.append(self._end_of_image())
            elif word >> cfg.addr_w or word >= cfg.n_inputs:
                self.image.dropped += 1
                self.timing.drop()
            elif not self.timing.spike():
                assert self.decided
                self.image.skipped += 1
            else:
                self._integrate(word)
        return results

    def _integrate(self, row: int) -> None:
        cfg, img = self.cfg, self.image
        v, refr, pos, neg = neuron_step(cfg, self.v, self.refr, self.xbar.read_weights(row))
        self.cnt = count_step(cfg, self.cnt, pos, neg).tolist()
        self.v, self.refr = v.tolist(), refr.tolist()
        order, self.rr = round_robin(pos | neg, self.rr)
        img.spikes.extend((j, int(neg[j])) for j in order)
        img.out_spikes += len(order)
        img.in_events += 1
        img.syn_events += cfg.n_neurons
        reached = bool(cfg.ds) and lead(self.cnt) >= cfg.ds
        self.timing.step(len(order), reached)
        if reached:
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
        self.image.cycles = self.timing.end()
        result = self.image
        self._clear()
        return result
