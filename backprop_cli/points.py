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
from collections.abc import Iterator, Sequence
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


SWEEP = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)=([^:]+):([^:]+):([0-9]+)\Z", re.ASCII)


MAX_SWEEP_POINTS = 10**9  # rows of one grid; a chunk at a time, so this bounds time only


def check_sweeps(sweeps: Sequence[Sweep]) -> None:
    names = [s.name for s in sweeps]
    for name in names:
        if names.count(name) > 1:
            raise ValueError(f"{name} is swept twice")
    total = math.prod(s.count for s in sweeps)
    if total > MAX_SWEEP_POINTS:
        raise ValueError(f"the sweeps make {total:,} points, more than {MAX_SWEEP_POINTS:,}")


def parse_sweep(text: str) -> Sweep:
    """``x=-5:5:101``: 101 evenly spaced points from -5 to 5, both ends included."""
    match = SWEEP.match(text)
    if not match:
        raise ValueError(f"{text!r}: write NAME=START:STOP:COUNT, such as x=-5:5:101")
    name, start, stop, count = match.groups()
    for part in (start, stop):
        if not DECIMAL.match(part) or not math.isfinite(float(part)):
            raise ValueError(f"{text!r}: {part!r} is not a plain finite number")
    if not 1 <= int(count) <= MAX_SWEEP_POINTS:
        raise ValueError(f"{text!r}: the count must be from 1 to {MAX_SWEEP_POINTS:,}")
    return Sweep(name, float(start), float(stop), int(count))


def sweep_chunks(sweeps: Sequence[Sweep], chunk_rows: int = CHUNK_ROWS) -> Iterator[Chunk]:
    """The grid of the sweeps, the first one varying slowest, a chunk at a time."""
    check_sweeps(sweeps)
    shape = [s.count for s in sweeps]
    total = math.prod(shape)
    for first in range(0, total, chunk_rows):
        index = np.arange(first, min(total, first + chunk_rows), dtype=np.int64)
        columns = {}
        rest = index
        for s, size in zip(reversed(sweeps), reversed(shape)):
            rest, position = np.divmod(rest, size)
            columns[s.name] = _points(s, position)
        yield Chunk(first + 1, {s.name: columns[s.name] for s in sweeps}, len(index))


def _points(s: Sweep, position: np.ndarray) -> np.ndarray:
    """Evenly spaced, both ends exact, and no overflow over the whole range of doubles."""
    if s.count == 1:
        return np.full(position.shape, s.start)
    t = position / (s.count - 1)
    with np.errstate(all="ignore"):
        points = s.start * (1.0 - t) + s.stop * t
    points[position == s.count - 1] = s.stop
    return points


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
