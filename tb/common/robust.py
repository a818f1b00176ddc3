# SPDX-License-Identifier: Apache-2.0
"""What the whole-chip robustness tests (tb/chip/test_robust.py) and the soak
(tb/chip/test_soak.py) share: a ChipTB whose every decoded batch goes through the invariant
checks, the set-up of a job, and the comparison of a batch with the model."""

from __future__ import annotations

import numpy as np

from model import BatchResult, ChipConfig

from .chip_env import BatchOutput, ChipTB
from .invariants import check_batch
from .job import Job
from .scoreboard import first_difference


class CheckedChipTB(ChipTB):
    """ChipTB with the invariants of tb/common/invariants.py checked on every decoded batch:
    the words it sent are remembered, and `decode` checks them and the output spikes."""

    sent_words: np.ndarray | None = None

    async def run_batch(self, words: np.ndarray, gap_rate: int = 0, bp_rate: int = 0,
                        seed: int = 1) -> BatchOutput:
        self.sent_words = np.asarray(words)
        return await super().run_batch(words, gap_rate, bp_rate, seed)

    async def run_cycle_mode(self, words: np.ndarray, source, sink) -> BatchOutput:
        self.sent_words = np.asarray(words)
        return await super().run_cycle_mode(words, source, sink)

    def decode(self, out: BatchOutput) -> BatchResult:
        result = super().decode(out)
        check_batch(self.cfg, result, out.out_words, self.sent_words)
        return result


async def program_job(tb: ChipTB, job: Job) -> None:
    """Program the job's synapses as the whole-chip test does (host procedure, read-back)."""
    await tb.program(job.weights(), job.verify, job.cond, job.verify_cells)


def reset_settings(cfg: ChipConfig) -> ChipConfig:
    """`cfg` with the settings the registers hold after reset (spirit_chip's defaults)."""
    return cfg.replace(th_pos=4, th_neg=4, leak=0, refrac=0, ds=0, neg_en=True, net_count=True)


def compare(expected: BatchResult, actual: BatchResult, first_image: int = 0,
            what: str = "") -> None:
    """Raise an AssertionError naming the first differing image and field, if any."""
    expected.first_image = first_image
    diff = first_difference(expected, actual)
    if diff is not None:
        raise AssertionError(f"{what}{': ' if what else ''}RTL differs from the model at {diff}")


def check_timing(expected: BatchResult, actual: BatchResult, first_image: int = 0) -> None:
    """With no idle cycle and no stall, every image takes the cycles the model predicts."""
    bad = np.flatnonzero(actual.cycles != expected.cycles)
    if bad.size:
        i = int(bad[0])
        raise AssertionError(f"image {first_image + i}: the RTL took {actual.cycles[i]} cycles, "
                             f"the model's timing predicts {expected.cycles[i]}")
