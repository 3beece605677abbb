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


def written(op: Op) -> str:
    if op.form == "leaf":
        return ""
    if op.form in ("infix", "prefix"):
        return op.summary
    return f"{op.name}({', '.join(op.params)})"


# What a node's "op" can be besides the table's operations: a user-defined function.
DEF_ENTRY = {
    "op": "def",
    "written": "f(a, b, ...) after def f(p, q, ...) = expr",
    "summary": "a call of a user-defined function: one gate (block)",
    "arity": {"min": 0, "max": None},
    "derivatives": {"each parameter": "by a backward pass over the function's body"},
    "expansion": "--expand copies the body in",
    "notes": None,
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
        derivative = "\n".join(f"d/d{arg} = {text}" for arg, text in rules(op))
        notes = op.kinks or (f"one gate; --expand: {op.expansion}" if op.expansion else "")
        if op.form == "leaf":
            notes = op.summary
        rows.append(Row((op.name, written(op), op.arity_text(), derivative, notes)))
    rows.append(Row(("def", "f(a, ...)", "any", "by a backward pass over the body",
                     "a user-defined function: one gate; --expand copies the body in")))
    caption = ("d/da: the local derivative d out / d a; a gate multiplies it by the gradient "
               "flowing back")
    return Grid(columns, rows, title=Text("operations"), caption=Text(caption))
