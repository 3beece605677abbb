"""Output of ``hessian``: the matrix as a table, or JSON."""

from __future__ import annotations

import json
from typing import Any

from ..core.names import short_name
from ..core.numbers import json_number, shown
from ..hessian import HessianReport
from .registry import RenderOptions


def render_table(report: HessianReport, options: RenderOptions) -> Any:
    """The matrix; where it cannot fit, one ``row column value`` line per entry."""
    names, matrix, output = report
    precision = options.precision
    from rich.text import Text

    from .tables import FOLD, NUMBER, Column, Grid, Row, long_cells

    numbers = [[shown(v, precision) for v in row] for row in matrix]
    columns = [Column("", style="bold cyan", kind=FOLD)]
    columns += [Column(name, justify="right", kind=NUMBER) for name in names]
    rows = [Row((Text(name, style="bold cyan"), *row)) for name, row in zip(names, numbers)]

    def entries(width: int) -> Any:
        return long_cells((Text(a, style="bold cyan"), Text(b, style="bold cyan"), value)
                          for a, row in zip(names, numbers) for b, value in zip(names, row))

    return Grid(columns, rows, title=Text(f"Hessian of {short_name(output)}", style="bold"),
                caption=Text("row a, column b: d2 output / da db"), long=entries,
                min_width=40)


def render_json(report: HessianReport, options: RenderOptions) -> str:
    names, matrix, output = report
    data = {"output": output, "inputs": list(names),
            "hessian": [[json_number(v) for v in row] for row in matrix]}
    return json.dumps(data, indent=2) + "\n"
