"""Helpers for the tests: fully parenthesized printing, finite differences."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from backprop_cli import evaluate
from backprop_cli.core.graph import Graph


def parenthesized(graph: Graph, node_id: int | None = None) -> str:
    """The tree under a node with every operation in parentheses (small graphs only)."""
    node_id = graph.output if node_id is None else node_id
    node = graph.nodes[node_id]
    op = node.op
    if op.is_leaf:
        if node.name is not None:
            return node.name
        return repr(node.value).removesuffix(".0")
    parts = [parenthesized(graph, a) for a in node.args]
    if op.form == "infix":
        return f"({parts[0]} {op.symbol} {parts[1]})"
    if op.form == "prefix":
        return f"({op.symbol}{parts[0]})"
    return f"{op.name}({', '.join(parts)})"


def central_difference(f: Callable[[float], float], x: float) -> float:
    """d f / d x by a central difference with a step scaled to x."""
    h = 1e-6 * max(1.0, abs(x))
    return (f(x + h) - f(x - h)) / (2 * h)


def numeric_gradient(program: str, point: Mapping[str, float]) -> dict[str, float]:
    """d output / d input for every bound input, by central differences."""
    result = {}
    for name, value in point.items():
        def at(v: float, name: str = name) -> float:
            return evaluate(program, {**point, name: v}).value

        result[name] = central_difference(at, value)
    return result


def close(a: float, b: float, rel: float = 1e-5, abs_tol: float = 1e-6) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol)
