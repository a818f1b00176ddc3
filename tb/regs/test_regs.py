# SPDX-License-Identifier: Apache-2.0
"""spirit_regs against a Python reference of the register file (`RegModel`).

The testbench plays the rest of the chip: it drives the status, counter and neuron inputs, and
it plays the crossbar controller's synapse port (`CellPort`: a grant on a random cycle, writes
stored in an array of synapse words, a read answered one cycle after its grant). A `Monitor`
follows every cycle: it predicts the response of each bus access (data, error flag, latency),
the synapse port traffic it causes, the configuration outputs, error_o and the one-cycle
pulses, and fails the test at the first difference. The tests drive directed and random
traffic and check what each of them is about on top of that.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass

import cocotb
import numpy as np
from cocotb.triggers import ClockCycles, ReadOnly, RisingEdge

from model import ChipConfig, regmap
from model.rram import Crossbar
from tb.common import fcov
from tb.common.agents import RegMaster
from tb.common.blocks import params, start_clock

R = regmap
MASK32 = 0xFFFF_FFFF

NAMES = {getattr(R, n): n for n in (
    "ID", "VERSION", "PARAM0", "PARAM1", "PARAM2", "PARAM3", "CTRL", "STATUS", "CLASS",
    "ERROR", "TH_POS", "TH_NEG", "LEAK", "REFRAC", "DS", "CELL_ROW", "CELL_COL", "CELL_DATA",
    "CELL_MASK", "PROG_COND", "PULSES", "READS", "PROG_OPS", "CMD", "NEUR_SEL", "NEUR_V",
    "NEUR_CNT")}
NAMES.update({R.STAT_BASE + k: f"STAT[{s}]" for k, s in enumerate(R.STATS)})
ERR_NAMES = {R.E_ADDR_RANGE: "ADDR_RANGE", R.E_BAD_CMD: "BAD_CMD", R.E_REG_ADDR: "REG_ADDR",
             R.E_REG_RO: "REG_RO", R.E_REG_VALUE: "REG_VALUE", R.E_REG_BUSY: "REG_BUSY",
             R.E_CNT_SAT: "CNT_SAT"}
STICKY = sum(1 << b for b in (R.E_REG_ADDR, R.E_REG_RO, R.E_REG_VALUE, R.E_REG_BUSY))

# configuration registers and the output each drives (CTRL drives neg_en_o and net_o)
CONFIG_OUTPUTS = {R.TH_POS: "th_pos_o", R.TH_NEG: "th_neg_o", R.LEAK: "leak_o",
                  R.REFRAC: "refrac_o", R.DS: "ds_o", R.CELL_MASK: "cell_mask_o",
                  R.PROG_COND: "cell_cond_o"}
# the array's usage counters, 32 bits each in usage_i
USAGE = {R.READS: 0, R.PROG_OPS: 1, R.PULSES: 2}
# every input of the block that the rest of the chip drives
CHIP_INPUTS = ("busy_i", "done_i", "class_valid_i", "class_early_i", "class_i", "in_empty_i",
               "out_empty_i", "err_addr_i", "err_cmd_i", "stat_i", "stat_overflow_i", "v_i",
               "count_i", "refractory_i",
               "usage_i")


def name(addr: int) -> str:
    return f"{NAMES[addr]} ({addr:#04x})" if addr in NAMES else f"address {addr:#04x}"


def sext(x: int, width: int) -> int:
    """Two's complement value of a `width`-bit field."""
    return x - (1 << width) if x >> (width - 1) & 1 else x


def field(packed: int, k: int, width: int) -> int:
    return packed >> (k * width) & ((1 << width) - 1)


def pack(values, width: int) -> int:
    out = 0
    for k, v in enumerate(values):
        out |= (v & ((1 << width) - 1)) << (k * width)
    return out


class Params:
    """The parameters the DUT was built with, with the RTL's defaults for the others."""

    def __init__(self):
        p = params()
        self.cfg = ChipConfig(
            n_inputs=p["N_INPUTS"], n_neurons=p["N_NEURONS"], cells=p["CELLS"],
            addr_w=p["ADDR_W"], v_w=p["V_W"], cnt_w=p["CNT_W"], rf_w=p["RF_W"],
            stat_w=p["STAT_W"], in_fifo_depth=p.get("IN_FIFO_DEPTH", 16),
            out_fifo_depth=p.get("OUT_FIFO_DEPTH", 16))
        self.th_pos_init = p.get("TH_POS_INIT", 4)
        self.th_neg_init = p.get("TH_NEG_INIT", 4)
        self.ds_init = p.get("DS_INIT", 0)
        self.n_stat = p.get("N_STAT", len(R.STATS))
        c = self.cfg
        self.word_max = (1 << c.word_bits) - 1
        self.mask_max = (1 << c.cps) - 1
        # legal write values: inclusive (low, high); ERROR takes any value
        self.limits = {
            R.CTRL: (0, 3), R.TH_POS: (1, c.v_max), R.TH_NEG: (1, c.v_max), R.LEAK: (0, c.v_max),
            R.REFRAC: (0, (1 << c.rf_w) - 1), R.DS: (0, c.ds_max),
            R.CELL_ROW: (0, c.n_inputs - 1), R.CELL_COL: (0, c.n_neurons - 1),
            R.CELL_DATA: (0, self.word_max), R.NEUR_SEL: (0, c.n_neurons - 1), R.CMD: (0, 1),
            R.CELL_MASK: (0, self.mask_max), R.PROG_COND: (0, 3)}
        # width of the register behind each address, for values that alias in it
        self.widths = {R.CTRL: 2, R.TH_POS: c.v_w, R.TH_NEG: c.v_w, R.LEAK: c.v_w,
                       R.REFRAC: c.rf_w, R.DS: c.cnt_w, R.CELL_ROW: c.row_w,
                       R.CELL_COL: c.neur_w, R.CELL_DATA: c.word_bits, R.NEUR_SEL: c.neur_w,
                       R.CMD: 1, R.CELL_MASK: c.cps, R.PROG_COND: 2}

    def reset_values(self) -> dict[int, int]:
        return {R.CTRL: 0b11, R.TH_POS: self.th_pos_init, R.TH_NEG: self.th_neg_init,
                R.LEAK: 0, R.REFRAC: 0, R.DS: self.ds_init, R.CELL_ROW: 0, R.CELL_COL: 0,
                R.NEUR_SEL: 0, R.CELL_MASK: self.mask_max, R.PROG_COND: 0}

    def legal(self, addr: int, value: int) -> bool:
        lo, hi = self.limits.get(addr, (0, MASK32))
        return lo <= value <= hi


# ---- reference ------------------------------------------------------------------------------

@dataclass
class Expect:
    """What one access should do."""
    err: bool
    err_bit: int | None = None       # ERROR bit the refusal sets
    rdata: int | None = None         # read data, for successful reads
    cell: tuple | None = None        # (we, row, col, wdata or None) on the synapse port
    stat_clear: bool = False
    err_clear: int = 0


class RegModel:
    """Reference of the register file, written from the address map in model/regmap.py and
    the bus rules in the header of rtl/spirit_regs.v. `access` returns what an access answers
    given the chip inputs at its request, and applies what it changes."""

    def __init__(self, p: Params, words: np.ndarray):
        self.p = p
        self.words = words           # synapse words as programmed through CELL_DATA
        self.steps = Counter()       # pointer steps: "column", "row", "wrap"
        self.reset()

    def reset(self) -> None:
        self.reg = self.p.reset_values()
        self.err = 0                 # sticky ERROR bits 2..5; the array keeps its words

    def error_word(self, inp: dict) -> int:
        return (self.err | inp["err_addr_i"] << R.E_ADDR_RANGE | inp["err_cmd_i"] << R.E_BAD_CMD
                | inp["stat_overflow_i"] << R.E_CNT_SAT)

    def refusal(self, addr: int, we: bool, wdata: int, busy: int) -> int | None:
        """The ERROR bit naming why the access fails, or None; the first reason wins."""
        if addr not in R.KNOWN:
            return R.E_REG_ADDR
        if we and addr in R.RO:
            return R.E_REG_RO
        if we and not self.p.legal(addr, wdata):
            return R.E_REG_VALUE
        if busy and addr in R.LOCKED and (we or addr == R.CELL_DATA):
            return R.E_REG_BUSY
        return None

    def read_value(self, addr: int, inp: dict) -> int:
        c = self.p.cfg
        if addr in self.reg:
            return self.reg[addr]
        if addr == R.ID:
            return R.ID_VALUE
        if addr == R.VERSION:
            return R.VERSION_VALUE
        if addr == R.PARAM0:
            return c.n_neurons << 16 | c.n_inputs
        if addr == R.PARAM1:
            return c.addr_w << 24 | c.cnt_w << 16 | c.v_w << 8 | c.cells
        if addr == R.PARAM2:
            return c.out_fifo_depth << 16 | c.in_fifo_depth
        if addr == R.PARAM3:
            return c.sense_ref << 24 | c.step_shift << 16 | c.code_w << 8 | int(c.mlc)
        if addr in USAGE:
            return field(inp["usage_i"], USAGE[addr], 32)
        if addr == R.STATUS:
            bits = {R.STATUS_BUSY: inp["busy_i"], R.STATUS_DONE: inp["done_i"],
                    R.STATUS_ERROR: int(self.error_word(inp) != 0),
                    R.STATUS_CLASS_VALID: inp["class_valid_i"],
                    R.STATUS_IN_EMPTY: inp["in_empty_i"], R.STATUS_OUT_EMPTY: inp["out_empty_i"]}
            return sum(v << b for b, v in bits.items())
        if addr == R.CLASS:
            return inp["class_valid_i"] << 31 | inp["class_early_i"] << 30 | inp["class_i"]
        if addr == R.ERROR:
            return self.error_word(inp)
        if addr == R.CMD:
            return 0
        if addr == R.NEUR_V:
            return sext(field(inp["v_i"], self.reg[R.NEUR_SEL], c.v_w), c.v_w) & MASK32
        if addr == R.NEUR_CNT:
            sel = self.reg[R.NEUR_SEL]
            count = sext(field(inp["count_i"], sel, c.cnt_w), c.cnt_w) & 0x7FFF_FFFF
            return (inp["refractory_i"] >> sel & 1) << 31 | count
        k = addr - R.STAT_BASE
        assert 0 <= k < self.p.n_stat, f"no reference value for {name(addr)}"
        return field(inp["stat_i"], k, c.stat_w)

    def step(self) -> None:
        """CELL_DATA steps the column, then the row, then wraps to synapse (0, 0)."""
        c = self.p.cfg
        row, col = self.reg[R.CELL_ROW], self.reg[R.CELL_COL] + 1
        kind = "column"
        if col == c.n_neurons:
            kind = "wrap" if row == c.n_inputs - 1 else "row"
            row, col = (row + 1) % c.n_inputs, 0
        self.steps[kind] += 1
        self.reg[R.CELL_ROW], self.reg[R.CELL_COL] = row, col

    def access(self, addr: int, we: bool, wdata: int, inp: dict) -> Expect:
        bit = self.refusal(addr, we, wdata, inp["busy_i"])
        if bit is not None:
            self.err |= 1 << bit
            return Expect(err=True, err_bit=bit)
        if addr == R.CELL_DATA:
            row, col = self.reg[R.CELL_ROW], self.reg[R.CELL_COL]
            self.step()
            if we:
                self.words[row, col] = (int(self.words[row, col]) & ~self.reg[R.CELL_MASK]) \
                    | (wdata & self.reg[R.CELL_MASK])
                return Expect(err=False, cell=(1, row, col, wdata, self.reg[R.CELL_MASK],
                                               self.reg[R.PROG_COND]))
            return Expect(err=False, rdata=int(self.words[row, col]),
                          cell=(0, row, col, None, None, None))
        if not we:
            return Expect(err=False, rdata=self.read_value(addr, inp))
        if addr == R.ERROR:
            self.err &= ~wdata
            return Expect(err=False, err_clear=wdata & 0b11)
        if addr == R.CMD:
            return Expect(err=False, stat_clear=bool(wdata & 1))
        self.reg[addr] = wdata
        return Expect(err=False)


# ---- the synapse port -----------------------------------------------------------------------

class CellPort:
    """Plays the crossbar controller's synapse port. Each cycle cell_gnt_i is high with
    probability `gnt_prob`; a request taken with it writes `words` or reads them, the read
    data coming back with cell_rvalid_i one cycle later (noise on cell_rdata_i otherwise).
    Checks that a request holds still until its grant and addresses a real synapse."""

    def __init__(self, dut, p: Params, rng: random.Random):
        self.dut, self.p, self.rng = dut, p, rng
        c = p.cfg
        # unprogrammed devices: random states
        self.words = np.array([[rng.randint(0, p.word_max) for _ in range(c.n_neurons)]
                               for _ in range(c.n_inputs)], dtype=np.int64)
        self.gnt_prob = 0.5
        self.ops = 0

    async def run(self):
        d, c = self.dut, self.p.cfg
        answer, held = None, None
        while True:
            d.cell_gnt_i.value = int(self.rng.random() < self.gnt_prob)
            d.cell_rvalid_i.value = int(answer is not None)
            d.cell_rdata_i.value = answer if answer is not None else \
                self.rng.randint(0, self.p.word_max)
            answer = None
            await ReadOnly()
            if not int(d.rst_ni.value):
                held = None
            elif int(d.cell_req_o.value):
                we = int(d.cell_we_o.value)
                req = (we, int(d.cell_row_o.value), int(d.cell_col_o.value),
                       int(d.cell_wdata_o.value) if we else None)
                mask = int(d.cell_mask_o.value)
                assert held is None or req == held, \
                    f"synapse request changed before its grant: expected {held}, actual {req}"
                if int(d.cell_gnt_i.value):
                    _, row, col, wdata = req
                    assert row < c.n_inputs and col < c.n_neurons, \
                        f"synapse request for row {row}, column {col}: outside the " \
                        f"{c.n_inputs} x {c.n_neurons} array"
                    self.ops += 1
                    if we:     # the cells the mask names take the word's states
                        self.words[row, col] = (int(self.words[row, col]) & ~mask) | \
                            (wdata & mask)
                    else:
                        answer = int(self.words[row, col])
                    held = None
                else:
                    held = req
            else:
                assert held is None, f"synapse request {held} withdrawn before its grant"
            await RisingEdge(d.clk_i)


# ---- the monitor ----------------------------------------------------------------------------

@dataclass
class Access:
    addr: int
    we: bool
    wdata: int
    cycle: int                       # cycle in which the request was taken
    exp: Expect
    go: int | None = None            # cycle in which the synapse port took it
    cell_rvalid: int | None = None   # cycle in which the read data came back
    resp: int | None = None          # cycle of reg_rvalid_o
    rdata: int | None = None
    err: bool | None = None

    def __str__(self) -> str:
        what = f"write {name(self.addr)} <- {self.wdata:#x}" if self.we else \
            f"read {name(self.addr)}"
        return f"{what} (requested in cycle {self.cycle})"


class Monitor:
    """Follows the bus, the synapse port and the outputs every cycle against `RegModel`.

    In the ReadOnly phase of each cycle it checks, in this order: the response of the access
    in flight (due the cycle after an ordinary request, the cycle after the grant of a synapse
    write, the cycle after the data of a synapse read; reg_gnt_o low until then and high
    otherwise); the configuration outputs, error_o, the pulses and, with nothing in flight,
    cell_row_o/cell_col_o; the synapse port (a request only for a CELL_DATA access in flight,
    with the row, column and data of the reference); then it takes a new request into the
    reference. Any difference fails the test."""

    def __init__(self, dut, model: RegModel):
        self.dut, self.model = dut, model
        self.cycle = 0
        self.out: Access | None = None
        self.done: list[Access] = []
        self.pulse = {"stat_clear_o": False, "err_clear_o": False}
        self.seen = Counter()        # outcomes, for coverage

    @staticmethod
    def fail(msg: str):
        raise AssertionError(msg)

    def when(self) -> str:
        """The cycle, and the last access answered before it."""
        last = f", after {self.done[-1]}" if self.done else ""
        return f"cycle {self.cycle}{last}"

    async def run(self):
        d = self.dut
        while True:
            await RisingEdge(d.clk_i)
            await ReadOnly()
            self.cycle += 1
            if not int(d.rst_ni.value):
                self.model.reset()
                self.out = None
                self.pulse = dict.fromkeys(self.pulse, False)
                self.check_outputs()
                continue
            self.check_response()
            self.check_outputs()
            self.check_cell_port()
            self.check_request()

    def check_response(self):
        d, acc = self.dut, self.out
        rvalid = int(d.reg_rvalid_o.value)
        if acc is None:
            if rvalid:
                self.fail(f"{self.when()}: reg_rvalid_o high with no access in flight")
            return
        if not rvalid:
            if acc.exp.cell is None:
                self.fail(f"{acc}: expected its response in cycle {acc.cycle + 1}, "
                          f"actual reg_rvalid_o=0")
            if int(d.reg_gnt_o.value):
                self.fail(f"{acc}: reg_gnt_o high in cycle {self.cycle} while the access "
                          f"waits for the array (expected low until its response)")
            if self.cycle - acc.cycle > 1000:
                self.fail(f"{acc}: no response after 1000 cycles")
            return
        acc.resp, acc.rdata, acc.err = self.cycle, int(d.reg_rdata_o.value), \
            bool(int(d.reg_err_o.value))
        e = acc.exp
        if acc.err != e.err:
            why = f" ({ERR_NAMES[e.err_bit]})" if e.err else ""
            self.fail(f"{acc}: expected error flag {int(e.err)}{why}, actual {int(acc.err)}")
        if e.rdata is not None and acc.rdata != e.rdata:
            self.fail(f"{acc}: expected read data {e.rdata:#010x}, actual {acc.rdata:#010x}")
        if e.cell is not None:
            if acc.go is None:
                self.fail(f"{acc}: response in cycle {self.cycle} before the array took it")
            due = acc.go + 1 if acc.we else (acc.cell_rvalid or -2) + 1
            if acc.resp != due:
                self.fail(f"{acc}: expected its response in cycle {due} (synapse grant in "
                          f"cycle {acc.go}, read data in cycle {acc.cell_rvalid}), actual "
                          f"cycle {acc.resp}")
        elif acc.resp != acc.cycle + 1:
            self.fail(f"{acc}: expected its response in cycle {acc.cycle + 1}, actual "
                      f"cycle {acc.resp}")
        fcov.regs_response(acc.we, e.err_bit if e.err else None)
        self.seen[(acc.addr if acc.addr in R.KNOWN else -1, acc.we,
                   e.err_bit if e.err else None)] += 1
        self.done.append(acc)
        self.out = None

    def check_outputs(self):
        d, m = self.dut, self.model
        got = int(d.neg_en_o.value) | int(d.net_o.value) << 1
        if got != m.reg[R.CTRL]:
            self.fail(f"{self.when()}: {{net_o, neg_en_o}}: expected {m.reg[R.CTRL]:#04b}, "
                      f"actual {got:#04b}")
        ports = dict(CONFIG_OUTPUTS)
        if self.out is None:
            ports.update({R.CELL_ROW: "cell_row_o", R.CELL_COL: "cell_col_o"})
        for addr, port in ports.items():
            got = int(getattr(d, port).value)
            if got != m.reg[addr]:
                self.fail(f"{self.when()}: {port}: expected {m.reg[addr]}, actual {got}")
        inp = {k: int(getattr(d, k).value) for k in ("err_addr_i", "err_cmd_i",
                                                     "stat_overflow_i")}
        want = int(m.error_word(inp) != 0)
        if int(d.error_o.value) != want:
            self.fail(f"{self.when()}: error_o: expected {want} (ERROR "
                      f"{m.error_word(inp):#04x}), actual {int(d.error_o.value)}")
        for port, want in self.pulse.items():
            if int(getattr(d, port).value) != want:
                self.fail(f"{self.when()}: {port}: expected {int(want)}, actual "
                          f"{int(getattr(d, port).value)}")
        self.pulse = dict.fromkeys(self.pulse, False)

    def check_cell_port(self):
        d, acc = self.dut, self.out
        waiting = acc is not None and acc.exp.cell is not None and acc.go is None
        req = int(d.cell_req_o.value)
        if req and not waiting:
            self.fail(f"{self.when()}: cell_req_o high with no CELL_DATA access waiting "
                      f"for the array (in flight: {acc})")
        if waiting and not req and self.cycle > acc.cycle:
            self.fail(f"{acc}: expected cell_req_o high from cycle {acc.cycle + 1} until its "
                      f"grant, actual low in cycle {self.cycle}")
        if req and int(d.cell_gnt_i.value):
            we = int(d.cell_we_o.value)
            got = (we, int(d.cell_row_o.value), int(d.cell_col_o.value)) + (
                (int(d.cell_wdata_o.value), int(d.cell_mask_o.value), int(d.cell_cond_o.value))
                if we else (None, None, None))
            if got != acc.exp.cell:
                self.fail(f"{acc}: synapse port (we, row, col, wdata, mask, cond): expected "
                          f"{acc.exp.cell}, actual {got}")
            acc.go = self.cycle
        if int(d.cell_rvalid_i.value) and acc is not None and acc.go is not None:
            acc.cell_rvalid = self.cycle

    def check_request(self):
        d = self.dut
        gnt = int(d.reg_gnt_o.value)
        if self.out is None and not gnt:
            self.fail(f"{self.when()}: reg_gnt_o low with no access in flight")
        if not (int(d.reg_req_i.value) and gnt):
            return
        if self.out is not None:
            self.fail(f"{self.when()}: request granted while {self.out} is in flight")
        inp = {k: int(getattr(d, k).value) for k in CHIP_INPUTS}
        addr, we, wdata = int(d.reg_addr_i.value), bool(int(d.reg_we_i.value)), \
            int(d.reg_wdata_i.value)
        exp = self.model.access(addr, we, wdata, inp)
        self.out = Access(addr, we, wdata, self.cycle, exp)
        self.pulse = {"stat_clear_o": exp.stat_clear, "err_clear_o": exp.err_clear}


# ---- the testbench --------------------------------------------------------------------------

class RegsTB:
    def __init__(self, dut, k: int = 0):
        self.dut = dut
        self.p = Params()
        self.cfg = self.p.cfg
        self.rng = random.Random(cocotb.RANDOM_SEED + k)
        start_clock(dut)
        self.bus = RegMaster(dut, dut.clk_i, ports=True)
        self.cells = CellPort(dut, self.p, random.Random(cocotb.RANDOM_SEED + 100 + k))
        self.model = RegModel(self.p, self.cells.words.copy())
        self.mon = Monitor(dut, self.model)
        self.mon_task = None
        self.drive(**dict.fromkeys(CHIP_INPUTS, 0))

    def drive(self, **inputs):
        """Set chip inputs by port name: drive(busy_i=1, class_i=3)."""
        for port, value in inputs.items():
            getattr(self.dut, port).value = value

    async def reset(self):
        d = self.dut
        d.reg_req_i.value = 0
        d.rst_ni.value = 0
        if self.mon_task is None:
            cocotb.start_soon(self.cells.run())
        await ClockCycles(d.clk_i, 2)
        if self.mon_task is None:
            self.mon_task = cocotb.start_soon(self.mon.run())
        d.rst_ni.value = 1
        await RisingEdge(d.clk_i)

    # -- accesses, each checked by the monitor as well

    async def read(self, addr: int) -> tuple[int, bool]:
        return await self.bus.read(addr)

    async def write(self, addr: int, value: int) -> bool:
        return await self.bus.write(addr, value)

    async def expect_read(self, addr: int, expected: int, what: str = ""):
        data, err = await self.bus.read(addr)
        assert not err, f"read {name(addr)}{what}: expected no error, actual reg_err_o=1"
        assert data == expected, \
            f"read {name(addr)}{what}: expected {expected:#x}, actual {data:#x}"

    async def expect_write(self, addr: int, value: int, what: str = ""):
        err = await self.bus.write(addr, value)
        assert not err, f"write {name(addr)} <- {value:#x}{what}: expected no error, actual " \
                        f"reg_err_o=1"

    def output(self, addr: int) -> int | None:
        """The output a register drives, or None."""
        d = self.dut
        if addr == R.CTRL:
            return int(d.neg_en_o.value) | int(d.net_o.value) << 1
        port = {**CONFIG_OUTPUTS, R.CELL_ROW: "cell_row_o", R.CELL_COL: "cell_col_o"}.get(addr)
        return None if port is None else int(getattr(d, port).value)

    async def state(self) -> dict:
        """Every RW register (read back) and every output that holds state; the synapse
        array's content and traffic count."""
        out = {}
        for addr in R.RW:
            if addr != R.CELL_DATA:
                out[name(addr)] = (await self.bus.read(addr))[0]
                if self.output(addr) is not None:
                    out[f"output of {name(addr)}"] = self.output(addr)
        out["synapse accesses"] = self.cells.ops
        out["synapse words"] = self.cells.words.tobytes()
        return out

    async def expect_refused(self, addr: int, value: int | None, bit: int, what: str = ""):
        """A write (value given) or read (None) that must fail with ERROR bit `bit` alone and
        leave every register, output and synapse as it was; the bit is then cleared."""
        before = await self.state()
        acc = f"{'write' if value is not None else 'read'} {name(addr)}" + \
            (f" <- {value:#x}" if value is not None else "") + what
        if value is None:
            _, err = await self.bus.read(addr)
        else:
            err = await self.bus.write(addr, value)
        assert err, f"{acc}: expected a refusal ({ERR_NAMES[bit]}), actual reg_err_o=0"
        error, _ = await self.bus.read(R.ERROR)
        assert error == 1 << bit, \
            f"ERROR after {acc}: expected {1 << bit:#04x} ({ERR_NAMES[bit]}), actual {error:#04x}"
        after = await self.state()
        for key in before:
            assert after[key] == before[key], \
                f"{acc} was refused but changed {key}: expected " \
                f"{_show(before[key])}, actual {_show(after[key])}"
        await self.expect_write(R.ERROR, 1 << bit, " (clearing)")
        await self.expect_read(R.ERROR, 0, " after the clear")

    async def issue(self, addr: int, we: bool, wdata: int = 0):
        """Present one request; return once taken, without waiting for its response (the
        monitor checks it), so the next request can follow in the very next cycle."""
        b = self.bus
        b.req.value, b.we.value, b.addr.value, b.wdata.value = 1, int(we), addr, wdata
        while True:
            await ReadOnly()
            granted = int(b.gnt.value)
            await RisingEdge(self.dut.clk_i)
            if granted:
                break
        b.req.value = 0

    async def drain(self):
        """Wait until no access is in flight."""
        while True:
            await ReadOnly()
            if self.mon.out is None:
                break
            await RisingEdge(self.dut.clk_i)
        await RisingEdge(self.dut.clk_i)

    async def pulses(self, port: str, addr: int, value: int, cycles: int = 4) -> list[int]:
        """Write and sample `port` in the cycles from the response on."""
        await self.issue(addr, True, value)
        seen = []
        for _ in range(cycles):
            await ReadOnly()
            seen.append(int(getattr(self.dut, port).value))
            await RisingEdge(self.dut.clk_i)
        return seen

    async def set_config(self, rng: random.Random) -> dict[int, int]:
        """Random legal values, away from the reset values where there is room, in every RW
        register but CELL_DATA."""
        values = {}
        for addr in R.RW:
            if addr == R.CELL_DATA:
                continue
            lo, hi = self.p.limits[addr]
            v = rng.randint(lo, hi)
            if hi > lo and v == self.p.reset_values()[addr]:
                v = lo if v != lo else hi
            await self.expect_write(addr, v)
            values[addr] = v
        return values

    def random_inputs(self, rng: random.Random, **fixed):
        """Random values on every chip input, except those given."""
        c = self.cfg
        values = {
            "busy_i": rng.randint(0, 1), "done_i": rng.randint(0, 1),
            "class_valid_i": rng.randint(0, 1), "class_early_i": rng.randint(0, 1),
            "class_i": rng.randrange(1 << c.neur_w), "in_empty_i": rng.randint(0, 1),
            "out_empty_i": rng.randint(0, 1), "err_addr_i": int(rng.random() < 0.2),
            "err_cmd_i": int(rng.random() < 0.2), "stat_overflow_i": int(rng.random() < 0.2),
            "stat_i": rng.getrandbits(self.p.n_stat * c.stat_w),
            "v_i": rng.getrandbits(c.n_neurons * c.v_w),
            "count_i": rng.getrandbits(c.n_neurons * c.cnt_w),
            "refractory_i": rng.getrandbits(c.n_neurons),
            "usage_i": rng.getrandbits(3 * 32)}
        values.update(fixed)
        self.drive(**values)


def _show(value) -> str:
    if isinstance(value, bytes):
        return f"{len(value)} bytes of synapse words"
    return f"{value:#x}" if isinstance(value, int) else repr(value)


def illegal_values(p: Params, addr: int, rng: random.Random) -> list[int]:
    """Values a register must refuse: just past each end, far past, and values whose low bits
    are legal (they would slip through a register that only truncates)."""
    lo, hi = p.limits[addr]
    out = {hi + 1, hi + 2, MASK32, 1 << 31, rng.randint(hi + 1, MASK32)}
    if lo > 0:
        out.add(lo - 1)
    for w in {hi.bit_length(), p.widths[addr], 16, 31}:
        if (1 << w) > hi:
            out.add(1 << w | rng.randint(lo, hi))
    return sorted(v for v in out if v > hi or v < lo)


# ---- tests ----------------------------------------------------------------------------------

@cocotb.test(timeout_time=2, timeout_unit="ms")
async def reset_values_and_identity(dut):
    """After reset: ID, VERSION and PARAM0/1/2 carry the identity and the build parameters,
    CTRL reads 0b11, TH_POS/TH_NEG/DS their *_INIT parameters, the other registers 0, and
    every output matches; a second reset mid-run brings all of it back."""
    tb = RegsTB(dut, 1)
    p, c = tb.p, tb.cfg
    await tb.reset()
    await ReadOnly()
    expected_outputs = {
        "th_pos_o": p.th_pos_init, "th_neg_o": p.th_neg_init, "leak_o": 0, "refrac_o": 0,
        "ds_o": p.ds_init, "neg_en_o": 1, "net_o": 1, "cell_req_o": 0, "cell_row_o": 0,
        "cell_col_o": 0, "reg_gnt_o": 1, "reg_rvalid_o": 0, "stat_clear_o": 0,
        "err_clear_o": 0, "error_o": 0, "cell_mask_o": p.mask_max, "cell_cond_o": 0}
    for port, want in expected_outputs.items():
        got = int(getattr(dut, port).value)
        assert got == want, f"{port} after reset: expected {want}, actual {got}"
    await RisingEdge(dut.clk_i)
    identity = {
        R.ID: 0x5350_5254, R.VERSION: 0x0001_0000,
        R.PARAM0: c.n_neurons << 16 | c.n_inputs,
        R.PARAM1: c.addr_w << 24 | c.cnt_w << 16 | c.v_w << 8 | c.cells,
        R.PARAM2: c.out_fifo_depth << 16 | c.in_fifo_depth,
        R.PARAM3: c.sense_ref << 24 | c.step_shift << 16 | c.code_w << 8 | int(c.mlc)}
    assert (R.ID_VALUE, R.VERSION_VALUE) == (identity[R.ID], identity[R.VERSION]), \
        f"regmap ID/VERSION: expected {identity[R.ID]:#x}/{identity[R.VERSION]:#x} as the " \
        f"RTL header documents, actual {R.ID_VALUE:#x}/{R.VERSION_VALUE:#x}"
    resets = {R.CTRL: 0b11, R.TH_POS: p.th_pos_init, R.TH_NEG: p.th_neg_init, R.LEAK: 0,
              R.REFRAC: 0, R.DS: p.ds_init, R.CELL_ROW: 0, R.CELL_COL: 0, R.NEUR_SEL: 0,
              R.ERROR: 0, R.CMD: 0, R.CELL_MASK: p.mask_max, R.PROG_COND: 0}
    for round_ in ("after the first reset", "after a reset mid-run"):
        for addr, want in {**identity, **resets}.items():
            await tb.expect_read(addr, want, f" {round_}")
        # move everything away from its reset value, then reset again
        await tb.set_config(tb.rng)
        await tb.expect_refused(0x3F, None, R.E_REG_ADDR)
        await tb.write(R.TH_POS, 0)            # leaves REG_VALUE set across the reset
        await tb.reset()


@cocotb.test(timeout_time=4, timeout_unit="ms")
async def rw_registers_legal_and_illegal(dut):
    """Every RW register: legal values (both ends and random ones) read back and drive the
    register's output; illegal ones (out of range, zero thresholds, reserved CTRL bits,
    CELL_ROW >= N_INPUTS, CELL_COL and NEUR_SEL >= N_NEURONS, CELL_DATA past 2*CELLS bits, and
    values whose low bits are legal) are refused, set ERROR bit REG_VALUE alone and change no
    register, output or synapse."""
    tb = RegsTB(dut, 2)
    p, rng = tb.p, tb.rng
    await tb.reset()
    for addr in R.RW:
        if addr == R.CELL_DATA:
            continue
        lo, hi = p.limits[addr]
        legal = sorted({lo, hi, (lo + hi) // 2} | {rng.randint(lo, hi) for _ in range(5)})
        for v in legal:
            await tb.expect_write(addr, v)
            await tb.expect_read(addr, v, " after writing it")
            out = tb.output(addr)
            assert out is None or out == v, \
                f"output of {name(addr)} after writing {v:#x}: expected {v:#x}, actual {out:#x}"
        await tb.expect_write(addr, rng.randint(lo, hi))
        for v in illegal_values(p, addr, rng):
            await tb.expect_refused(addr, v, R.E_REG_VALUE)
    # CELL_DATA: legal words land in the array at the pointer (all cells masked, then half of
    # them), illegal ones go nowhere
    await tb.expect_write(R.CELL_MASK, p.mask_max)
    row, col = rng.randrange(tb.cfg.n_inputs), rng.randrange(tb.cfg.n_neurons - 1)
    for v in (0, p.word_max, rng.randint(1, p.word_max - 1)):
        await tb.expect_write(R.CELL_ROW, row)
        await tb.expect_write(R.CELL_COL, col)
        await tb.expect_write(R.CELL_DATA, v)
        got = int(tb.cells.words[row, col])
        assert got == v, f"synapse ({row}, {col}) after CELL_DATA <- {v:#x}: expected " \
                         f"{v:#x}, actual {got:#x}"
        await tb.expect_read(R.CELL_COL, col + 1, " after one CELL_DATA write")
        await tb.expect_write(R.CELL_COL, col)
        await tb.expect_read(R.CELL_DATA, v, " (reading back the word just written)")
    for v in illegal_values(p, R.CELL_DATA, rng):
        await tb.expect_refused(R.CELL_DATA, v, R.E_REG_VALUE)
    half = p.mask_max & 0x5555_5555
    await tb.expect_write(R.CELL_MASK, half)
    before = int(tb.cells.words[row, col])
    await tb.expect_write(R.CELL_ROW, row)
    await tb.expect_write(R.CELL_COL, col)
    await tb.expect_write(R.CELL_DATA, p.word_max & ~before)
    got, want = int(tb.cells.words[row, col]), before ^ half
    assert got == want, f"synapse ({row}, {col}) after a write under CELL_MASK {half:#x}: " \
                        f"expected {want:#x}, actual {got:#x}"


@cocotb.test(timeout_time=4, timeout_unit="ms")
async def read_only_and_unknown_addresses(dut):
    """Writes to every RO register are refused with ERROR bit REG_RO and change nothing (the
    register still reads its value); across all 256 addresses, exactly those outside
    regmap.KNOWN refuse reads and writes with REG_ADDR, and those writes change nothing."""
    tb = RegsTB(dut, 3)
    rng = tb.rng
    await tb.reset()
    tb.random_inputs(rng, busy_i=0, err_addr_i=0, err_cmd_i=0, stat_overflow_i=0)
    await tb.set_config(rng)
    for addr in R.RO:
        first, err = await tb.read(addr)
        assert not err, f"read {name(addr)}: expected no error, actual reg_err_o=1"
        for v in (0, first, MASK32, rng.getrandbits(32)):
            await tb.expect_refused(addr, v, R.E_REG_RO)
        await tb.expect_read(addr, first, " after the refused writes")
    before = await tb.state()
    decoded = set()
    for addr in range(256):
        if addr == R.CELL_DATA:        # a read steps the synapse pointer: see synapse tests
            decoded.add(addr)
            continue
        _, err = await tb.read(addr)
        if not err:
            decoded.add(addr)
        if addr not in R.KNOWN:
            error, _ = await tb.read(R.ERROR)
            assert err and error == 1 << R.E_REG_ADDR, \
                f"read {name(addr)}: expected a refusal with ERROR {1 << R.E_REG_ADDR:#04x} " \
                f"(REG_ADDR), actual reg_err_o={int(err)}, ERROR {error:#04x}"
            value = rng.choice([0, MASK32, rng.getrandbits(32), rng.randint(0, 15)])
            err = await tb.write(addr, value)
            error, _ = await tb.read(R.ERROR)
            assert err and error == 1 << R.E_REG_ADDR, \
                f"write {name(addr)} <- {value:#x}: expected a refusal with ERROR " \
                f"{1 << R.E_REG_ADDR:#04x} (REG_ADDR), actual reg_err_o={int(err)}, " \
                f"ERROR {error:#04x}"
            await tb.expect_write(R.ERROR, MASK32)
    missing = sorted(set(R.KNOWN) - decoded)
    extra = sorted(decoded - set(R.KNOWN))
    assert not missing and not extra, \
        f"decoded addresses: expected regmap.KNOWN, actual missing " \
        f"{[hex(a) for a in missing]}, extra {[hex(a) for a in extra]}"
    after = await tb.state()
    for key in before:
        assert after[key] == before[key], \
            f"accesses to unknown addresses changed {key}: expected {_show(before[key])}, " \
            f"actual {_show(after[key])}"


@cocotb.test(timeout_time=4, timeout_unit="ms")
async def busy_locks_configuration(dut):
    """With busy_i high, writes to CTRL, TH_POS, TH_NEG, LEAK, REFRAC and DS and every
    CELL_DATA access (read or write) are refused with REG_BUSY and change nothing (no synapse
    traffic either), an illegal value still names REG_VALUE first, and the locked registers
    still read; CELL_ROW/CELL_COL, NEUR_SEL, ERROR and CMD keep working. With busy_i low again
    the same writes succeed."""
    tb = RegsTB(dut, 4)
    p, rng = tb.p, tb.rng
    await tb.reset()
    values = await tb.set_config(rng)
    tb.drive(busy_i=1)
    config = [a for a in R.LOCKED if a != R.CELL_DATA]
    assert set(config) == {R.CTRL, R.TH_POS, R.TH_NEG, R.LEAK, R.REFRAC, R.DS, R.PROG_COND}, \
        f"regmap.LOCKED: expected CTRL, TH_POS, TH_NEG, LEAK, REFRAC, DS, PROG_COND and " \
        f"CELL_DATA, " \
        f"actual {[name(a) for a in R.LOCKED]}"
    for addr in config:
        lo, hi = p.limits[addr]
        new = lo if values[addr] != lo else hi
        await tb.expect_refused(addr, new, R.E_REG_BUSY, " while busy")
        await tb.expect_read(addr, values[addr], " while busy")
        await tb.expect_refused(addr, hi + 1, R.E_REG_VALUE, " while busy")
    for v in (0, p.word_max):
        await tb.expect_refused(R.CELL_DATA, v, R.E_REG_BUSY, " while busy")
    await tb.expect_refused(R.CELL_DATA, None, R.E_REG_BUSY, " while busy")
    # unlocked registers
    for addr in (R.CELL_ROW, R.CELL_COL, R.NEUR_SEL, R.CELL_MASK):
        lo, hi = p.limits[addr]
        v = rng.randint(lo, hi)
        await tb.expect_write(addr, v, " while busy")
        await tb.expect_read(addr, v, " after a write while busy")
    await tb.write(R.ID, 1)
    await tb.write(R.DS, p.limits[R.DS][1] + 1)
    await tb.expect_read(R.ERROR, 1 << R.E_REG_RO | 1 << R.E_REG_VALUE, " while busy")
    await tb.expect_write(R.ERROR, 1 << R.E_REG_RO, " while busy")
    await tb.expect_read(R.ERROR, 1 << R.E_REG_VALUE, " after a W1C while busy")
    await tb.expect_write(R.ERROR, MASK32, " while busy")
    seen = await tb.pulses("stat_clear_o", R.CMD, 1)
    assert seen == [1, 0, 0, 0], \
        f"stat_clear_o after CMD <- 1 while busy: expected [1, 0, 0, 0], actual {seen}"
    # unlocked again
    tb.drive(busy_i=0)
    for addr in config:
        lo, hi = p.limits[addr]
        new = lo if values[addr] != lo else hi
        await tb.expect_write(addr, new, " after busy fell")
        await tb.expect_read(addr, new, " after busy fell")
    ops = tb.cells.ops
    await tb.expect_write(R.CELL_DATA, 0x5A & p.word_max, " after busy fell")
    assert tb.cells.ops == ops + 1, \
        f"synapse accesses for one CELL_DATA write: expected 1, actual {tb.cells.ops - ops}"


@cocotb.test(timeout_time=4, timeout_unit="ms")
async def error_register(dut):
    """ERROR: bits 2..5 are sticky and write-1-to-clear, each bit on its own; writing bit 0
    or 1 pulses the matching bit of err_clear_o for exactly one cycle (other bits do not);
    bits 0/1 read
    err_addr_i/err_cmd_i and bit 6 stat_overflow_i, which ERROR writes do not clear (no
    stat_clear_o either); error_o and STATUS.error are the OR of all seven bits."""
    tb = RegsTB(dut, 5)
    rng = tb.rng
    await tb.reset()

    async def make_all_sticky():
        await tb.read(0x3F)                                     # REG_ADDR
        await tb.write(R.ID, 0)                                 # REG_RO
        await tb.write(R.TH_POS, 0)                             # REG_VALUE
        tb.drive(busy_i=1)
        await tb.write(R.TH_POS, 1)                             # REG_BUSY
        tb.drive(busy_i=0)

    await make_all_sticky()
    await tb.expect_read(R.ERROR, STICKY, " after one error of each kind")
    await ReadOnly()
    assert int(dut.error_o.value) == 1, \
        f"error_o with ERROR {STICKY:#04x}: expected 1, actual {int(dut.error_o.value)}"
    await RisingEdge(dut.clk_i)
    masks = [1 << b for b in range(2, 6)] + [0, 0b11, STICKY, 0x7F, MASK32] + \
        [rng.getrandbits(7) for _ in range(12)]
    for mask in masks:
        await make_all_sticky()
        seen = await tb.pulses("err_clear_o", R.ERROR, mask)
        want = [mask & 0b11, 0, 0, 0]
        assert seen == want, \
            f"err_clear_o after ERROR <- {mask:#x}: expected {want}, actual {seen}"
        await tb.expect_read(R.ERROR, STICKY & ~mask, f" after ERROR <- {mask:#x}")
    await tb.expect_write(R.ERROR, MASK32)
    # the inputs behind bits 0, 1 and 6
    for bit, port in ((R.E_ADDR_RANGE, "err_addr_i"), (R.E_BAD_CMD, "err_cmd_i"),
                      (R.E_CNT_SAT, "stat_overflow_i")):
        tb.drive(**{port: 1})
        await tb.expect_read(R.ERROR, 1 << bit, f" with {port}=1")
        await tb.expect_read(R.STATUS, 1 << R.STATUS_ERROR, f" with {port}=1")
        await ReadOnly()
        assert int(dut.error_o.value) == 1, \
            f"error_o with {port}=1: expected 1, actual {int(dut.error_o.value)}"
        await RisingEdge(dut.clk_i)
        seen = await tb.pulses("stat_clear_o", R.ERROR, 0x7F)
        assert seen == [0, 0, 0, 0], \
            f"stat_clear_o after ERROR <- 0x7f: expected [0, 0, 0, 0], actual {seen}"
        await tb.expect_read(R.ERROR, 1 << bit, f" with {port}=1 after ERROR <- 0x7f")
        tb.drive(**{port: 0})
        await tb.expect_read(R.ERROR, 0, f" with {port}=0")
    # error_o from each sticky bit alone, and from none
    for bit, addr, value in ((R.E_REG_ADDR, 0x3F, None), (R.E_REG_RO, R.ID, 0),
                             (R.E_REG_VALUE, R.LEAK, MASK32)):
        await (tb.read(addr) if value is None else tb.write(addr, value))
        await tb.expect_read(R.STATUS, 1 << R.STATUS_ERROR, f" with {ERR_NAMES[bit]} set")
        await ReadOnly()
        assert int(dut.error_o.value) == 1, \
            f"error_o with {ERR_NAMES[bit]} set: expected 1, actual {int(dut.error_o.value)}"
        await RisingEdge(dut.clk_i)
        await tb.expect_write(R.ERROR, 1 << bit)
        await ReadOnly()
        assert int(dut.error_o.value) == 0, \
            f"error_o with ERROR clear: expected 0, actual {int(dut.error_o.value)}"
        await RisingEdge(dut.clk_i)
    seen = await tb.pulses("err_clear_o", R.ERROR, 0b10)
    assert seen == [2, 0, 0, 0], f"err_clear_o after ERROR <- 0b10: expected [2, 0, 0, 0], " \
                                 f"actual {seen}"


@cocotb.test(timeout_time=2, timeout_unit="ms")
async def command_and_counters(dut):
    """CMD bit 0 pulses stat_clear_o for exactly one cycle, CMD <- 0 does not, reserved CMD
    bits are refused (REG_VALUE, no pulse), and CMD reads 0; the counters at STAT_BASE + k
    read the k-th STAT_W slice of stat_i, zero-extended."""
    tb = RegsTB(dut, 6)
    p, c, rng = tb.p, tb.cfg, tb.rng
    await tb.reset()
    patterns = [0, (1 << (p.n_stat * c.stat_w)) - 1] + \
        [pack([1 << k % c.stat_w for k in range(p.n_stat)], c.stat_w)] + \
        [rng.getrandbits(p.n_stat * c.stat_w) for _ in range(6)]
    for packed in patterns:
        tb.drive(stat_i=packed)
        for k, stat in enumerate(R.STATS[:p.n_stat]):
            await tb.expect_read(R.STAT_BASE + k, field(packed, k, c.stat_w),
                                 f" (counter {stat})")
    for value, want in ((1, [1, 0, 0, 0]), (0, [0, 0, 0, 0]), (1, [1, 0, 0, 0])):
        seen = await tb.pulses("stat_clear_o", R.CMD, value)
        assert seen == want, f"stat_clear_o after CMD <- {value}: expected {want}, actual {seen}"
        await tb.expect_read(R.CMD, 0, f" after CMD <- {value}")
    for value in (2, 3, 1 << 31, MASK32):
        await tb.expect_refused(R.CMD, value, R.E_REG_VALUE)


@cocotb.test(timeout_time=4, timeout_unit="ms")
async def status_class_and_neurons(dut):
    """STATUS is composed from busy_i, done_i, error_o, class_valid_i, in_empty_i and
    out_empty_i at the bits regmap.STATUS_* name (all 64 combinations); CLASS is {valid,
    early, 0, class}; NEUR_V reads the selected neuron's membrane and NEUR_CNT its spike count,
    both sign-extended, with bit 31 of NEUR_CNT = refractory_i[sel], for every neuron and for
    extreme values."""
    tb = RegsTB(dut, 7)
    c, rng = tb.cfg, tb.rng
    await tb.reset()
    names = {R.STATUS_BUSY: "busy_i", R.STATUS_DONE: "done_i",
             R.STATUS_CLASS_VALID: "class_valid_i", R.STATUS_IN_EMPTY: "in_empty_i",
             R.STATUS_OUT_EMPTY: "out_empty_i"}
    for combo in range(64):
        bits = {b: combo >> b & 1 for b in range(6)}
        source = rng.choice(["err_addr_i", "err_cmd_i", "stat_overflow_i"])
        fixed = {"err_addr_i": 0, "err_cmd_i": 0, "stat_overflow_i": 0}
        fixed.update({port: bits[b] for b, port in names.items()})
        fixed[source] = bits[R.STATUS_ERROR]
        tb.random_inputs(rng, **fixed)
        await tb.expect_read(R.STATUS, combo, f" with inputs {bits} (error from {source})")
    tb.drive(err_addr_i=0, err_cmd_i=0, stat_overflow_i=0, busy_i=0, done_i=0,
             class_valid_i=1, in_empty_i=0, out_empty_i=1)
    await tb.read(0x3F)                                         # a sticky error alone
    await tb.expect_read(R.STATUS, 1 << R.STATUS_ERROR | 1 << R.STATUS_CLASS_VALID |
                         1 << R.STATUS_OUT_EMPTY, " with only a sticky error set")
    await tb.expect_write(R.ERROR, MASK32)
    classes = [(v, e, k) for v in (0, 1) for e in (0, 1)
               for k in (0, c.n_neurons - 1, (1 << c.neur_w) - 1, rng.randrange(c.n_neurons))]
    for valid, early, cls in classes:
        tb.drive(class_valid_i=valid, class_early_i=early, class_i=cls)
        await tb.expect_read(R.CLASS, valid << 31 | early << 30 | cls,
                             f" with valid={valid}, early={early}, class={cls}")
    vmin, vmax = -(1 << (c.v_w - 1)), (1 << (c.v_w - 1)) - 1
    cmin, cmax = -(1 << (c.cnt_w - 1)), (1 << (c.cnt_w - 1)) - 1
    for round_ in range(4):
        if round_ == 0:
            v = [[vmin, vmax, 0, -1][j % 4] for j in range(c.n_neurons)]
            cnt = [[cmax, cmin, -1, 0][j % 4] for j in range(c.n_neurons)]
        else:
            v = [rng.randint(vmin, vmax) for _ in range(c.n_neurons)]
            cnt = [rng.randint(cmin, cmax) for _ in range(c.n_neurons)]
        refr = [rng.randint(0, 1) for _ in range(c.n_neurons)]
        tb.drive(v_i=pack(v, c.v_w), count_i=pack(cnt, c.cnt_w), refractory_i=pack(refr, 1))
        for sel in rng.sample(range(c.n_neurons), c.n_neurons):
            await tb.expect_write(R.NEUR_SEL, sel)
            await tb.expect_read(R.NEUR_V, v[sel] & MASK32, f" of neuron {sel} (v={v[sel]})")
            await tb.expect_read(R.NEUR_CNT, refr[sel] << 31 | cnt[sel] & 0x7FFF_FFFF,
                                 f" of neuron {sel} (count={cnt[sel]}, refractory={refr[sel]})")
    # the read follows the inputs at the time of the request
    sel = rng.randrange(c.n_neurons)
    await tb.expect_write(R.NEUR_SEL, sel)
    for _ in range(4):
        x = rng.randint(vmin, vmax)
        tb.drive(v_i=pack([x] * c.n_neurons, c.v_w))
        await tb.expect_read(R.NEUR_V, x & MASK32, f" of neuron {sel} after v_i changed")


@cocotb.test(timeout_time=6, timeout_unit="ms")
async def synapse_programming(dut):
    """CELL_ROW/CELL_COL then a run of CELL_DATA accesses visits consecutive synapses: the
    column steps, after the last column the row steps, after the last row the pointer wraps
    to (0, 0). A whole weight matrix programmed this way reads back through model.rram as the
    same weights; runs from random and edge positions, writes and reads, land where expected
    in the emulated array under quick and slow grants. Timing: an ordinary access answers the
    cycle after its request, a synapse write the cycle after its grant, a synapse read the
    cycle after its data; reg_gnt_o is low meanwhile, and a request held waiting is taken in
    the response cycle."""
    tb = RegsTB(dut, 8)
    p, c, rng = tb.p, tb.cfg, tb.rng
    await tb.reset()

    def after(row: int, col: int, n: int) -> tuple[int, int]:
        k = (row * c.n_neurons + col + n) % (c.n_inputs * c.n_neurons)
        return divmod(k, c.n_neurons)

    # a whole weight matrix, row by row
    weights = np.array([[rng.randint(-c.cells, c.cells) for _ in range(c.n_neurons)]
                        for _ in range(c.n_inputs)], dtype=np.int64)
    words = Crossbar.from_weights(weights, c.cells).synapse_words()
    await tb.expect_write(R.CELL_ROW, 0)
    await tb.expect_write(R.CELL_COL, 0)
    for row in range(c.n_inputs):
        for col in range(c.n_neurons):
            await tb.expect_write(R.CELL_DATA, int(words[row, col]), f" at ({row}, {col})")
    diff = np.argwhere(tb.cells.words != words)
    assert diff.size == 0, \
        f"synapse words after programming the array: {len(diff)} differ, first at " \
        f"{tuple(diff[0])}: expected {words[tuple(diff[0])]:#x}, actual " \
        f"{tb.cells.words[tuple(diff[0])]:#x}"
    xbar = Crossbar(c.n_inputs, c.n_neurons, c.cells)
    xbar.set_synapse_words(tb.cells.words)
    got = xbar.weights()
    assert np.array_equal(got, weights), "weights read from the programmed array differ"
    await tb.expect_read(R.CELL_ROW, 0, " after programming every synapse (wrap)")
    await tb.expect_read(R.CELL_COL, 0, " after programming every synapse (wrap)")
    for row in range(c.n_inputs):
        for col in range(c.n_neurons):
            await tb.expect_read(R.CELL_DATA, int(words[row, col]), f" at ({row}, {col})")
    await tb.expect_read(R.CELL_ROW, 0, " after reading every synapse (wrap)")

    # runs from chosen and random places, under different grant rates
    starts = [(0, 0), (0, c.n_neurons - 1), (c.n_inputs - 1, c.n_neurons - 1),
              (c.n_inputs - 1, max(0, c.n_neurons - 3)), (c.n_inputs - 2, c.n_neurons - 2)]
    for gnt_prob in (1.0, 0.5, 0.15):
        tb.cells.gnt_prob = gnt_prob
        for start in starts + [(rng.randrange(c.n_inputs), rng.randrange(c.n_neurons))
                               for _ in range(4)]:
            row, col = start
            n = rng.randint(1, 3 * c.n_neurons)
            await tb.expect_write(R.CELL_ROW, row)
            await tb.expect_write(R.CELL_COL, col)
            run = [rng.randint(0, p.word_max) for _ in range(n)]
            for v in run:
                await tb.expect_write(R.CELL_DATA, v)
            end = after(row, col, n)
            await tb.expect_read(R.CELL_ROW, end[0], f" after {n} writes from {start}")
            await tb.expect_read(R.CELL_COL, end[1], f" after {n} writes from {start}")
            for k, v in enumerate(run):
                at = after(row, col, k)
                got = int(tb.cells.words[at])
                assert got == v, f"synapse {at}, write {k} of a run from {start}: expected " \
                                 f"{v:#x}, actual {got:#x} (grant rate {gnt_prob})"
            await tb.expect_write(R.CELL_ROW, row)
            await tb.expect_write(R.CELL_COL, col)
            for k in range(n + 2):
                at = after(row, col, k)
                await tb.expect_read(R.CELL_DATA, int(tb.cells.words[at]),
                                     f" read {k} of a run from {start}, synapse {at}")
            end = after(row, col, n + 2)
            await tb.expect_read(R.CELL_ROW, end[0], f" after {n + 2} reads from {start}")
            await tb.expect_read(R.CELL_COL, end[1], f" after {n + 2} reads from {start}")

    # timing, with requests back to back
    for gnt_prob in (1.0, 0.3):
        tb.cells.gnt_prob = gnt_prob
        first = len(tb.mon.done)
        seq = [(R.CELL_DATA, False, 0), (R.CELL_COL, False, 0), (R.CELL_DATA, True, 0x3C),
               (R.TH_POS, False, 0), (R.CELL_DATA, False, 0), (R.CELL_DATA, True, 0x81),
               (R.CELL_DATA, False, 0), (R.ID, False, 0), (R.LEAK, True, 1)]
        for addr, we, v in seq:
            await tb.issue(addr, we, v & p.word_max if addr == R.CELL_DATA else v)
        await tb.drain()
        done = tb.mon.done[first:]
        assert len(done) == len(seq), \
            f"responses to {len(seq)} back-to-back requests: expected {len(seq)}, " \
            f"actual {len(done)}"
        for acc, nxt in zip(done, done[1:] + [None]):
            if acc.addr != R.CELL_DATA:
                assert acc.resp == acc.cycle + 1, \
                    f"{acc}: expected its response in cycle {acc.cycle + 1}, actual {acc.resp}"
            elif acc.we:
                assert acc.resp == acc.go + 1, \
                    f"{acc}: expected its response the cycle after its synapse grant (cycle " \
                    f"{acc.go + 1}), actual {acc.resp}"
            else:
                assert acc.cell_rvalid == acc.go + 1 and acc.resp == acc.go + 2, \
                    f"{acc}: expected its response two cycles after its synapse grant " \
                    f"(cycle {acc.go + 2}), actual {acc.resp}"
            if nxt is not None:
                assert nxt.cycle == acc.resp, \
                    f"{nxt}, presented while {acc} was in flight: expected it taken in the " \
                    f"response cycle {acc.resp}, actual cycle {nxt.cycle}"


@cocotb.test(timeout_time=20, timeout_unit="ms")
async def random_soak(dut):
    """Thousands of random accesses (known and unknown addresses, legal, edge and random
    values, reads and writes, back to back or spaced) while busy_i toggles and every other
    chip input changes at random, under several grant rates and with resets between phases;
    the monitor checks each response, error flag, latency, output and synapse access against
    RegModel. Ends by checking that every kind of outcome occurred."""
    tb = RegsTB(dut, 9)
    p = tb.p
    rng = random.Random(cocotb.RANDOM_SEED + 90)
    await tb.reset()

    async def chip():
        noise = random.Random(cocotb.RANDOM_SEED + 91)
        while True:
            if noise.random() < 0.08:
                tb.drive(busy_i=1 - int(dut.busy_i.value))
            if noise.random() < 0.1:
                tb.random_inputs(noise, busy_i=int(dut.busy_i.value))
                if noise.random() < 0.7:
                    tb.drive(err_addr_i=0, err_cmd_i=0, stat_overflow_i=0)
            await RisingEdge(dut.clk_i)

    def value_for(addr: int) -> int:
        lo, hi = p.limits.get(addr, (0, 0x7F))
        r = rng.random()
        if addr in (R.CELL_ROW, R.CELL_COL) and r < 0.3:      # near the wrap
            return hi - rng.randint(0, 1)
        if r < 0.5:
            return rng.randint(lo, hi)
        if r < 0.7:
            return rng.choice([lo, hi, hi + 1] + ([lo - 1] if lo else []))
        if r < 0.8:
            return rng.getrandbits(32)
        if r < 0.9:
            return 1 << rng.randrange(32)
        return rng.randint(0, 3)

    cocotb.start_soon(chip())
    known = sorted(R.KNOWN)
    accesses = 0
    for phase in range(4):
        tb.cells.gnt_prob = (1.0, 0.6, 0.25, 0.5)[phase]
        for _ in range(1200):
            r = rng.random()
            addr = rng.randrange(256) if r < 0.1 else R.CELL_DATA if r < 0.3 else \
                rng.choice([R.CELL_ROW, R.CELL_COL, R.ERROR]) if r < 0.4 else rng.choice(known)
            we = rng.random() < 0.55
            await tb.issue(addr, we, value_for(addr) if we else rng.getrandbits(32))
            accesses += 1
            gap = rng.choice([0, 0, 0, 0, 1, 2, 5])
            for _ in range(gap):
                await RisingEdge(dut.clk_i)
        await tb.drain()
        if phase < 3:
            await tb.reset()
    seen = tb.mon.seen
    kinds = Counter()
    for (addr, we, bit), n in seen.items():
        kinds[ERR_NAMES[bit] if bit is not None else "ok"] += n
        if addr == R.CELL_DATA and bit is None:
            kinds["CELL_DATA write" if we else "CELL_DATA read"] += n
    cocotb.log.info("soak: %d accesses, outcomes %s, synapse pointer steps %s", accesses,
                    dict(kinds), dict(tb.model.steps))
    assert sum(seen.values()) == accesses, \
        f"responses: expected {accesses}, actual {sum(seen.values())}"
    for kind in ("ok", "REG_ADDR", "REG_RO", "REG_VALUE", "REG_BUSY", "CELL_DATA write",
                 "CELL_DATA read"):
        assert kinds[kind] >= 20, f"soak coverage: expected at least 20 of {kind}, actual " \
                                  f"{kinds[kind]}"
    for addr in R.RW:
        assert seen[(addr, True, None)] > 0, f"soak coverage: no accepted write to {name(addr)}"
    for kind in ("column", "row", "wrap"):
        assert tb.model.steps[kind] > 0, f"soak coverage: no synapse pointer step of kind {kind}"
