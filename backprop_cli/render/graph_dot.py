"""``backprop graph --format dot``: Graphviz source, laid out left to right.

Gates are circles labelled with their operation, inputs are labelled with their names,
and each wire carries its source's value (green, above) and gradient (red, below), as
the tutorials draw circuits. Quoting is the graphviz package's.
"""

from __future__ import annotations

from typing import Any

from ..core.numbers import shown
from .drawing import Picture, gates
from .registry import RenderOptions

VALUE_COLOR = "#1a7f37"
GRAD_COLOR = "#cf222e"

_SHAPES = {
    "input": {"shape": "plaintext", "fontsize": "16"},
    "const": {"shape": "plaintext"},
    "gate": {"shape": "circle", "width": "0.55", "fixedsize": "false"},
    "block": {"shape": "box", "style": "rounded"},
}


def wire_label(picture: Picture, node_id: int, precision: int) -> str | None:
    if picture.values is None or picture.grads is None:
        return None
    value = shown(picture.values[node_id], precision)
    grad = shown(picture.grads[node_id], precision)
    # An HTML-like label: numbers only, so nothing to escape.
    return (f'<<font color="{VALUE_COLOR}">{value}</font><br/>'
            f'<font color="{GRAD_COLOR}">{grad}</font>>')


def digraph(picture: Picture, options: RenderOptions) -> Any:
    import graphviz

    graph = picture.graph
    dot = graphviz.Digraph(
        "backprop",
        graph_attr={"rankdir": "LR", "nodesep": "0.35", "ranksep": "0.6"},
        node_attr={"fontname": "Helvetica", "fontsize": "14"},
        edge_attr={"fontname": "Helvetica", "fontsize": "11", "arrowsize": "0.7"},
    )
    for gate in gates(graph):
        node = graph.nodes[gate.node]
        attrs = dict(_SHAPES[gate.kind])
        named_output = gate.node == graph.output and node.name == graph.output_name
        if node.name is not None and gate.kind not in ("input", "const") and not named_output:
            attrs["xlabel"] = node.name
        if gate.node == graph.output:
            attrs["penwidth"] = "2"
        dot.node(f"n{gate.node}", gate.text, **attrs)
        for source in gate.wires:
            label = wire_label(picture, source, options.precision)
            dot.edge(f"n{source}", f"n{gate.node}", **({"label": label} if label else {}))
    output = graph.output
    dot.node("output", graph.output_name if len(graph.output_name) <= 40 else "output",
             shape="plaintext", fontsize="16")
    label = wire_label(picture, output, options.precision)
    dot.edge(f"n{output}", "output", **({"label": label} if label else {}))
    return dot


def render(picture: Picture, options: RenderOptions) -> str:
    return digraph(picture, options).source


def render_with_graphviz(picture: Picture, options: RenderOptions, fmt: str) -> bytes:
    """SVG, PNG or PDF from Graphviz's ``dot`` program."""
    import graphviz

    from ..core.errors import EvaluationError

    source = digraph(picture, options)
    try:
        return source.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise EvaluationError(
            "Graphviz's dot program is not installed, so the graph cannot be rendered",
            hint="install Graphviz (Debian/Ubuntu: apt-get install graphviz; macOS: brew "
            "install graphviz), or use --format dot or --format mermaid",
        ) from None
    except graphviz.CalledProcessError as error:
        detail = (error.stderr or b"").decode("utf-8", "replace").strip()
        raise EvaluationError(f"Graphviz's dot failed: {detail[:300]}") from None


def render_svg(picture: Picture, options: RenderOptions) -> str:
    return render_with_graphviz(picture, options, "svg").decode("utf-8")


def render_png(picture: Picture, options: RenderOptions) -> bytes:
    return render_with_graphviz(picture, options, "png")


def render_pdf(picture: Picture, options: RenderOptions) -> bytes:
    return render_with_graphviz(picture, options, "pdf")
