# SPDX-License-Identifier: Apache-2.0
"""The trained-weights file: integer weights plus the operating point they were chosen for.

JSON, small enough to read and to diff:

    {"format": "spirit-weights/1", "dataset": "mnist", "inputs": 144, "neurons": 10,
     "cells": 4, "encoder": {"levels": 16, "frames": 16, "deskew": true},
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
    deskew: bool = False                # images are deskewed before encoding
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
            "encoder": {"levels": self.encoder.levels, "frames": self.encoder.frames,
                        "deskew": self.deskew},
            "settings": self.settings, "training": self.training,
        }
        text = json.dumps(doc, indent=1)
        rows = ",\n  ".join(json.dumps(r) for r in self.weights.tolist())
        Path(path).write_text(text[:-2] + f',\n "weights": [\n  {rows}\n ]\n}}\n')


MAX_BYTES = 64 << 20
DATASETS = ("digits", "mnist")


def _whole(value) -> bool:
    """A JSON whole number: an int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def load_weights(path: str | Path) -> Weights:
    """Read and check a weights file; any problem is a DataError naming the file."""
    path = Path(path)
    hint = "regenerate it with `make train` or name another with WEIGHTS="

    def bad(msg: str) -> DataError:
        return DataError(f"{path}: {msg}; {hint}")

    if path.is_dir():
        raise DataError(f"weights file '{path}' is a folder; name a .json weights file")
    if not path.exists():
        raise DataError(f"weights file '{path}' does not exist; {hint}")
    if not path.is_file():
        raise DataError(f"weights file '{path}' is not a regular file; {hint}")
    try:
        if path.stat().st_size > MAX_BYTES:
            raise bad(f"{path.stat().st_size} bytes is far too large for a weights file")
        doc = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError) as exc:
        raise bad(f"cannot read it ({exc})") from None
    except json.JSONDecodeError as exc:
        raise bad(f"not valid JSON ({exc.msg} at line {exc.lineno})") from None
    except RecursionError:
        raise bad("not a weights file (nested too deeply)") from None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise bad(f"not a weights file (format must be '{FORMAT}')")
    for key in ("dataset", "inputs", "neurons", "cells", "encoder", "settings", "weights"):
        if key not in doc:
            raise bad(f"the '{key}' entry is missing")
    if doc["dataset"] not in DATASETS:
        raise bad(f"'dataset' must be one of {', '.join(DATASETS)}, got {doc['dataset']!r}")
    for key in ("inputs", "neurons", "cells"):
        if not _whole(doc[key]) or doc[key] < 1:
            raise bad(f"'{key}' must be a positive whole number, got {doc[key]!r}")
    n_in, n_out, cells = doc["inputs"], doc["neurons"], doc["cells"]
    rows = doc["weights"]
    if not isinstance(rows, list) or len(rows) != n_in or not all(
            isinstance(r, list) and len(r) == n_out for r in rows):
        raise bad(f"'weights' must be a table of {n_in} rows (inputs) of {n_out} numbers "
                  "(neurons), as the header says")
    if not all(_whole(x) for r in rows for x in r):
        raise bad("weights must be whole numbers")
    # the range is checked on the Python numbers, before numpy could overflow on them
    values = [x for r in rows for x in r]
    if values and (min(values) < -cells or max(values) > cells):
        raise bad(f"weights must lie in -{cells}..{cells}, found {min(values)}..{max(values)}")
    w = np.array(rows, dtype=np.int64).reshape(n_in, n_out)
    settings = doc["settings"]
    if not isinstance(settings, dict) or set(settings) != set(SETTINGS):
        raise bad(f"'settings' must hold exactly {', '.join(SETTINGS)}")
    try:
        ChipConfig().replace(**settings)
    except ConfigError as exc:
        raise bad(f"settings: {exc}") from None
    enc = doc["encoder"]
    if not isinstance(enc, dict) or not {"levels", "frames"} <= set(enc):
        raise bad("'encoder' must hold levels and frames")
    for key in ("levels", "frames"):
        if not _whole(enc[key]):
            raise bad(f"encoder {key} must be a whole number, got {enc[key]!r}")
    try:
        encoder = RateEncoder(levels=enc["levels"], frames=enc["frames"])
    except ConfigError as exc:
        raise bad(f"encoder: {exc}") from None
    deskew = enc.get("deskew", False)
    if not isinstance(deskew, bool):
        raise bad(f"encoder deskew must be true or false, got {deskew!r}")
    return Weights(dataset=doc["dataset"], weights=w, cells=cells, encoder=encoder,
                   settings=settings, deskew=deskew, training=doc.get("training", {}))
