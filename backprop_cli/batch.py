"""Many points at once: the same graph evaluated over NumPy arrays, a chunk of rows at a time.

The rows come from ``points`` (CSV, JSON Lines or sweeps). Each chunk is one forward and
one backward pass with ``array_math``, from the same table of rules as a single point;
memory stays flat however many rows come in. A non-finite number at some row is an error
naming the first such row, found again with the scalar engine so the message names the
node and the reason exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from .core.engine import backward, evaluate_graph, forward
from .core.errors import EvaluationError, InputError
from .core.graph import Graph
from .numerics import array_math
from .points import Chunk

# -- evaluation ------------------------------------------------------------------------------


def bind_columns(graph: Graph, values: Mapping[str, float], columns: Sequence[str],
                 origin: str) -> dict[int, float]:
    """Input node id -> fixed value for the inputs no column gives; columns checked.

    A column must be an input, and an input is given by a column or a binding, not both.
    """
    from .api import bind_inputs
    from .core.names import unknown_name_hint

    names = graph.input_names()  # once: it walks the whole graph
    inputs = set(names)
    for name in columns:
        if name in values:
            raise InputError(f"{name} is given both by {origin} and on the command line")
        if name not in inputs:
            raise InputError(f"{origin}: {name} is not an input of the program",
                             hint=unknown_name_hint(name, names))
    return bind_inputs(graph, {**values, **dict.fromkeys(columns, 0.0)})


def choose_columns(graph: Graph, header: Sequence[str], bound: Mapping[str, float],
                   origin: str, keep: Sequence[str] = ()) -> list[str]:
    """The columns of a data file read as numbers: the ones that name inputs.

    The other columns are not read (a data file may have an ``id`` or a ``label``),
    except the ``keep`` ones, copied verbatim into the output. An input that neither a
    column, ``bound`` nor the program gives is an error naming the file's columns.
    """
    from .core.names import name_list, suggest

    inputs = graph.input_names()
    known = set(inputs)
    numbers = [name for name in header if name in known]
    if any("[" in name for name in header):
        _no_elements_of_scalars(graph, header, origin)
    counts: dict[str, int] = {}
    for name in header:
        counts[name] = counts.get(name, 0) + 1
    output_names = {"value", *(f"d_{name}" for name in inputs)}
    for name in keep:
        if name not in counts:
            raise InputError(f"--keep {name}: {origin} has no column {name!r}",
                             hint=suggest(name, list(counts))
                             or f"its columns are {name_list(list(header))}")
        if name in known:
            raise InputError(f"--keep {name}: {name} is an input, in every row already")
        if name in output_names:
            raise InputError(f"--keep {name}: the output has a column {name} already")
    for name in [*numbers, *keep]:
        if counts[name] > 1:
            raise InputError(f"{origin}: the column {name} appears twice")
    given = set(numbers) | set(bound)
    nodes = graph.nodes
    missing = [graph.nodes[i].name or "" for i in graph.inputs
               if nodes[i].name not in given and nodes[i].value is None]
    if missing:
        unused = [name for name in header if name not in known and name not in keep]
        near = next(filter(None, (suggest(name, unused) for name in missing)), None)
        plural = "s" if len(missing) > 1 else ""
        raise InputError(
            f"{origin} has no column{plural} {name_list(missing)}, and no value is bound "
            f"for {'them' if plural else 'it'}",
            hint=near or (f"its columns are {name_list(list(header))}" if header
                          else f"bind {'them' if plural else 'it'}: "
                          + " ".join(f"{m}=VALUE" for m in missing[:5])))
    return numbers


def _no_elements_of_scalars(graph: Graph, header: Sequence[str], origin: str) -> None:
    """Element columns (``x[0]``) of an input the program has as a scalar: an error."""
    from .core.names import name_list
    from .points import element_columns

    nodes = graph.nodes
    shapes = {nodes[i].name: nodes[i].shape for i in graph.inputs}
    for base, given in element_columns(header).items():
        if base in shapes and not shapes[base]:
            raise InputError(
                f"{origin}: {base} is a scalar, but the columns "
                f"{name_list(sorted(given.values()), 4)} give elements of an array",
                hint=f"the program assigns {base} a number" if nodes[graph.names[base]].value
                is not None else None)


class BatchReport(NamedTuple):
    """What batch output shows: the inputs' names and the evaluated chunks, as they come;
    first in each row, the columns of the data file kept verbatim (``kept``).

    For an array program the names are the inputs' elements (``x[0]``, ``W[1,0]``) and
    ``value_names`` the output's (``value[0]`` ... for an array output)."""

    names: list[str]
    rows: Iterable[Rows]
    kept: Sequence[str] = ()
    value_names: Sequence[str] = ("value",)


class Rows(NamedTuple):
    """One evaluated chunk: every input's column, the value, every input's gradient.

    For an array program: a column per element of each input and of each gradient, and
    ``value`` rows x elements when the output is an array."""

    first_row: int
    inputs: list[np.ndarray]
    value: np.ndarray
    grads: list[np.ndarray]
    kept: Sequence[Sequence[Any]] = ()  # per kept column, its cells as read


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
    inputs = graph.inputs  # once: it walks the whole graph
    ids = {graph.nodes[i].name: i for i in inputs}
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
                [*(values[i] for i in gates), *(grads[i] for i in inputs)], n)
        rows = Rows(
            chunk.first_row,
            [np.broadcast_to(np.asarray(leaves[i], dtype=float), (n,)) for i in inputs],
            np.broadcast_to(np.asarray(values[graph.output], dtype=float), (n,)),
            [np.broadcast_to(np.asarray(grads[i], dtype=float), (n,)) for i in inputs],
            list((chunk.kept or {}).values()),
        )
        if len(bad):
            rows, failed = _at_one_point(graph, leaves, rows, bad, n)
            if failed is not None:
                k, error = failed
                if k:  # the rows before it first, whatever the chunks
                    yield Rows(rows.first_row, [c[:k] for c in rows.inputs], rows.value[:k],
                               [g[:k] for g in rows.grads], [c[:k] for c in rows.kept])
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
    return Rows(rows.first_row, rows.inputs, value, grads, rows.kept), failed


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
