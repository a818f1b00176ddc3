# SPDX-License-Identifier: Apache-2.0
"""Bus agents built on cocotb-bus: a valid/ready source with random idle cycles, a valid/ready
sink with random backpressure, and a register-bus master.

Handshakes follow AXI-Stream rules: a word moves on a rising edge where valid and ready are
both high; a source keeps valid and data steady until then. Agents decide in the ReadOnly
phase before an edge whether the word moves, and change their outputs after the edge.
"""

from __future__ import annotations

import logging
import random

from cocotb.triggers import ReadOnly, RisingEdge
from cocotb_bus.drivers import BusDriver
from cocotb_bus.monitors import BusMonitor


def _payload_signals(signals) -> tuple[dict, tuple[str, ...]]:
    """Bus signal map from (valid, ready, data...) names; data may be several signals."""
    valid, ready, *data = signals
    fields = tuple(f"data{k}" for k in range(len(data))) if len(data) > 1 else ("data",)
    return dict(valid=valid, ready=ready, **dict(zip(fields, data))), fields


class StreamSource(BusDriver):
    """Drives `<name>_<valid>` and the payload, waits for `<name>_<ready>`.

    Args:
        entity: the DUT handle.
        name: signal prefix, e.g. "s_aer".
        clock: clock handle.
        idle: probability of an idle cycle before each word.
        seed: seed of the idle pattern.
        signals: (valid, ready, payload...) suffixes; with several payload signals a
            transaction is a tuple with one value per signal.
    """

    def __init__(self, entity, name, clock, idle: float = 0.0, seed: int = 0,
                 signals=("valid_i", "ready_o", "data_i"), **kwargs):
        self._signals, self._fields = _payload_signals(signals)
        super().__init__(entity, name, clock, **kwargs)
        self.log = logging.getLogger(f"cocotb.tb.{name}")
        self.idle = idle
        self.rng = random.Random(seed)
        self.sent = 0
        self.bus.valid.value = 0

    async def _driver_send(self, transaction, sync: bool = True) -> None:
        while self.idle and self.rng.random() < self.idle:
            self.bus.valid.value = 0
            await RisingEdge(self.clock)
        self.bus.valid.value = 1
        values = transaction if len(self._fields) > 1 else (transaction,)
        for f, value in zip(self._fields, values):
            getattr(self.bus, f).value = int(value)
        while True:
            await ReadOnly()
            taken = bool(self.bus.ready.value)
            await RisingEdge(self.clock)
            if taken:
                break
        self.bus.valid.value = 0
        self.sent += 1
        self.log.debug("sent %s", transaction)


class StreamSink(BusMonitor):
    """Takes words from `<name>_<valid>` and the payload, driving `<name>_<ready>` low with
    probability `stall` each cycle. Received words (tuples with several payload signals) go to
    the callbacks."""

    def __init__(self, entity, name, clock, stall: float = 0.0, seed: int = 0,
                 signals=("valid_o", "ready_i", "data_o"), **kwargs):
        self._signals, self._fields = _payload_signals(signals)
        self.stall = stall
        self.rng = random.Random(seed)
        super().__init__(entity, name, clock, **kwargs)
        self.log = logging.getLogger(f"cocotb.tb.{name}")
        self.bus.ready.value = 0

    def stop(self) -> None:
        """Stop taking words; ready goes low."""
        if self._thread is not None:
            self._thread.cancel()
            self._thread = None
        self.bus.ready.value = 0

    async def _monitor_recv(self):
        while True:
            self.bus.ready.value = 0 if (self.stall and self.rng.random() < self.stall) else 1
            await ReadOnly()
            if self.bus.valid.value and self.bus.ready.value:
                values = tuple(int(getattr(self.bus, f).value) for f in self._fields)
                word = values if len(values) > 1 else values[0]
                self.log.debug("received %s", word)
                self._recv(word)
            await RisingEdge(self.clock)


class RegMaster:
    """Register-bus master: request with req/gnt, response with rvalid/rdata/err.

    Args:
        dut: handle holding the bus signals.
        clock: clock handle.
        prefix: signal prefix, "reg_" by default.
        ports: the signals carry "_i"/"_o" direction suffixes (the DUT's own ports).
        timeout: cycles to wait for a grant or a response before failing.
    """

    def __init__(self, dut, clock, prefix: str = "reg_", ports: bool = False,
                 timeout: int = 1000):
        def sig(name, direction):
            return getattr(dut, prefix + name + (direction if ports else ""))

        self.req, self.gnt = sig("req", "_i"), sig("gnt", "_o")
        self.we, self.addr, self.wdata = sig("we", "_i"), sig("addr", "_i"), sig("wdata", "_i")
        self.rvalid, self.rdata = sig("rvalid", "_o"), sig("rdata", "_o")
        self.err = sig("err", "_o")
        self.clock = clock
        self.timeout = timeout
        self.log = logging.getLogger("cocotb.tb.regs")
        self.req.value = 0

    async def access(self, addr: int, write: bool, data: int = 0) -> tuple[int, bool]:
        """One access; returns (read data, error flag)."""
        self.req.value = 1
        self.we.value = int(write)
        self.addr.value = addr
        self.wdata.value = data
        for _ in range(self.timeout):
            await ReadOnly()
            granted = bool(self.gnt.value)
            await RisingEdge(self.clock)
            if granted:
                break
        else:
            raise AssertionError(f"register {addr:#04x}: no grant in {self.timeout} cycles")
        self.req.value = 0
        for _ in range(self.timeout):
            await ReadOnly()
            if self.rvalid.value:
                rdata, err = int(self.rdata.value), bool(self.err.value)
                break
            await RisingEdge(self.clock)
        else:
            raise AssertionError(f"register {addr:#04x}: no response in {self.timeout} cycles")
        await RisingEdge(self.clock)
        self.log.debug("%s %#04x %#x -> %#x%s", "write" if write else "read", addr, data,
                       rdata, " ERROR" if err else "")
        return rdata, err

    async def write(self, addr: int, data: int) -> bool:
        """Write; return the error flag."""
        return (await self.access(addr, True, data))[1]

    async def read(self, addr: int) -> tuple[int, bool]:
        return await self.access(addr, False)

    async def write_ok(self, addr: int, data: int) -> None:
        """Write and require success."""
        if await self.write(addr, data):
            raise AssertionError(f"register write {addr:#04x} <- {data:#x} failed")

    async def read_ok(self, addr: int) -> int:
        data, err = await self.read(addr)
        if err:
            raise AssertionError(f"register read {addr:#04x} failed")
        return data
