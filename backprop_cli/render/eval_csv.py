"""``--format csv``: one row per node, numbers in round-trip form, written as made.

Numbers are written as batch output writes them (``core.numbers.csv_number``); with
``exact=True`` values and gradients are fractions (``1/3``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from ..api import Result
from ..core.numbers import csv_number
from .registry import RenderOptions

HEADER = ("id", "name", "op", "label", "inputs", "value", "grad")
CHUNK = 4096


def render(result: Result, options: RenderOptions) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    exact = result.exact
    for r in result.nodes:
        if exact is None:
            value, grad = csv_number(r.value), csv_number(r.grad)
        else:
            value, grad = str(exact[0][r.id]), str(exact[1][r.id])
        writer.writerow((r.id, r.name or "", r.op, r.label, " ".join(map(str, r.inputs)),
                         value, grad))
        if r.id % CHUNK == CHUNK - 1:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
