"""What a picture of the graph shows: gates in the tutorials' notation, and their wires.

A gate with one constant operand is drawn as a unary gate carrying the constant, as the
tutorials draw circuits (``+1``, ``*-1``, ``1/x``, ``^2``), and the constant is not
drawn as a node of its own. Everything here is a loop over the graph: no recursion.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from ..core.blocks import Block
from ..core.graph import Graph
from ..core.labels import all_labels
from ..core.numbers import format_number, shown
from ..core.ops import CONST, INPUT


class Picture(NamedTuple):
    """A graph to draw, with values and gradients when it was evaluated at a point."""

    graph: Graph
    values: Sequence[float] | None = None
    grads: Sequence[float] | None = None
    layout: str = "auto"  # Graphviz's engine: dot, sfdp, or auto (dot while it is quick)

    @property
    def evaluated(self) -> bool:
        return self.values is not None


class Gate(NamedTuple):
    """One drawn node: its text, its kind, and the ids of the nodes wired into it."""

    node: int
    text: str
    kind: str  # "input", "const", "gate", "block", "named"
    wires: tuple[int, ...]


def _is_const(graph: Graph, node_id: int) -> bool:
    node = graph.nodes[node_id]
    return node.op is CONST and node.name is None


def _const_text(graph: Graph, node_id: int) -> str:
    value = graph.nodes[node_id].value
    if value is not None and value.__class__ is not float:  # an array constant
        return format_number(value)
    return format_number(value or 0.0)


# The tensor ops drawn as they are written: an array literal, A.T, max(x) of one array.
_ARRAY_GATES = {"stack": "[ ]", "transpose": ".T", "amax": "max", "amin": "min"}


def gate_text(graph: Graph, node_id: int) -> tuple[str, tuple[int, ...]]:
    """The text of a gate and the operands drawn as wires (constants folded in)."""
    node = graph.nodes[node_id]
    op = node.op
    args = node.args
    name = op.name
    if name == "neg":
        return "*-1", args
    if len(args) == 2 and name in ("add", "sub", "mul", "div", "pow"):
        a, b = args
        const_a, const_b = _is_const(graph, a), _is_const(graph, b)
        if const_b and not const_a:
            return f"{op.symbol}{_const_text(graph, b)}", (a,)
        if const_a and not const_b:
            c = _const_text(graph, a)
            if name == "add":
                return f"+{c}", (b,)
            if name == "mul":
                return f"*{c}", (b,)
            if name == "div":
                return f"{c}/x", (b,)
            if name == "sub":
                return f"{c}-x", (b,)
            return f"{c}^x", (b,)
    if name in _ARRAY_GATES:
        return _ARRAY_GATES[name], args
    if name == "index":
        from ..core.labels import subscript_text

        return f"[{subscript_text(node.value)}]", args
    if op.form == "infix":
        return op.symbol, args
    if op.form == "prefix":
        return op.symbol, args
    return op.display, args


def gates(graph: Graph) -> list[Gate]:
    """The nodes to draw, in graph order; constants folded into gates are left out."""
    drawn: list[Gate] = []
    folded: set[int] = set()
    consumers = [0] * len(graph.nodes)
    texts: list[tuple[str, tuple[int, ...]] | None] = [None] * len(graph.nodes)
    for i, node in enumerate(graph.nodes):
        if node.op.is_leaf:
            continue
        text, wires = gate_text(graph, i)
        texts[i] = (text, wires)
        for a in node.args:
            if a in wires:
                consumers[a] += 1
            elif _is_const(graph, a):
                folded.add(a)
    for i, node in enumerate(graph.nodes):
        if node.op.is_leaf:
            if i in folded and consumers[i] == 0 and i != graph.output:
                continue
            kind = "input" if node.op is INPUT else "const"
            text = node.name or _const_text(graph, i)
            drawn.append(Gate(i, text, kind, ()))
            continue
        text, wires = texts[i]  # type: ignore[misc]
        kind = "block" if isinstance(node.op, Block) or node.op.expansion is not None else "gate"
        drawn.append(Gate(i, text, kind, wires))
    return drawn


def node_caption(picture: Picture, node_id: int, precision: int) -> str:
    """``value / grad`` of a node, to the shown precision ('' when not evaluated)."""
    if picture.values is None or picture.grads is None:
        return ""
    return (f"{shown(picture.values[node_id], precision)} / "
            f"{shown(picture.grads[node_id], precision)}")


# An array wire shows its value and gradient up to this many elements; past it, its shape.
SMALL_ARRAY = 6


def node_shape(graph: Graph, node_id: int) -> tuple[int, ...]:
    """A node's shape, ``()`` for a scalar (and in a program without arrays)."""
    if not graph.arrays:
        return ()
    return tuple(graph.nodes[node_id].shape or ())


def shape_text(shape: tuple[int, ...]) -> str:
    """``3``, ``2x3``: an array's shape on a drawing (``scalar`` for a scalar)."""
    return "x".join(map(str, shape)) if shape else "scalar"


def too_large(picture: Picture, node_id: int) -> bool:
    """Whether the node is an array of more than ``SMALL_ARRAY`` elements: its wire shows
    the shape, not the numbers."""
    size = 1
    for n in node_shape(picture.graph, node_id):
        size *= n
    return size > SMALL_ARRAY


def wire_numbers(picture: Picture, node_id: int, precision: int) -> tuple[str, str] | str | None:
    """What a wire from the node shows: ``(value, grad)`` to the shown precision, the
    shape alone (a string) for a large array, or None when not evaluated."""
    if picture.values is None or picture.grads is None:
        return None
    if too_large(picture, node_id):
        return shape_text(node_shape(picture.graph, node_id))
    return (shown(picture.values[node_id], precision),
            shown(picture.grads[node_id], precision))


def labels(picture: Picture) -> list[str]:
    return all_labels(picture.graph)
