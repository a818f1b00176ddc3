# SPDX-License-Identifier: Apache-2.0
"""The trained-weights file: integer weights plus the operating point they were chosen for.

JSON, small enough to read and to diff:

    {"format": "spirit-weights/1", "dataset": "mnist", "inputs": 144, "neurons": 10,
     "cells": 4, "encoder": {"levels": 16, "frames": 16},
     "settings": {"th_pos": 2, "th_neg": 2, "leak": 0, "refrac": 0, "ds": 10,
                  "neg_en": true, "net_count": true},
     "training": {...how it was made, for the record...},
     "weights": [[w(input 0, neuron 0), ...], ...]}      # inputs x neurons, -cells..cells
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .config import ChipConfig
from .encoding import RateEncoder
from .errors import ConfigError, DataError

FORMAT = "spirit-weights/1"
SETTINGS = ("th_pos", "th_neg", "leak", "refrac", "ds", "neg_en", "net_count")


@dataclass
class Weights:
    dataset: str
    weights: np.ndarray                 # inputs x neurons, int64
    cells: int
    encoder: RateEncoder
    settings: dict
    training: dict = field(default_factory=dict)

    @property
    def n_inputs(self) -> int:
        return self.weights.shape[0]

    @property
    def n_neurons(self) -> int:
        return self.weights.shape[1]

    def chip_config(self, base: ChipConfig) -> ChipConfig:
        """`base` with this file's settings."""
        return base.replace(**self.settings)

    def save(self, path: str | Path) -> None:
        doc = {
            "format": FORMAT, "dataset": self.dataset, "inputs": self.n_inputs,
            "neurons": self.n_neurons, "cells": self.cells,
            "encoder": {"levels": self.encoder.levels, "frames": self.encoder.frames},
            "settings": self.settings, "training": self.training,
        }
        text = json.dumps(doc, indent=1)
        rows = ",\n  ".join(json.dumps(r) for r in self.weights.tolist())
        Path(path).write_text(text[:-2] + f',\n "weights": [\n  {rows}\n ]\n}}\n')


def load_weights(path: str | Path) -> Weights:
    """Read and check a weights file; any problem is a DataError naming the file."""
    path = Path(path)
    hint = "regenerate it with `make train`"

    def bad(msg: str) -> DataError:
        return DataError(f"{path}: {msg}; {hint}")

    if not path.is_file():
        raise DataError(f"weights file '{path}' does not exist; {hint}, or name another "
                        "with WEIGHTS=")
    try:
        doc = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise bad(f"cannot read it ({exc})") from None
    except json.JSONDecodeError as exc:
        raise bad(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise bad(f"not a weights file (format must be '{FORMAT}')")
    for key in ("dataset", "inputs", "neurons", "cells", "encoder", "settings", "weights"):
        if key not in doc:
            raise bad(f"the '{key}' entry is missing")
    try:
        w = np.array(doc["weights"])
    except ValueError:
        raise bad("'weights' is not a rectangular table") from None
    n_in, n_out, cells = doc["inputs"], doc["neurons"], doc["cells"]
    if w.shape != (n_in, n_out):
        raise bad(f"'weights' is {w.shape}, the header says {n_in} inputs x {n_out} neurons")
    if w.size and not np.issubdtype(w.dtype, np.integer):
        raise bad("weights must be whole numbers")
    if not isinstance(cells, int) or cells < 1:
        raise bad(f"'cells' must be a positive whole number, got {cells!r}")
    if w.size and np.abs(w).max() > cells:
        raise bad(f"weights must lie in -{cells}..{cells}, found {w.min()}..{w.max()}")
    settings = doc["settings"]
    if not isinstance(settings, dict) or set(settings) - set(SETTINGS):
        raise bad(f"'settings' may only hold {', '.join(SETTINGS)}")
    enc = doc["encoder"]
    try:
        encoder = RateEncoder(levels=enc["levels"], frames=enc["frames"])
    except (KeyError, TypeError) as exc:
        raise bad(f"'encoder' needs levels and frames ({exc})") from None
    except ConfigError as exc:
        raise bad(f"encoder: {exc}") from None
    return Weights(dataset=str(doc["dataset"]), weights=w.astype(np.int64), cells=cells,
                   encoder=encoder, settings=settings, training=doc.get("training", {}))
