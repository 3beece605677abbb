"""``check``: each input's backprop gradient against a central finite difference."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from .core.engine import evaluate_graph, forward
from .core.graph import Graph
from .core.kinks import kink_at


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


def _inputs_at_kinks(graph: Graph, values: Sequence[float]) -> set[int]:
    """The inputs that feed a gate at a kink or a tie (``kinks.kink_at``: abs or relu at
    0, equal arguments of max, a def at one of its body's) on a path to the output.

    Their derivative there is SPEC §3's choice, not a limit a finite difference could
    confirm, whether or not the two happen to agree. An input that reaches no such gate
    (the gate's branch does not depend on it, or does not reach the output) is checked
    as usual.
    """
    nodes = graph.nodes
    reached = [False] * len(nodes)
    feeds_a_kink = [False] * len(nodes)
    reached[graph.output] = True
    for i in range(graph.output, -1, -1):
        if not reached[i]:
            continue
        node = nodes[i]
        below = feeds_a_kink[i] or (node.op.kink is not None
                                    and kink_at(graph, i, values) is not None)
        for a in node.args:
            reached[a] = True
            if below:
                feeds_a_kink[a] = True
    return {i for i in graph.inputs if feeds_a_kink[i]}


def gradient_check(graph: Graph, point: Mapping[int, float], tol: float) -> list[CheckRow]:
    """Each input's backprop gradient against a central finite difference."""
    evaluation = evaluate_graph(graph, point)
    at_kinks = _inputs_at_kinks(graph, evaluation.values)
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
        # at a kink the table decides, not a disagreement of the two numbers
        passed = min(abs_error, rel_error) <= tol
        status = "kink" if i in at_kinks else ("ok" if passed else "FAIL")
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
