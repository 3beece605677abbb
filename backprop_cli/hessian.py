"""``hessian``: the exact matrix of second derivatives, dual numbers through the backward pass."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

from .core.engine import backward, evaluate_graph, forward
from .core.errors import EvaluationError
from .core.graph import Graph
from .core.numbers import format_number
from .numerics import dual


class HessianReport(NamedTuple):
    """What ``hessian`` shows: the inputs' names, the matrix, the output's name."""

    names: list[str]
    matrix: list[list[float]]
    output: str


def hessian(graph: Graph, point: Mapping[int, Any]) -> list[list[float]]:
    """The exact matrix of second derivatives (forward mode over the backward pass).

    For a program with arrays, one row and column per input element (``input_labels``).
    """
    if graph.arrays:
        return _symmetric(_array_columns(graph, point), input_labels(graph))
    evaluate_graph(graph, point)  # domain errors first, with their usual messages
    inputs = graph.inputs
    matrix: list[list[float]] = []
    for j in inputs:
        leaves = {i: dual.Dual(point[i], 1.0 if i == j else 0.0) for i in inputs}
        values = forward(graph, leaves, dual)
        grads = backward(graph, values, dual)
        matrix.append([dual.lift(grads[k]).du for k in inputs])
    names = [graph.nodes[i].name or "" for i in inputs]
    return _symmetric(matrix, names)


def _symmetric(matrix: list[list[float]], names: list[str]) -> list[list[float]]:
    """The matrix checked for finite entries, and averaged with its transpose."""
    size = len(matrix)
    for r in range(size):
        for c in range(size):
            if not math.isfinite(matrix[r][c]):
                raise EvaluationError(
                    f"the second derivative d2/d{names[r]} d{names[c]} is not finite "
                    f"({format_number(matrix[r][c])}) at this point",
                    hint="a gate is not twice differentiable here (a kink, or sqrt at 0)",
                )
    # d2/dxdy from one pass and d2/dydx from another agree up to rounding: average them.
    return [[0.5 * (matrix[r][c] + matrix[c][r]) for c in range(size)] for r in range(size)]


def input_labels(graph: Graph) -> list[str]:
    """The names of the Hessian's rows: each input, or each element of an array input
    (``w[0]``, ``W[1,0]``), in the order of the inputs."""
    from .core.numbers import element_names

    nodes = graph.nodes
    return [label for i in graph.inputs
            for label in element_names(nodes[i].name or "", nodes[i].shape or ())]


def _array_columns(graph: Graph, point: Mapping[int, Any]) -> list[list[float]]:
    """One column per input element: the array backward pass over dual arrays, that
    element seeded with ε, gives the gradient's derivative in its direction."""
    import numpy as np

    from .numerics.dual_tensor import DUAL_POINT, DualArray
    from .numerics.tensor_math import POINT

    evaluate_graph(graph, point, xp=POINT)  # domain errors first, as eval gives them
    inputs = graph.inputs
    nodes = graph.nodes
    shapes = [tuple(nodes[i].shape or ()) for i in inputs]
    columns: list[list[float]] = []
    with np.errstate(all="ignore"):
        for j, shape_j in zip(inputs, shapes):
            for k in range(int(np.prod(shape_j, dtype=int))):
                leaves: dict[int, Any] = {}
                for i, shape in zip(inputs, shapes):
                    seed = np.zeros(shape)
                    if i == j:
                        seed.flat[k] = 1.0
                    value = point[i]
                    leaves[i] = (DualArray(float(value), float(seed)) if not shape
                                 else DualArray(np.asarray(value, dtype=float), seed))
                values = forward(graph, leaves, DUAL_POINT)
                grads = backward(graph, values, DUAL_POINT)
                column: list[float] = []
                for i, shape in zip(inputs, shapes):
                    g = grads[i]
                    du = g.du if isinstance(g, DualArray) else np.zeros(shape)
                    column.extend(np.broadcast_to(du, shape).ravel().tolist())
                columns.append(column)
    return columns
