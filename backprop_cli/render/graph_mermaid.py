"""``backprop graph --format mermaid``: a flowchart for Markdown (GitHub renders it)."""

from __future__ import annotations

from ..core.names import short_name
from ..core.numbers import shown
from .drawing import Picture, gates, node_shape, shape_text, wire_numbers
from .registry import RenderOptions

_OPEN_CLOSE = {"input": ('["', '"]'), "const": ('["', '"]'), "gate": ('(("', '"))'),
               "block": ('("', '")')}


def _text(text: str) -> str:
    """Mermaid's entity escapes for the characters that end or break a quoted label."""
    return (text.replace("&", "#amp;").replace('"', "#quot;").replace("<", "#lt;")
            .replace(">", "#gt;"))


def render(picture: Picture, options: RenderOptions) -> str:
    graph = picture.graph
    lines = ["flowchart LR"]
    edges: list[str] = []

    def wire(source: int, target: str) -> str:
        if picture.values is None or picture.grads is None:
            return f"  n{source} --> {target}"
        if graph.arrays:
            numbers = wire_numbers(picture, source, options.precision)
            if isinstance(numbers, str):  # a large array: its shape
                return f'  n{source} -->|"{_text(numbers)}"| {target}'
        value = shown(picture.values[source], options.precision)
        grad = shown(picture.grads[source], options.precision)
        return f'  n{source} -->|"{_text(value)} / {_text(grad)}"| {target}'

    for gate in gates(graph):
        node = graph.nodes[gate.node]
        text = gate.text
        if node.name is not None and gate.kind not in ("input", "const"):
            text = f"{node.name}: {text}"
        opening, closing = _OPEN_CLOSE[gate.kind]
        label = _text(text)
        shape = node_shape(graph, gate.node)
        if shape:
            label += f"<br/><small>{shape_text(shape)}</small>"
        lines.append(f"  n{gate.node}{opening}{label}{closing}")
        edges.extend(wire(source, f"n{gate.node}") for source in gate.wires)
    lines.append(f'  output["{_text(short_name(graph.output_name))}"]')
    edges.append(wire(graph.output, "output"))
    lines.extend(edges)
    if picture.values is not None:
        of = short_name(graph.output_name, 40)
        lines.append(f"  %% wires: value / gradient (d {of} / d node)")
    return "\n".join(lines) + "\n"
