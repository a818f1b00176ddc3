# SPDX-License-Identifier: Apache-2.0
"""Verilator's coverage files: read, merge, write, and summarize per source line and signal.

A coverage build (`Build(coverage=True)`) writes `coverage.dat` at the end of each simulation.
The format is text: a header line `# SystemC::Coverage-3`, then one line per coverage point,

    C '<key>' <count>

where the key is a run of fields, each `\\x01<name>\\x02<value>`: `f` the source file, `l` its
line, `n` a column, `t` the type (`line`, `branch`, `toggle`, ...), `o` a comment (the branch
taken, or for a toggle the signal bit and direction, `data[3]:0->1`), `S` the further lines the
point stands for (`70-72`, `62,64-65`), `h` the instance, `page` the report page. Older files
spell the names out (`filename`, `lineno`, ...); they are read as the short ones.

Merging adds the counts of identical keys, as `verilator_coverage --write` does. The summaries
are per source file, so the instances of a module and the builds of several parameter sets
count together: a line is covered when every line and branch point on it was hit in some
instance (Verilator's own rule for annotated sources), and a signal bit is toggled when it was
seen rising and falling.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from model.errors import SpiritError

HEADER = "# SystemC::Coverage-3"
# long field names of older files, and the short ones Verilator writes now
LONG_NAMES = {"filename": "f", "lineno": "l", "column": "n", "type": "t", "comment": "o",
              "hier": "h", "linescov": "S", "thresh": "s", "per_instance": "P", "weight": "w"}
# fields that tell apart the instances of one source construct; left out by the summaries
INSTANCE_FIELDS = ("h", "page")
TOGGLE_DIRECTIONS = ("0->1", "1->0")

Key = tuple[tuple[str, str], ...]


class CoverageFormatError(SpiritError):
    """A coverage file that is not in Verilator's format."""


def parse_key(text: str) -> Key:
    """The fields of one point's key, in file order, with long names made short."""
    if not text.startswith("\x01"):
        raise ValueError("a key starts with \\x01")
    fields = []
    for part in text[1:].split("\x01"):
        name, sep, value = part.partition("\x02")
        if not sep or not name:
            raise ValueError(f"field {part!r} lacks a name or a value")
        fields.append((LONG_NAMES.get(name, name), value))
    return tuple(fields)


def format_key(key: Key) -> str:
    return "".join(f"\x01{name}\x02{value}" for name, value in key)


@dataclass
class Coverage:
    """Coverage points and their counts, merged from any number of files."""

    counts: dict[Key, int] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)

    @classmethod
    def parse(cls, text: str, name: str = "<text>") -> Coverage:
        """Read the text of a coverage file; `name` is used in error messages."""
        cov = cls(sources=[name])
        for number, line in enumerate(text.splitlines(), 1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            where = f"{name} line {number}"
            key_text, sep, count_text = stripped.rpartition(" ")
            if not sep or not key_text.startswith("C '") or not key_text.endswith("'") \
                    or len(key_text) < 4:
                raise CoverageFormatError(f"{where}: expected C '<key>' <count>, got "
                                          f"{_show(stripped)}")
            if not count_text.isdigit():
                raise CoverageFormatError(f"{where}: the count {_show(count_text)} is not a "
                                          "whole number")
            try:
                key = parse_key(key_text[3:-1])
            except ValueError as exc:
                raise CoverageFormatError(f"{where}: {exc}") from None
            cov.counts[key] = cov.counts.get(key, 0) + int(count_text)
        return cov

    @classmethod
    def read(cls, path: Path | str) -> Coverage:
        path = Path(path)
        try:
            text = path.read_text(errors="strict")
        except OSError as exc:
            raise CoverageFormatError(f"cannot read coverage file {path}: "
                                      f"{exc.strerror or exc}") from None
        except UnicodeDecodeError:
            raise CoverageFormatError(f"coverage file {path} is not text") from None
        return cls.parse(text, str(path))

    def add(self, other: Coverage) -> Coverage:
        """Merge `other` into this one: counts of identical points add up."""
        for key, count in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + count
        self.sources += other.sources
        return self

    @classmethod
    def merge(cls, items: Iterable[Coverage]) -> Coverage:
        out = cls()
        for item in items:
            out.add(item)
        return out

    def dumps(self) -> str:
        """The coverage file text, points sorted by key."""
        lines = [HEADER] + [f"C '{format_key(k)}' {self.counts[k]}" for k in sorted(self.counts)]
        return "\n".join(lines) + "\n"

    def write(self, path: Path | str) -> None:
        Path(path).write_text(self.dumps())

    def __len__(self) -> int:
        return len(self.counts)


def _show(text: str, limit: int = 60) -> str:
    text = text.replace("\x01", "\\x01").replace("\x02", "\\x02")
    return repr(text if len(text) <= limit else text[:limit] + "...")


def covered_lines(point: dict[str, str]) -> list[int]:
    """The source lines a point stands for: its own line and those of its `S` field."""
    lines = set()
    if point.get("l", "").isdigit():
        lines.add(int(point["l"]))
    for part in filter(None, point.get("S", "").split(",")):
        lo, _, hi = part.partition("-")
        if lo.isdigit() and (not hi or hi.isdigit()):
            lines.update(range(int(lo), int(hi or lo) + 1))
    return sorted(lines)


@dataclass
class SourceLine:
    """One coverable source line: its points (instances merged) and their counts."""

    file: str
    line: int
    points: dict[tuple[str, str, str, str], int] = field(default_factory=dict)

    @property
    def covered(self) -> bool:
        return all(count > 0 for count in self.points.values())

    @property
    def count(self) -> int:
        """How often the line ran: the most any of its points was hit."""
        return max(self.points.values(), default=0)

    def missed(self) -> list[str]:
        """What on the line was never hit, by the points' comments (block, if, else, ...)."""
        return sorted({f"{t} {o}".strip() for (t, o, _, _), c in self.points.items() if not c})


@dataclass
class SignalBit:
    """One bit of a signal under toggle coverage: counts per direction."""

    file: str
    line: int
    name: str
    directions: dict[str, int] = field(default_factory=dict)

    @property
    def toggled(self) -> bool:
        if set(self.directions) <= {""}:
            return self.directions.get("", 0) > 0
        return all(self.directions.get(d, 0) > 0 for d in TOGGLE_DIRECTIONS)

    def missing(self) -> list[str]:
        return [d for d in TOGGLE_DIRECTIONS if not self.directions.get(d, 0)] \
            if set(self.directions) - {""} else ["toggle"]


@dataclass
class FileSummary:
    """Line and toggle coverage of one source file."""

    file: str
    lines: dict[int, SourceLine] = field(default_factory=dict)
    bits: dict[str, SignalBit] = field(default_factory=dict)

    @property
    def lines_covered(self) -> int:
        return sum(line.covered for line in self.lines.values())

    @property
    def toggles_covered(self) -> int:
        return sum(bit.toggled for bit in self.bits.values())

    def unreached(self) -> list[SourceLine]:
        return [self.lines[n] for n in sorted(self.lines) if not self.lines[n].covered]

    def untoggled(self) -> list[SignalBit]:
        return sorted((b for b in self.bits.values() if not b.toggled),
                      key=lambda b: (b.line, _natural(b.name)))


def _natural(text: str) -> list:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text)]


def summarize(cov: Coverage, keep: Callable[[str], bool] = lambda path: True
              ) -> dict[str, FileSummary]:
    """Per source file (those `keep` accepts): its coverable lines and signal bits, with the
    instances of each point merged."""
    files: dict[str, FileSummary] = {}
    merged: dict[tuple, int] = defaultdict(int)
    for key, count in cov.counts.items():
        point = dict(key)
        ident = tuple((k, v) for k, v in key if k not in INSTANCE_FIELDS)
        if keep(point.get("f", "")):
            merged[ident] += count
    for ident, count in merged.items():
        point = dict(ident)
        path = point.get("f", "")
        summary = files.setdefault(path, FileSummary(path))
        line = int(point["l"]) if point.get("l", "").isdigit() else 0
        if point.get("t") == "toggle":
            name, _, direction = point.get("o", "").rpartition(":")
            if direction not in TOGGLE_DIRECTIONS:
                name, direction = point.get("o", ""), ""
            bit = summary.bits.setdefault(name, SignalBit(path, line, name))
            bit.line = min(bit.line, line) if bit.line else line
            bit.directions[direction] = bit.directions.get(direction, 0) + count
            continue
        ident_short = (point.get("t", ""), point.get("o", ""), point.get("n", ""),
                       f"{point.get('l', '')}/{point.get('S', '')}")
        for n in covered_lines(point):
            src = summary.lines.setdefault(n, SourceLine(path, n))
            src.points[ident_short] = src.points.get(ident_short, 0) + count
    return files


def signal_ranges(bits: list[SignalBit]) -> list[str]:
    """Untoggled bits grouped for reading: `data[7:4] 1->0` instead of eight lines."""
    groups: dict[tuple[str, tuple[str, ...]], list[int]] = defaultdict(list)
    whole: list[str] = []
    for bit in bits:
        m = re.fullmatch(r"(.*)\[(\d+)\]", bit.name)
        missing = tuple(bit.missing())
        if m:
            groups[(m.group(1), missing)].append(int(m.group(2)))
        else:
            whole.append(f"{bit.name} {'/'.join(missing)}")
    out = []
    for (name, missing), indices in groups.items():
        indices.sort()
        runs, start = [], indices[0]
        for a, b in zip(indices, indices[1:] + [None]):
            if b != a + 1:
                runs.append(f"{a}" if a == start else f"{a}:{start}")
                start = b
        out.append(f"{name}[{','.join(reversed(runs))}] {'/'.join(missing)}")
    return sorted(whole + out, key=_natural)
