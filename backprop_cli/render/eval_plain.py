"""``--format plain``: ``key value`` lines for shell scripts (awk, read, grep).

    output f
    value -12
    grad x -3
"""

from __future__ import annotations

from ..api import Result
from ..core.numbers import format_number
from .registry import RenderOptions


def render(result: Result, options: RenderOptions) -> str:
    lines = [f"output {result.output}", f"value {format_number(result.value)}"]
    lines.extend(f"grad {name} {format_number(g)}" for name, g in result.gradient.items())
    return "\n".join(lines) + "\n"
