"""``--format json``: SPEC §4, one object, every number round-trips."""

from __future__ import annotations

import json

from ..api import Result
from ..numbers import json_number
from . import RenderOptions


def document(result: Result) -> dict:
    """The JSON object as Python data."""
    return {
        "output": result.output,
        "value": json_number(result.value),
        "gradient": {name: json_number(g) for name, g in result.gradient.items()},
        "nodes": [node_object(record, result) for record in result.nodes],
    }


def node_object(record, result: Result) -> dict:
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


def render(result: Result, options: RenderOptions) -> str:
    """Indented like SPEC §4's example: one line per node."""
    doc = document(result)
    nodes = doc.pop("nodes")
    dumps = json.dumps
    lines = ["{"]
    for key, value in doc.items():
        lines.append(f"  {dumps(key)}: {dumps(value, allow_nan=False, ensure_ascii=False)},")
    lines.append('  "nodes": [')
    body = [f"    {dumps(node, allow_nan=False, ensure_ascii=False)}" for node in nodes]
    lines.append(",\n".join(body))
    lines.append("  ]")
    lines.append("}")
    return "\n".join(lines) + "\n"
