"""Many points at once: the same graph evaluated over NumPy arrays, a chunk of rows at a time.

Points come from a CSV file (a header of input names), JSON Lines, or sweeps over
ranges (a grid). Each chunk is one forward and one backward pass with ``array_math``,
from the same table of rules as a single point; memory stays flat however many rows
come in. A non-finite number at some row is an error naming the first such row, found
again with the scalar engine so the message names the node and the reason exactly.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import IO, Any, NamedTuple

import numpy as np

from .core.engine import backward, evaluate_graph, forward
from .core.errors import EvaluationError, InputError
from .core.graph import Graph
from .core.numbers import DECIMAL
from .csv_blocks import parse_block
from .numerics import array_math

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


# -- evaluation ------------------------------------------------------------------------------


class Rows(NamedTuple):
    """One evaluated chunk: every input's column, the value, every input's gradient."""

    first_row: int
    inputs: list[np.ndarray]
    value: np.ndarray
    grads: list[np.ndarray]


def evaluate_chunks(graph: Graph, fixed: Mapping[int, float], chunks: Iterable[Chunk],
                    *, allow_nonfinite: bool = False, origin: str = "the points",
                    xp: Any = array_math) -> Iterator[Rows]:
    """Forward and backward over each chunk; a non-finite number names its first row.

    The chunks' columns hold finite numbers (the readers and sweeps see to it), so only
    gates' values are tested, and the inputs' gradients:

    - a gate read by an op that ``keeps_nonfinite`` (``+``, ``*``, ``sin``, ...) need not
      be tested: a non-finite value there makes that op's value non-finite too, in the
      same row, and so on until a gate that is tested (the output, at the latest);
    - a non-finite gradient anywhere reaches some input's gradient in the same row, since
      the backward pass multiplies it into every argument that depends on an input
      (infinity times zero is NaN) and adds it into their sums.
    """
    ids = {graph.nodes[i].name: i for i in graph.inputs}
    passed_on = {a for node in graph.nodes if node.op.keeps_nonfinite for a in node.args}
    gates = [i for i, node in enumerate(graph.nodes)
             if not node.op.is_leaf and i not in passed_on]
    for chunk in chunks:
        leaves: dict[int, Any] = dict(fixed)
        for name, column in chunk.columns.items():
            leaves[ids[name]] = column
        n = chunk.rows
        with np.errstate(all="ignore"):
            values = forward(graph, leaves, xp)
            grads = _skip_zero_gradients(graph, values, backward(graph, values, xp), xp, n)
            # the rows with a bad value or gradient, either
            bad = () if allow_nonfinite else _bad_rows(
                [*(values[i] for i in gates), *(grads[i] for i in graph.inputs)], n)
        rows = Rows(
            chunk.first_row,
            [np.broadcast_to(np.asarray(leaves[i], dtype=float), (n,)) for i in graph.inputs],
            np.broadcast_to(np.asarray(values[graph.output], dtype=float), (n,)),
            [np.broadcast_to(np.asarray(grads[i], dtype=float), (n,)) for i in graph.inputs],
        )
        if len(bad):
            rows, failed = _at_one_point(graph, leaves, rows, bad, n)
            if failed is not None:
                k, error = failed
                if k:  # the rows before it first, whatever the chunks
                    yield Rows(rows.first_row, [c[:k] for c in rows.inputs], rows.value[:k],
                               [g[:k] for g in rows.grads])
                error.message = f"{origin}, row {chunk.first_row + k:,}: {error.message}"
                raise error
        yield rows


def _at_one_point(graph: Graph, leaves: Mapping[int, Any], rows: Rows, bad: np.ndarray,
                  n: int) -> tuple[Rows, tuple[int, EvaluationError] | None]:
    """The rows found bad, evaluated again one point at a time, in order.

    The first that fails there too is the error, found again to name the node exactly.
    One that does not had a number that NumPy's functions, which may round differently
    from the C library's in the last place, tipped over a threshold (``1 - tanh(x)`` to
    0): it takes the values of the pass at one point.
    """
    value = np.array(rows.value)
    grads = [np.array(g) for g in rows.grads]
    failed = None
    for k in bad.tolist():
        point = {i: float(np.broadcast_to(np.asarray(v, dtype=float), (n,))[k])
                 for i, v in leaves.items()}
        try:
            single = evaluate_graph(graph, point)
        except EvaluationError as error:
            failed = (k, error)
            break
        value[k] = single.values[graph.output]
        for g, i in zip(grads, graph.inputs):
            g[k] = single.grads[i]
    return Rows(rows.first_row, rows.inputs, value, grads), failed


class _ZeroGradientsPassNothing:
    """``xp``, with the rows where a node's gradient is exactly 0 passing nothing back."""

    masks_zero_gradients = True

    def __init__(self, xp: Any) -> None:
        self._xp = xp

    def __getattr__(self, name: str) -> Any:
        return getattr(self._xp, name)


def _skip_zero_gradients(graph: Graph, values: list[Any], grads: list[Any], xp: Any,
                         n: int) -> list[Any]:
    """The inputs' gradients as at one point, in the rows where they are not finite.

    At one point, the backward pass skips a node whose gradient is 0, so a local
    derivative that is infinite there (``1/x`` at a tiny ``x`` under a saturated
    ``atan``) never meets it; over a chunk, ``0 * inf`` would make NaN. Those rows only
    (rare: their gradient is not finite) run the backward pass again with the skip.
    """
    if _all_finite([grads[i] for i in graph.inputs]):
        return grads
    bad = np.zeros(n, dtype=bool)
    for i in graph.inputs:
        bad |= ~np.isfinite(np.broadcast_to(grads[i], (n,)))
    rows = np.flatnonzero(bad)
    again = backward(graph, [v[rows] if v.__class__ is np.ndarray and v.ndim == 1 else v
                             for v in values], _ZeroGradientsPassNothing(xp))
    grads = list(grads)
    for i in graph.inputs:
        full = np.array(np.broadcast_to(grads[i], (n,)), dtype=float)
        full[rows] = np.broadcast_to(again[i], (len(rows),))
        grads[i] = full
    return grads


def _all_finite(numbers: Sequence[Any]) -> bool:
    """True when every number is finite; an array shared by several nodes is tested once."""
    seen: set[int] = set()
    for v in numbers:
        if id(v) not in seen:
            seen.add(id(v))
            if not np.isfinite(v).all():
                return False
    return True


def _bad_rows(numbers: Sequence[Any], n: int) -> np.ndarray:
    """The indices of the rows where some number is not finite, in order."""
    if _all_finite(numbers):
        return np.empty(0, dtype=np.intp)
    bad = np.zeros(n, dtype=bool)
    for v in numbers:
        bad |= ~np.broadcast_to(np.isfinite(v), (n,))
    return np.flatnonzero(bad)
