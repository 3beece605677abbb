"""``backprop graph --format tree``: a Rich tree from the output down to the inputs.

A node that feeds several others (fan-out) is drawn in full once and referred to after
that; past ``--max-depth`` levels the tree is cut with a marker, and a caption counts
the nodes not shown. Built with an explicit stack: no recursion at any depth.
"""

from __future__ import annotations

from rich.text import Text
from rich.tree import Tree

from ..core.labels import all_labels
from ..core.numbers import elements, shown
from ..core.ops import INPUT
from .drawing import Picture, node_shape, shape_text, wire_numbers
from .eval_table import GRAD_STYLE, INPUT_STYLE, OUTPUT_STYLE, VALUE_STYLE
from .registry import RenderOptions


def _line(picture: Picture, node_id: int, label: str, precision: int, seen: bool) -> Text:
    node = picture.graph.nodes[node_id]
    text = Text(no_wrap=True, overflow="ellipsis")
    style = INPUT_STYLE if node.op is INPUT else None
    if node_id == picture.graph.output:
        style = OUTPUT_STYLE
    if node.name is not None and not node.op.is_leaf:
        text.append(node.name, style="bold")
        text.append(" = ")
    text.append(label, style=style)
    if not node.op.is_leaf:
        op = node.op.display
        text.append(f"  [{op}]", style="dim")
    shape = node_shape(picture.graph, node_id)
    if shape:
        text.append(f"  shape {shape_text(shape)}", style="dim")
    numbers = wire_numbers(picture, node_id, precision) if shape else None
    if isinstance(numbers, str):
        size = len(elements(picture.values[node_id])) if picture.values is not None else 0
        text.append(f"   {size} elements: backprop eval shows them", style="dim")
    elif picture.values is not None and picture.grads is not None:
        text.append("   value ", style="dim")
        text.append(shown(picture.values[node_id], precision), style=VALUE_STYLE)
        text.append("  grad ", style="dim")
        text.append(shown(picture.grads[node_id], precision), style=GRAD_STYLE)
    if seen:
        text.append(f"  (#{node_id}, shown above)", style="dim italic")
    return text


def render(picture: Picture, options: RenderOptions) -> Tree:
    graph = picture.graph
    labels = all_labels(graph)
    root_id = graph.output
    root = Tree(_line(picture, root_id, labels[root_id], options.precision, False))
    shown = {root_id}
    cut = 0
    stack: list[tuple[int, Tree, int]] = [(root_id, root, 0)]
    while stack:
        node_id, branch, depth = stack.pop()
        args = graph.nodes[node_id].args
        if not args:
            continue
        if depth >= options.max_depth:
            branch.add(Text("… cut here (--max-depth)", style="dim", no_wrap=True,
                            overflow="ellipsis"))
            cut += 1
            continue
        children = []
        for a in args:
            seen = a in shown
            child = branch.add(_line(picture, a, labels[a], options.precision, seen))
            if not seen:
                shown.add(a)
                children.append((a, child, depth + 1))
        stack.extend(reversed(children))
    total = len(graph.nodes)
    hidden = total - len(shown)
    if hidden:
        root.add(Text(f"{hidden:,} of {total:,} nodes not shown", style="dim"))
    return root
