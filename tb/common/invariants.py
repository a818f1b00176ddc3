# SPDX-License-Identifier: Apache-2.0
"""Invariants of a whole-chip run: rules the RTL must keep whatever the images, checked on what
the testbench recorded, with no reference to the golden model.

  - Input words: every word of an image is integrated, skipped, dropped or is its EOI, so per
    image  in_events + skipped + dropped + 1 == words sent.
  - Output spikes: none is lost under backpressure. The spike words that reach the sink for an
    image equal the move of its OUT_SPIKES counter, and over a batch the spikes and decisions
    add up to the words the sink took.
  - Counters never wrap silently: read at the end of a run, each event counter equals the sum
    of its per-image moves since the counters started from zero (a wrapped counter reads less),
    no total exceeds the counter's maximum, and the CNT_SAT error bit is set only if a counter
    really reads its maximum (and, given the model's totals, exactly when one had to saturate).

`check_batch` covers the first two on one decoded batch; `check_counters` the third, on
register values read at the end of a run (`read_counters` reads them). `check_input_errors`
adds one more: the ERROR bits of the input side (address out of range, unknown command) are
set exactly when such a word was sent. A broken rule raises
`InvariantError`, an AssertionError whose message names the rule, the image and the numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from model import BatchResult, ChipConfig, regmap


class InvariantError(AssertionError):
    """An invariant of the chip's run does not hold."""


def image_lengths(words: np.ndarray, eoi_word: int) -> np.ndarray:
    """Words of each image of an input stream, its EOI included. Words after the last EOI
    belong to no image that ended."""
    ends = np.flatnonzero(np.asarray(words) == eoi_word)
    return np.diff(np.concatenate([[-1], ends])).astype(np.int64)


def spike_words_per_image(cfg: ChipConfig, out_words: np.ndarray) -> np.ndarray:
    """Spike words on m_aer before each decision word, from the raw output words."""
    kind = np.asarray(out_words, dtype=np.int64) >> (cfg.neur_w + 1) & 1
    ends = np.flatnonzero(kind == 1)
    return np.diff(np.concatenate([[-1], ends])).astype(np.int64) - 1


def check_words(result: BatchResult, lengths: np.ndarray, first_image: int = 0) -> None:
    """Every input word of each image was integrated, skipped, dropped or was its EOI."""
    lengths = np.asarray(lengths, dtype=np.int64)
    if len(lengths) != len(result):
        raise InvariantError(f"input words: {len(lengths)} images sent (EOI words), "
                             f"{len(result)} ended")
    accounted = result.in_events + result.skipped + result.dropped + 1
    bad = np.flatnonzero(accounted != lengths)
    if bad.size:
        i = int(bad[0])
        raise InvariantError(
            f"input words: image {first_image + i} had {lengths[i]} words, but in_events "
            f"{result.in_events[i]} + skipped {result.skipped[i]} + dropped "
            f"{result.dropped[i]} + its EOI = {accounted[i]}")


def check_spikes(cfg: ChipConfig, result: BatchResult, out_words: np.ndarray,
                 sink_taken: int | None = None, first_image: int = 0) -> None:
    """No output spike lost: per image, the spike words before its decision equal its
    OUT_SPIKES move; over the batch, spikes and decisions are the words the sink took."""
    out_words = np.asarray(out_words, dtype=np.int64)
    taken = len(out_words) if sink_taken is None else int(sink_taken)
    if taken != len(out_words):
        raise InvariantError(f"output words: the sink took {taken} words, {len(out_words)} "
                             "reached the log")
    per_image = spike_words_per_image(cfg, out_words)
    decisions = len(per_image)
    if decisions != len(result):
        raise InvariantError(f"output words: {decisions} decisions on m_aer for "
                             f"{len(result)} images")
    stray = len(out_words) - (int(per_image.sum()) + decisions)
    if stray:
        raise InvariantError(f"output words: {stray} spike words after the last decision")
    bad = np.flatnonzero(per_image != result.out_spikes)
    if bad.size:
        i = int(bad[0])
        raise InvariantError(
            f"output spikes: image {first_image + i} sent {per_image[i]} spike words, its "
            f"OUT_SPIKES counter moved by {result.out_spikes[i]}")
    total = int(np.sum(result.out_spikes)) + len(result)
    if total != taken:
        raise InvariantError(f"output spikes: the OUT_SPIKES moves ({total - len(result)}) and "
                             f"{len(result)} decisions make {total} words, the sink took "
                             f"{taken}")


def check_batch(cfg: ChipConfig, result: BatchResult, out_words: np.ndarray,
                in_words: np.ndarray | None = None, sink_taken: int | None = None,
                first_image: int = 0) -> None:
    """The per-batch invariants on one decoded batch: output spikes always, input words when
    the batch's input words are given."""
    check_spikes(cfg, result, out_words, sink_taken, first_image)
    if in_words is not None:
        check_words(result, image_lengths(in_words, cfg.eoi_word), first_image)


def input_error_bits(cfg: ChipConfig, words: np.ndarray) -> int:
    """The ERROR bits a stream of input words must set: ADDR_RANGE for a spike address
    >= N_INPUTS, BAD_CMD for a command other than EOI."""
    words = np.asarray(words, dtype=np.int64)
    spikes = words[words < cfg.eoi_word]
    bits = int(np.any(spikes >= cfg.n_inputs)) << regmap.E_ADDR_RANGE
    return bits | int(np.any(words > cfg.eoi_word)) << regmap.E_BAD_CMD


def check_input_errors(cfg: ChipConfig, error: int, words: np.ndarray) -> None:
    """ERROR's input bits, read after `words` were sent (from an ERROR cleared before), are
    those the words call for."""
    mask = 1 << regmap.E_ADDR_RANGE | 1 << regmap.E_BAD_CMD
    want = input_error_bits(cfg, words)
    if error & mask != want:
        raise InvariantError(f"ERROR reads {error:#x}: input bits {error & mask:#x}, the words "
                             f"sent call for {want:#x}")


# ---- counters --------------------------------------------------------------------------------

def counter_totals(results: Sequence[BatchResult]) -> dict[str, int]:
    """How far the images of `results` moved each event counter, in total."""
    totals = dict.fromkeys(regmap.STATS, 0)
    for r in results:
        for name in regmap.STATS:
            totals[name] += len(r) if name == "images" else int(np.sum(getattr(r, name)))
    return totals


def check_counters(cfg: ChipConfig, counters: Mapping[str, int], error: int,
                   recorded: Mapping[str, int],
                   expected: Mapping[str, int] | None = None) -> None:
    """The counters never wrap silently.

    Args:
        counters: the event counters read at the end of a run, by name (regmap.STATS).
        error: the ERROR register read then.
        recorded: the sums of the per-image counter moves the testbench recorded since the
            counters last started from zero (reset or CMD), e.g. `counter_totals(results)`.
        expected: the same sums from the model, if known: then every counter but cycles
            (which stalls and idle input stretch) must read the model's total, up to its
            maximum, and CNT_SAT must be set exactly when some total exceeds it.
    """
    top = cfg.stat_max
    sat = bool(error >> regmap.E_CNT_SAT & 1)
    at_max = [n for n in regmap.STATS if counters[n] == top]
    if sat and not at_max:
        raise InvariantError(f"counters: CNT_SAT is set, but no counter reads its maximum "
                             f"{top} ({_show(counters)})")
    for name in regmap.STATS:
        if recorded[name] > top:
            raise InvariantError(f"counters: the images moved {name} by {recorded[name]} in "
                                 f"total, beyond its maximum {top}: it wrapped")
        if counters[name] != recorded[name]:
            raise InvariantError(f"counters: {name} reads {counters[name]}, the images moved "
                                 f"it by {recorded[name]} since it was cleared")
    if expected is not None:
        named = [n for n in regmap.STATS if n != "cycles"]
        over = [n for n in named if expected[n] > top]
        if over and not sat:
            raise InvariantError(f"counters: {', '.join(over)} exceeded the maximum {top}, but "
                                 "CNT_SAT is clear")
        if sat and not over and counters["cycles"] != top:
            raise InvariantError(f"counters: CNT_SAT is set, but no counter exceeded the "
                                 f"maximum {top}")
        for name in named:
            if counters[name] != min(expected[name], top):
                raise InvariantError(f"counters: {name} reads {counters[name]}, the model "
                                     f"counts {expected[name]} (maximum {top})")


def _show(counters: Mapping[str, int]) -> str:
    return ", ".join(f"{n} {counters[n]}" for n in regmap.STATS)


async def read_counters(regs) -> tuple[dict[str, int], int]:
    """The event counters and the ERROR register, read over the register bus (a RegMaster)."""
    counters = {}
    for k, name in enumerate(regmap.STATS):
        counters[name] = await regs.read_ok(regmap.STAT_BASE + k)
    return counters, await regs.read_ok(regmap.ERROR)


async def check_run_counters(regs, cfg: ChipConfig, results: Sequence[BatchResult],
                             expected: Sequence[BatchResult] | None = None) -> None:
    """At the end of a run whose counters started from zero: read them and check them against
    the batches the testbench decoded (and the model's, if given)."""
    counters, error = await read_counters(regs)
    check_counters(cfg, counters, error, counter_totals(results),
                   counter_totals(expected) if expected is not None else None)
