# SPDX-License-Identifier: Apache-2.0
"""The RRAM crossbar: cell states, how weights are programmed into them, and how rows read.

A synapse is 2 x `cells` single-level cells: an excitatory side and an inhibitory side. A cell
in the low-resistance state (LRS) conducts one unit of read current, a cell in the
high-resistance state (HRS) none, so a synapse reads as (LRS cells on the excitatory side)
minus (LRS cells on the inhibitory side): an integer weight in -cells .. +cells.

Cells are stored as a boolean array `lrs[row, neuron, side, cell]` (side 0 excitatory,
1 inhibitory), the same layout as the RTL array (bit (2*neuron + side)*cells + cell of a row).
Device effects (programming failures, spread, noise, stuck cells, read disturb) belong in a
`ReadPath`: the chip model asks it for the weights a row reads as, and the ideal one below
returns the LRS counts.
"""

from __future__ import annotations

import numpy as np

from .errors import ConfigError


class IdealReadPath:
    """Reads a cell as 1 unit of current in LRS and 0 in HRS, every time."""

    stateless = True

    def weights(self, lrs: np.ndarray) -> np.ndarray:
        """Signed weights (rows x neurons) that the cells read as."""
        counts = lrs.sum(axis=3, dtype=np.int64)
        return counts[:, :, 0] - counts[:, :, 1]


class Crossbar:
    """An n_inputs x n_neurons array of synapses, each of 2 x `cells` cells."""

    def __init__(self, n_inputs: int, n_neurons: int, cells: int, read_path=None):
        self.n_inputs = n_inputs
        self.n_neurons = n_neurons
        self.cells = cells
        self.lrs = np.zeros((n_inputs, n_neurons, 2, cells), dtype=bool)
        self.read_path = read_path if read_path is not None else IdealReadPath()

    @classmethod
    def from_weights(cls, weights: np.ndarray, cells: int, read_path=None) -> Crossbar:
        weights = np.asarray(weights)
        if weights.ndim != 2:
            raise ConfigError("weights must be a 2-D array (inputs x neurons), "
                              f"got shape {weights.shape}")
        xbar = cls(weights.shape[0], weights.shape[1], cells, read_path)
        xbar.program_weights(weights)
        return xbar

    # ---- programming ---------------------------------------------------------------------

    def program_weights(self, weights: np.ndarray) -> None:
        """Program every synapse: a weight w > 0 sets the first w excitatory cells to LRS,
        w < 0 the first |w| inhibitory cells; all other cells go to HRS."""
        weights = np.asarray(weights)
        if weights.shape != (self.n_inputs, self.n_neurons):
            raise ConfigError(f"weights have shape {weights.shape}, the crossbar "
                              f"{(self.n_inputs, self.n_neurons)}")
        if not np.issubdtype(weights.dtype, np.integer):
            raise ConfigError("weights must be integers")
        if weights.size and np.abs(weights).max() > self.cells:
            raise ConfigError(f"weights must lie in -{self.cells}..{self.cells} for "
                              f"{self.cells} cells per side, got {weights.min()}..{weights.max()}")
        idx = np.arange(self.cells)
        self.lrs[:, :, 0, :] = idx < np.maximum(weights, 0)[:, :, None]
        self.lrs[:, :, 1, :] = idx < np.maximum(-weights, 0)[:, :, None]

    def synapse_words(self) -> np.ndarray:
        """The CELL_DATA word of every synapse: {inhibitory cells, excitatory cells}."""
        bits = self.lrs.reshape(self.n_inputs, self.n_neurons, 2 * self.cells)
        weights = 1 << np.arange(2 * self.cells, dtype=np.int64)
        return (bits.astype(np.int64) * weights).sum(axis=2)

    def set_synapse_words(self, words: np.ndarray) -> None:
        words = np.asarray(words, dtype=np.int64)
        bits = (words[:, :, None] >> np.arange(2 * self.cells)) & 1
        self.lrs = bits.astype(bool).reshape(self.n_inputs, self.n_neurons, 2, self.cells)

    def row_hex(self) -> list[str]:
        """Each row as one hexadecimal number, the format of the RTL array's INIT_FILE."""
        flat = self.lrs.reshape(self.n_inputs, -1)
        digits = (flat.shape[1] + 3) // 4
        packed = np.packbits(flat[:, ::-1], axis=1, bitorder="big")
        pad = packed.shape[1] * 8 - flat.shape[1]
        out = []
        for row in packed:
            value = int.from_bytes(row.tobytes(), "big") >> pad
            out.append(f"{value:0{digits}x}")
        return out

    # ---- reading -------------------------------------------------------------------------

    def weights(self) -> np.ndarray:
        """Weights (rows x neurons, int64) as the read path sees them."""
        return self.read_path.weights(self.lrs)
