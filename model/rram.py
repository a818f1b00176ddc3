# SPDX-License-Identifier: Apache-2.0
"""The RRAM crossbar: cell states, how weights are coded into them, and how rows read.

Single-level cells (the default, SPIRIT's): a synapse is 2 x `cells` cells, `cells` on an
excitatory side and `cells` on an inhibitory side, each in HRS (state 0) or LRS (state 1). A
weight w > 0 sets the first w excitatory cells to LRS, w < 0 the first |w| inhibitory ones.
A row reads as one sense code per cell; a synapse's weight current is the sum of its
excitatory codes minus the sum of its inhibitory ones.

Multi-level cells (`mlc`, the chip's next step): a synapse is two cells, a magnitude cell
with states 0 .. `cells` (five current levels for -4..+4) and a sign cell (state 1:
negative). Its weight current is the magnitude cell's code, negated when the sign cell reads
as LRS (code >= `sense_ref`).

Cells are numbered row by row: cell k of a row is (neuron, cell of the synapse) =
divmod(k, cells_per_synapse), as the RTL array lays out its rows. The device map
(model/device.py) says what each cell reads as in each state; the ideal one reads a cell as
its state (one unit of current per LRS cell) and never fails.
"""

from __future__ import annotations

import numpy as np

from .device import DeviceMap, DeviceParams, ideal_map, make_map, program_cells, read_row
from .errors import ConfigError


class Crossbar:
    """An n_inputs x n_neurons array of synapses and the devices they are made of."""

    def __init__(self, n_inputs: int, n_neurons: int, cells: int, mlc: bool = False,
                 device: DeviceMap | None = None, code_max: int = 1, sense_ref: int = 1,
                 step_shift: int = 0):
        self.n_inputs, self.n_neurons, self.cells, self.mlc = n_inputs, n_neurons, cells, mlc
        self.cps = 2 if mlc else 2 * cells                  # cells per synapse
        self.n_states = cells + 1 if mlc else 2
        self.cells_per_row = n_neurons * self.cps
        n = n_inputs * self.cells_per_row
        top = np.ones(n, dtype=np.int64)
        if mlc:
            top[0::2] = cells                               # magnitude cells
        self.top_states = top
        self.device = device if device is not None else ideal_map(n, self.n_states, top)
        if self.device.codes.shape != (n, self.n_states):
            raise ConfigError("the device map does not fit this crossbar")
        self.code_max, self.sense_ref, self.step_shift = code_max, sense_ref, step_shift
        self.state = self.device.formed.copy()
        self.row_reads = np.zeros(n_inputs, dtype=np.int64)
        self.counters = np.zeros(3, dtype=np.int64)         # reads, operations, pulses
        self._scratch = np.zeros(self.cells_per_row, dtype=np.int64)

    @classmethod
    def for_config(cls, cfg, device: DeviceMap | None = None) -> Crossbar:
        """The crossbar a chip configuration describes."""
        return cls(cfg.n_inputs, cfg.n_neurons, cfg.cells, cfg.mlc, device, cfg.code_max,
                   cfg.sense_ref, cfg.step_shift)

    @classmethod
    def with_devices(cls, cfg, params: DeviceParams) -> Crossbar:
        """The crossbar of `cfg` built from devices drawn from `params`, freshly formed."""
        if params.code_w != cfg.code_w:
            raise ConfigError(f"the devices sense with {params.code_w}-bit codes, the chip "
                              f"configuration reads {cfg.code_w}-bit ones")
        blank = cls.for_config(cfg)
        device = make_map(params, len(blank.state), blank.n_states, blank.top_states)
        return cls.for_config(cfg, device)

    @classmethod
    def from_weights(cls, weights: np.ndarray, cells: int, mlc: bool = False) -> Crossbar:
        """Ideal cells holding `weights` (as if every pulse had taken)."""
        weights = np.asarray(weights)
        if weights.ndim != 2:
            raise ConfigError("weights must be a 2-D array (inputs x neurons), "
                              f"got shape {weights.shape}")
        xbar = cls(weights.shape[0], weights.shape[1], cells, mlc)
        xbar.state[:] = xbar.target_states(weights).ravel()
        return xbar

    # ---- coding ----------------------------------------------------------------------------

    def target_states(self, weights: np.ndarray) -> np.ndarray:
        """The cell states that code `weights`: inputs x neurons x cells per synapse."""
        weights = np.asarray(weights)
        if weights.shape != (self.n_inputs, self.n_neurons):
            raise ConfigError(f"weights have shape {weights.shape}, the crossbar "
                              f"{(self.n_inputs, self.n_neurons)}")
        if not np.issubdtype(weights.dtype, np.integer):
            raise ConfigError("weights must be integers")
        if weights.size and np.abs(weights).max() > self.cells:
            raise ConfigError(f"weights must lie in -{self.cells}..{self.cells}, got "
                              f"{weights.min()}..{weights.max()}")
        if self.mlc:
            return np.stack([np.abs(weights), (weights < 0).astype(np.int64)], axis=2)
        idx = np.arange(self.cells)
        exc = idx < np.maximum(weights, 0)[:, :, None]
        inh = idx < np.maximum(-weights, 0)[:, :, None]
        return np.concatenate([exc, inh], axis=2).astype(np.int64)

    @property
    def word_bits(self) -> int:
        """Bits of a CELL_DATA word."""
        return (int(self.cells).bit_length() + 1) if self.mlc else 2 * self.cells

    def words(self, states: np.ndarray) -> np.ndarray:
        """CELL_DATA words of synapse states (... x cells per synapse): single-level cells one
        bit each, excitatory cell 0 at bit 0; multi-level {sign, magnitude}."""
        states = np.asarray(states, dtype=np.int64)
        if self.mlc:
            mag_bits = int(self.cells).bit_length()
            return states[..., 0] | (states[..., 1] << mag_bits)
        return (states << np.arange(self.cps, dtype=np.int64)).sum(axis=-1)

    def word_states(self, words: np.ndarray) -> np.ndarray:
        """The inverse of `words`."""
        words = np.asarray(words, dtype=np.int64)
        if self.mlc:
            mag_bits = int(self.cells).bit_length()
            return np.stack([words & ((1 << mag_bits) - 1), (words >> mag_bits) & 1], axis=-1)
        return (words[..., None] >> np.arange(self.cps, dtype=np.int64)) & 1

    def synapse_words(self) -> np.ndarray:
        """The CELL_DATA word of every synapse as its cells are now."""
        return self.words(self.state.reshape(self.n_inputs, self.n_neurons, self.cps))

    def set_synapse_words(self, words: np.ndarray) -> None:
        """Set every cell directly (ideal programming)."""
        self.state[:] = self.word_states(words).ravel()

    def row_hex(self) -> list[str]:
        """Each row's cell states as one hexadecimal number (state_w bits a cell, cell 0 at the
        LSB): the format of the RTL array's INIT_FILE."""
        state_w = max(1, int(self.n_states - 1).bit_length())
        digits = (self.cells_per_row * state_w + 3) // 4
        out = []
        for row in self.state.reshape(self.n_inputs, self.cells_per_row):
            value = 0
            for s in reversed(row.tolist()):
                value = (value << state_w) | int(s)
            out.append(f"{value:0{digits}x}")
        return out

    # ---- reading ---------------------------------------------------------------------------

    @property
    def stateless(self) -> bool:
        """Reads change nothing (no noise, no disturb): a row always reads the same."""
        return not self.device.noisy and bool(np.all(self.device.limit == (1 << 32) - 1))

    def weights(self) -> np.ndarray:
        """Weight currents (rows x neurons) of every row, as a read without noise or disturb
        would give them."""
        codes = self.device.codes[np.arange(len(self.state)), self.state]
        codes = codes.reshape(self.n_inputs, self.n_neurons, self.cps)
        return self._currents(codes)

    def _currents(self, codes: np.ndarray) -> np.ndarray:
        if self.mlc:
            negative = codes[..., 1] >= self.sense_ref
            return np.where(negative, -codes[..., 0], codes[..., 0])
        half = self.cells
        return codes[..., :half].sum(axis=-1) - codes[..., half:].sum(axis=-1)

    def read(self, row: int) -> np.ndarray:
        """Read a row as the chip does (disturb, noise, counters): its codes per cell."""
        d = self.device
        read_row(row, self.cells_per_row, self.state, d.codes, d.stuck, d.limit,
                 self.row_reads, self.counters, np.array(d.noise_thr, dtype=np.int64),
                 d.noise_seed, self.code_max, self._scratch)
        return self._scratch.copy()

    def read_weights(self, row: int) -> np.ndarray:
        """Read a row for an input spike: the weight current of each neuron."""
        return self._currents(self.read(row).reshape(self.n_neurons, self.cps))

    def sense(self, row: int, col: int) -> int:
        """Read a row and sense one synapse's cells as states: the CELL_DATA word the register
        block returns (a binary cell is LRS when its code reaches sense_ref; a magnitude cell
        is the nearest level, 2^step_shift codes apart)."""
        codes = self.read(row)[col * self.cps:(col + 1) * self.cps]
        if self.mlc:
            half = (1 << self.step_shift) >> 1
            level = min(self.cells, (int(codes[0]) + half) >> self.step_shift)
            return int(self.words(np.array([level, int(codes[1] >= self.sense_ref)])))
        return int(self.words((codes >= self.sense_ref).astype(np.int64)))

    # ---- programming -----------------------------------------------------------------------

    def program(self, row: int, col: int, word: int, mask: int, cond: int = 0) -> None:
        """A CELL_DATA write: a pulse toward `word` on each cell of synapse (row, col) whose
        bit is set in `mask` (bit i: cell i of the synapse)."""
        targets = self.word_states(np.array(word))
        bits = (mask >> np.arange(self.cps)) & 1
        d = self.device
        program_cells(row, col * self.cps, targets.astype(np.int64), bits.astype(np.int64),
                      cond, self.cells_per_row, self.state, d.stuck, self.counters,
                      np.array(d.set_thr, dtype=np.int64), np.array(d.reset_thr, dtype=np.int64),
                      d.prog_seed)

    @property
    def reads(self) -> int:
        return int(self.counters[0])

    @property
    def pulses(self) -> int:
        return int(self.counters[2])
