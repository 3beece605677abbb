"""backprop ops: the table of operations, for people and as JSON."""

from __future__ import annotations

import json

from tests.harness import run


def test_ops_listing() -> None:
    table = run("ops")
    assert table.code == 0
    for name in ("sigmoid", "max", "log", "pow", "relu"):
        assert name in table.out
    data = json.loads(run("ops", "-F", "json").out)
    mul = next(op for op in data if op["op"] == "mul")
    assert mul["derivatives"] == {"a": "b", "b": "a"}
    assert mul["arity"] == {"min": 2, "max": 2}
