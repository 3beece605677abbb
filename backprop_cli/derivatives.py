"""Beyond first gradients: symbolic derivatives, a finite-difference check, the Hessian.

All three rerun the engine's passes over the same graph with another number type:
expressions (``symbolic``) for ``diff``, perturbed points for ``check``, dual numbers
(``dual``) for ``hessian``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from .core import scalar_math
from .core.engine import backward, evaluate_graph, forward
from .core.errors import EvaluationError
from .core.graph import Graph
from .core.numbers import format_number
from .numerics import dual, symbolic
from .numerics.symbolic import Expr

# -- diff ------------------------------------------------------------------------------------


class SymbolicGradient(NamedTuple):
    output: Expr
    derivatives: dict[str, Expr]  # input name -> d output / d input


def symbolic_gradient(graph: Graph, wrt: Sequence[str]) -> SymbolicGradient:
    """d output / d input as expressions: the backward pass run over expressions."""
    space = symbolic.namespace()
    leaves = {i: space.symbol(graph.nodes[i].name or "") for i in graph.inputs}
    values = forward(graph, leaves, space)
    grads = backward(graph, values, space)
    by_name = {graph.nodes[i].name: i for i in graph.inputs}
    return SymbolicGradient(
        output=space.lift(values[graph.output]),
        derivatives={name: space.lift(grads[by_name[name]]) for name in wrt},
    )


# -- check -----------------------------------------------------------------------------------


class CheckRow(NamedTuple):
    name: str
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    status: str  # "ok", "FAIL" or "kink"


def _kinks_at(graph: Graph, values: Sequence[float]) -> bool:
    """Whether any gate sits on a kink at this point (abs/relu at 0, a tie in max/min)."""
    for i, node in enumerate(graph.nodes):
        name = node.op.name
        if name in ("abs", "relu", "sign", "step") and values[node.args[0]] == 0.0:
            return True
        if name in ("max", "min"):
            ties = sum(1 for a in node.args if values[a] == values[i])
            if ties > 1:
                return True
    return False


def gradient_check(graph: Graph, point: Mapping[int, float], tol: float) -> list[CheckRow]:
    """Each input's backprop gradient against a central finite difference."""
    evaluation = evaluate_graph(graph, point)
    at_kink = _kinks_at(graph, evaluation.values)
    out = graph.output
    rows = []
    for i in graph.inputs:
        x = point[i]
        def at(v: float, i: int = i) -> float:
            return forward(graph, {**point, i: v})[out]

        numeric = _central_difference(at, x)
        analytic = evaluation.grads[i]
        abs_error = abs(analytic - numeric)
        scale = max(abs(analytic), abs(numeric))
        rel_error = abs_error / scale if scale else 0.0
        status = "ok" if min(abs_error, rel_error) <= tol else "FAIL"
        if status == "FAIL" and at_kink:
            status = "kink"
        rows.append(CheckRow(graph.nodes[i].name or "", analytic, numeric, abs_error,
                             rel_error, status))
    return rows


def _central_difference(f: Callable[[float], float], x: float) -> float:
    """Central differences at two steps, combined by Richardson extrapolation (error h^4).

    The step starts at the cube root of the machine epsilon times the scale of ``x``
    and shrinks while a side of it leaves the function's domain (sqrt near 0).
    """
    h = 6.0554544523933395e-06 * max(1.0, abs(x))
    for _ in range(60):
        up, down, up2, down2 = f(x + h), f(x - h), f(x + h / 2), f(x - h / 2)
        if all(map(math.isfinite, (up, down, up2, down2))):
            coarse = (up - down) / (2 * h)
            fine = (up2 - down2) / h
            return (4 * fine - coarse) / 3
        # a side left the domain: step well inside the distance to the edge
        h = abs(x) * 1e-3 if x and h > abs(x) * 1e-3 else h / 8
    return math.nan


# -- hessian ---------------------------------------------------------------------------------


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


__all__ = ["gradient_check", "hessian", "scalar_math", "symbolic_gradient"]
