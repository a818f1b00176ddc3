# SPDX-License-Identifier: Apache-2.0
"""How the host programs the crossbar through the chip's registers, one-shot or with
program-and-verify. The procedure is a generator of operations, so that the model and the
RTL testbench carry out exactly the same sequence (the order of pulses and reads decides what
the devices do):

    ("write", row, col, word, mask)   a CELL_DATA write to synapse (row, col): a pulse toward
                                      `word` on the cells set in `mask`
    ("read", row, col)                a CELL_DATA read; the generator receives the sensed word

Program-and-verify (`verify` = n > 0): after the first write of a synapse, up to n rounds of
reading it back and, where some cell reads wrong, pulsing just the wrong cells again; if all n
rounds were needed, one last read tells whether the synapse ended right.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass

import numpy as np

from .rram import Crossbar

Op = tuple


@dataclass
class ProgramReport:
    synapses: int
    pulses: int           # cell pulses applied
    reads: int            # verify reads
    wrong_after: int      # synapses still sensed wrong when the procedure gave up


def wrong_cells(xbar: Crossbar, target: int, sensed: int) -> int:
    """Mask of the synapse's cells whose sensed state differs from the target word."""
    if xbar.mlc:
        mag_bits = int(xbar.cells).bit_length()
        mag = (target ^ sensed) & ((1 << mag_bits) - 1)
        return int(mag != 0) | (int(((target ^ sensed) >> mag_bits) & 1) << 1)
    return (target ^ sensed) & ((1 << xbar.cps) - 1)


def procedure(xbar: Crossbar, weights: np.ndarray, verify: int = 0, readback: int = 0
              ) -> Generator[Op, int | None, ProgramReport]:
    """The operations that program `weights`, synapse by synapse in row-major order, with up
    to `verify` read-and-repair rounds per synapse; then `readback` synapses spread over the
    array are read once more (a check of the read path)."""
    words = xbar.words(xbar.target_states(weights))
    full = (1 << xbar.cps) - 1
    pulses = reads = wrong = 0
    for row in range(xbar.n_inputs):
        for col in range(xbar.n_neurons):
            word = int(words[row, col])
            yield ("write", row, col, word, full)
            pulses += xbar.cps
            for _ in range(verify):
                sensed = yield ("read", row, col)
                reads += 1
                bad = wrong_cells(xbar, word, sensed)
                if not bad:
                    break
                yield ("write", row, col, word, bad)
                pulses += bin(bad).count("1")
            else:
                if verify:
                    # every repair used: one last read says whether the synapse is right now
                    sensed = yield ("read", row, col)
                    reads += 1
                    wrong += bool(wrong_cells(xbar, word, sensed))
    n_syn = xbar.n_inputs * xbar.n_neurons
    for k in np.linspace(0, n_syn - 1, num=min(readback, n_syn), dtype=np.int64).tolist():
        yield ("read",) + divmod(k, xbar.n_neurons)
    return ProgramReport(n_syn, pulses, reads, wrong)


def program(xbar: Crossbar, weights: np.ndarray, verify: int = 0, cond: int = 0,
            readback: int = 0, replies: list | None = None) -> ProgramReport:
    """Carry the procedure out on the model's crossbar; the words its reads sense are appended
    to `replies` if given."""
    gen = procedure(xbar, weights, verify, readback)
    reply = None
    try:
        while True:
            op = gen.send(reply)
            reply = None
            if op[0] == "write":
                _, row, col, word, mask = op
                xbar.program(row, col, word, mask, cond)
            else:
                _, row, col = op
                reply = xbar.sense(row, col)
                if replies is not None:
                    replies.append(reply)
    except StopIteration as done:
        return done.value


def synapses_right(xbar: Crossbar, weights: np.ndarray) -> float:
    """Fraction of synapses whose cells all hold the states that code their weight."""
    want = xbar.target_states(weights).reshape(xbar.n_inputs, xbar.n_neurons, xbar.cps)
    have = xbar.state.reshape(want.shape)
    return float(np.mean(np.all(want == have, axis=2)))
