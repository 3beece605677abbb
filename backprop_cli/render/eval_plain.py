"""``--format plain``: ``key value`` lines for shell scripts (awk, read, grep).

    output f
    value -12
    grad x -3
"""

from __future__ import annotations

from ..api import Result
from .registry import RenderOptions


def render(result: Result, options: RenderOptions) -> str:
    """Round-trip numbers, or fractions (``1/3``) with ``exact=True``."""
    graph = result.graph
    if graph.arrays and result.exact is None:
        return _array_lines(result)
    lines = [f"output {result.output}", f"value {result.number_text(graph.output)}"]
    lines.extend(f"grad {graph.nodes[i].name} {result.number_text(i, grad=True)}"
                 for i in graph.inputs)
    return "\n".join(lines) + "\n"


def _array_lines(result: Result) -> str:
    """SPEC §6: arrays flattened, one line per element: ``grad w[0] -0.19...``."""
    from ..core.numbers import element_names, elements, format_number

    graph = result.graph
    out = graph.nodes[graph.output]
    lines = [f"output {result.output}"]
    keys = element_names("value", out.shape)
    lines.extend(f"{key} {format_number(v)}"
                 for key, v in zip(keys, elements(result.evaluation.values[graph.output])))
    for i in graph.inputs:
        node = graph.nodes[i]
        lines.extend(f"grad {key} {format_number(g)}" for key, g in zip(
            element_names(node.name or "", node.shape), elements(result.evaluation.grads[i])))
    return "\n".join(lines) + "\n"
