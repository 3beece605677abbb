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
    lines = [f"output {result.output}", f"value {result.number_text(graph.output)}"]
    lines.extend(f"grad {graph.nodes[i].name} {result.number_text(i, grad=True)}"
                 for i in graph.inputs)
    return "\n".join(lines) + "\n"
