"""``--format csv``: one row per node, numbers in round-trip form."""

from __future__ import annotations

import csv
import io

from ..api import Result
from ..numbers import format_number
from . import RenderOptions

HEADER = ("id", "name", "op", "label", "inputs", "value", "grad")


def render(result: Result, options: RenderOptions) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for r in result.nodes:
        writer.writerow((
            r.id, r.name or "", r.op, r.label, " ".join(map(str, r.inputs)),
            format_number(r.value), format_number(r.grad),
        ))
    return buffer.getvalue()
