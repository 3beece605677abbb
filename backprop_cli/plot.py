"""What ``plot`` draws: the output and its derivative along one swept input, or the output
over a grid of two (``sweep_surface``), with data points on top (``read_overlay``).

A picture shows a few thousand points across at most, so the sweep is evaluated a chunk
at a time and each series is decimated as it comes: the points are split into runs of
neighbours, one per pixel column of the picture when the caller says how x maps to its
columns (else ``BINS`` runs, a fraction of a pixel column each), and each run keeps its
first and last point and its lowest and highest, in sweep order. Drawn as a line, that
covers the same pixels as every point, and memory stays flat whatever the count.

Over ``MAX_EVALUATED`` points, an evenly spaced grid of that many points over the same
range is evaluated instead: a thousand and more a pixel column of the largest picture,
and a bounded time for any sweep.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import IO, Any, NamedTuple

import numpy as np

from .api import shaped_for
from .batch import Rows, bind_columns, evaluate_chunks
from .core.errors import EvaluationError, InputError, Remedy
from .core.graph import Graph
from .core.names import input_ids, unknown_name_hint
from .points import CHUNK_ROWS, Chunk, Sweep, sweep_chunks

BINS = 4096  # runs of neighbouring points per series: a few per pixel column of any picture
KEEP_ALL = 4 * BINS  # up to this many points, every one is kept
MAX_EVALUATED = 1 << 20  # points evaluated at most; over that, a grid of this many


class Series(NamedTuple):
    """Points of one curve, in sweep order."""

    xs: np.ndarray
    ys: np.ndarray


class Curve(NamedTuple):
    """The value and the derivative along the sweep, and what the picture needs besides."""

    value: Series
    slope: Series
    others: list[tuple[str, float]]  # the other inputs and the values they were held at
    x_range: tuple[float, float]  # the sweep's range, low to high
    evaluated: int  # points evaluated (the sweep's count, or MAX_EVALUATED)


class _Extremes:
    """Per run of neighbours: the first and last point, and the lowest and highest of one
    series (values or slopes), each with its position in the sweep."""

    def __init__(self) -> None:
        roles = ("first", "last", "low", "high")
        self.at = {role: np.zeros(0, dtype=np.int64) for role in roles}
        self.x = {role: np.zeros(0) for role in roles}
        self.y = {role: np.zeros(0) for role in roles}

    def _grow(self, size: int) -> None:
        more = size - len(self.at["first"])
        if more > 0:
            for role in self.at:
                self.at[role] = np.r_[self.at[role], np.full(more, -1, dtype=np.int64)]
                self.x[role] = np.r_[self.x[role], np.zeros(more)]
                self.y[role] = np.r_[self.y[role], np.zeros(more)]

    def add(self, bins: np.ndarray, where: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> None:
        """Points in sweep order; ``bins`` (non-negative, monotonic) numbers their runs."""
        if not len(bins):
            return
        self._grow(int(bins.max()) + 1)
        starts = np.flatnonzero(np.r_[True, bins[1:] != bins[:-1]])
        ends = np.r_[starts[1:], len(bins)] - 1
        runs = bins[starts]
        lengths = ends - starts + 1
        index = np.arange(len(bins))
        low = np.minimum.reduceat(ys, starts)
        high = np.maximum.reduceat(ys, starts)
        # the first point of each run at its lowest (highest) value
        first_low = np.minimum.reduceat(np.where(ys == np.repeat(low, lengths), index,
                                                 len(bins)), starts)
        first_high = np.minimum.reduceat(np.where(ys == np.repeat(high, lengths), index,
                                                  len(bins)), starts)
        unset = self.at["first"][runs] < 0
        self._put("first", runs[unset], starts[unset], where, xs, ys)
        self._put("last", runs, ends, where, xs, ys)
        lower = unset | (low < self.y["low"][runs])
        self._put("low", runs[lower], first_low[lower], where, xs, ys)
        higher = unset | (high > self.y["high"][runs])
        self._put("high", runs[higher], first_high[higher], where, xs, ys)

    def _put(self, role: str, runs: np.ndarray, picks: np.ndarray, where: np.ndarray,
             xs: np.ndarray, ys: np.ndarray) -> None:
        self.at[role][runs] = where[picks]
        self.x[role][runs] = xs[picks]
        self.y[role][runs] = ys[picks]

    def series(self) -> Series:
        at = np.concatenate([self.at[r] for r in self.at])
        xs = np.concatenate([self.x[r] for r in self.at])
        ys = np.concatenate([self.y[r] for r in self.at])
        _, keep = np.unique(at, return_index=True)  # sorted by position, each point once
        keep = keep[at[keep] >= 0]
        return Series(xs[keep], ys[keep])


class _Everything:
    """Every point of one series (no decimation)."""

    def __init__(self) -> None:
        self.xs: list[np.ndarray] = []
        self.ys: list[np.ndarray] = []

    def add(self, bins: np.ndarray, where: np.ndarray, xs: np.ndarray, ys: np.ndarray) -> None:
        self.xs.append(xs.copy())
        self.ys.append(ys.copy())

    def series(self) -> Series:
        return Series(np.concatenate(self.xs), np.concatenate(self.ys))


def sweep_curve(graph: Graph, values: Mapping[str, float], axis: Sweep, *,
                allow_nonfinite: bool = False,
                columns: Callable[[np.ndarray], np.ndarray] | None = None,
                bins: int | None = BINS) -> Curve:
    """The output and d output / d ``axis.name`` along the sweep, decimated to one run of
    points per pixel column (``columns`` maps x values to the picture's columns), or to
    ``bins`` runs of neighbours (None, and no ``columns``: every point).

    Points where either is not finite are left out (with ``allow_nonfinite``; without
    it the first one is an error); fewer than 2 finite points is an error.
    """
    names = graph.input_names()
    if axis.name not in names:
        raise InputError(f"--sweep {axis.name}: the program has no input named '{axis.name}'",
                         hint=unknown_name_hint(axis.name, names))
    if axis.name in values:
        raise InputError(f"{axis.name} is both swept and bound on the command line")
    graph = shaped_for(graph, values)
    fixed = bind_columns(graph, values, [axis.name], "--sweep")
    grid, origin = axis, "--sweep"
    if axis.count > MAX_EVALUATED:
        grid = axis._replace(count=MAX_EVALUATED)
        origin = f"--sweep (drawn from {MAX_EVALUATED:,} evenly spaced points)"
    total = grid.count
    decimate = (columns is not None or bins is not None) and total > KEEP_ALL
    size = (bins or BINS) if columns is None else None
    k = names.index(axis.name)
    finite = 0
    value = slope = None
    for rows in _evaluated(graph, fixed, grid, allow_nonfinite, origin):
        xs, ys, ds = rows.inputs[k], rows.value, rows.grads[k]
        where = np.arange(rows.first_row - 1, rows.first_row - 1 + len(xs), dtype=np.int64)
        keep = np.isfinite(ys) & np.isfinite(ds)
        if not keep.all():
            xs, ys, ds, where = xs[keep], ys[keep], ds[keep], where[keep]
        finite += len(xs)
        if not decimate:
            runs = where
        elif columns is None:
            runs = where * (size or BINS) // total
        else:  # in sweep order the columns only go one way (a last bit of rounding aside)
            runs = columns(xs).astype(np.int64)
            runs = (np.maximum.accumulate(runs) if axis.stop >= axis.start
                    else -np.maximum.accumulate(-runs))
        if value is None or slope is None:
            value = _Extremes() if decimate else _Everything()
            slope = _Extremes() if decimate else _Everything()
        value.add(runs, where, xs, ys)
        slope.add(runs, where, xs, ds)
    if finite < 2:
        raise EvaluationError("fewer than 2 points of the sweep are finite: nothing to draw")
    others = [(graph.nodes[i].name or "", fixed[i]) for i in graph.inputs
              if graph.nodes[i].name != axis.name]
    low, high = sorted((axis.start, axis.stop))
    assert value is not None and slope is not None
    return Curve(value.series(), slope.series(), others, (low, high), total)


def _evaluated(graph: Graph, fixed: Mapping[int, float], grid: Sweep, allow_nonfinite: bool,
               origin: str) -> Iterator[Rows]:
    chunks = sweep_chunks([grid], CHUNK_ROWS)
    if graph.arrays:
        yield from array_chunks(graph, fixed, chunks, allow_nonfinite, origin, True)
        return
    yield from evaluate_chunks(graph, fixed, chunks, allow_nonfinite=allow_nonfinite,
                               origin=origin)


def array_chunks(graph: Graph, fixed: Mapping[int, Any], chunks: Iterable[Chunk],
                 allow_nonfinite: bool, origin: str, gradients: bool) -> Iterator[Rows]:
    """A program with arrays over each chunk of swept scalar inputs: the array engine
    with the rows on the last axis (``TensorMath(rows=True)``), the other inputs shared.
    ``Rows.inputs`` and ``Rows.grads`` hold the swept inputs' columns and gradients (None
    for the others); the gradients only when asked for."""
    from .core.engine import backward, forward
    from .numerics.tensor_math import TensorMath

    xp = TensorMath(rows=True, keep_rows=True)
    names = graph.input_names()
    ids = input_ids(graph)
    shared = {i: v[..., None] if v.__class__ is np.ndarray else v for i, v in fixed.items()}
    for chunk in chunks:
        leaves = dict(shared)
        for name, column in chunk.columns.items():
            leaves[ids[name]] = column
        n = chunk.rows
        with np.errstate(all="ignore"):
            values = forward(graph, leaves, xp)
            grads = backward(graph, values, xp) if gradients else None
        value = np.broadcast_to(np.reshape(values[graph.output], (-1,)), (n,))
        swept = [ids[name] if name in chunk.columns else -1 for name in names]
        inputs = [chunk.columns[name] if i >= 0 else None for name, i in zip(names, swept)]
        slopes = [np.broadcast_to(np.reshape(grads[i], (-1,)), (n,)) if i >= 0 and grads
                  else None for i in swept]
        if not allow_nonfinite:
            bad = ~np.isfinite(value)
            for g in slopes:
                if g is not None:
                    bad |= ~np.isfinite(g)
            if bad.any():
                row = chunk.first_row + int(np.argmax(bad))
                what = "value" if not np.isfinite(value[row - chunk.first_row]) else \
                    "gradient"
                raise EvaluationError(
                    f"the {what} of {graph.output_name} is not finite at row {row:,} of "
                    f"{origin}", remedy=Remedy("allow_nonfinite"))
        yield Rows(chunk.first_row, inputs, value, slopes)  # type: ignore[arg-type]


# -- two inputs: a surface --------------------------------------------------------------------
MAX_SURFACE = 1 << 20  # grid points evaluated at most; a finer grid is evaluated coarser


class Surface(NamedTuple):
    """The output over the grid of two sweeps: ``z[i, j]`` at ``(xs[i], ys[j])``, NaN
    where it is not finite (with ``allow_nonfinite``)."""

    xs: np.ndarray
    ys: np.ndarray
    z: np.ndarray
    x_name: str
    y_name: str
    others: list[tuple[str, float]]


class Points(NamedTuple):
    """Data points drawn over a surface: their two coordinates, and a value each that
    colours them (``None``: one colour)."""

    xs: np.ndarray
    ys: np.ndarray
    colors: np.ndarray | None
    color_name: str | None


def sweep_surface(graph: Graph, values: Mapping[str, float], x_axis: Sweep, y_axis: Sweep,
                  *, allow_nonfinite: bool = False) -> Surface:
    """The output over the grid of two sweeps, one batch evaluation of every point (the
    first sweep along x). Over ``MAX_SURFACE`` points, a grid as fine as that allows.

    Only the statements up to the output are evaluated, so an output picked with
    ``--output`` (a classifier's ``score``) needs no value for inputs read only after it
    (the label ``y`` of its loss)."""
    graph = up_to_output(shaped_for(graph, values))
    values = {name: value for name, value in values.items() if name in graph.names}
    names = graph.input_names()
    for axis in (x_axis, y_axis):
        if axis.name not in names:
            raise InputError(f"--sweep {axis.name}: the program has no input named "
                             f"'{axis.name}'", hint=unknown_name_hint(axis.name, names))
        if axis.name in values:
            raise InputError(f"{axis.name} is both swept and bound on the command line")
    if x_axis.name == y_axis.name:
        raise InputError(f"{x_axis.name} is swept twice")
    fixed = bind_columns(graph, values, [x_axis.name, y_axis.name], "--sweep")
    total = x_axis.count * y_axis.count
    if total > MAX_SURFACE:
        shrink = (MAX_SURFACE / total) ** 0.5
        x_axis = x_axis._replace(count=max(2, int(x_axis.count * shrink)))
        y_axis = y_axis._replace(count=max(2, int(y_axis.count * shrink)))
    z = np.empty(x_axis.count * y_axis.count)
    finite = 0
    chunks = sweep_chunks([x_axis, y_axis], CHUNK_ROWS)
    evaluated = (array_chunks(graph, fixed, chunks, allow_nonfinite, "--sweep", False)
                 if graph.arrays else
                 evaluate_chunks(graph, fixed, chunks, allow_nonfinite=allow_nonfinite,
                                 origin="--sweep"))
    for rows in evaluated:
        value = np.where(np.isfinite(rows.value), rows.value, np.nan)
        z[rows.first_row - 1:rows.first_row - 1 + len(value)] = value
        finite += int(np.isfinite(value).sum())
    if finite < 2:
        raise EvaluationError("fewer than 2 points of the grid are finite: nothing to draw")
    xs = next(sweep_chunks([x_axis], x_axis.count)).columns[x_axis.name]
    ys = next(sweep_chunks([y_axis], y_axis.count)).columns[y_axis.name]
    others = [(graph.nodes[i].name or "", fixed[i]) for i in graph.inputs
              if graph.nodes[i].name not in (x_axis.name, y_axis.name)]
    return Surface(xs, ys, z.reshape(x_axis.count, y_axis.count), x_axis.name, y_axis.name,
                   others)


def up_to_output(graph: Graph) -> Graph:
    """The graph without the nodes after its output (which it never reads)."""
    out = graph.output
    if out == len(graph.nodes) - 1:
        return graph
    return graph._replace(nodes=graph.nodes[:out + 1], needs_grad=graph.needs_grad[:out + 1],
                          names={k: v for k, v in graph.names.items() if v <= out})


def read_overlay(path: str, x_name: str, y_name: str, color: str | None,
                 stdin: IO[bytes] | None = None) -> Points:
    """The points of a data file to draw over a surface: its columns named as the two
    swept inputs, and the ``color`` column."""
    from .core.names import name_list, suggest
    from .points import read_points

    points = read_points(path, stdin)
    wanted = [x_name, y_name, *([color] if color is not None else [])]
    for name in wanted:
        if name not in points.header:
            raise InputError(f"--points {points.origin} has no column {name!r}",
                             hint=suggest(name, points.header)
                             or f"its columns are {name_list(points.header)}")
    chunks = list(points.chunks(list(dict.fromkeys(wanted))))
    if not chunks:
        raise InputError(f"--points {points.origin} has no rows")
    column = {name: np.concatenate([c.columns[name] for c in chunks]) for name in wanted}
    return Points(column[x_name], column[y_name],
                  column[color] if color is not None else None, color)
