"""``--format csv``: one row per node, numbers in round-trip form, written as made.

Numbers are written as batch output writes them (``core.numbers.csv_number``); with
``exact=True`` values and gradients are fractions (``1/3``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

from ..api import Result
from ..core.numbers import csv_number, element_names, elements
from .registry import RenderOptions

HEADER = ("id", "name", "op", "label", "inputs", "value", "grad")
CHUNK = 4096


def render(result: Result, options: RenderOptions) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(HEADER)
    exact = result.exact
    if result.graph.arrays and exact is None:
        yield from _array_rows(result, buffer, writer)
        return
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


def _array_rows(result: Result, buffer: io.StringIO, writer: Any) -> Iterator[str]:
    """SPEC §6: an array node is one row per element, named ``w[0]``, ``W[1,0]``."""
    nodes = result.graph.nodes
    for r in result.nodes:
        shape = nodes[r.id].shape
        names = element_names(r.name or "", shape) if r.name else [""] * max(len(
            element_names("", shape)), 1)
        base = r.label if r.label.isidentifier() else f"({r.label})"
        labels = element_names(base, shape) if shape else [r.label]
        inputs = " ".join(map(str, r.inputs))
        for name, label, value, grad in zip(names, labels, elements(r.value),
                                            elements(r.grad)):
            writer.writerow((r.id, name, r.op, label, inputs, csv_number(value),
                             csv_number(grad)))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
