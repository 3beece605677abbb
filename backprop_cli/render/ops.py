"""``backprop ops``: every operation with its arity and local derivative rules."""

from __future__ import annotations

import json
from typing import Any

from ..core.ops import OPERATIONS, Op
from .registry import RenderOptions


def rules(op: Op) -> list[tuple[str, str]]:
    """``(argument, d out / d argument)`` pairs."""
    if op.variadic:
        return [("a_k", op.partials_text[0])]
    return list(zip(op.params, op.partials_text))


# How the array ops are written in a program, where it is not ``name(params)``.
ARRAY_FORMS = {"transpose": "A.T", "stack": "[a, b, ...]", "index": "a[i], A[i, j], a[0:2]",
               "amax": "max(x)", "amin": "min(x)"}


def written(op: Op) -> str:
    if op.form == "leaf":
        return ""
    if op.tensor and op.form == "infix":
        return f"{op.params[0]} {op.symbol} {op.params[1]}"
    if op.name in ARRAY_FORMS:
        return ARRAY_FORMS[op.name]
    if op.form in ("infix", "prefix"):
        return op.summary
    return f"{op.name}({', '.join(op.params)})"


def derivative_lines(op: Op) -> str:
    """``d/dx = ...`` for a gate's local derivatives; ``grad A = ...`` for an array op,
    whose rule gives the gradient reaching each argument from the upstream gradient."""
    prefix = "grad {} = " if op.tensor else "d/d{} = "
    return "\n".join(prefix.format(arg) + text for arg, text in rules(op))


# What a node's "op" can be besides the table's operations: a user-defined function.
DEF_ENTRY = {
    "op": "def",
    "written": "f(a, b, ...) after def f(p, q, ...) = expr",
    "summary": "a call of a user-defined function: one gate (block)",
    "arity": {"min": 0, "max": None},
    "derivatives": {"each parameter": "by a backward pass over the function's body"},
    "expansion": "--expand copies the body in",
    "notes": None,
    "array": False,
}


def listed() -> list[Op]:
    """The operations a node can show ("param" lives only inside function bodies)."""
    return [op for op in OPERATIONS if op.name != "param"]


def render_json(subject: object, options: RenderOptions) -> str:
    data: list[dict[str, Any]] = []
    for op in listed():
        data.append({
            "op": op.name,
            "written": written(op),
            "summary": op.summary,
            "arity": {"min": op.min_args, "max": op.max_args},
            "derivatives": {arg: text for arg, text in rules(op)},
            "expansion": op.expansion,
            "notes": op.kinks,
            "array": op.tensor,
        })
    data.append(DEF_ENTRY)
    return json.dumps(data, indent=2) + "\n"


def render_table(subject: object, options: RenderOptions) -> Any:
    from rich.text import Text

    from .tables import NUMBER, WORDS, Column, Grid, Row

    columns = [Column("op", style="bold", kind=NUMBER), Column("written", kind=WORDS),
               Column("arity", justify="right", kind=NUMBER),
               Column("local derivatives", kind=WORDS),
               Column("notes", style="dim", kind=WORDS)]
    rows = []
    for op in listed():
        derivative = derivative_lines(op)
        notes = op.kinks or (f"one gate; --expand: {op.expansion}" if op.expansion else "")
        if op.form == "leaf" or op.tensor:
            notes = op.summary
        rows.append(Row((op.name, written(op), op.arity_text(), derivative, notes)))
    rows.append(Row(("def", "f(a, ...)", "any", "by a backward pass over the body",
                     "a user-defined function: one gate; --expand copies the body in")))
    caption = ("d/da: the local derivative d out / d a; a gate multiplies it by the gradient "
               "flowing back (upstream). grad a: the gradient an array op passes back to a")
    return Grid(columns, rows, title=Text("operations"), caption=Text(caption))
