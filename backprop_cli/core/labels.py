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


def _layout(op: object) -> tuple[int, str, int, int, int]:
    """How ``all_labels`` prints an op: (form, symbol or name, the precedence its left and
    right operands need to go without parentheses, its own precedence)."""
    form = op.form  # type: ignore[attr-defined]
    precedence = op.precedence  # type: ignore[attr-defined]
    if form == LEAF:
        return _LEAF, "", 0, 0, ATOM
    if form == INFIX:
        symbol = op.symbol  # type: ignore[attr-defined]
        if op.right_assoc:  # type: ignore[attr-defined]
            need_left, need_right = precedence + 1, UNARY
        else:
            need_left, need_right = precedence, precedence + 1
        return _INFIX, "^" if symbol == "^" else f" {symbol} ", need_left, need_right, precedence
    if form == PREFIX:
        return _PREFIX, op.symbol, UNARY + 1, 0, precedence  # type: ignore[attr-defined]
    return _CALL, op.name, 0, 0, ATOM  # type: ignore[attr-defined]


_LEAF, _INFIX, _PREFIX, _CALL = range(4)


def all_labels(graph: Graph) -> list[str]:
    """The label of every node, in one pass (what ``format_operation`` prints, node by node).

    ``shown[i]`` is how node ``i`` appears in the labels of the nodes that use it (its
    name, its label, or ``#i`` when the label is too long), and ``ranks[i]`` the
    precedence of that text, so each node costs a few list look-ups.
    """
    labels: list[str] = []
    shown: list[str] = []
    ranks: list[int] = []
    label, show, rank = labels.append, shown.append, ranks.append
    layouts: dict[int, tuple[tuple[int, str, int, int, int], object]] = {}
    numbers: dict[float, str] = {}
    for i, node in enumerate(graph.nodes):
        op = node.op
        known = layouts.get(id(op))
        if known is None:  # the op is kept in the entry, so its id stays its own
            known = layouts[id(op)] = (_layout(op), op)
        form, symbol, need_left, need_right, precedence = known[0]
        if form == _INFIX:
            a, b = node.args
            left, right = shown[a], shown[b]
            if ranks[a] < need_left:
                left = f"({left})"
            if ranks[b] < need_right:
                right = f"({right})"
            text = left + symbol + right
        elif form == _LEAF:
            name = node.name
            if name is not None:
                text = name
            else:  # a number: many constants are the same one (but 0 is not -0)
                value = node.value
                if value:  # not 0 or -0, which print apart, nor an unset value
                    text = numbers.get(value) or numbers.setdefault(value, _leaf_text(node))
                else:
                    text = _leaf_text(node)
        elif form == _PREFIX:
            (a,) = node.args
            text = symbol + (shown[a] if ranks[a] >= need_left else f"({shown[a]})")
        elif symbol in _ARRAY_FORMS:
            text = _array_text(symbol, node, shown, ranks)
        else:
            args = node.args
            if len(args) == 1:
                text = f"{symbol}({shown[args[0]]})"
            else:
                text = f"{symbol}({', '.join([shown[a] for a in args])})"
        label(text)
        name = node.name
        if name is not None:
            show(name)
            rank(ATOM)
        elif len(text) > INLINE_LIMIT:
            show(f"#{i}")
            rank(ATOM)
        else:
            show(text)
            rank(precedence)
    return labels


_ARRAY_FORMS = frozenset({"index", "transpose", "stack", "amax", "amin"})


def subscript_text(subscripts: tuple[int | slice, ...]) -> str:
    """``0``, ``1, 0``, ``0:2``, ``:``: an index node's subscripts as written."""
    parts = []
    for s in subscripts:
        if isinstance(s, slice):
            low = "" if s.start is None else str(s.start)
            high = "" if s.stop is None else str(s.stop)
            parts.append(f"{low}:{high}")
        else:
            parts.append(str(s))
    return ", ".join(parts)


def _array_text(name: str, node: Node, shown: list[str], ranks: list[int]) -> str:
    """``w[0]``, ``A.T``, ``[a, b]``, ``max(x)``: how the array ops are written."""
    args = node.args
    if name == "stack":
        return f"[{', '.join(shown[a] for a in args)}]"
    if name in ("amax", "amin"):
        return f"{name[1:]}({shown[args[0]]})"
    operand = shown[args[0]] if ranks[args[0]] >= ATOM else f"({shown[args[0]]})"
    if name == "transpose":
        return f"{operand}.T"
    return f"{operand}[{subscript_text(node.value)}]"


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
