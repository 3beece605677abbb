"""Output of ``diff``: formulas as text, LaTeX, JSON or a straight-line program."""

from __future__ import annotations

import json
import re
from typing import Any

from ..core.errors import InputError
from ..core.graph import Graph
from ..core.names import short_name
from ..diff import DiffReport, SymbolicGradient
from .formula import latex_names, to_latex, to_program, to_text, to_texts
from .registry import RenderOptions

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
    return f"{source}\n# derivatives of {short_name(graph.output_name, ellipsis='...')}\n{lines}"


def diff_plain(output: str, gradient: SymbolicGradient) -> str:
    texts = to_texts(list(gradient.derivatives.values()))
    of = output if _IDENTIFIER.match(output) else ""
    return "".join(f"d{of}/d{name} = {text}\n"
                   for name, text in zip(gradient.derivatives, texts))


def diff_latex(graph: Graph, gradient: SymbolicGradient) -> str:
    """One ``\\frac{\\partial f}{\\partial x} = ...`` line per input; every name distinct."""
    output = graph.output_name
    inputs = list(graph.input_names())
    named_output = bool(_IDENTIFIER.match(output))
    names = latex_names([*inputs, output] if named_output else inputs)
    of = names[output] if named_output else _unnamed_output(inputs)
    lines = []
    for name, expr in gradient.derivatives.items():
        lines.append(rf"\frac{{\partial {of}}}{{\partial {names[name]}}} = "
                     f"{to_latex(expr, names)}")
    return "\n".join(lines) + "\n"


def _unnamed_output(inputs: list[str]) -> str:
    """A letter for an output that has no name: f, unless an input is called so."""
    return next((c for c in ("f", "g", "h", "F") if c not in inputs), r"\operatorname{output}")


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


def render_plain(report: DiffReport, options: RenderOptions) -> str:
    if report.as_program:
        return diff_program_text(report.graph, diff_program(report.gradient, report.graph))
    if report.bare:
        return to_text(next(iter(report.gradient.derivatives.values()))) + "\n"
    return diff_plain(report.graph.output_name, report.gradient)


def render_latex(report: DiffReport, options: RenderOptions) -> str:
    if report.as_program:
        raise InputError("--program prints backprop's own language: use -F plain or -F json")
    if report.bare:
        names = latex_names(report.graph.input_names())
        return to_latex(next(iter(report.gradient.derivatives.values())), names) + "\n"
    return diff_latex(report.graph, report.gradient)


def render_json(report: DiffReport, options: RenderOptions) -> str:
    program = diff_program(report.gradient, report.graph) if report.as_program else None
    return diff_json(report.graph.output_name, report.gradient, program)
