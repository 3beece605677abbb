"""Formulas for nodes: ``(x + y) * z``, printed with the fewest parentheses.

A node's label is its operation applied to its operands, where an operand is shown by
its name if it has one, else by its own label. Labels of long chains would grow without
bound, so an operand whose label is longer than ``INLINE_LIMIT`` is shown as ``#id``,
the id of its row. Everything here is a loop over the graph in order.
"""

from __future__ import annotations

from .graph import Graph, Node
from .numbers import format_number
from .ops import ATOM, INFIX, LEAF, PREFIX, UNARY

INLINE_LIMIT = 60


def _leaf_text(node: Node) -> str:
    if node.name is not None:
        return node.name
    return format_number(node.value if node.value is not None else float("nan"))


def format_operation(op: object, operands: list[tuple[str, int]],
                     parens: tuple[str, str] = ("(", ")")) -> tuple[str, int]:
    """Print ``op`` applied to ``(text, precedence)`` operands; returns text and precedence."""
    opening, closing = parens
    form = op.form  # type: ignore[attr-defined]
    precedence = op.precedence  # type: ignore[attr-defined]
    if form == INFIX:
        (left, left_prec), (right, right_prec) = operands
        if op.right_assoc:  # type: ignore[attr-defined]
            need_left, need_right = precedence + 1, UNARY
        else:
            need_left, need_right = precedence, precedence + 1
        if left_prec < need_left:
            left = f"{opening}{left}{closing}"
        if right_prec < need_right:
            right = f"{opening}{right}{closing}"
        symbol = op.symbol  # type: ignore[attr-defined]
        if symbol == "^":
            return f"{left}^{right}", precedence
        return f"{left} {symbol} {right}", precedence
    if form == PREFIX:
        ((text, operand_prec),) = operands
        if operand_prec <= UNARY:
            text = f"{opening}{text}{closing}"
        return f"{op.symbol}{text}", precedence  # type: ignore[attr-defined]
    return f"{op.name}({', '.join(text for text, _ in operands)})", ATOM  # type: ignore[attr-defined]


def all_labels(graph: Graph) -> list[str]:
    """The label of every node, in one pass."""
    labels: list[str] = []
    precedences: list[int] = []
    nodes = graph.nodes
    for node in nodes:
        op = node.op
        if op.form == LEAF:
            labels.append(_leaf_text(node))
            precedences.append(ATOM)
            continue
        operands = []
        for a in node.args:
            arg = nodes[a]
            if arg.name is not None:
                operands.append((arg.name, ATOM))
            elif len(labels[a]) > INLINE_LIMIT:
                operands.append((f"#{a}", ATOM))
            else:
                operands.append((labels[a], precedences[a]))
        text, prec = format_operation(op, operands)
        labels.append(text)
        precedences.append(prec)
    return labels


def node_label(graph: Graph, node_id: int) -> str:
    """One node's label (computes the labels of its ancestors, in a loop)."""
    sub = Graph(graph.nodes[: node_id + 1], node_id, "", graph.source, graph.needs_grad)
    return all_labels(sub)[node_id]


def operand_texts(graph: Graph, node_id: int) -> list[str]:
    """How each argument of a node is shown in its label: a name, a number or a formula."""
    node = graph.nodes[node_id]
    sub = Graph(graph.nodes[: node_id + 1], node_id, "", graph.source, graph.needs_grad)
    labels = all_labels(sub)
    return [
        graph.nodes[a].name or (labels[a] if len(labels[a]) <= INLINE_LIMIT else f"#{a}")
        for a in node.args
    ]
