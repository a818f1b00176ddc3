# SPDX-License-Identifier: Apache-2.0
"""The run invariants of tb/common/invariants.py: they hold on a clean record of a batch, and
each check catches a record corrupted on purpose.

The records are packed here the way tb/hdl/spirit_tb_top.v writes them, from a batch of the
golden model (random settings, weights and streams with bad words on the narrow structure of
tests/test_chip.py), then decoded by the testbench's own decode.
"""

from __future__ import annotations

import numpy as np
import pytest
from chip_jobs import random_job
from test_chip import STRUCTURES

from model import BatchResult, regmap, run_batch
from tb.common.chip_env import decode, record_words
from tb.common.invariants import (
    InvariantError,
    check_batch,
    check_counters,
    counter_totals,
    image_lengths,
)


def pack(cfg, r: BatchResult) -> tuple[np.ndarray, np.ndarray]:
    """The output words and image records the testbench top would write for `r`."""
    nw = cfg.neur_w
    words = []
    for i in range(len(r)):
        lo, hi = r.spike_start[i], r.spike_start[i + 1]
        words += [int(s) << nw | int(n) for n, s in zip(r.spike_neuron[lo:hi], r.spike_sign[lo:hi])]
        words.append(1 << (nw + 1) | int(r.early[i]) << nw | int(r.cls[i]))
    records = []
    for i in range(len(r)):
        bits, pos = 0, 0
        for values, width in ((r.membranes[i], cfg.v_w), (r.counts[i], cfg.cnt_w)):
            for x in values:
                bits |= (int(x) & ((1 << width) - 1)) << pos
                pos += width
        stats = dict(in_events=r.in_events[i], syn_events=r.syn_events[i],
                     out_spikes=r.out_spikes[i], dropped=r.dropped[i], skipped=r.skipped[i],
                     images=1, cycles=r.cycles[i])
        for name in regmap.STATS:
            bits |= int(stats[name]) << pos
            pos += 32
        records.append([bits >> (32 * k) & 0xFFFF_FFFF for k in range(record_words(cfg))])
    return np.array(words, np.int64), np.array(records, np.uint32)


def stat_offset(cfg, name: str) -> int:
    """Bit offset of a counter's move in a record."""
    return cfg.n_neurons * (cfg.v_w + cfg.cnt_w) + 32 * regmap.STATS.index(name)


def bump(cfg, records: np.ndarray, image: int, name: str, by: int) -> np.ndarray:
    """A copy of the records with one counter move of one image changed."""
    out = records.copy()
    bits = sum(int(w) << (32 * k) for k, w in enumerate(out[image]))
    lo = stat_offset(cfg, name)
    field = (bits >> lo & 0xFFFF_FFFF) + by
    bits = bits & ~(0xFFFF_FFFF << lo) | (field & 0xFFFF_FFFF) << lo
    out[image] = [bits >> (32 * k) & 0xFFFF_FFFF for k in range(out.shape[1])]
    return out


@pytest.fixture(scope="module")
def batch():
    """(cfg, input words, output words, records, the model's result) of a clean batch."""
    job = random_job(STRUCTURES["narrow"], 3, n_images=40)
    cfg = job.cfg
    expected = run_batch(cfg, job.crossbar(), job.streams)
    out_words, records = pack(cfg, expected)
    words = np.concatenate(job.streams)
    assert expected.dropped.sum() > 0 and expected.out_spikes.sum() > 0
    return cfg, words, out_words, records, expected


def test_a_clean_record_keeps_every_invariant(batch):
    cfg, words, out_words, records, expected = batch
    result = decode(cfg, out_words, records)
    assert expected.first_mismatch(result) is None
    check_batch(cfg, result, out_words, words)
    totals = counter_totals([result])
    check_counters(cfg, totals, 1 << regmap.E_ADDR_RANGE, totals, counter_totals([expected]))
    assert list(image_lengths(words, cfg.eoi_word)) == [len(s) for s in np.split(
        words, np.flatnonzero(words == cfg.eoi_word)[:-1] + 1)]


@pytest.mark.parametrize("name", ["dropped", "skipped", "in_events"])
def test_an_input_word_unaccounted_for_is_caught(batch, name):
    """A record whose dropped, skipped or integrated words do not add up to the image's."""
    cfg, words, out_words, records, _ = batch
    result = decode(cfg, out_words, bump(cfg, records, 7, name, -1 if name == "in_events"
                                         else 1))
    with pytest.raises(InvariantError, match=r"input words: image 7 had \d+ words, but"):
        check_batch(cfg, result, out_words, words)


def test_an_extra_input_word_is_caught(batch):
    """The stream had one word more than the chip accounted for."""
    cfg, words, out_words, records, _ = batch
    result = decode(cfg, out_words, records)
    at = int(np.flatnonzero(words == cfg.eoi_word)[2])
    more = np.insert(words, at, 0)
    with pytest.raises(InvariantError, match=r"input words: image 2 had"):
        check_batch(cfg, result, out_words, more)


def test_a_spike_counter_that_disagrees_with_the_spike_words_is_caught(batch):
    """The OUT_SPIKES move of an image says one spike more than reached the sink."""
    cfg, words, out_words, records, expected = batch
    image = int(np.flatnonzero(expected.out_spikes)[0])
    result = decode(cfg, out_words, bump(cfg, records, image, "out_spikes", 1))
    with pytest.raises(InvariantError, match=rf"output spikes: image {image} sent \d+ spike "
                                             r"words, its OUT_SPIKES counter moved by"):
        check_batch(cfg, result, out_words, words)


def test_a_lost_spike_word_is_caught(batch):
    """A spike word missing from the sink's log, the records untouched."""
    cfg, words, out_words, records, _ = batch
    kind = out_words >> (cfg.neur_w + 1)
    first_spike = int(np.flatnonzero(kind == 0)[0])
    fewer = np.delete(out_words, first_spike)
    result = decode(cfg, fewer, records)
    with pytest.raises(InvariantError, match=r"output spikes: image \d+ sent"):
        check_batch(cfg, result, fewer, words)


def test_a_word_the_sink_took_but_never_logged_is_caught(batch):
    cfg, words, out_words, records, _ = batch
    result = decode(cfg, out_words, records)
    with pytest.raises(InvariantError, match=r"the sink took \d+ words, \d+ reached the log"):
        check_batch(cfg, result, out_words, words, sink_taken=len(out_words) + 1)


def counters_of(batch_):
    cfg, words, out_words, records, expected = batch_
    result = decode(cfg, out_words, records)
    return cfg, counter_totals([result]), counter_totals([expected])


def test_cnt_sat_without_a_saturated_counter_is_caught(batch):
    cfg, totals, model = counters_of(batch)
    error = 1 << regmap.E_CNT_SAT
    with pytest.raises(InvariantError, match=r"CNT_SAT is set, but no counter reads its maximum"):
        check_counters(cfg, totals, error, totals)


def test_a_wrapped_counter_is_caught(batch):
    """A counter that wrapped reads less than its moves add up to, with CNT_SAT clear."""
    cfg, totals, model = counters_of(batch)
    # counters just wide enough for the input events: the synaptic events wrap
    narrow = cfg.replace(stat_w=totals["in_events"].bit_length())
    recorded = dict(totals)
    counters = {n: v & narrow.stat_max for n, v in totals.items()}
    assert recorded["in_events"] <= narrow.stat_max < recorded["syn_events"]
    with pytest.raises(InvariantError, match=r"moved syn_events by \d+ in total, beyond its "
                                             r"maximum \d+: it wrapped"):
        check_counters(narrow, counters, 0, recorded)
    counters["syn_events"] = recorded["syn_events"] - 3
    with pytest.raises(InvariantError, match=r"syn_events reads \d+, the images moved it by"):
        check_counters(cfg, counters, 0, recorded)


def test_a_counter_that_had_to_saturate_without_cnt_sat_is_caught(batch):
    """Against the model: a counter past its maximum must read the maximum with CNT_SAT."""
    cfg, totals, model = counters_of(batch)
    narrow = cfg.replace(stat_w=totals["in_events"].bit_length())
    saturated = {n: min(v, narrow.stat_max) for n, v in model.items()}
    with pytest.raises(InvariantError, match=r"syn_events(, \w+)* exceeded the maximum \d+, "
                                             r"but CNT_SAT is clear"):
        check_counters(narrow, saturated, 0, saturated, model)
    # and with CNT_SAT set it is the expected outcome
    check_counters(narrow, saturated, 1 << regmap.E_CNT_SAT, saturated, model)
