"""Output of ``hessian``: the matrix as a table, or JSON."""

from __future__ import annotations

import json
from typing import Any

from ..core.names import short_name
from ..core.numbers import json_number, shown
from ..hessian import HessianReport
from .registry import RenderOptions


def render_table(report: HessianReport, options: RenderOptions) -> Any:
    names, matrix, output = report
    precision = options.precision
    from rich import box
    from rich.table import Table
    from rich.text import Text


    title = Text(f"Hessian of {short_name(output)}", style="bold")
    table = Table(title=title, title_justify="left",
                  box=box.SIMPLE_HEAD, caption="row a, column b: d2 output / da db",
                  caption_justify="left", min_width=40)
    table.add_column("", style="bold cyan")
    for name in names:
        table.add_column(Text(name, style="bold cyan"), justify="right")
    for name, row in zip(names, matrix):
        table.add_row(Text(name), *[shown(v, precision) for v in row])
    return table


def render_json(report: HessianReport, options: RenderOptions) -> str:
    names, matrix, output = report
    data = {"output": output, "inputs": list(names),
            "hessian": [[json_number(v) for v in row] for row in matrix]}
    return json.dumps(data, indent=2) + "\n"
