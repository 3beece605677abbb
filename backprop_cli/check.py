"""``check``: each input's backprop gradient against a central finite difference."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from .core.engine import evaluate_graph, forward
from .core.graph import Graph


class CheckReport(NamedTuple):
    """What ``check`` shows: a row per input, the tolerance, the output's name."""

    rows: list[CheckRow]
    tol: float
    output: str


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
