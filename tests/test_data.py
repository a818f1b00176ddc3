# SPDX-License-Identifier: Apache-2.0
"""Datasets, encoder and weights files: normal behaviour and every way the files can be bad."""

from __future__ import annotations

import gzip
import json
import shutil

import numpy as np
import pytest

from model import DataError, RateEncoder
from model.datasets import downscale, load_digits, load_mnist
from model.weights import Weights, load_weights

# ---- encoder ---------------------------------------------------------------------------------

def test_encoder_counts_and_order():
    enc = RateEncoder(levels=4, frames=4)
    # pixel 0 full (4 spikes, times 1,2,3,4), pixel 1 half (2 spikes, times 2,4),
    # pixel 2 a quarter (1 spike, time 4), pixel 3 blank
    words = enc.encode_levels(np.array([4, 2, 1, 0]))
    assert words.tolist() == [0, 0, 1, 0, 0, 1, 2]


def test_encoder_quantize_rounds_half_up():
    enc = RateEncoder(levels=16, frames=16)
    assert enc.quantize(np.array([0, 7, 8, 255]), 255).tolist() == [0, 0, 1, 16]
    assert enc.quantize(np.arange(17), 16).tolist() == list(range(17))


def test_encoder_streams_end_with_eoi():
    enc = RateEncoder(levels=16, frames=8)
    imgs = np.array([[[16, 0], [8, 0]], [[0, 0], [0, 0]]])
    streams = enc.streams(imgs, 16, eoi_word=256)
    # pixel 0 (level 16) at times 1..8, pixel 2 (level 8) at times 2, 4, 6, 8
    assert streams[0].tolist() == [0, 0, 2, 0, 0, 2, 0, 0, 2, 0, 0, 2, 256]
    assert streams[1].tolist() == [256]


@pytest.mark.parametrize("levels, frames", [(0, 4), (4, 0), (300, 4), (4, 5000)])
def test_encoder_limits(levels, frames):
    with pytest.raises(Exception, match="must lie in"):
        RateEncoder(levels=levels, frames=frames)


# ---- datasets --------------------------------------------------------------------------------

def test_digits_split():
    test, train = load_digits("test"), load_digits("train")
    assert len(test) == 599 and len(train) == 1198
    assert test.images.shape == (599, 8, 8) and test.images.max() <= 16
    assert set(np.unique(test.labels)) == set(range(10))


def test_downscale_crops_and_averages():
    img = np.zeros((1, 28, 28), dtype=np.uint8)
    img[0, 2:4, 2:4] = [[1, 2], [3, 4]]      # top-left block of the crop: mean 2.5 -> 3
    img[0, 0, 0] = 255                       # in the cropped border: ignored
    out = downscale(img)
    assert out.shape == (1, 12, 12) and out[0, 0, 0] == 3 and out.sum() == 3


def test_mnist_reads_real_files(mnist_dir):
    d = load_mnist(mnist_dir, "test")
    assert d.images.shape == (10000, 12, 12) and d.labels[:5].tolist() == [7, 2, 1, 0, 4]


def idx(magic: int, dims: tuple, data: bytes) -> bytes:
    return np.array((magic,) + dims, dtype=">u4").tobytes() + data


def write_pair(folder, images: bytes, labels: bytes, gz=True):
    folder.mkdir(exist_ok=True)
    pack = gzip.compress if gz else (lambda b: b)
    ext = ".gz" if gz else ""
    (folder / f"t10k-images-idx3-ubyte{ext}").write_bytes(pack(images))
    (folder / f"t10k-labels-idx1-ubyte{ext}").write_bytes(pack(labels))


GOOD_LABELS = idx(2049, (10000,), bytes(10000))
GOOD_IMAGES = idx(2051, (10000, 28, 28), bytes(10000 * 784))


@pytest.mark.parametrize("images, labels, gz, message", [
    (GOOD_IMAGES[:-1], GOOD_LABELS, True, "7839999 data bytes, expected 7840000"),
    (GOOD_IMAGES + b"x", GOOD_LABELS, True, "truncated or has trailing data"),
    (idx(2049, (10000, 28, 28), bytes(10000 * 784)), GOOD_LABELS, True, "magic number 2049"),
    (idx(2051, (9999, 28, 28), bytes(9999 * 784)), GOOD_LABELS, True, "header says 9999"),
    (GOOD_IMAGES[:10], GOOD_LABELS, False, "too short for an IDX header"),
    (GOOD_IMAGES, idx(2049, (10000,), bytes([12]) * 10000), False, "a label is 12"),
])
def test_mnist_bad_files(tmp_path, images, labels, gz, message):
    write_pair(tmp_path / "m", images, labels, gz)
    with pytest.raises(DataError, match=message):
        load_mnist(tmp_path / "m", "test")


def test_mnist_corrupt_gzip(tmp_path):
    folder = tmp_path / "m"
    write_pair(folder, GOOD_IMAGES, GOOD_LABELS)
    raw = (folder / "t10k-images-idx3-ubyte.gz").read_bytes()
    (folder / "t10k-images-idx3-ubyte.gz").write_bytes(raw[: len(raw) // 2])
    with pytest.raises(DataError, match="corrupt or truncated"):
        load_mnist(folder, "test")


def test_mnist_missing(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        load_mnist(tmp_path / "none")
    (tmp_path / "m").mkdir()
    with pytest.raises(DataError, match="lacks t10k-images-idx3-ubyte.* and t10k-labels"):
        load_mnist(tmp_path / "m")


def test_mnist_unzipped_files_work(tmp_path, mnist_dir):
    folder = tmp_path / "raw"
    folder.mkdir()
    for name in ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"):
        with gzip.open(mnist_dir / f"{name}.gz") as src, open(folder / name, "wb") as dst:
            shutil.copyfileobj(src, dst)
    assert len(load_mnist(folder, "test")) == 10000


# ---- weights files ---------------------------------------------------------------------------

def sample_weights() -> Weights:
    return Weights(dataset="digits", weights=np.array([[1, -4], [0, 3]]), cells=4,
                   encoder=RateEncoder(16, 16),
                   settings=dict(th_pos=3, th_neg=3, leak=0, refrac=0, ds=5, neg_en=True,
                                 net_count=True),
                   training={"seed": 0})


def test_weights_round_trip(tmp_path):
    sample_weights().save(tmp_path / "w.json")
    w = load_weights(tmp_path / "w.json")
    assert w.weights.tolist() == [[1, -4], [0, 3]] and w.settings["ds"] == 5
    assert w.encoder == RateEncoder(16, 16)


def test_committed_weights_load():
    for name, shape in (("digits", (64, 10)), ("mnist", (144, 10))):
        w = load_weights(f"weights/{name}.json")
        assert w.weights.shape == shape and np.abs(w.weights).max() <= 4


@pytest.mark.parametrize("edit, message", [
    (lambda d: d.update(format="other"), "not a weights file"),
    (lambda d: d.pop("settings"), "'settings' entry is missing"),
    (lambda d: d.update(weights=[[1, 2], [3]]), "a table of 2 rows .* of 2 numbers"),
    (lambda d: d.update(weights=[[1, 2, 3], [0, 0, 0]]), "a table of 2 rows .* of 2 numbers"),
    (lambda d: d.update(weights="abc"), "a table of 2 rows"),
    (lambda d: d.update(weights=[[1, 9], [0, 0]]), "weights must lie in -4..4"),
    (lambda d: d.update(weights=[[10**30, 0], [0, 0]]), "weights must lie in -4..4"),
    (lambda d: d.update(weights=[[-2**63, 0], [0, 0]]), "weights must lie in -4..4"),
    (lambda d: d.update(weights=[[1.5, 0], [0, 0]]), "whole numbers"),
    (lambda d: d.update(weights=[[True, 0], [0, 0]]), "whole numbers"),
    (lambda d: d["settings"].update(speed=3), "'settings' must hold exactly"),
    (lambda d: d.update(settings={}), "'settings' must hold exactly"),
    (lambda d: d["settings"].update(ds=300), "settings: ds must lie in 0..255, got 300"),
    (lambda d: d["settings"].update(neg_en="no"), "settings: neg_en must be true or false"),
    (lambda d: d.update(encoder={"levels": 0, "frames": 4}), "encoder: levels must lie"),
    (lambda d: d.update(encoder={"levels": 16.0, "frames": 4}), "encoder levels must be a whole"),
    (lambda d: d.update(encoder={"levels": True, "frames": 4}), "encoder levels must be a whole"),
    (lambda d: d.update(encoder=[16, 16]), "'encoder' must hold levels and frames"),
    (lambda d: d.update(cells=True), "'cells' must be a positive whole number"),
    (lambda d: d.update(inputs=2.0), "'inputs' must be a positive whole number"),
    (lambda d: d.update(dataset="cifar"), "'dataset' must be one of digits, mnist"),
])
def test_weights_malformed(tmp_path, edit, message):
    sample_weights().save(tmp_path / "w.json")
    doc = json.loads((tmp_path / "w.json").read_text())
    edit(doc)
    (tmp_path / "w.json").write_text(json.dumps(doc))
    with pytest.raises(DataError, match=message):
        load_weights(tmp_path / "w.json")


def test_weights_not_json(tmp_path):
    (tmp_path / "w.json").write_bytes(b"\x00\xff garbage")
    with pytest.raises(DataError, match="make train"):
        load_weights(tmp_path / "w.json")


def test_weights_nested_too_deeply(tmp_path):
    (tmp_path / "w.json").write_text("[" * 100000 + "]" * 100000)
    with pytest.raises(DataError, match="nested too deeply"):
        load_weights(tmp_path / "w.json")


def test_weights_path_kinds(tmp_path):
    with pytest.raises(DataError, match="is a folder"):
        load_weights(tmp_path)
    with pytest.raises(DataError, match="is not a regular file"):
        load_weights("/dev/null")


def test_mnist_folder_is_a_file(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(DataError, match="is a file, not a folder"):
        load_mnist(tmp_path / "f")


def test_mnist_entry_is_a_folder_or_broken_link(tmp_path):
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "t10k-images-idx3-ubyte.gz").mkdir()
    with pytest.raises(DataError, match="is not a regular file"):
        load_mnist(tmp_path / "m")
    (tmp_path / "n").mkdir()
    (tmp_path / "n" / "t10k-images-idx3-ubyte.gz").symlink_to(tmp_path / "nowhere")
    with pytest.raises(DataError, match="is not a regular file"):
        load_mnist(tmp_path / "n")


def test_mnist_compressed_bomb_stops_at_the_header(tmp_path):
    """A small .gz that inflates to gigabytes is refused after reading its header."""
    import tracemalloc
    folder = tmp_path / "m"
    folder.mkdir()
    with gzip.open(folder / "t10k-images-idx3-ubyte.gz", "wb", compresslevel=1) as f:
        f.write(idx(2051, (10000, 28, 28), b""))
        chunk = bytes(1 << 20)
        for _ in range(64):          # 64 MiB of zeros past the expected 7.8 MB
            f.write(chunk)
    (folder / "t10k-labels-idx1-ubyte.gz").write_bytes(gzip.compress(GOOD_LABELS))
    tracemalloc.start()
    with pytest.raises(DataError, match="trailing data"):
        load_mnist(folder, "test")
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 32 << 20, f"peak {peak} bytes"
