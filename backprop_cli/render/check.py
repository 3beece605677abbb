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
    from rich.text import Text

    from .tables import FOLD, NUMBER, Column, Grid, Row

    failed = sum(row.status == "FAIL" for row in rows)
    kinks = sum(row.status == "kink" for row in rows)
    verdict = "all inputs pass" if not failed else f"{failed} failed"
    if kinks:
        verdict += f" ({kinks} at a kink, where there is no derivative to compare)"
    title = Text(f"gradient check of {short_name(output)}: {verdict}",
                 style="bold green" if not failed else "bold red")
    columns = [Column("input", style="cyan", kind=FOLD)]
    columns += [Column(name, justify="right", kind=NUMBER)
                for name in ("analytic", "numeric", "abs error", "rel error")]
    columns.append(Column("", kind=NUMBER))
    styles = {"ok": "green", "FAIL": "bold red", "kink": "yellow"}
    marks = {"ok": "✓ ok", "FAIL": "✗ FAIL", "kink": "~ kink"}
    table = [Row((row.name, shown(row.analytic, 10), shown(row.numeric, 10),
                  f"{row.abs_error:.2e}", f"{row.rel_error:.2e}",
                  Text(marks[row.status], style=styles[row.status]))) for row in rows]
    caption = f"numeric: central difference; pass: abs or rel error <= {tol:g}"
    return Grid(columns, table, title=title, caption=Text(caption))


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
