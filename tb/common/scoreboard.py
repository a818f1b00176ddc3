# SPDX-License-Identifier: Apache-2.0
"""Scoreboard that compares transactions field by field and fails on the first difference,
naming the transaction, the field, the expected value and the actual one."""

from __future__ import annotations

import dataclasses
import logging

from cocotb.triggers import Event
from cocotb_bus.monitors import Monitor
from cocotb_bus.scoreboard import Scoreboard


def first_difference(expected, actual) -> str | None:
    """Describe where two transactions first differ, or None if they are equal. A batch of
    images (anything with `first_mismatch` and `image`) is compared as arrays, and only its
    first differing image is described field by field."""
    if hasattr(expected, "first_mismatch"):
        i = expected.first_mismatch(actual)
        if i is None:
            return None
        first = getattr(expected, "first_image", 0)
        if i >= min(len(expected), len(actual)):
            return f"images from {first}: expected {len(expected)} images, actual {len(actual)}"
        return f"image {first + i}: " + first_difference(expected.image(i), actual.image(i))
    if expected == actual:
        return None
    if dataclasses.is_dataclass(expected) and type(expected) is type(actual):
        for f in dataclasses.fields(expected):
            if not f.compare:
                continue
            e, a = getattr(expected, f.name), getattr(actual, f.name)
            if e != a:
                if isinstance(e, (list, tuple)) and isinstance(a, (list, tuple)):
                    sizes = "" if len(e) == len(a) else \
                        f" (expected {len(e)} items, actual {len(a)})"
                    for i, (ei, ai) in enumerate(zip(e, a)):
                        if ei != ai:
                            return f"{f.name}[{i}]: expected {ei!r}, actual {ai!r}{sizes}"
                    return f"{f.name}: expected {len(e)} items, actual {len(a)}: " \
                           f"expected {e!r}, actual {a!r}"
                return f"{f.name}: expected {e!r}, actual {a!r}"
    return f"expected {expected!r}, actual {actual!r}"


class TransactionMonitor(Monitor):
    """A monitor fed by the testbench itself: `publish()` hands it one observed transaction.
    Used where an HDL-side transactor has already collected what the DUT did."""

    def __init__(self, name: str, callback=None):
        self.name = name
        self._never = Event()
        super().__init__(callback)

    async def _monitor_recv(self):
        await self._never.wait()

    def publish(self, transaction) -> None:
        self._recv(transaction)


class FieldScoreboard(Scoreboard):
    """cocotb-bus Scoreboard whose comparison reports the first differing field."""

    def __init__(self, dut, name: str = "scoreboard", fail_immediately: bool = True):
        super().__init__(dut, fail_immediately=fail_immediately)
        self.log = logging.getLogger(f"cocotb.tb.{name}")
        self.matched = 0
        self.seen = 0
        self.first_error: str | None = None
        # how a transaction is named in messages, from its 0-based index
        self.label = lambda index: f"transaction {index}"

    def add_interface(self, monitor, expected_output, **kwargs):
        """As cocotb-bus, but a transaction that arrives when none is expected is named with
        its value before the test fails."""
        if not callable(expected_output):
            def unexpected(transaction):
                if not expected_output:
                    raise AssertionError(f"{self.label(self.seen)}: {transaction!r} arrived, "
                                         "no transaction was expected")
            monitor.add_callback(unexpected)
        super().add_interface(monitor, expected_output, **kwargs)

    def compare(self, got, exp, log, strict_type=True):
        index, self.seen = self.seen, self.seen + 1
        diff = first_difference(exp, got)
        if diff is None:
            self.matched += len(got) if hasattr(got, "first_mismatch") else 1
            return
        self.errors += 1
        message = diff if hasattr(exp, "first_mismatch") else f"{self.label(index)}: {diff}"
        if self.first_error is None:
            self.first_error = message
        log.error("MISMATCH %s", message)
        log.error("expected: %r", exp)
        log.error("actual:   %r", got)
        if self._imm:
            raise AssertionError(f"RTL differs from the model at {message}")
