"""Output of ``check``: a table for people, JSON for scripts."""

from __future__ import annotations

import json
from typing import Any

from ..check import CheckReport
from ..core.names import short_name
from ..core.numbers import json_number, shown
from .registry import RenderOptions


def render_table(report: CheckReport, options: RenderOptions) -> Any:
    rows, tol, output = report
    from rich import box
    from rich.table import Table
    from rich.text import Text

    failed = sum(row.status == "FAIL" for row in rows)
    kinks = sum(row.status == "kink" for row in rows)
    verdict = "all inputs pass" if not failed else f"{failed} failed"
    if kinks:
        verdict += f" ({kinks} at a kink, where there is no derivative to compare)"
    title = Text(f"gradient check of {short_name(output)}: {verdict}",
                 style="bold green" if not failed else "bold red")
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD,
                  caption=f"numeric: central difference; pass: abs or rel error <= {tol:g}",
                  caption_justify="left")
    for column in ("input", "analytic", "numeric", "abs error", "rel error", ""):
        table.add_column(column, justify="left" if column in ("input", "") else "right")
    styles = {"ok": "green", "FAIL": "bold red", "kink": "yellow"}
    marks = {"ok": "✓ ok", "FAIL": "✗ FAIL", "kink": "~ kink"}
    for row in rows:
        table.add_row(Text(row.name, style="cyan"), shown(row.analytic, 10), shown(row.numeric, 10),
                      f"{row.abs_error:.2e}", f"{row.rel_error:.2e}",
                      Text(marks[row.status], style=styles[row.status]))
    return table


def render_json(report: CheckReport, options: RenderOptions) -> str:
    rows, tol, output = report
    data = {
        "output": output,
        "tol": tol,
        "passed": all(row.status != "FAIL" for row in rows),
        "inputs": [
            {"name": r.name, "analytic": json_number(r.analytic),
             "numeric": json_number(r.numeric), "abs_error": json_number(r.abs_error),
             "rel_error": json_number(r.rel_error), "status": r.status.lower()}
            for r in rows
        ],
    }
    return json.dumps(data, indent=2) + "\n"


# -- hessian ---------------------------------------------------------------------------------
