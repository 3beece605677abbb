"""``--format json``: SPEC §4, one object, every number round-trips.

The document is written as it is made, one node per line (like SPEC §4's example), so a
graph of a million nodes never exists twice in memory.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..api import NodeRecord, Result
from ..core.numbers import json_number
from .registry import RenderOptions

_dumps = json.JSONEncoder(allow_nan=False, ensure_ascii=False).encode


def header(result: Result) -> dict:
    return {
        "output": result.output,
        "value": json_number(result.value),
        "gradient": {name: json_number(g) for name, g in result.gradient.items()},
    }


def node_object(record: NodeRecord, result: Result) -> dict:
    node = {
        "id": record.id,
        "name": record.name,
        "op": record.op,
        "label": record.label,
        "inputs": list(record.inputs),
        "value": json_number(record.value),
        "grad": json_number(record.grad),
    }
    if record.op == "def":
        node["function"] = result.graph.nodes[record.id].op.name
    return node


def document(result: Result) -> dict:
    """The whole JSON object as Python data (for the API and tests)."""
    return {**header(result), "nodes": [node_object(r, result) for r in result.nodes]}


def _exact(result: Result, record: NodeRecord, node: dict) -> dict:
    """With --exact: the rational value and gradient beside the floats, as "1/3"."""
    if result.exact is not None:
        node["value_exact"] = str(result.exact[0][record.id])
        node["grad_exact"] = str(result.exact[1][record.id])
    return node


def render(result: Result, options: RenderOptions) -> Iterator[str]:
    top = header(result)
    if result.exact is not None:
        graph = result.graph
        top["value_exact"] = str(result.exact[0][graph.output])
        top["gradient_exact"] = {graph.nodes[i].name: str(result.exact[1][i])
                                 for i in graph.inputs}
    yield "{\n"
    for key, value in top.items():
        yield f"  {_dumps(key)}: {_dumps(value)},\n"
    yield '  "nodes": [\n'
    separator = "    "
    for record in result.nodes:
        yield separator + _dumps(_exact(result, record, node_object(record, result)))
        separator = ",\n    "
    yield "\n  ]\n}\n"
