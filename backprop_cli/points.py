"""Where points come from: CSV files, JSON Lines, and sweeps over ranges (a grid).

Every source yields chunks of rows, each a column of doubles per input name, so memory
stays flat however many rows come in; every cell is a finite number, and a bad one is
named by its row, line and column.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Callable, Iterator, Sequence
from typing import IO, NamedTuple

import numpy as np

from .core.errors import InputError
from .core.numbers import DECIMAL
from .csv_blocks import parse_block

CHUNK_ROWS = 65_536


class Chunk(NamedTuple):
    first_row: int  # 1-based number of its first data row
    columns: dict[str, np.ndarray]
    rows: int


class Sweep(NamedTuple):
    name: str
    start: float
    stop: float
    count: int
    start_text: str = ""  # the decimals as written, for points exact to the decimal
    stop_text: str = ""


MAX_SWEEP_POINTS = 10**9  # rows of one grid; a chunk at a time, so this bounds time only
SWEEP_FORM = "NAME=START:STOP:COUNT (COUNT points from START to STOP, both included)"


def check_sweeps(sweeps: Sequence[Sweep]) -> None:
    names = [s.name for s in sweeps]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"{name} is swept twice")
    total = math.prod(s.count for s in sweeps)
    if total > MAX_SWEEP_POINTS:
        raise ValueError(f"the sweeps make {total:,} points, more than {MAX_SWEEP_POINTS:,}")


def _is_number(text: str) -> bool:
    return bool(DECIMAL.match(text)) and math.isfinite(float(text))


def _as_step(name: str, start: str, step: str, stop: str) -> str:
    """What to write for MATLAB's START:STEP:STOP, when the fields read so give whole points."""
    from fractions import Fraction

    if not all(_is_number(part) for part in (start, step, stop)) or Fraction(step) == 0:
        return ""
    count = (Fraction(stop) - Fraction(start)) / Fraction(step) + 1
    if count.denominator != 1 or not 2 <= count <= MAX_SWEEP_POINTS:
        return ""
    points = f"{start} and {stop}" if count == 2 else f"{start}, {start}+{step}, ..., {stop}"
    return f"; for the {count} points {points} write {name}={start}:{stop}:{count}"


def parse_sweep(text: str) -> Sweep:
    """``x=-5:5:101``: 101 evenly spaced points from -5 to 5, both ends included."""
    name, sep, spec = text.partition("=")
    name = name.strip(" \t")
    fields = [field.strip(" \t") for field in spec.split(":")]
    if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name, re.ASCII) \
            or len(fields) != 3:
        raise ValueError(f"{text!r}: write {SWEEP_FORM}, such as x=-5:5:101")
    start, stop, count = fields
    for part in (start, stop):
        if not _is_number(part):
            raise ValueError(f"{text!r}: {part!r} is not a plain finite number")
    if not re.fullmatch(r"[0-9]+", count, re.ASCII):
        raise ValueError(f"{text!r}: the count {count!r} is not a whole number of points: "
                         f"the fields are {SWEEP_FORM}" + _as_step(name, start, stop, count))
    if not 1 <= int(count) <= MAX_SWEEP_POINTS:
        raise ValueError(f"{text!r}: the count must be from 1 to {MAX_SWEEP_POINTS:,}")
    if int(count) == 1 and float(start) != float(stop):
        raise ValueError(f"{text!r} is the one point {start}: the fields are {SWEEP_FORM}"
                         + (_as_step(name, start, stop, count)
                            or f"; for the 2 points {start} and {stop} write "
                            f"{name}={start}:{stop}:2"))
    return Sweep(name, float(start), float(stop), int(count), start, stop)


def sweep_chunks(sweeps: Sequence[Sweep], chunk_rows: int = CHUNK_ROWS) -> Iterator[Chunk]:
    """The grid of the sweeps, the first one varying slowest, a chunk at a time."""
    check_sweeps(sweeps)
    shape = [s.count for s in sweeps]
    total = math.prod(shape)
    exact = {s.name: _exact_points(s) for s in sweeps}
    for first in range(0, total, chunk_rows):
        index = np.arange(first, min(total, first + chunk_rows), dtype=np.int64)
        columns = {}
        rest = index
        for s, size in zip(reversed(sweeps), reversed(shape)):
            rest, position = np.divmod(rest, size)
            columns[s.name] = exact[s.name](position)
        yield Chunk(first + 1, {s.name: columns[s.name] for s in sweeps}, len(index))


def _scaled(text: str, fallback: float) -> tuple[int, int]:
    """The decimal ``text`` (or the double ``fallback``) exactly, as (m, e): m * 10**e."""
    from decimal import Decimal

    sign, digits, exponent = (Decimal(text) if text else Decimal(fallback)).as_tuple()
    assert isinstance(exponent, int)
    m = int("".join(map(str, digits)) or "0")
    return (-m if sign else m), exponent


EXACT_DOUBLES = 2**53  # every integer up to this is a double


def _exact_points(s: Sweep) -> Callable[[np.ndarray], np.ndarray]:
    """Point k is start + k * (stop - start) / (count - 1), exact, then rounded once.

    With start = A / 10**e and stop = B / 10**e, point k is N / D, N = A*(count-1) +
    k*(B-A) and D = (count-1) * 10**e, integers. When both fit in 53 bits they are doubles
    exactly, so one IEEE division (vectorised) rounds the exact quotient correctly. Up to
    63 bits, a long double division (64-bit significand) rounds it, then the rounding to
    a double; the two roundings differ from one only where the first lands on a midpoint
    between doubles, and those points are computed again exactly. Otherwise Python's
    integer division does it, which is correctly rounded too.
    """
    (a, ea), (b, eb) = _scaled(s.start_text, s.start), _scaled(s.stop_text, s.stop)
    e = min(ea, eb, 0)
    a, b = a * 10 ** (ea - e), b * 10 ** (eb - e)
    steps = max(s.count - 1, 1)
    base, delta, denominator = a * steps, b - a, steps * 10**-e
    if max(abs(a), abs(b)) * steps <= EXACT_DOUBLES and denominator <= EXACT_DOUBLES:
        def fast(position: np.ndarray) -> np.ndarray:
            numerators = base + position * delta  # int64, exact: |N| <= 2**53
            return numerators.astype(np.float64) / float(denominator)
        return fast

    def careful(position: np.ndarray) -> np.ndarray:
        return np.fromiter(((base + k * delta) / denominator for k in position.tolist()),
                           dtype=np.float64, count=len(position))

    if 2 * max(abs(a), abs(b)) * steps < 2**63 and denominator < 2**63 and LONG_DOUBLE_BITS >= 64:
        def twice_rounded(position: np.ndarray) -> np.ndarray:
            numerators = base + position * delta  # int64, exact
            quotient = numerators.astype(np.longdouble) / np.longdouble(denominator)
            points = quotient.astype(np.float64)
            rest = quotient - points  # exact: within a double's unit of its rounding
            toward = np.nextafter(points, np.where(rest > 0, np.inf, -np.inf))
            midway = (rest != 0) & (2 * np.abs(rest) == np.abs(toward - points.astype(
                np.longdouble)))
            if midway.any():
                points[midway] = careful(position[midway])
            return points
        return twice_rounded
    return careful


LONG_DOUBLE_BITS = np.finfo(np.longdouble).nmant + 1  # 64 on x86-64, 113 on aarch64 Linux


# -- CSV and JSON Lines ------------------------------------------------------------------------


def _cell_error(origin: str, where: str, column: str, text: str) -> InputError:
    shown = text if len(text) <= 40 else text[:39] + "…"
    return InputError(
        f"{origin}, {where}, column {column}: {shown!r} is not a plain finite number",
        hint="cells are decimal numbers such as 2, -0.5 or 3e-4",
    )


_CELL_SPACE = " \t\r\n"  # around a cell: what the block parsers skip too


def _slow_rows(lines: Sequence[bytes], header: Sequence[str], origin: str,
               first_row: int, line_numbers: Sequence[int]
               ) -> tuple[np.ndarray, InputError | None]:
    """Parse line by line: the rows before the first bad one, and its error (or None)."""
    import csv

    out = np.empty((len(lines), len(header)))
    for k, raw in enumerate(lines):
        where = f"row {first_row + k:,} (line {line_numbers[k]:,})"
        error = None
        try:
            cells = next(csv.reader([raw.decode("ascii")]), [])
        except UnicodeDecodeError:
            error = InputError(f"{origin}, {where}: a character outside ASCII")
        except csv.Error as problem:
            error = InputError(f"{origin}, {where}: {problem}")
        else:
            if len(cells) != len(header):
                error = InputError(
                    f"{origin}, {where}: {len(cells)} cells, but the header has "
                    f"{len(header)} ({', '.join(header)})")
            else:
                for j, cell in enumerate(cells):
                    cell = cell.strip(_CELL_SPACE)
                    if not DECIMAL.match(cell) or not math.isfinite(float(cell)):
                        error = _cell_error(origin, where, header[j], cell)
                        break
                    out[k, j] = float(cell)
        if error is not None:
            return out[:k], error
    return out, None


def read_csv(stream: IO[bytes], origin: str, chunk_rows: int = CHUNK_ROWS
             ) -> tuple[list[str], Iterator[Chunk]]:
    """The header's names, and the data rows in chunks (blank lines skipped)."""
    import csv

    first = stream.readline()
    header_line = 1
    while first and not first.strip():
        first = stream.readline()
        header_line += 1
    if not first:
        raise InputError(f"{origin} is empty: expected a header of input names")
    first = first.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark, as spreadsheets write
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))  # a number may be long
    if b"\r" in first.rstrip(b"\r\n"):
        raise InputError(f"{origin}: its lines end in a carriage return alone",
                         hint="save it with line ends \\n or \\r\\n")
    try:
        header = [name.strip() for name in next(csv.reader([first.decode("ascii")]))]
    except (UnicodeDecodeError, csv.Error):
        raise InputError(f"{origin}: the header is not a line of ASCII names") from None
    _check_names(header, origin)

    def chunks() -> Iterator[Chunk]:
        row = 1
        line_number = header_line
        width = len(header)
        while True:
            raw = list(itertools.islice(stream, chunk_rows))
            if not raw:
                return
            first_line = line_number + 1
            line_number += len(raw)
            block = b"".join(raw)
            columns = parse_block(block, len(raw), width) if block.endswith(b"\n") else None
            rows = len(raw)
            if columns is None:  # blank lines, a last line without its end, or a bad cell
                numbered = [(first_line + k, line.rstrip(b"\r\n") + b"\n")
                            for k, line in enumerate(raw) if line.strip()]
                if not numbered:
                    continue
                lines = [line for _, line in numbered]
                rows = len(lines)
                columns = parse_block(b"".join(lines), rows, width)
                if columns is None:
                    values, error = _slow_rows(lines, header, origin, row,
                                               [n for n, _ in numbered])
                    if error is not None:  # the rows before it first, whatever the chunks
                        if len(values):
                            yield Chunk(row, dict(zip(header, values.T)), len(values))
                        raise error
                    columns = [values[:, j] for j in range(width)]
            yield Chunk(row, dict(zip(header, columns)), rows)
            row += rows

    return header, chunks()


def read_jsonl(stream: IO[bytes], origin: str, chunk_rows: int = CHUNK_ROWS
               ) -> tuple[list[str], Iterator[Chunk]]:
    """JSON Lines: one object of input names and numbers per line, the same names on each."""
    lines = (line for line in stream if line.strip())
    first_line = next(lines, None)
    if first_line is None:
        raise InputError(f"{origin} is empty: expected one JSON object per line")

    from .values import load_json_object

    def load(line: bytes, row: int) -> dict:
        try:
            obj = load_json_object(line, f"{origin}, row {row:,}", check_constants=False)
        except (ValueError, RecursionError):
            raise InputError(f"{origin}, row {row:,}: not a JSON object") from None
        if not isinstance(obj, dict):
            raise InputError(f"{origin}, row {row:,}: not a JSON object")
        return obj

    first = load(first_line, 1)
    header = list(first)
    _check_names(header, origin)

    def point(obj: dict, row: int) -> list[float]:
        if obj.keys() != first.keys():
            raise InputError(f"{origin}, row {row:,}: the names differ from row 1 "
                             f"({', '.join(header)})")
        cells = []
        for name in header:
            cell = obj[name]
            if isinstance(cell, bool) or not isinstance(cell, int | float):
                raise _cell_error(origin, f"row {row:,}", name, json.dumps(cell))
            try:
                number = float(cell)
            except OverflowError:
                number = math.inf
            if not math.isfinite(number):
                raise InputError(f"{origin}, row {row:,}, column {name}: a number beyond the "
                                 "range of doubles", hint="cells are finite numbers")
            cells.append(number)
        return cells

    def chunks() -> Iterator[Chunk]:
        row = 1
        pending = itertools.chain([first_line], lines)
        while True:
            block = list(itertools.islice(pending, chunk_rows))
            if not block:
                return
            values = np.empty((len(block), len(header)))
            for k, line in enumerate(block):
                try:
                    values[k] = point(first if row + k == 1 else load(line, row + k), row + k)
                except InputError:
                    if k:  # the rows before it first, whatever the chunks
                        yield Chunk(row, dict(zip(header, values[:k].T)), k)
                    raise
            yield Chunk(row, {name: values[:, j] for j, name in enumerate(header)}, len(block))
            row += len(block)

    return header, chunks()


def _check_names(header: Sequence[str], origin: str) -> None:
    seen: set[str] = set()
    for name in header:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name, re.ASCII):
            raise InputError(f"{origin}: the column {name!r} is not an input name")
        if name in seen:
            raise InputError(f"{origin}: the column {name} appears twice")
        seen.add(name)


def read_points(path: str, chunk_rows: int = CHUNK_ROWS,
                stdin: IO[bytes] | None = None) -> tuple[str, list[str], Iterator[Chunk]]:
    """The origin, the column names and the chunks of a file of points ('-': ``stdin``).

    JSON Lines for a ``.jsonl`` or ``.ndjson`` name, CSV otherwise.
    """
    origin = "<stdin>" if path == "-" else path
    if path == "-":
        if stdin is None:
            raise InputError("cannot read standard input")
        stream = stdin
    else:
        try:
            stream = open(path, "rb")  # noqa: SIM115 - closed by the reader at its end
        except OSError as error:
            raise InputError(f"cannot read {path}: {error.strerror or error}") from None
    reader = read_jsonl if path.lower().endswith((".jsonl", ".ndjson")) else read_csv
    columns, chunks = reader(stream, origin, chunk_rows)
    return origin, list(columns), chunks
