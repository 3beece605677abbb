"""``diff``: derivatives as formulas, the backward pass run over expressions."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from .core.engine import backward, forward
from .core.graph import Graph
from .numerics import symbolic
from .numerics.symbolic import Expr


class DiffReport(NamedTuple):
    """What ``diff`` shows: the gradient's formulas, as lines, alone, or as a program."""

    graph: Graph
    gradient: SymbolicGradient
    as_program: bool = False  # a straight-line program with shared subexpressions named
    bare: bool = False  # the one formula alone


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
