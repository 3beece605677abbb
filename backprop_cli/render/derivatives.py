"""Output of ``diff``, ``check`` and ``hessian``: text for people and JSON for scripts."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

from ..core.graph import Graph
from ..core.numbers import json_number
from ..derivatives import CheckRow, SymbolicGradient
from .formula import to_latex, to_program, to_texts

_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def derivative_name(name: str, taken: set[str]) -> str:
    """``d_x``, made unique against the program's own names."""
    candidate = f"d_{name}"
    while candidate in taken:
        candidate = "d" + candidate
    return candidate


def diff_program(gradient: SymbolicGradient, graph: Graph) -> list[tuple[str, str]]:
    """A straight-line program: shared temporaries, then one line per derivative.

    Its names are new to the program: none is a name or a function the program uses.
    """
    taken = set(graph.names) | {node.op.name for node in graph.nodes}
    names = [derivative_name(n, taken) for n in gradient.derivatives]
    return to_program(list(gradient.derivatives.values()), names, taken | set(names))


def diff_program_text(graph: Graph, statements: list[tuple[str, str]]) -> str:
    """The program itself, then its derivatives: its inputs, defaults and names stay
    defined, so ``backprop eval`` reads the whole text back."""
    source = graph.source.text.rstrip("\n")
    lines = "".join(f"{name} = {formula}\n" for name, formula in statements)
    return f"{source}\n# derivatives of {graph.output_name[:60]}\n{lines}"


def diff_plain(output: str, gradient: SymbolicGradient) -> str:
    texts = to_texts(list(gradient.derivatives.values()))
    of = output if _IDENTIFIER.match(output) else ""
    return "".join(f"d{of}/d{name} = {text}\n"
                   for name, text in zip(gradient.derivatives, texts))


def diff_latex(output: str, gradient: SymbolicGradient) -> str:
    from .formula import _latex_name

    of = _latex_name(output) if _IDENTIFIER.match(output) else "f"
    lines = []
    for name, expr in gradient.derivatives.items():
        lines.append(rf"\frac{{\partial {of}}}{{\partial {_latex_name(name)}}} = "
                     f"{to_latex(expr)}")
    return "\n".join(lines) + "\n"


def diff_json(output: str, gradient: SymbolicGradient,
              program: list[tuple[str, str]] | None) -> str:
    data: dict[str, Any] = {"output": output, "wrt": list(gradient.derivatives)}
    if program is None:
        texts = to_texts(list(gradient.derivatives.values()))
        data["derivatives"] = dict(zip(gradient.derivatives, texts))
    else:
        data["program"] = [{"name": n, "formula": f} for n, f in program]
        data["derivatives"] = {
            wrt: program[len(program) - len(gradient.derivatives) + k][0]
            for k, wrt in enumerate(gradient.derivatives)
        }
    return json.dumps(data, indent=2) + "\n"


# -- check -----------------------------------------------------------------------------------


def check_table(rows: Sequence[CheckRow], tol: float, output: str) -> Any:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    failed = sum(row.status == "FAIL" for row in rows)
    kinks = sum(row.status == "kink" for row in rows)
    verdict = "all inputs pass" if not failed else f"{failed} failed"
    if kinks:
        verdict += f" ({kinks} at a kink, where there is no derivative to compare)"
    title = Text(f"gradient check of {output[:60]}: {verdict}",
                 style="bold green" if not failed else "bold red")
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD,
                  caption=f"numeric: central difference; pass: abs or rel error <= {tol:g}",
                  caption_justify="left")
    for column in ("input", "analytic", "numeric", "abs error", "rel error", ""):
        table.add_column(column, justify="left" if column in ("input", "") else "right")
    styles = {"ok": "green", "FAIL": "bold red", "kink": "yellow"}
    marks = {"ok": "✓ ok", "FAIL": "✗ FAIL", "kink": "~ kink"}
    for row in rows:
        table.add_row(Text(row.name, style="cyan"), f"{row.analytic:.10g}", f"{row.numeric:.10g}",
                      f"{row.abs_error:.2e}", f"{row.rel_error:.2e}",
                      Text(marks[row.status], style=styles[row.status]))
    return table


def check_json(rows: Sequence[CheckRow], tol: float, output: str) -> str:
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


def hessian_table(names: Sequence[str], matrix: Sequence[Sequence[float]], output: str,
                  precision: int) -> Any:
    from rich import box
    from rich.table import Table
    from rich.text import Text

    from .drawing import number

    table = Table(title=Text(f"Hessian of {output[:60]}", style="bold"), title_justify="left",
                  box=box.SIMPLE_HEAD, caption="row a, column b: d2 output / da db",
                  caption_justify="left", min_width=40)
    table.add_column("", style="bold cyan")
    for name in names:
        table.add_column(Text(name, style="bold cyan"), justify="right")
    for name, row in zip(names, matrix):
        table.add_row(Text(name), *[number(v, precision) for v in row])
    return table


def hessian_json(names: Sequence[str], matrix: Sequence[Sequence[float]], output: str) -> str:
    data = {"output": output, "inputs": list(names),
            "hessian": [[json_number(v) for v in row] for row in matrix]}
    return json.dumps(data, indent=2) + "\n"
