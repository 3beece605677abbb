"""``--format csv``: one row per node, numbers in round-trip form, written as made."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from ..api import Result
from ..core.numbers import format_number
from .registry import RenderOptions

HEADER = ("id", "name", "op", "label", "inputs", "value", "grad")
CHUNK = 4096


def render(result: Result, options: RenderOptions) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    for r in result.nodes:
        writer.writerow((
            r.id, r.name or "", r.op, r.label, " ".join(map(str, r.inputs)),
            format_number(r.value), format_number(r.grad),
        ))
        if r.id % CHUNK == CHUNK - 1:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
