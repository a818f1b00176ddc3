# SPDX-License-Identifier: Apache-2.0
"""A job for the whole-chip testbench: what to run, handed over in one .npz file.

The host side (sim.py, the pytest regression) builds the job: configuration, cell states and
the input streams of the images. The cocotb test loads it, runs the images through RTL and
model, compares every image and writes back a result file with what the RTL did.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from model import ChipConfig, Crossbar, DeviceMap
from model.programming import ProgramReport, program

# input words the testbench top holds per batch (its STIM_DEPTH parameter)
STIM_DEPTH = 1 << 22


@dataclass
class Job:
    cfg: ChipConfig
    synapses: np.ndarray            # CELL_DATA word per synapse, inputs x neurons
    streams: list[np.ndarray]       # input words per image, each ending with EOI
    labels: np.ndarray | None = None
    batch: int = 2000               # images per transactor batch
    gap_rate: int = 0               # idle cycles on s_aer, out of 256
    bp_rate: int = 0                # stalls on m_aer, out of 256
    seed: int = 1
    verify_cells: int = 16          # synapses read back after programming
    cycle_mode: bool = False        # drive with cocotb-bus agents instead of the transactors
    meta: dict = field(default_factory=dict)
    # the devices (None: ideal cells) and how the host programs them
    device: DeviceMap | None = None
    verify: int = 0                 # program-and-verify rounds per synapse
    cond: int = 0                   # programming condition

    def weights(self) -> np.ndarray:
        """The weights the synapse words code."""
        xbar = Crossbar.for_config(self.cfg)
        xbar.set_synapse_words(self.synapses)
        return xbar.weights()

    def programmed(self, replies: list | None = None) -> tuple[Crossbar, ProgramReport]:
        """The model's crossbar after the host's programming procedure, as the RTL's will be."""
        xbar = Crossbar.for_config(self.cfg, self.device)
        report = program(xbar, self.weights(), self.verify, self.cond, self.verify_cells,
                         replies)
        return xbar, report

    def crossbar(self) -> Crossbar:
        return self.programmed()[0]

    def save(self, path: Path) -> None:
        lengths = np.array([len(s) for s in self.streams], dtype=np.int64)
        words = np.concatenate(self.streams) if self.streams else np.zeros(0, dtype=np.int64)
        header = dict(cfg=dataclasses.asdict(self.cfg), batch=self.batch,
                      gap_rate=self.gap_rate, bp_rate=self.bp_rate, seed=self.seed,
                      verify_cells=self.verify_cells, cycle_mode=self.cycle_mode, meta=self.meta,
                      verify=self.verify, cond=self.cond)
        device = {}
        if self.device is not None:
            d = self.device
            device = dict(dev_codes=d.codes, dev_stuck=d.stuck, dev_limit=d.limit,
                          dev_formed=d.formed, dev_header=json.dumps(dict(
                              prog_seed=d.prog_seed, noise_seed=d.noise_seed,
                              set_thr=d.set_thr, reset_thr=d.reset_thr,
                              noise_thr=d.noise_thr, params=d.params)))
        np.savez(path, header=json.dumps(header), synapses=self.synapses, words=words,
                 lengths=lengths,
                 labels=self.labels if self.labels is not None else np.zeros(0, np.int64),
                 **device)

    @classmethod
    def load(cls, path: Path) -> Job:
        with np.load(path) as z:
            header = json.loads(str(z["header"]))
            words, lengths = z["words"], z["lengths"]
            streams = np.split(words, np.cumsum(lengths)[:-1]) if len(lengths) else []
            labels = z["labels"] if z["labels"].size else None
            synapses = z["synapses"]
            device = None
            if "dev_codes" in z:
                device = DeviceMap(codes=z["dev_codes"], stuck=z["dev_stuck"],
                                   limit=z["dev_limit"], formed=z["dev_formed"],
                                   **json.loads(str(z["dev_header"])))
        cfg = ChipConfig(**header.pop("cfg"))
        return cls(cfg=cfg, synapses=synapses, streams=streams, labels=labels, device=device,
                   **header)


def batches(streams: list[np.ndarray], images: int, words: int = STIM_DEPTH) -> list[slice]:
    """Consecutive slices of `streams` with at most `images` images and `words` words each."""
    if any(len(s) > words for s in streams):
        raise ValueError(f"an image has more than {words} input words")
    out, lo, count = [], 0, 0
    for i, s in enumerate(streams):
        if i > lo and (i - lo == images or count + len(s) > words):
            out.append(slice(lo, i))
            lo, count = i, 0
        count += len(s)
    if lo < len(streams):
        out.append(slice(lo, len(streams)))
    return out
