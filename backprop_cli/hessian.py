"""``hessian``: the exact matrix of second derivatives, dual numbers through the backward pass."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

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


def hessian(graph: Graph, point: Mapping[int, float]) -> list[list[float]]:
    """The exact matrix of second derivatives (forward mode over the backward pass)."""
    evaluate_graph(graph, point)  # domain errors first, with their usual messages
    inputs = graph.inputs
    matrix: list[list[float]] = []
    for j in inputs:
        leaves = {i: dual.Dual(point[i], 1.0 if i == j else 0.0) for i in inputs}
        values = forward(graph, leaves, dual)
        grads = backward(graph, values, dual)
        matrix.append([dual.lift(grads[k]).du for k in inputs])
    size = len(inputs)
    names = [graph.nodes[i].name for i in inputs]
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
