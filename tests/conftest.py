# SPDX-License-Identifier: Apache-2.0
"""Shared fixtures: paths, the MNIST folder, random chip configurations, the seed of a random
test."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from model import ChipConfig  # noqa: E402

SEED_VARIABLE = "SPIRIT_SEED"


def pytest_configure(config):
    config.addinivalue_line("markers", "seed(n): the default seed of a test that takes `seed`")


@pytest.fixture
def seed(request) -> int:
    """The seed of a random test: $SPIRIT_SEED if set, else the test's `seed` mark, else 1.
    A failed test's report names it, and how to rerun the test with it."""
    mark = request.node.get_closest_marker("seed")
    text = os.environ.get(SEED_VARIABLE, "").strip()
    if text and not text.isdigit():
        pytest.fail(f"{SEED_VARIABLE} must be a whole number >= 0, got '{text}'")
    value = int(text) if text else (mark.args[0] if mark else 1)
    request.node.spirit_seed = value
    return value


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Add the seed to the report of a failed test that took one."""
    outcome = yield
    report = outcome.get_result()
    seed = getattr(item, "spirit_seed", None)
    if seed is not None and report.failed:
        report.sections.append(
            ("seed", f"seed {seed}: rerun with {SEED_VARIABLE}={seed} .venv/bin/python -m pytest "
                     f"'{item.nodeid}'"))


@pytest.fixture(scope="session")
def mnist_dir() -> Path:
    """The MNIST folder: $MNIST_DIR, else ../shared/data/mnist beside the checkout."""
    folder = Path(os.environ.get("MNIST_DIR", ROOT.parent / "shared" / "data" / "mnist"))
    if not (folder / "t10k-images-idx3-ubyte.gz").exists() and not (
            folder / "t10k-images-idx3-ubyte").exists():
        pytest.skip(f"no MNIST files in {folder}; set MNIST_DIR")
    return folder


def random_config(rng: np.random.Generator, **fixed) -> ChipConfig:
    """A valid chip configuration with every setting drawn at random."""
    n_inputs = int(rng.integers(2, 40))
    cells = int(rng.integers(1, 5))
    v_w = int(rng.integers(cells.bit_length() + 3, 10))
    th_max = (1 << (v_w - 1)) - 1
    values = dict(
        n_inputs=n_inputs, n_neurons=int(rng.integers(2, 12)), cells=cells,
        addr_w=int(rng.integers((n_inputs - 1).bit_length(), 8)) if n_inputs > 1 else 1,
        v_w=v_w, cnt_w=int(rng.integers(2, 8)),
        th_pos=int(rng.integers(1, min(8, th_max) + 1)),
        th_neg=int(rng.integers(1, min(8, th_max) + 1)),
        leak=int(rng.integers(0, 3)), refrac=int(rng.integers(0, 4)),
        neg_en=bool(rng.integers(0, 2)),
        net_count=bool(rng.integers(0, 2)))
    values["ds"] = int(rng.integers(0, min(6, (1 << values["cnt_w"]) - 1) + 1))
    values.update(fixed)
    values["addr_w"] = max(values["addr_w"], 1, (values["n_inputs"] - 1).bit_length())
    return ChipConfig(**values).validate()


def random_streams(rng: np.random.Generator, cfg: ChipConfig, n_images: int,
                   max_len: int = 80, bad_rate: float = 0.05) -> list[np.ndarray]:
    """Random images: mostly good addresses, some out of range, some unknown commands."""
    streams = []
    for _ in range(n_images):
        length = int(rng.integers(0, max_len))
        words = rng.integers(0, cfg.n_inputs, size=length)
        bad = rng.random(length) < bad_rate
        junk = rng.integers(0, 1 << (cfg.addr_w + 1), size=length)
        junk = np.where(junk == cfg.eoi_word, cfg.eoi_word + 1, junk)
        if cfg.n_inputs == 1 << cfg.addr_w:
            junk = np.where(junk < cfg.n_inputs, cfg.eoi_word + 1, junk)
        words = np.where(bad, junk, words)
        streams.append(np.concatenate([words, [cfg.eoi_word]]).astype(np.int64))
    return streams
