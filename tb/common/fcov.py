# SPDX-License-Identifier: Apache-2.0
"""Functional coverage of the chip and its blocks, with cocotb-coverage.

The testbenches hand over what they already observe, one call each; nothing here wakes Python
on a clock edge of its own:

- `chip_job(job, expected, actual)`, the whole-chip testbench once a job has passed: the input
  words sent, the model's events for them (the per-event reference model `model.chip.ChipModel`
  run again word by word, its neuron, counter and decision steps observed), and the RTL's own
  output spikes and decisions as the transactors recorded them. Sampled once per image:
  a bin's hits are the images in which it happened.
- `fifo_cycle`, `router_cycle`, `out_path_cycle`, from the per-cycle checkers of the FIFO,
  router and output path testbenches (FIFO full and empty, backpressure, drops): hits are
  cycles.
- `regs_response`, from the register testbench's monitor, once per answered access.

Sampling happens only where $SPIRIT_FCOV is set (`python -m tools.coverage` sets it); the
calls cost nothing otherwise. The simulation then writes the coverage database to
functional.yml in its run folder when it ends, and the tool merges those files.
"""

from __future__ import annotations

import atexit
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from unittest import mock

import numpy as np
from cocotb_coverage.coverage import CoverCross, CoverPoint, coverage_db, coverage_section

ENV = "SPIRIT_FCOV"
EXPORT_NAME = "functional.yml"
ENABLED = bool(os.environ.get(ENV))

WORDS = ("spike", "end of image", "address out of range", "unknown command")
STATES = ("undecided", "decided")
SIGNS = ("positive", "negative")
ENDS = ("max", "min")
DECISIONS = ("early (dS)", "end of image")
COUNTING = ("net", "positive only")
TIES = ("membrane", "index")
WEIGHTS = tuple(range(-4, 5))
REG_ERRORS = {2: "REG_ADDR", 3: "REG_RO", 4: "REG_VALUE", 5: "REG_BUSY"}   # ERROR bits


def _within(sample, b) -> bool:
    """Bin relation of the points sampled with a set: every member's bin is hit."""
    return b in sample


def _set_point(name: str, attr: str, bins) -> CoverPoint:
    return CoverPoint(name, xf=lambda ev: getattr(ev, attr), rel=_within, bins=list(bins),
                      inj=False)


# ---- whole chip: once per image -----------------------------------------------------------

@dataclass
class ImageEvents:
    """What happened in one image, as sets of bins."""

    words: set = field(default_factory=set)         # WORDS sent
    word_state: set = field(default_factory=set)    # (word, STATES) as the word arrived
    weights: set = field(default_factory=set)       # synapse weights integrated
    signs: set = field(default_factory=set)         # output spike signs (RTL)
    refractory: set = field(default_factory=set)    # spike signs a refractory neuron missed
    membrane: set = field(default_factory=set)      # membrane saturated: "max", "min"
    count: set = field(default_factory=set)         # spike count saturated: "max", "min"
    rows: set = field(default_factory=set)          # rows read from the crossbar
    pairs: set = field(default_factory=set)         # (neuron, next neuron) on m_aer (RTL)
    decision: str = ""                              # DECISIONS (RTL)
    counting: str = ""                              # COUNTING
    tie: str | None = None                          # what broke a tie of the top count


_image = coverage_section(
    _set_point("spirit.chip.input_word", "words", WORDS),
    _set_point("spirit.chip.input_word_x_state", "word_state",
               [(w, s) for w in WORDS for s in STATES]),
    _set_point("spirit.chip.weight", "weights", WEIGHTS),
    _set_point("spirit.chip.spike_sign", "signs", SIGNS),
    _set_point("spirit.chip.refractory_blocks", "refractory", SIGNS),
    _set_point("spirit.chip.membrane_saturates", "membrane", ENDS),
    _set_point("spirit.chip.count_saturates", "count", ENDS),
    CoverPoint("spirit.chip.decision", xf=lambda ev: ev.decision, bins=list(DECISIONS)),
    CoverPoint("spirit.chip.counting", xf=lambda ev: ev.counting, bins=list(COUNTING)),
    CoverCross("spirit.chip.decision_x_counting",
               items=["spirit.chip.decision", "spirit.chip.counting"]),
    CoverPoint("spirit.chip.tie_broken_by", xf=lambda ev: ev.tie, bins=list(TIES)),
)


@_image
def _sample_image(ev: ImageEvents) -> None:
    """Sample one image's events into the coverpoints above."""


_structure_samplers: dict[str, object] = {}


def _structure_sampler(cfg):
    """Coverpoints whose bins depend on the structure (rows, neurons), one group per
    structure, spirit.chip_<inputs>x<neurons>."""
    tag = f"{cfg.n_inputs}x{cfg.n_neurons}"
    if tag not in _structure_samplers:
        n = cfg.n_neurons
        section = coverage_section(
            _set_point(f"spirit.chip_{tag}.row_read", "rows", range(cfg.n_inputs)),
            _set_point(f"spirit.chip_{tag}.round_robin_next", "pairs",
                       [(a, b) for a in range(n) for b in range(n)]))

        @section
        def sample(ev: ImageEvents) -> None:
            """Sample one image's rows and round-robin pairs."""

        _structure_samplers[tag] = sample
    return _structure_samplers[tag]


def word_kind(cfg, word: int) -> str:
    if word == cfg.eoi_word:
        return "end of image"
    if word >> cfg.addr_w:
        return "unknown command"
    return "address out of range" if word >= cfg.n_inputs else "spike"


def model_events(job, crossbar=None) -> tuple[list[ImageEvents], list]:
    """Run the job's words through the per-event model one at a time, observing its neuron
    steps (weights, saturation, refractory blocking), counter steps (saturation) and decisions
    (ties); return the events and the model's results per image. The crossbar is the job's
    unless given."""
    import model.chip as mc

    cfg = job.cfg
    chip = mc.ChipModel(cfg, crossbar if crossbar is not None else job.crossbar())
    step, count, decide = mc.neuron_step, mc.count_step, mc.decide
    ev = ImageEvents()

    def neuron_step(c, v, refr, w):
        v, refr, w = (np.asarray(a, dtype=np.int64) for a in (v, refr, w))
        # leak toward zero, then integrate, as model.chip.neuron_step does before it clips
        x = np.where(v > c.leak, v - c.leak, np.where(v < -c.leak, v + c.leak, 0)) + w
        if (x > c.v_max).any():
            ev.membrane.add("max")
        if (x < c.v_min).any():
            ev.membrane.add("min")
        x = np.clip(x, c.v_min, c.v_max)
        blocked = refr != 0
        pos = x >= c.th_pos
        if (blocked & pos).any():
            ev.refractory.add("positive")
        if c.neg_en and (blocked & ~pos & (x <= -c.th_neg)).any():
            ev.refractory.add("negative")
        ev.weights.update(np.unique(w).tolist())
        return step(c, v, refr, w)

    def count_step(c, counts, pos, neg):
        counts = np.asarray(counts, dtype=np.int64)
        if (np.asarray(pos, dtype=bool) & (counts == c.cnt_max)).any():
            ev.count.add("max")
        if c.net_count and (np.asarray(neg, dtype=bool) & (counts == c.cnt_min)).any():
            ev.count.add("min")
        return count(c, counts, pos, neg)

    def decide_observed(counts, membranes):
        top = max(counts)
        tied = [j for j, c in enumerate(counts) if c == top]
        if len(tied) > 1:
            best = max(membranes[j] for j in tied)
            ev.tie = "membrane" if sum(membranes[j] == best for j in tied) == 1 else "index"
        return decide(counts, membranes)

    events, results = [], []
    with mock.patch.object(mc, "neuron_step", neuron_step), \
            mock.patch.object(mc, "count_step", count_step), \
            mock.patch.object(mc, "decide", decide_observed):
        for stream in job.streams:
            ev = ImageEvents(counting=COUNTING[0] if cfg.net_count else COUNTING[1])
            for word in np.asarray(stream).tolist():
                kind = word_kind(cfg, word)
                ev.words.add(kind)
                ev.word_state.add((kind, STATES[int(chip.decided)]))
                if kind == "spike" and not chip.decided:
                    ev.rows.add(word)
                results += chip.run([word])
            events.append(ev)
    return events, results


def chip_job(job, expected, actual: list, crossbar=None) -> None:
    """Sample a whole-chip job that has passed: `expected` is the model's BatchResult for all
    its images, `actual` the RTL's BatchResult of each batch, in order. Where the per-event
    model run again does not decide every image as `expected` does (a crossbar whose reads
    change with use), its events are left out and only the RTL's own are sampled."""
    if not ENABLED:
        return
    events, results = model_events(job, crossbar)
    same = len(results) == len(expected) and all(
        (r.cls, r.early) == (int(c), bool(e))
        for r, c, e in zip(results, expected.cls, expected.early))
    if not same:
        logging.getLogger("cocotb.tb.fcov").warning(
            "functional coverage: the per-event model run again differs from the batch "
            "model; the model's events of this job are not sampled")
        events = [ImageEvents(words=ev.words, counting=ev.counting) for ev in events]
    structure = _structure_sampler(job.cfg)
    i = 0
    for part in actual:
        for k in range(len(part)):
            ev = events[i]
            lo, hi = int(part.spike_start[k]), int(part.spike_start[k + 1])
            neurons = part.spike_neuron[lo:hi].tolist()
            ev.signs = {SIGNS[int(s)] for s in part.spike_sign[lo:hi]}
            ev.pairs = set(zip(neurons, neurons[1:]))
            ev.decision = DECISIONS[0] if part.early[k] else DECISIONS[1]
            _sample_image(ev)
            structure(ev)
            i += 1


# ---- blocks: from the per-cycle checkers ---------------------------------------------------

def _fifo_state(level: int, depth: int, writer_waits: bool) -> set:
    state = {"empty"} if level == 0 else {"full"} if level == depth else {"partly full"}
    if level == depth and writer_waits:
        state.add("full, a word waiting")
    return state


@CoverPoint("spirit.fifo.level", xf=lambda level, depth, waits, push, pop:
            _fifo_state(level, depth, waits), rel=_within,
            bins=["empty", "partly full", "full", "full, a word waiting"], inj=False)
@CoverPoint("spirit.fifo.push_pop", xf=lambda level, depth, waits, push, pop:
            (bool(push), bool(pop)), bins=[(True, False), (False, True), (True, True)],
            bins_labels=["push", "pop", "push and pop"])
def _sample_fifo(level, depth, waits, push, pop) -> None:
    """Sample one FIFO cycle."""


def fifo_cycle(level: int, depth: int, writer_waits: bool, push: bool, pop: bool) -> None:
    """One cycle of spirit_fifo: fill level, a writer held off, push and pop."""
    if ENABLED:
        _sample_fifo(level, depth, bool(writer_waits), bool(push), bool(pop))


@CoverPoint("spirit.router.input_fifo", xf=lambda level, depth, waits, kind, ready, sat:
            _fifo_state(level, depth, waits), rel=_within,
            bins=["empty", "partly full", "full", "full, a word waiting"], inj=False)
@CoverPoint("spirit.router.head_word", xf=lambda level, depth, waits, kind, ready, sat: kind,
            bins=list(WORDS))
@CoverPoint("spirit.router.drop", xf=lambda level, depth, waits, kind, ready, sat:
            {"while the core stalls" if not ready else "while the core takes events",
             *(["at a saturated counter"] if sat else [])}
            if kind in WORDS[2:] else set(), rel=_within,
            bins=["while the core takes events", "while the core stalls",
                  "at a saturated counter"], inj=False)
def _sample_router(level, depth, waits, kind, ready, sat) -> None:
    """Sample one router cycle."""


_ROUTER_KINDS = {"spike": WORDS[0], "eoi": WORDS[1], "bad address": WORDS[2],
                 "bad command": WORDS[3]}


def router_cycle(level: int, depth: int, writer_waits: bool, kind: str | None,
                 core_ready: bool, counter_saturated: bool) -> None:
    """One cycle of spirit_router: input FIFO level, the word at its head (None when empty;
    the router testbench's kinds), and whether a drop meets a stalled core or a saturated
    drop counter."""
    if ENABLED:
        _sample_router(level, depth, bool(writer_waits), _ROUTER_KINDS.get(kind),
                       bool(core_ready), bool(counter_saturated))


@CoverPoint("spirit.out_path.output_fifo", xf=lambda level, depth, pending, ready:
            _fifo_state(level, depth, False) | (
                {"full, spikes pending"} if level == depth and pending else set()) | (
                {"full, output stalled"} if level == depth and not ready else set()),
            rel=_within, bins=["empty", "partly full", "full", "full, spikes pending",
                               "full, output stalled"], inj=False)
def _sample_out_path(level, depth, pending, ready) -> None:
    """Sample one output path cycle."""


def out_path_cycle(level: int, depth: int, pending: int, out_ready: bool) -> None:
    """One cycle of spirit_out_path: output FIFO level, spikes still pending, and whether
    m_aer is stalled."""
    if ENABLED:
        _sample_out_path(level, depth, pending, bool(out_ready))


@CoverPoint("spirit.regs.error", xf=lambda we, bit: REG_ERRORS.get(bit, "none"),
            bins=list(REG_ERRORS.values()))
@CoverPoint("spirit.regs.access", xf=lambda we, bit: "write" if we else "read",
            bins=["read", "write"])
@CoverCross("spirit.regs.error_x_access", items=["spirit.regs.error", "spirit.regs.access"],
            ign_bins=[("REG_RO", "read"), ("REG_VALUE", "read")])
def _sample_regs(we, bit) -> None:
    """Sample one register access."""


def regs_response(we: bool, err_bit: int | None) -> None:
    """A register access answered: read or write, and the ERROR bit that refused it."""
    if ENABLED:
        _sample_regs(bool(we), err_bit)


# ---- export --------------------------------------------------------------------------------

def export(path: Path | str | None = None) -> None:
    """Write the coverage database (YAML, cocotb-coverage's format)."""
    coverage_db.export_to_yaml(str(path or Path.cwd() / EXPORT_NAME))


if ENABLED:
    atexit.register(export)
