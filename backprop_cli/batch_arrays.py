"""Many points at once for programs with vectors and matrices: the rows a batch axis.

Every value carries the rows as its LAST axis (``numerics.tensor_math``): a value that
differs by row has the node's shape plus ``(rows,)``, one shared by every row the shape
plus ``(1,)``, and the engine's forward and backward passes run once over all the rows,
as ``vmap`` does, never once a row. An input's per-row value comes from its element
columns (``x[0]``, ``x[1]``; ``W[0,0]``, ``W[0,1]`` ..., row-major), or from a JSON
Lines cell holding nested lists, which the reader spreads into the same element columns.

Output columns are flattened as ``eval``'s CSV and plain outputs flatten arrays
(``core.numbers.element_names``): ``x[0]``, ``value`` (``value[0]`` ... for an array
output), ``d_x[0]``, ``d_W[1,0]``.

Two ways over the rows:

- ``evaluate_array_chunks`` (``eval --at``/``--sweep``): every row's value and every
  row's gradient of every input, shared ones included (``keep_rows=True``);
- ``loss_over_rows`` (training): the output summed over the rows and each parameter's
  gradient of that sum, in the parameter's own shape (``keep_rows=False``, where a
  shared matrix's gradient is one contraction over the rows).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import numpy as np

from .core.engine import backward, backward_arrays, evaluate_graph, forward
from .core.errors import EvaluationError, InputError
from .core.graph import Graph
from .core.numbers import element_names
from .numerics.tensor_math import TensorMath
from .points import element_columns, split_element


def grid_shape(base: str, given: Mapping[tuple[int, ...], str], origin: str
               ) -> tuple[int, ...]:
    """The shape that a full set of element columns spans; exit 2 naming the missing."""
    from .core.names import name_list

    ranks = {len(index) for index in given}
    if len(ranks) > 1:
        raise InputError(f"{origin}: the columns of {base} have different numbers of "
                         f"subscripts ({name_list(sorted(given.values()))})")
    (rank,) = ranks
    shape = tuple(max(index[k] for index in given) + 1 for k in range(rank))
    missing = [name for index, name in zip(itertools.product(*map(range, shape)),
                                           element_names(base, shape)) if index not in given]
    if missing:
        raise InputError(
            f"{origin} gives some elements of {base} but not {name_list(missing, 10)}",
            hint=f"give every element of {base} as a column, or none (then {base} is the "
                 "same in every row: bound, or the program's own)")
    return shape


def header_shapes(header: Sequence[str], origin: str,
                  nested: Mapping[str, tuple[int, ...]] | None = None
                  ) -> dict[str, tuple[int, ...]]:
    """The shapes a file gives arrays, before the program is built: from full sets of
    element columns, and JSON Lines' nested lists (``nested``, as row 1 has them).

    Lenient: a column may name no input; ``plan_array_columns`` checks the inputs'."""
    shapes = dict(nested or {})
    for base, given in element_columns(header).items():
        if base in shapes or base in header:
            continue
        try:
            shapes[base] = grid_shape(base, given, origin)
        except InputError:
            continue
    return shapes


class ArrayPlan(NamedTuple):
    """How an array program reads a file's rows, and what its output rows are named."""

    graph: Graph
    fixed: dict[int, Any]  # the inputs the same in every row (bound, or the program's)
    numbers: list[str]  # the columns read as numbers (element columns, scalar inputs)
    nested: dict[str, tuple[int, ...]]  # JSON Lines cells read as arrays of these shapes
    names: list[str]  # the output's input columns: every input's elements
    value_names: list[str]  # the output's value columns


def plan_array_columns(graph: Graph, values: Mapping[str, Any], header: Sequence[str],
                       origin: str, keep: Sequence[str] = (),
                       nested: Mapping[str, tuple[int, ...]] | None = None,
                       partial: bool = False) -> ArrayPlan:
    """The columns that give inputs, checked against the program's shapes.

    An array input is given by all its element columns (or by one JSON Lines cell of
    nested lists, ``nested``), or by none: then it is bound, or the program's own, and
    the same in every row. ``partial`` (sweeps): some elements may be columns, the
    others keep the input's shared value.
    """
    from .api import bind_inputs, shaped_for
    from .batch import choose_columns
    from .core.names import name_list
    from .core.shapes import describe

    known = set(graph.input_names())
    if partial:  # a sweep's names are the user's: each must be an input or an element
        from .core.names import unknown_name_hint

        for column in header:
            split = split_element(column)
            base = split[0] if split else column
            if base not in known:
                raise InputError(f"{origin}: {base} is not an input of the program",
                                 hint=unknown_name_hint(base, list(known)))
    groups = {base: given for base, given in element_columns(header).items() if base in known}
    nested = {name: shape for name, shape in (nested or {}).items() if name in known}
    for base in [*groups, *nested]:
        if base in groups and (base in header or base in nested):
            raise InputError(f"{origin} gives {base} both whole and as element columns")
        if base in values and not partial:
            raise InputError(f"{base} is given both by {origin} and on the command line")
    shapes = dict(nested)
    if not partial:
        shapes.update((base, grid_shape(base, given, origin)) for base, given in groups.items())
    nodes = graph.nodes
    ids = {nodes[i].name: i for i in graph.inputs}
    for name, shape in shapes.items():
        node = nodes[ids[name]]
        if node.value is not None and node.shape != shape:
            given = (f"columns {name_list(list(groups[name].values()), 4)}" if name in groups
                     else "row 1")
            raise InputError(f"{origin} gives {name} as {describe(shape)} ({given}), but "
                             f"the program uses it as {describe(node.shape)}")
    # the graph for those shapes and the bound arrays', built once more if need be
    probe: dict[str, Any] = {**values, **{name: np.zeros(shape) for name, shape in shapes.items()}}
    graph = shaped_for(graph, probe)
    nodes = graph.nodes
    ids = {nodes[i].name: i for i in graph.inputs}
    if partial:
        for base, given in groups.items():
            shape = nodes[ids[base]].shape or ()
            for index, column in given.items():
                if len(index) != len(shape) or any(k >= n for k, n in zip(index, shape)):
                    raise InputError(
                        f"{origin}: {column} is not an element of {base}, {describe(shape)}",
                        hint=None if shape else f"bind {base} to an array, such as "
                        f"{base}=[0,0]; the sweep then varies one element of it")
    whole = [name for name in header if name in known]
    for name in whole:
        shape = nodes[ids[name]].shape
        if shape and name not in nested:
            raise InputError(
                f"{origin}: the column {name} gives a number per row, but {name} is "
                f"{describe(shape)}",
                hint=f"give its elements as columns {name_list(element_names(name, shape), 4)}")
    element_of = {column: base for base, given in groups.items() for column in given.values()}
    plain = [name for name in header if name not in element_of]
    given_by_file = {name: 0.0 for name in groups if not partial}
    read = choose_columns(graph, plain, {**values, **given_by_file}, origin, keep)
    placeholders = {name: np.zeros(nodes[ids[name]].shape or ()) if nodes[ids[name]].shape
                    else 0.0 for name in [*read, *given_by_file]}
    fixed = bind_inputs(graph, {**values, **placeholders})
    for name in placeholders:
        del fixed[ids[name]]
    numbers = [name for name in read if name not in nested]
    numbers += [column for column in header if column in element_of]
    names = [column for name in graph.input_names()
             for column in element_names(name, nodes[ids[name]].shape or ())]
    value_names = element_names("value", nodes[graph.output].shape or ())
    taken = {*names, *value_names, *(f"d_{name}" for name in names)}
    for name in keep:
        if name in taken:
            raise InputError(f"--keep {name}: the output has a column {name} already")
    return ArrayPlan(graph, fixed, numbers, nested, names, value_names)


def _bound_shape(name: str, values: Mapping[str, Any]) -> tuple[int, ...]:
    from .api import value_shape

    return value_shape(name, values[name]) if name in values else ()


# -- the per-row values ----------------------------------------------------------------------


def row_values(graph: Graph, fixed: Mapping[int, Any], columns: Mapping[str, np.ndarray],
               rows: int) -> dict[int, Any]:
    """Every input's value over ``rows`` rows, the batch axis last.

    ``columns`` holds per-row numbers keyed by an input's name (a scalar input: shape
    ``(rows,)``; an array input: its shape plus ``(rows,)``) or by one element's column
    name (``x[0]``: shape ``(rows,)``); ``fixed`` holds the shared values in their own
    shapes (``api.bind_inputs``), which get a batch axis of 1. The elements no column
    gives come from ``fixed`` (a sweep over one element).
    """
    nodes = graph.nodes
    leaves: dict[int, Any] = {}
    elements_of = {name.partition("[")[0] for name in columns if "[" in name}
    for i in graph.inputs:
        node = nodes[i]
        name = node.name or ""
        shape = node.shape or ()
        if name in columns:
            leaves[i] = np.asarray(columns[name], dtype=float)
            continue
        if not shape:
            value = fixed[i]
            leaves[i] = value if value.__class__ is float else float(value)
            continue
        if name not in elements_of:  # shared by every row
            leaves[i] = np.asarray(fixed[i], dtype=float)[..., None]
            continue
        names = element_names(name, shape)
        given = [(k, columns[column]) for k, column in enumerate(names) if column in columns]
        if len(given) == len(names):
            flat = np.empty((len(names), rows))
        else:
            flat = np.array(np.broadcast_to(np.reshape(fixed[i], (-1, 1)),
                                            (len(names), rows)))
        for k, column in given:
            flat[k] = column
        leaves[i] = flat.reshape((*shape, rows))
    return leaves


def _per_row(value: Any, rows: int) -> np.ndarray:
    """``value`` (the batch axis last, or a float) as elements x rows."""
    if value.__class__ is not np.ndarray or value.ndim == 0:
        return np.full((1, rows), float(value))
    return np.broadcast_to(value.reshape(-1, value.shape[-1]), (value.size // value.shape[-1],
                                                                 rows))


def _row_finite(value: Any, rows: int) -> np.ndarray | bool:
    """Per row, whether every element of ``value`` is finite (a bool: the same in all)."""
    if value.__class__ is not np.ndarray or value.ndim == 0:
        return bool(np.isfinite(value))
    ok: np.ndarray = np.asarray(np.isfinite(value).reshape(-1, value.shape[-1]).all(axis=0))
    return bool(ok[0]) if ok.shape[0] != rows else ok


def _bad_rows(numbers: Sequence[Any], rows: int) -> np.ndarray:
    good = np.ones(rows, dtype=bool)
    seen: set[int] = set()
    for v in numbers:
        if id(v) in seen:
            continue
        seen.add(id(v))
        ok = _row_finite(v, rows)
        if ok is True:
            continue
        good &= ok
    return np.flatnonzero(~good)


def _point(leaves: Mapping[int, Any], k: int) -> dict[int, Any]:
    """Row ``k`` of the leaves, each value in its own shape (floats for scalars)."""
    point: dict[int, Any] = {}
    for i, v in leaves.items():
        if v.__class__ is not np.ndarray or v.ndim == 0:
            point[i] = float(v)
            continue
        row = v[..., k if v.shape[-1] > 1 else 0]
        point[i] = float(row) if row.ndim == 0 else np.array(row)
    return point


class _Table(NamedTuple):
    inputs: list[np.ndarray]  # elements x rows, per input
    value: np.ndarray  # elements x rows
    grads: list[np.ndarray]


def _table(graph: Graph, leaves: Mapping[int, Any], values: Sequence[Any],
           grads: Sequence[Any], rows: int) -> _Table:
    return _Table([_per_row(leaves[i], rows) for i in graph.inputs],
                  _per_row(values[graph.output], rows),
                  [_per_row(grads[i], rows) for i in graph.inputs])


def evaluate_array_chunks(graph: Graph, fixed: Mapping[int, Any], chunks: Iterable[Any],
                          *, allow_nonfinite: bool = False, origin: str = "the points",
                          ties: str = "first") -> Iterator[Any]:
    """Forward and backward over each chunk at once; a non-finite number names its row.

    Yields ``batch.Rows`` whose columns are every input's elements (row-major), the
    output's elements and every input's gradient's elements. A row with a number that
    is not finite is evaluated again at one point (``tensor_math.POINT``), which names the
    node and the element; the rows before it are yielded first.
    """
    from .batch import Rows
    from .numerics import ties as tie_rules
    from .numerics.tensor_math import POINT

    xp = tie_rules.namespace(TensorMath(rows=True, keep_rows=True), ties)
    point_xp = tie_rules.namespace(POINT, ties)
    inputs = graph.inputs
    gates = [i for i, node in enumerate(graph.nodes) if not node.op.is_leaf]
    for chunk in chunks:
        n = chunk.rows
        leaves = row_values(graph, fixed, chunk.columns, n)
        with np.errstate(all="ignore"):
            values = forward(graph, leaves, xp)
            grads = backward(graph, values, xp)
            bad = np.empty(0, dtype=np.intp) if allow_nonfinite else _bad_rows(
                [*(values[i] for i in gates), *(grads[i] for i in inputs)], n)
        table = _table(graph, leaves, values, grads, n)
        kept = list((chunk.kept or {}).values())
        failed: tuple[int, EvaluationError] | None = None
        if len(bad):
            value = np.array(table.value)
            grad_rows = [np.array(g) for g in table.grads]
            for k in bad.tolist():
                try:
                    single = evaluate_graph(graph, _point(leaves, k), xp=point_xp)
                except EvaluationError as error:
                    failed = (k, error)
                    break
                value[:, k] = _per_row(single.values[graph.output], 1)[:, 0]
                for g, i in zip(grad_rows, inputs):
                    g[:, k] = _per_row(single.grads[i], 1)[:, 0]
            table = _Table(table.inputs, value, grad_rows)
        end = n if failed is None else failed[0]
        if end:
            yield Rows(chunk.first_row,
                       [e[:end] for t in table.inputs for e in t],
                       table.value[0, :end] if len(table.value) == 1 else table.value[:, :end].T,
                       [e[:end] for t in table.grads for e in t],
                       [c[:end] for c in kept])
        if failed is not None:
            k, problem = failed
            problem.message = f"{origin}, row {chunk.first_row + k:,}: {problem.message}"
            raise problem


# -- training: the loss summed over rows, and its gradient ------------------------------------


class OverRows(NamedTuple):
    """The output summed over the rows, its gradient, and every node's value."""

    loss: float  # the sum over the rows of the output (a scalar per row)
    grads: list[Any]  # d loss / d parameter, in each parameter's own shape (a float for ())
    values: list[Any]  # every node's value over the rows, the batch axis last


def loss_over_rows(graph: Graph, leaves: Mapping[int, Any], params: Sequence[int], rows: int,
                   *, ties: str = "first") -> OverRows:
    """Forward and backward once over ``rows`` rows, a parameter's gradient summed over them.

    ``leaves`` maps every input node id to its value: per row, the batch axis last
    (``row_values`` makes them from data columns: a scalar ``(rows,)``, a vector
    ``(n, rows)``), or shared by every row in its own shape (a float, or an ndarray of
    the node's shape; a parameter is shared). ``params`` are the input ids whose
    gradients are wanted: ``grads[k]`` is d(sum over rows of the output) / d params[k],
    in that input's shape. Runs in ``TensorMath(rows=True, keep_rows=False)``, where the
    gradient of a shared matrix in ``W @ x`` is one contraction over the rows. Numbers
    that are not finite are let through (the caller tests ``loss`` and ``grads``; the
    rows' own evaluation, ``evaluate_array_chunks``, names the first bad row). The
    output must be a scalar per row; divide by ``rows`` for the mean.

    Signature: ``loss_over_rows(graph, leaves, params, rows, *, ties="first") -> OverRows``.
    """
    from .numerics import ties as tie_rules

    nodes = graph.nodes
    if nodes[graph.output].shape:
        from .core.shapes import describe

        raise InputError(f"the loss must be a number per row, but the output "
                         f"{graph.output_name} is {describe(nodes[graph.output].shape)}")
    xp = tie_rules.namespace(TensorMath(rows=True, keep_rows=False), ties)
    lifted: dict[int, Any] = {}
    for i, v in leaves.items():
        lifted[i] = _lift_shared(v, nodes[i].shape or (), rows)
    with np.errstate(all="ignore"):
        values = forward(graph, lifted, xp)
        # seeded with a 1 per row: a term that no row's data reaches counts once a row
        grads = backward_arrays(graph, values, xp, seed=np.ones(rows))
        loss = values[graph.output]
        total = float(np.sum(loss)) if loss.__class__ is np.ndarray else float(loss) * rows
    out: list[Any] = []
    for i in params:
        g = grads[i]
        shape = nodes[i].shape or ()
        if not shape:
            out.append(float(np.sum(g)))
            continue
        g = np.asarray(g, dtype=float)
        if g.shape != shape:  # shape + (1,), summed over the rows already
            g = np.sum(np.broadcast_to(g, (*shape, g.shape[-1])), axis=-1)
        out.append(g)
    return OverRows(total, out, values)


def _lift_shared(value: Any, shape: tuple[int, ...], rows: int) -> Any:
    """A shared value in its own shape given a batch axis of 1; per-row values as given."""
    if value.__class__ is not np.ndarray:
        return float(value)
    if not shape:
        return value if value.ndim else float(value)
    if value.shape == shape:
        return value[..., None]
    return value
