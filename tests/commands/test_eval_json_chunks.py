"""The chunked JSON writer and the fast label pass print what the plain ways print.

``render.eval_json`` makes its node lines a chunk at a time, with orjson's numbers
respelled as ``repr`` spells them; ``core.labels.all_labels`` keeps each operand's text as
it goes. Both are checked here against the simple ways: ``json.JSONEncoder`` on each
node's object, and ``format_operation`` on each node's operands.
"""

from __future__ import annotations

import math
import random
import struct

import pytest

from backprop_cli import evaluate
from backprop_cli.core.labels import INLINE_LIMIT, all_labels, format_operation
from backprop_cli.core.numbers import format_number, numbers_json
from backprop_cli.core.ops import ATOM, LEAF
from backprop_cli.render import eval_json
from backprop_cli.render.registry import RenderOptions

PROGRAMS = [
    ("(x+y)*z", {"x": 1, "y": 3, "z": -3}),
    ("q = x + y; f = q * z", {"x": -2, "y": 5, "z": -4}),
    ("sigmoid(w0*x0 + w1*x1 + w2)", {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}),
    ("x*1e-5 + y*3.5e-5 + x^-20 + y*1e-7 + x*1e16 + x*1.5e15 + 1e22*y - 10.00001*x",
     {"x": 3, "y": 7.1}),
    ("-x^2 + (-x)^2 + 2^-x + (x^y)^z + x^y^z - (x - y) - (z + x) / (y * z) + -(-x) + +x"
     " - -y + x/(y/z) + (x/y)/z + max(x, y, z, 1) + min(x, 2) + log(x, 2) + pow(x, y)",
     {"x": 1.5, "y": 2, "z": 0.5}),
    ("def f(a, b) = a*b + sin(a)\ndef g(t) = f(t, t) * 2\nu = f(x, y) + f(y, x)\ng(u) + g(x)",
     {"x": 1, "y": 2}),
    ("a = x*y + sin(x*y) + cos(x*y*y) + tanh(x + y + x*y) + exp(-x*y) + log(1 + x*x)\n"
     "b = (x*y + sin(x*y) + cos(x*y*y) + tanh(x + y + x*y)) * (exp(-x*y) + sqrt(y*y + 1))\n"
     "(a + b + x*y + sin(x*y) + cos(x*y*y) + tanh(x + y + x*y) + exp(-x*y))^2 / b",
     {"x": 0.7, "y": 1.3}),
    ("-x * 0 + 0 * x + 0.1 + 0.2 + pi * e", {"x": 1}),
    ("sin(" * 300 + "x" + ")" * 300, {"x": 0.5}),
    ("(" * 200 + "x" + "*1.0001 + 1)" * 200, {"x": 0.5}),
    ("\n".join(["a1 = sin(x) * 1.0001"] + [f"a{i} = sin(a{i - 1}) * 1.0001"
                                          for i in range(2, 300)]), {"x": 0.5}),
]


def _encoder_text(result) -> str:
    """The document as the encoder writes it, node by node (the writer's reference)."""
    dumps = eval_json._dumps
    top = eval_json.header(result)
    lines = [dumps(eval_json.node_object(record, result)) for record in result.nodes]
    head = "".join(f"  {dumps(key)}: {dumps(value)},\n" for key, value in top.items())
    return "{\n" + head + '  "nodes": [\n    ' + ",\n    ".join(lines) + "\n  ]\n}\n"


def _written(result) -> str:
    return "".join(eval_json.render(result, RenderOptions()))


@pytest.mark.parametrize(("chunk", "orjson_from"), [(4096, 200), (7, 0), (1, 0), (5, 10**9)])
@pytest.mark.parametrize(("program", "point"), PROGRAMS)
def test_writer_prints_what_the_encoder_prints(program, point, chunk, orjson_from,
                                               monkeypatch) -> None:
    monkeypatch.setattr(eval_json, "CHUNK", chunk)
    monkeypatch.setattr(eval_json, "ORJSON_FROM", orjson_from)
    result = evaluate(program, point)
    assert _written(result) == _encoder_text(result)
    result.nodes  # noqa: B018 - the records made first: their labels are used
    assert _written(result) == _encoder_text(result)


@pytest.mark.parametrize("orjson_from", [0, 10**9])
def test_non_finite_numbers_are_strings(orjson_from, monkeypatch) -> None:
    monkeypatch.setattr(eval_json, "ORJSON_FROM", orjson_from)
    result = evaluate("log(x) + 1/y + sqrt(z) + w", {"x": 0, "y": 0, "z": -1, "w": 2},
                      allow_nonfinite=True)
    text = _written(result)
    assert text == _encoder_text(result)
    assert '"value": "-inf"' in text and '"grad": "nan"' in text


def _doubles(count: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    values = [rng.uniform(1, 10) * 10.0 ** rng.randint(-325, 307) * rng.choice((1, -1))
              for _ in range(count)]
    values += [struct.unpack("d", rng.getrandbits(64).to_bytes(8, "little"))[0]
               for _ in range(count)]
    for edge in (1e-4, 1e-5, 1e15, 1e16, 1e-300, 5e-324, 1.7976931348623157e308, 10.00001):
        step = edge
        for _ in range(20):
            values += [step, -step]
            step = math.nextafter(step, math.inf)
    return [v for v in values if math.isfinite(v)]


def test_numbers_json_spells_every_double_as_repr() -> None:
    values = _doubles(50_000, 20261122)
    data = numbers_json(values)
    assert data is not None
    assert data.decode()[1:-1].split(",") == list(map(repr, values))
    pairs = numbers_json([(1e-05, -2.5e-07), (3, 10.00001)])
    assert pairs == b"[[1e-05,-2.5e-07],[3,10.00001]]"


def test_numbers_json_refuses_what_json_has_no_text_for() -> None:
    assert numbers_json([1.0, math.inf]) is None
    assert numbers_json([math.nan]) is None
    assert numbers_json([2**70]) is None


def _reference_labels(graph) -> list[str]:
    """The labels as format_operation prints them, operand by operand."""
    labels: list[str] = []
    precedences: list[int] = []
    for node in graph.nodes:
        if node.op.form == LEAF:
            labels.append(node.name if node.name is not None else format_number(node.value))
            precedences.append(ATOM)
            continue
        operands = []
        for a in node.args:
            arg = graph.nodes[a]
            if arg.name is not None:
                operands.append((arg.name, ATOM))
            elif len(labels[a]) > INLINE_LIMIT:
                operands.append((f"#{a}", ATOM))
            else:
                operands.append((labels[a], precedences[a]))
        text, precedence = format_operation(node.op, operands)
        labels.append(text)
        precedences.append(precedence)
    return labels


@pytest.mark.parametrize(("program", "point"), PROGRAMS)
def test_all_labels_is_format_operation_node_by_node(program, point) -> None:
    graph = evaluate(program, point).graph
    assert all_labels(graph) == _reference_labels(graph)
