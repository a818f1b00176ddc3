# SPDX-License-Identifier: Apache-2.0
"""RRAM devices as they behave: what the twin's cells do besides storing a state.

Every effect is seeded and switchable, and the RTL's behavioural array reproduces it bit for
bit. What is fixed when a chip is made (the spread of each cell's conductance and how the
sense amplifier quantizes it, stuck cells, how many reads each cell survives, the state after
forming) is a *device map*, drawn once from `DeviceParams.seed` and handed to the RTL as files,
the way a characterized macro is described. What happens during use (whether a programming
pulse takes, the noise of each read) comes from a counter-based hash: `mix32(seed, index,
cell)` of the operation's running index and the cell's number, which Verilog, numpy and numba
all compute the same way.

Units: conductances are in sense-code units, the integer current the sense amplifier gives
(`code_w` bits, so 0 .. 2^code_w - 1); the nominal LRS conductance is `lrs` codes. Read counts
are reads of a cell's row.

Effects, in the order a read applies them:
  1. read disturb: the row's read count goes up by one; a cell in state 0 (HRS) that is not
     stuck and whose count reaches its limit moves to state 1 for good;
  2. the cell's code in its state, from the map (spread and sense quantization);
  3. read noise: the code moves by -2..+2 with the probabilities of a discretized Gaussian of
     sigma `noise`, and is clipped to 0 .. 2^code_w - 1.
A programming pulse on a cell that is not stuck succeeds with probability `p_set[cond]` (when
it raises the state) or `p_reset[cond]` (when it lowers it); a stuck cell ignores pulses.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numba
import numpy as np

from .errors import ConfigError

NEVER = (1 << 32) - 1   # a read-disturb limit that is never reached
HALF = 1 << 32          # thresholds are 33-bit: a draw succeeds when mix32 < threshold


@numba.njit(cache=True, nogil=True)
def mix32(a, b, c):  # pragma: no cover - compiled
    """A 32-bit hash of three 32-bit words (rtl/spirit_rram_array.v has the same)."""
    m = np.uint64(0xFFFFFFFF)
    x = (np.uint64(a) ^ ((np.uint64(b) * np.uint64(0x9E3779B1)) & m)
         ^ ((np.uint64(c) * np.uint64(0x85EBCA77)) & m)) & m
    x ^= x >> np.uint64(16)
    x = (x * np.uint64(0x7FEB352D)) & m
    x ^= x >> np.uint64(15)
    x = (x * np.uint64(0x846CA68B)) & m
    x ^= x >> np.uint64(16)
    return np.int64(x)


def threshold(p: float) -> int:
    """The 33-bit threshold under which a uniform 32-bit draw falls with probability p."""
    return min(HALF, max(0, int(round(p * HALF))))


def noise_thresholds(sigma: float) -> list[int]:
    """Four thresholds that split a 32-bit draw into noise -2, -1, 0, +1, +2 with the
    probabilities of a Gaussian of `sigma` rounded to the nearest integer (tails folded)."""
    if sigma <= 0:
        return [0, 0, HALF, HALF]
    cdf = [0.5 * (1 + math.erf((k + 0.5) / (sigma * math.sqrt(2)))) for k in (-2, -1, 0, 1)]
    return [threshold(p) for p in cdf]


@dataclass(frozen=True)
class DeviceParams:
    """A population of RRAM devices and how they are read and programmed.

    The defaults are the calibrated ones (docs/devices.md): a strong RESET (condition 0)
    gives SPIRIT's 98.6% of synapses right after one-shot programming, a weak one
    (condition 1) its 73.5%, with SPIRIT's MNIST weights (weights/mnist_chip.json); read
    disturb: half the cells survive a billion reads of their row, and the weakest of a SPIRIT
    array more than a hundred million, far beyond the few million reads that 200 passes over
    the MNIST test set give its most-read row.
    """

    code_w: int = 4                  # sense code width, bits
    lrs: float = 8.0                 # nominal LRS conductance, codes
    hrs: float = 0.4                 # nominal HRS conductance, codes
    lrs_spread: float = 0.0          # sigma of ln(G) across LRS cells
    hrs_spread: float = 0.0          # sigma of ln(G) across HRS cells
    stuck_hrs: float = 0.0           # fraction of cells stuck in HRS
    stuck_lrs: float = 0.0           # fraction of cells stuck in LRS (highest state)
    noise: float = 0.0               # sigma of read noise, codes
    # pulse success per programming condition: 0 strong RESET, 1 weak RESET, 2 and 3 spare
    p_set: tuple[float, ...] = (1.0, 1.0, 1.0, 1.0)
    p_reset: tuple[float, ...] = (0.998, 0.9567, 1.0, 1.0)
    disturb_reads: float = 1e9       # median row reads before an HRS cell is disturbed
    disturb_spread: float = 0.5      # sigma of ln(limit) across cells
    formed: int = 1                  # state of every cell after forming (1: LRS)
    seed: int = 1                    # draws the map, and seeds programming and noise

    def validate(self) -> DeviceParams:
        def need(ok, msg):
            if not ok:
                raise ConfigError(msg)

        need(2 <= self.code_w <= 8, f"code_w must lie in 2..8, got {self.code_w}")
        top = (1 << self.code_w) - 1
        need(0 < self.lrs <= top, f"lrs must lie in (0, {top}], got {self.lrs}")
        need(0 <= self.hrs < self.lrs, f"hrs must lie in [0, lrs), got {self.hrs}")
        for name in ("lrs_spread", "hrs_spread", "noise", "disturb_spread"):
            need(0 <= getattr(self, name) <= 5, f"{name} must lie in 0..5")
        for name in ("stuck_hrs", "stuck_lrs"):
            need(0 <= getattr(self, name) <= 1, f"{name} must lie in 0..1")
        need(self.stuck_hrs + self.stuck_lrs <= 1, "stuck_hrs + stuck_lrs must not exceed 1")
        for name in ("p_set", "p_reset"):
            value = getattr(self, name)
            need(len(value) == 4 and all(0 <= p <= 1 for p in value),
                 f"{name} needs four probabilities in 0..1 (one per condition)")
        need(self.disturb_reads >= 1, "disturb_reads must be at least 1")
        need(self.formed in (0, 1), "formed must be 0 (HRS) or 1 (LRS)")
        need(0 <= self.seed < 1 << 32, "seed must lie in 0..2^32-1")
        return self

    def replace(self, **changes) -> DeviceParams:
        import dataclasses

        return dataclasses.replace(self, **changes).validate()


@dataclass
class DeviceMap:
    """One chip's devices: per cell (row-major: row, neuron, cell of the synapse) its code
    in each state, stuck state (-1: none), read-disturb limit and state after forming; and
    the seeds and thresholds of programming and read noise."""

    codes: np.ndarray        # cells x states, int64
    stuck: np.ndarray        # cells, int64: -1 or the state the cell is stuck in
    limit: np.ndarray        # cells, int64: row reads that disturb it (NEVER: none)
    formed: np.ndarray       # cells, int64: state after forming
    prog_seed: int
    noise_seed: int
    set_thr: list[int] = field(default_factory=list)      # per condition, 33-bit
    reset_thr: list[int] = field(default_factory=list)
    noise_thr: list[int] = field(default_factory=list)    # 4 thresholds, 33-bit
    params: dict = field(default_factory=dict)

    @property
    def noisy(self) -> bool:
        return self.noise_thr != [0, 0, HALF, HALF]

    def write_files(self, prefix: str | Path, state_w: int, code_w: int) -> None:
        """The files the RTL array loads: <prefix>_cells.hex, one line per cell,
        {limit[32], stuck valid, stuck state, formed state, codes of each state, highest
        first}; <prefix>_header.hex: prog seed, noise seed, four SET and four RESET
        thresholds, four noise thresholds (one 33-bit value per line)."""
        prefix = Path(prefix)
        n_states = self.codes.shape[1]
        lines = []
        for g in range(len(self.stuck)):
            value = int(self.limit[g])
            value = (value << 1) | int(self.stuck[g] >= 0)
            value = (value << state_w) | max(int(self.stuck[g]), 0)
            value = (value << state_w) | int(self.formed[g])
            for s in reversed(range(n_states)):
                value = (value << code_w) | int(self.codes[g, s])
            lines.append(f"{value:x}")
        (prefix.parent / f"{prefix.name}_cells.hex").write_text("\n".join(lines) + "\n")
        header = [self.prog_seed, self.noise_seed] + self.set_thr + self.reset_thr + \
            self.noise_thr
        (prefix.parent / f"{prefix.name}_header.hex").write_text(
            "\n".join(f"{v:09x}" for v in header) + "\n")


def make_map(params: DeviceParams, n_cells: int, n_states: int,
             top_states: np.ndarray) -> DeviceMap:
    """Draw a chip's devices. `top_states[g]` is the highest state cell g uses: its states
    0 .. top are equally spaced in conductance from HRS to LRS (SLC and sign cells: 0 and 1;
    an MLC magnitude cell: 0, 1/4, ..., 1 of the LRS conductance), and a cell stuck at LRS is
    stuck in that state."""
    p = params.validate()
    rng = np.random.default_rng(p.seed)
    top = (1 << p.code_w) - 1
    top_states = np.asarray(top_states, dtype=np.int64)
    levels = np.minimum(np.arange(n_states)[None, :] / top_states[:, None], 1.0)
    nominal = np.where(levels == 0, p.hrs, levels * p.lrs)              # cells x states
    spread = np.where(levels == 0, p.hrs_spread, p.lrs_spread)
    g = nominal * np.exp(spread * rng.standard_normal((n_cells, n_states)))
    codes = np.clip(np.rint(g), 0, top).astype(np.int64)
    u = rng.random(n_cells)
    stuck = np.where(u < p.stuck_hrs, 0, np.where(u < p.stuck_hrs + p.stuck_lrs, top_states, -1))
    limit = p.disturb_reads * np.exp(p.disturb_spread * rng.standard_normal(n_cells))
    limit = np.minimum(np.rint(limit), NEVER).astype(np.int64)
    formed = np.minimum(np.full(n_cells, p.formed, dtype=np.int64), top_states)
    formed = np.where(stuck >= 0, stuck, formed)
    seeds = rng.integers(0, 1 << 32, size=2)
    return DeviceMap(
        codes=codes, stuck=stuck.astype(np.int64), limit=limit, formed=formed,
        prog_seed=int(seeds[0]), noise_seed=int(seeds[1]),
        set_thr=[threshold(x) for x in p.p_set], reset_thr=[threshold(x) for x in p.p_reset],
        noise_thr=noise_thresholds(p.noise), params=asdict(p))


def ideal_map(n_cells: int, n_states: int, top_states: np.ndarray) -> DeviceMap:
    """Cells that read as their state, never fail, never drift, make no noise."""
    codes = np.tile(np.arange(n_states, dtype=np.int64), (n_cells, 1))
    codes = np.minimum(codes, top_states[:, None])
    return DeviceMap(codes=codes, stuck=np.full(n_cells, -1, np.int64),
                     limit=np.full(n_cells, NEVER, np.int64),
                     formed=np.zeros(n_cells, np.int64), prog_seed=0, noise_seed=0,
                     set_thr=[HALF] * 4, reset_thr=[HALF] * 4,
                     noise_thr=[0, 0, HALF, HALF])


# ---- the operations, compiled: the reference model and the batch model share them -----------

@numba.njit(cache=True, nogil=True)
def read_row(row, cells_per_row, state, codes, stuck, limit, row_reads, counters, noise_thr,
             noise_seed, code_max, out):  # pragma: no cover - compiled
    """Read one row: disturb, then each cell's code plus noise, into `out`. counters[0] is the
    number of reads so far (all rows), row_reads[row] this row's."""
    count = row_reads[row] + 1
    row_reads[row] = count
    base = row * cells_per_row
    r = counters[0]
    counters[0] = r + 1
    noisy = noise_thr[0] != 0 or noise_thr[1] != 0 or noise_thr[2] != (1 << 32) \
        or noise_thr[3] != (1 << 32)
    for k in range(cells_per_row):
        g = base + k
        s = state[g]
        if s == 0 and stuck[g] < 0 and count >= limit[g]:
            s = 1
            state[g] = 1
        c = codes[g, s]
        if noisy:
            h = mix32(noise_seed, r & 0xFFFFFFFF, g)
            n = -2
            for t in range(4):
                if h >= noise_thr[t]:
                    n += 1
            c = min(code_max, max(0, c + n))
        out[k] = c


@numba.njit(cache=True, nogil=True)
def program_cells(row, first, targets, mask, cond, cells_per_row, state, stuck, counters,
                  set_thr, reset_thr, prog_seed):  # pragma: no cover - compiled
    """One programming operation on cells first .. first+len(targets)-1 of a row: a pulse on
    every masked cell. counters[1] counts operations, counters[2] pulses."""
    op = counters[1]
    counters[1] = op + 1
    for i in range(targets.shape[0]):
        if not mask[i]:
            continue
        counters[2] += 1
        g = row * cells_per_row + first + i
        if stuck[g] >= 0 or targets[i] == state[g]:
            continue
        h = mix32(prog_seed, op & 0xFFFFFFFF, g)
        thr = set_thr[cond] if targets[i] > state[g] else reset_thr[cond]
        if h < thr:
            state[g] = targets[i]


def device_config(cfg, params: DeviceParams):
    """`cfg` made to read devices of `params`: the sense code width of the devices; the
    thresholds and the leak moved from weight units into codes (a weight unit is one LRS cell,
    `lrs` codes; with multi-level cells one magnitude level, lrs / cells codes); membranes
    wider by as many bits; a binary cell reads as LRS from halfway between HRS and LRS, and
    multi-level magnitudes are 2^step_shift codes apart, the nearest power of two to the
    level spacing."""
    p = params.validate()
    unit = p.lrs / cfg.cells if cfg.mlc else p.lrs
    extra = max(0, math.ceil(math.log2(max(unit, 1.0))))
    step_shift = max(0, round(math.log2(unit))) if cfg.mlc else 0
    sense_ref = max(1, math.ceil((p.hrs + p.lrs) / 2))
    import dataclasses

    wide = dataclasses.replace(cfg, code_w=p.code_w, sense_ref=sense_ref,
                               step_shift=step_shift, v_w=16)
    v_w = min(16, max(cfg.v_w + extra, wide.w_w + 1))
    v_max = (1 << (v_w - 1)) - 1

    def codes(x: int) -> int:
        return min(v_max, max(0, round(x * unit)))

    return dataclasses.replace(wide, v_w=v_w, th_pos=max(1, codes(cfg.th_pos)),
                               th_neg=max(1, codes(cfg.th_neg)),
                               leak=codes(cfg.leak)).validate()
