"""``--format json``: SPEC §4, one object, every number round-trips.

The document is written as it is made, a few thousand nodes at a time, one node per line
(like SPEC §4's example), so a graph of a million nodes never exists twice in memory.

Every line is the text ``json.JSONEncoder(ensure_ascii=False)`` gives the node's object
(``node_object``), byte for byte, but made a chunk at a time: numbers by
``core.numbers.numbers_json`` (orjson, then Python's spelling) and the inputs by orjson
(for chunks of ``ORJSON_FROM`` nodes or more), the label by the encoder's own string
escaping, the rest from the op (``_op_texts``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from json.encoder import encode_basestring
from operator import attrgetter
from typing import Any

from ..api import NodeRecord, Result, op_name
from ..core.numbers import json_number, json_value, numbers_json
from .registry import RenderOptions


def exact_json(x: Any) -> Any:
    """A rational as ``"1/3"``, an array of them as nested lists of such strings."""
    if not hasattr(x, "shape"):
        return str(x)
    from ..numerics.exact_arrays import texts

    return texts(x)

_dumps = json.JSONEncoder(allow_nan=False, ensure_ascii=False).encode

CHUNK = 4096  # nodes per piece of output
# From this many nodes in a chunk, orjson writes its numbers and inputs; below, the encoder
# does, one by one, and importing orjson (1.5 ms, with dataclasses) is not worth it.
ORJSON_FROM = 200


def header(result: Result) -> dict:
    if result.graph.arrays:
        return {
            "output": result.output,
            "value": json_value(result.value),
            "shape": list(result.graph.nodes[result.graph.output].shape),
            "gradient": {name: json_value(g) for name, g in result.gradient.items()},
        }
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
        "value": None,
        "grad": None,
    }
    if not result.graph.arrays:
        node["value"], node["grad"] = json_number(record.value), json_number(record.grad)
    if record.op == "def":
        node["function"] = result.graph.nodes[record.id].op.name
    if result.graph.arrays:  # SPEC §6: every node's shape, arrays as nested lists
        node["shape"] = list(result.graph.nodes[record.id].shape)
        node["value"] = json_value(record.value)
        node["grad"] = json_value(record.grad)
    return node


def document(result: Result) -> dict:
    """The whole JSON object as Python data (for the API and tests)."""
    return {**header(result), "nodes": [node_object(r, result) for r in result.nodes]}


def _exact(result: Result, record: NodeRecord, node: dict) -> dict:
    """With --exact: the rational value and gradient beside the floats, as "1/3"."""
    if result.exact is not None:
        node["value_exact"] = exact_json(result.exact[0][record.id])
        node["grad_exact"] = exact_json(result.exact[1][record.id])
    return node


def render(result: Result, options: RenderOptions) -> Iterator[str]:
    top = header(result)
    if result.exact is not None:
        graph = result.graph
        top["value_exact"] = exact_json(result.exact[0][graph.output])
        top["gradient_exact"] = {graph.nodes[i].name: exact_json(result.exact[1][i])
                                 for i in graph.inputs}
    yield "{\n" + "".join(f"  {_dumps(key)}: {_dumps(value)},\n" for key, value in top.items())
    yield '  "nodes": [\n'
    if result.exact is None and not result.graph.arrays:
        yield from _node_lines(result)
    else:
        separator = "    "
        for record in result.nodes:
            yield separator + _dumps(_exact(result, record, node_object(record, result)))
            separator = ",\n    "
    yield "\n  ]\n}\n"


def _node_lines(result: Result) -> Iterator[str]:
    """The nodes' lines, ``CHUNK`` at a time, as ``_dumps(node_object(...))`` writes them."""
    nodes = result.graph.nodes
    evaluation = result.evaluation
    labels = result.labels()
    op_texts: dict[int, tuple[str, str]] = {}
    separator = "    "
    for start in range(0, len(nodes), CHUNK):
        end = start + CHUNK
        chunk = nodes[start:end]
        ops = list(map(_OP, chunk))
        for key, op in dict(zip(map(id, ops), ops)).items():
            if key not in op_texts:
                op_texts[key] = _op_texts(op)
        lines = [
            f'{{"id": {i}, "name": {"null" if name is None else encode_basestring(name)}, '
            f'{op_text}{label}, "inputs": [{inputs}], "value": {numbers}{tail}'
            for i, name, (op_text, tail), label, inputs, numbers in zip(
                range(start, end),
                map(_NAME, chunk),
                map(op_texts.__getitem__, map(id, ops)),
                map(encode_basestring, labels[start:end]),
                _inputs_texts(chunk),
                _numbers_texts(evaluation.values[start:end], evaluation.grads[start:end]),
            )
        ]
        yield separator + ",\n    ".join(lines)
        separator = ",\n    "


_OP, _NAME = attrgetter("op"), attrgetter("name")


def _op_texts(op: object) -> tuple[str, str]:
    """What a node line of this op has between its name and label, and after its grad."""
    kind = op_name(op)
    tail = f', "function": {_dumps(op.name)}}}' if kind == "def" else "}"  # type: ignore[attr-defined]
    return f'"op": {_dumps(kind)}, "label": ', tail


def _inputs_texts(chunk: Sequence) -> list[str]:
    """``0, 1`` for each node of the chunk: its inputs as the encoder writes a list."""
    if len(chunk) < ORJSON_FROM:
        return [", ".join(map(str, node.args)) for node in chunk]
    import orjson

    text = orjson.dumps([node.args for node in chunk]).decode()  # [[0,1],[],[2]]
    return text[2:-2].replace(",", ", ").split("], [")


def _numbers_texts(values: Sequence[float], grads: Sequence[float]) -> list[str]:
    """``1.0, "grad": -3.0`` for each node: its value and grad as the encoder writes them."""
    data = numbers_json(list(zip(values, grads))) if len(values) >= ORJSON_FROM else None
    if data is None:  # few nodes; or a number that is not finite, or not a float
        return [f'{_dumps(json_number(v))}, "grad": {_dumps(json_number(g))}'
                for v, g in zip(values, grads)]
    text = data[2:-2].replace(b"],[", b"\n").replace(b",", b', "grad": ')
    return text.decode().split("\n")
