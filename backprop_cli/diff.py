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
    """d output / d input as expressions: the backward pass run over expressions.

    In a program with arrays every input is an expression of its shape (from the
    program's defaults), and the table's vector-Jacobian products build matrix formulas.
    """
    space = symbolic.namespace()
    nodes = graph.nodes
    if graph.arrays:
        leaves = {i: space.symbol(nodes[i].name or "", nodes[i].shape or ())
                  for i in graph.inputs}
    else:
        leaves = {i: space.symbol(nodes[i].name or "") for i in graph.inputs}
    values = forward(graph, leaves, space)
    grads = backward(graph, values, space)
    by_name = {nodes[i].name: i for i in graph.inputs}
    derivatives = {}
    for name in wrt:
        i = by_name[name]
        grad = grads[i]
        if graph.arrays and not isinstance(grad, Expr):  # the output does not reach it
            grad = space.const(0.0, nodes[i].shape or ())
        derivatives[name] = space.lift(grad)
    return SymbolicGradient(output=space.lift(values[graph.output]), derivatives=derivatives)
