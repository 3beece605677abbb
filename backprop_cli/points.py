"""Where points come from: CSV files, JSON Lines, and sweeps over ranges (a grid).

Every source yields chunks of rows, each a column of doubles per input name, so memory
stays flat however many rows come in; every cell is a finite number, and a bad one is
named by its row, line and column.
"""

from __future__ import annotations

import contextlib
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import IO, Any, NamedTuple

import numpy as np

from .core.errors import InputError
from .core.numbers import DECIMAL
from .csv_blocks import parse_block

CHUNK_ROWS = 65_536


class Chunk(NamedTuple):
    first_row: int  # 1-based number of its first data row
    columns: dict[str, np.ndarray]
    rows: int
    kept: dict[str, list[Any]] | None = None  # columns copied verbatim (--keep)


_ELEMENT = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\[ *([0-9]+(?: *, *[0-9]+)*) *\]", re.ASCII)


def split_element(column: str) -> tuple[str, tuple[int, ...]] | None:
    """``W[1,0]`` -> ("W", (1, 0)); None for a column that names no element."""
    match = _ELEMENT.fullmatch(column)
    if match is None:
        return None
    return match[1], tuple(int(k) for k in match[2].split(","))


def element_columns(names: Iterable[str]) -> dict[str, dict[tuple[int, ...], str]]:
    """Base name -> {index -> column}: the columns that name elements, grouped."""
    groups: dict[str, dict[tuple[int, ...], str]] = {}
    for column in names:
        split = split_element(column)
        if split is not None:
            base, index = split
            seen = groups.setdefault(base, {})
            if index in seen:
                raise InputError(f"the columns {seen[index]} and {column} name one element")
            seen[index] = column
    return groups


class Sweep(NamedTuple):
    name: str
    start: float
    stop: float
    count: int
    start_text: str = ""  # the decimals as written, for points exact to the decimal
    stop_text: str = ""


MAX_SWEEP_POINTS = 10**9  # rows of one grid; a chunk at a time, so this bounds time only
SWEEP_FORM = ("NAME=START:STOP:COUNT (COUNT points from START to STOP, both included; "
              "NAME may be one element, x[0] or W[1,0])")


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
    element = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)\[ *([0-9]+(?: *, *[0-9]+)*) *\]", name,
                           re.ASCII)
    if element is not None:  # one element of an array input: x[0], W[1,0]
        name = f"{element[1]}[{','.join(str(int(k)) for k in element[2].split(','))}]"
    fields = [field.strip(" \t") for field in spec.split(":")]
    if not sep or not (element or re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name, re.ASCII)) \
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

MAX_LINE_BYTES = 8 << 20  # a line of a data file, by default: 8 MiB
PIECE_BYTES = 1 << 20  # read at a time
CHUNK_BYTES = 32 << 20  # lines gathered into one chunk at most (and at least one line)


class LineTooLong(Exception):
    """A line longer than the limit: its number (1-based) in the file."""

    def __init__(self, line_number: int) -> None:
        super().__init__(line_number)
        self.line_number = line_number


class Lines:
    """The lines of a byte stream (without their ``\\n``), read in pieces of bounded size.

    Memory holds at most about the limit plus a piece: a line longer than ``max_bytes``
    raises LineTooLong once that much of it is read, never more. The lines before it are
    handed out first; the error comes with the next call.
    """

    def __init__(self, stream: IO[bytes], max_bytes: int = MAX_LINE_BYTES,
                 piece: int = PIECE_BYTES) -> None:
        self._read = getattr(stream, "read1", stream.read)  # what a pipe has, not a fill
        self.max_bytes = max_bytes
        self._piece = piece
        self._ready: list[bytes] = []  # complete lines, not yet taken
        self._next = 0  # the first of them still to take
        self._pieces: list[bytes] = []  # the start of an unfinished line
        self._partial_bytes = 0
        self._eof = False
        self._error: LineTooLong | None = None
        self.line_number = 0  # of the last line taken

    def _fill(self) -> bool:
        """Read pieces until some lines are complete; False at the end of the stream.

        The start of an unfinished line is kept as its pieces, joined once its end comes,
        so a long line costs time in proportion to its length.
        """
        while not self._eof:
            data = self._read(self._piece)
            if not data:
                self._eof = True
                if self._pieces:
                    self._ready, self._next = [b"".join(self._pieces)], 0
                    self._pieces = []
                    return True
                return False
            if b"\n" not in data:
                self._pieces.append(data)
                self._partial_bytes += len(data)
                if self._partial_bytes > self.max_bytes:
                    self._pieces = []
                    self._eof = True  # nothing after it is read
                    self._error = LineTooLong(self.line_number + 1)
                    return False
                continue
            parts = data.split(b"\n")
            if self._pieces:
                parts[0] = b"".join([*self._pieces, parts[0]])
            last = parts.pop()
            self._pieces = [last] if last else []
            self._partial_bytes = len(last)
            self._ready, self._next = parts, 0
            return True
        return False

    def take(self, rows: int, max_total: int = CHUNK_BYTES) -> list[bytes]:
        """Up to ``rows`` lines, fewer once they hold ``max_total`` bytes (at least one)."""
        out: list[bytes] = []
        total = 0
        while len(out) < rows and total < max_total:
            if self._next >= len(self._ready) and (self._error is not None
                                                   or not self._fill()):
                break
            ready, k = self._ready, self._next
            end = min(len(ready), k + rows - len(out))
            for j in range(k, end):
                line = ready[j]
                if len(line) > self.max_bytes:
                    end = j
                    self._error = LineTooLong(self.line_number + (j - k) + 1)
                    self._ready, self._next = [], 0
                    break
                out.append(line)
                total += len(line)
                if total >= max_total:
                    end = j + 1
                    break
            else:
                self._next = end
                self.line_number += end - k
                continue
            if self._error is None:
                self._next = end
            self.line_number += end - k
            break
        if not out and self._error is not None:
            raise self._error
        return out

    def next_line(self) -> bytes | None:
        lines = self.take(1)
        return lines[0] if lines else None


def _too_long(origin: str, row: int, line: int, limit: int) -> InputError:
    return InputError(f"{origin}, row {row:,} (line {line:,}): the line is longer than "
                      f"{limit:,} bytes", hint="raise the limit with --max-line-bytes")


def _cell_error(origin: str, where: str, column: str, text: str) -> InputError:
    shown = text if len(text) <= 40 else text[:39] + "…"
    return InputError(
        f"{origin}, {where}, column {column}: {shown!r} is not a plain finite number",
        hint="cells are decimal numbers such as 2, -0.5 or 3e-4",
    )


_CELL_SPACE = " \t\r\n"  # around a cell: what the block parsers skip too


class Picked(NamedTuple):
    """The rows of some lines read so far: the numbers, the kept cells, and the error."""

    numbers: np.ndarray  # rows x number columns
    kept: list[list[str]]  # per kept column, its cells
    error: InputError | None


def _slow_rows(lines: Sequence[bytes], header: Sequence[str], origin: str,
               first_row: int, line_numbers: Sequence[int],
               numbers: Sequence[int], kept: Sequence[int] = ()) -> Picked:
    """Parse line by line: the rows before the first bad one, and its error (or None).

    ``numbers`` and ``kept`` are the indices of the columns read as numbers and as text;
    the other cells are not looked at.
    """
    import csv

    out = np.empty((len(lines), len(numbers)))
    texts: list[list[str]] = [[] for _ in kept]
    for k, raw in enumerate(lines):
        where = f"row {first_row + k:,} (line {line_numbers[k]:,})"
        error = None
        try:
            cells = next(csv.reader([raw.rstrip(b"\r").decode("utf-8")]), [])
        except UnicodeDecodeError:
            error = InputError(f"{origin}, {where}: bytes that are not UTF-8 text")
        except csv.Error as problem:
            error = InputError(f"{origin}, {where}: {problem}")
        else:
            if len(cells) != len(header):
                error = InputError(
                    f"{origin}, {where}: {len(cells)} cells, but the header has "
                    f"{len(header)} ({', '.join(header)})")
            else:
                for slot, j in enumerate(numbers):
                    cell = cells[j].strip(_CELL_SPACE)
                    if not DECIMAL.match(cell) or not math.isfinite(float(cell)):
                        error = _cell_error(origin, where, header[j], cell)
                        break
                    out[k, slot] = float(cell)
                for column, j in zip(texts, kept):
                    column.append(cells[j])
        if error is not None:
            return Picked(out[:k], [column[:k] for column in texts], error)
    return Picked(out, texts, None)


def _picked_fast(lines: Sequence[bytes], width: int, numbers: Sequence[int],
                 kept: Sequence[int]) -> tuple[list[np.ndarray], list[list[str]]] | None:
    """Some columns of well-formed lines, read a column at a time; None on any doubt."""
    import csv

    try:
        text = b"\n".join(lines).decode("utf-8")
        cells = list(csv.reader(text.split("\n")))
    except (UnicodeDecodeError, csv.Error):
        return None
    if len(cells) != len(lines) or any(len(row) != width for row in cells):
        return None
    by_column = list(zip(*cells)) if cells else [() for _ in range(width)]
    columns = []
    for j in numbers:
        try:
            block = ("\n".join(by_column[j]) + "\n").encode("ascii")
        except UnicodeEncodeError:
            return None
        parsed = parse_block(block, len(lines), 1)
        if parsed is None:
            return None
        columns.append(parsed[0])
    return columns, [list(by_column[j]) for j in kept]


class PointsFile:
    """A file of points whose header is read: its names, and its rows on demand."""

    def __init__(self, origin: str, header: list[str], rows: Callable[..., Iterator[Chunk]],
                 nested: dict[str, tuple[int, ...]] | None = None) -> None:
        self.origin = origin
        self.header = header
        self._rows = rows
        self.nested = nested or {}  # JSON Lines: the columns whose row 1 holds an array

    def chunks(self, numbers: Sequence[str], kept: Sequence[str] = (),
               chunk_rows: int = CHUNK_ROWS,
               arrays: dict[str, tuple[int, ...]] | None = None) -> Iterator[Chunk]:
        """The rows in chunks: ``numbers`` columns as doubles, ``kept`` columns verbatim.

        ``arrays`` (JSON Lines): columns read as nested lists of these shapes, each
        chunk's column then of that shape plus (rows,), the rows last. Every other column
        is not read, so it may hold anything.
        """
        if arrays:
            return self._rows(list(numbers), list(kept), chunk_rows, dict(arrays))
        return self._rows(list(numbers), list(kept), chunk_rows)


def read_csv(stream: IO[bytes], origin: str, max_line_bytes: int = MAX_LINE_BYTES
             ) -> PointsFile:
    """The header's names, and the data rows in chunks (blank lines skipped)."""
    import csv

    lines = Lines(stream, max_line_bytes)
    try:
        first = lines.next_line()
        while first is not None and not first.strip():
            first = lines.next_line()
    except LineTooLong as error:
        raise InputError(f"{origin}, line {error.line_number:,} (the header): the line is "
                         f"longer than {max_line_bytes:,} bytes",
                         hint="raise the limit with --max-line-bytes") from None
    if first is None:
        raise InputError(f"{origin} is empty: expected a header of input names")
    first = first.removeprefix(b"\xef\xbb\xbf")  # a byte-order mark, as spreadsheets write
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))  # a number may be long
    if b"\r" in first.rstrip(b"\r"):
        raise InputError(f"{origin}: its lines end in a carriage return alone",
                         hint="save it with line ends \\n or \\r\\n")
    try:
        header = [name.strip() for name in
                  next(csv.reader([first.rstrip(b"\r").decode("utf-8")]))]
    except (UnicodeDecodeError, csv.Error, StopIteration):
        raise InputError(f"{origin}: the header is not a line of names") from None
    if any("[" in name and "]" not in name for name in header):
        header = _joined_subscripts(header)
    width = len(header)

    def chunks(numbers: list[str], kept: list[str], chunk_rows: int) -> Iterator[Chunk]:
        position = {name: j for j, name in reversed(list(enumerate(header)))}  # the first
        number_at = [position[name] for name in numbers]
        kept_at = [position[name] for name in kept]
        everything = sorted(number_at) == list(range(width)) and not kept_at
        row = 1
        while True:
            first_line = lines.line_number + 1
            try:
                raw = lines.take(chunk_rows)
            except LineTooLong as error:  # the rows before it are written already
                raise _too_long(origin, row, error.line_number, max_line_bytes) from None
            if not raw:
                return
            numbered = [(first_line + k, line) for k, line in enumerate(raw) if line.strip()]
            picked = _parse_rows([line for _, line in numbered], [n for n, _ in numbered],
                                 header, origin, row, number_at, kept_at, everything)
            count = len(picked.numbers)
            if count:
                yield Chunk(row, {name: picked.numbers[:, j] for j, name in enumerate(numbers)},
                            count, dict(zip(kept, picked.kept)) if kept else None)
            if picked.error is not None:
                raise picked.error
            row += count

    return PointsFile(origin, header, chunks)


def _joined_subscripts(header: list[str]) -> list[str]:
    """An element's name cut at its commas by the CSV split (``W[1,0]`` unquoted: the
    cells ``W[1`` and ``0]``) made one name again: ``W[1,0]``."""
    out: list[str] = []
    open_name: list[str] = []
    for name in header:
        if open_name:
            open_name.append(name)
            if "]" in name:
                out.append(",".join(part.strip() for part in open_name))
                open_name = []
        elif "[" in name and "]" not in name:
            open_name = [name]
        else:
            out.append(name)
    if open_name:
        out.extend(open_name)
    return out


def _parse_rows(lines: list[bytes], line_numbers: list[int], header: list[str], origin: str,
                row: int, number_at: list[int], kept_at: list[int], everything: bool
                ) -> Picked:
    """The non-blank lines of a chunk: fast when they are well formed, else line by line."""
    width = len(header)
    if not lines:
        return Picked(np.empty((0, len(number_at))), [[] for _ in kept_at], None)
    if everything:
        columns = parse_block(b"\n".join(lines) + b"\n", len(lines), width)
        if columns is not None:
            return Picked(np.column_stack([columns[j] for j in number_at]), [], None)
    else:
        fast = _picked_fast(lines, width, number_at, kept_at)
        if fast is not None:
            numbers = (np.column_stack(fast[0]) if fast[0]
                       else np.empty((len(lines), 0)))
            return Picked(numbers, fast[1], None)
    return _slow_rows(lines, header, origin, row, line_numbers, number_at, kept_at)


def read_jsonl(stream: IO[bytes], origin: str, max_line_bytes: int = MAX_LINE_BYTES
               ) -> PointsFile:
    """JSON Lines: one object per line; the names read are in every object."""
    from .values import JsonConstant, load_json_object

    lines = Lines(stream, max_line_bytes)

    def next_object() -> tuple[bytes, int] | None:
        """The next non-blank line and its line number."""
        while True:
            line = lines.next_line()
            if line is None:
                return None
            if line.strip():
                return line, lines.line_number

    try:
        head = next_object()
    except LineTooLong as error:
        raise _too_long(origin, 1, error.line_number, max_line_bytes) from None
    if head is None:
        raise InputError(f"{origin} is empty: expected one JSON object per line")

    def load(line: bytes, row: int) -> dict:
        try:
            obj = load_json_object(line, f"{origin}, row {row:,}", check_constants=False)
        except (ValueError, RecursionError):
            raise InputError(f"{origin}, row {row:,}: not a JSON object") from None
        if not isinstance(obj, dict):
            raise InputError(f"{origin}, row {row:,}: not a JSON object")
        return obj

    first = load(head[0], 1)
    header = list(first)
    nested = {}
    for name, cell in first.items():
        if isinstance(cell, list):  # an array input's, or a column kept or not read
            with contextlib.suppress(InputError):
                nested[name] = _array_cell(origin, 1, name, cell, None).shape

    def chunks(numbers: list[str], kept: list[str], chunk_rows: int,
               arrays: dict[str, tuple[int, ...]] | None = None) -> Iterator[Chunk]:
        if arrays:
            yield from _with_arrays(chunks(numbers, [*kept, *arrays], chunk_rows), arrays)
            return
        wanted = [*numbers, *kept]

        def point(obj: dict, row: int) -> list[float]:
            missing = [name for name in wanted if name not in obj]
            if missing:
                raise InputError(f"{origin}, row {row:,}: no {', '.join(missing)} "
                                 f"(row 1 has {', '.join(header)})")
            cells = []
            for name in numbers:
                cell = obj[name]
                if isinstance(cell, JsonConstant):
                    raise InputError(f"{origin}, row {row:,}, column {name}: {cell} is not a "
                                     "finite number", hint="cells are finite numbers")
                if isinstance(cell, bool) or not isinstance(cell, int | float):
                    raise _cell_error(origin, f"row {row:,}", name, json.dumps(cell))
                try:
                    number = float(cell)
                except OverflowError:
                    number = math.inf
                if not math.isfinite(number):
                    raise InputError(f"{origin}, row {row:,}, column {name}: a number beyond "
                                     "the range of doubles", hint="cells are finite numbers")
                cells.append(number)
            return cells

        row = 1
        pending: list[tuple[bytes, int]] = [head]
        while True:
            too_long = None
            try:
                while len(pending) < chunk_rows:
                    got = next_object()
                    if got is None:
                        break
                    pending.append(got)
            except LineTooLong as error:
                too_long = error
            if not pending and too_long is None:
                return
            values = np.empty((len(pending), len(numbers)))
            texts: list[list[Any]] = [[] for _ in kept]
            for k, (line, _) in enumerate(pending):
                try:
                    obj = first if row + k == 1 else load(line, row + k)
                    values[k] = point(obj, row + k)
                    for column, name in zip(texts, kept):
                        column.append(obj[name])
                except InputError:
                    if k:  # the rows before it first, whatever the chunks
                        yield Chunk(row, dict(zip(numbers, values[:k].T)), k,
                                    dict(zip(kept, texts)) if kept else None)
                    raise
            if pending:
                yield Chunk(row, {name: values[:, j] for j, name in enumerate(numbers)},
                            len(pending), dict(zip(kept, texts)) if kept else None)
            row += len(pending)
            pending = []
            if too_long is not None:
                raise _too_long(origin, row, too_long.line_number, max_line_bytes)

    def _with_arrays(plain: Iterator[Chunk], arrays: dict[str, tuple[int, ...]]
                     ) -> Iterator[Chunk]:
        """The chunks of ``plain`` (read with the array columns kept verbatim), those
        columns made arrays of their shapes, the rows last."""
        for chunk in plain:
            kept_cells = dict(chunk.kept or {})
            columns = dict(chunk.columns)
            blocks = {name: np.empty((chunk.rows, *shape)) for name, shape in arrays.items()}
            cells = {name: kept_cells.pop(name) for name in arrays}
            for k in range(chunk.rows):
                try:
                    for name, shape in arrays.items():
                        blocks[name][k] = _array_cell(origin, chunk.first_row + k, name,
                                                      cells[name][k], shape)
                except InputError:
                    if k:  # the rows before it first
                        yield _cut(chunk, columns, blocks, kept_cells, k)
                    raise
            yield _cut(chunk, columns, blocks, kept_cells, chunk.rows)

    def _cut(chunk: Chunk, columns: dict[str, np.ndarray], blocks: dict[str, np.ndarray],
             kept: dict[str, list[Any]], rows: int) -> Chunk:
        """The first ``rows`` rows of a chunk, its array columns with the rows last."""
        out = {name: column[:rows] for name, column in columns.items()}
        out.update((name, np.moveaxis(block[:rows], 0, -1)) for name, block in blocks.items())
        return Chunk(chunk.first_row, out, rows,
                     {name: cells[:rows] for name, cells in kept.items()} or None)

    return PointsFile(origin, header, chunks, nested)


def _array_cell(origin: str, row: int, name: str, cell: Any,
                shape: tuple[int, ...] | None) -> np.ndarray:
    """A JSON Lines cell of nested lists as an array (of ``shape`` when given)."""
    from .core.shapes import describe
    from .values import as_array

    try:
        array = as_array(name, cell)
    except InputError as error:
        raise InputError(f"{origin}, row {row:,}: {error.message}") from None
    if shape is not None and array.shape != shape:
        raise InputError(f"{origin}, row {row:,}, column {name}: {describe(array.shape)}, "
                         f"but row 1 has {describe(shape)}")
    return array


def read_points(path: str, stdin: IO[bytes] | None = None,
                max_line_bytes: int = MAX_LINE_BYTES) -> PointsFile:
    """The header of a file of points ('-': ``stdin``), and its rows on demand.

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
    return reader(stream, origin, max_line_bytes)
