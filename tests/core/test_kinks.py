"""Kinks and ties (SPEC §3): one rule per op in the table, one function that asks it
(``core.kinks.kink_at``), and every caller (check, the table's notes, --explain) using
it. ``check`` marks an input at a kink from the table at the point, whether or not the
finite difference happens to agree with the chosen derivative."""

from __future__ import annotations

import json
import re

import pytest

from backprop_cli.core.engine import forward
from backprop_cli.core.graph import Graph
from backprop_cli.core.kinks import kink_at
from backprop_cli.core.ops import OPS
from backprop_cli.core.source import Source
from backprop_cli.language.builder import build_graph
from tests.harness import ROOT, run


def at(program: str, **point: float) -> tuple[Graph, list[float]]:
    """The program's graph and its values at the point."""
    graph = build_graph(Source(program))
    leaves = {i: point[graph.nodes[i].name or ""] for i in graph.inputs}
    return graph, forward(graph, leaves)


def statuses(program: str, *point: str) -> dict[str, str]:
    result = run("check", program, *point, "-F", "json")
    assert result.code == 0, (result.out, result.err)
    return {row["name"]: row["status"] for row in json.loads(result.out)["inputs"]}


@pytest.mark.parametrize("program, point, expected", [
    # the check's own --help example: the two gradients agree (0 and 0), yet x is at a kink
    ("abs(x) * y", ["x=0", "y=2"], {"x": "kink", "y": "ok"}),
    ("abs(x) + y", ["x=0", "y=2"], {"x": "kink", "y": "ok"}),
    ("relu(x) * y", ["x=0", "y=3"], {"x": "kink", "y": "ok"}),
    ("relu(x - 1) * y", ["x=1", "y=3"], {"x": "kink", "y": "ok"}),
    ("sign(x) + x", ["x=0"], {"x": "kink"}),
    ("step(x) * y + x", ["x=0", "y=2"], {"x": "kink", "y": "ok"}),
    # ties: every tied argument that depends on an input
    ("max(x, y)", ["x=1", "y=1"], {"x": "kink", "y": "kink"}),
    ("min(x, y, z)", ["x=1", "y=1", "z=2"], {"x": "kink", "y": "kink", "z": "kink"}),
    ("max(x, 2) * y", ["x=2", "y=1"], {"x": "kink", "y": "ok"}),
    # a kink or tie inside a def: the def is at a kink
    ("def f(a) = abs(a); f(x) * y", ["x=0", "y=2"], {"x": "kink", "y": "ok"}),
    ("def m(a, b) = max(a, b) * 2; m(x, y) + z", ["x=1", "y=1", "z=5"],
     {"x": "kink", "y": "kink", "z": "ok"}),
    ("def g(a) = relu(a) + 1; def h(a) = g(a) * a; h(x)", ["x=0"], {"x": "kink"}),
    # a kink in a branch that does not depend on an input leaves that input alone
    ("abs(z) + x * y", ["x=1", "y=2", "z=0"], {"x": "ok", "y": "ok", "z": "kink"}),
    ("max(y, 1) * x", ["x=3", "y=1"], {"x": "ok", "y": "kink"}),
    # ... and a kink in a branch that does not reach the output does not count
    ("a = abs(x); b = x * y", ["x=0", "y=2"], {"x": "ok", "y": "ok"}),
])
def test_check_marks_the_inputs_at_a_kink(program: str, point: list[str],
                                          expected: dict[str, str]) -> None:
    assert statuses(program, *point) == expected


@pytest.mark.parametrize("program, point", [
    ("abs(x) * y", ["x=0.5", "y=2"]),
    ("relu(x) * y", ["x=-1", "y=3"]),
    ("max(x, y)", ["x=1", "y=2"]),
    ("def f(a) = abs(a); f(x) * y", ["x=-2", "y=2"]),
    ("sqrt(x) * y", ["x=4", "y=2"]),
])
def test_check_away_from_kinks_compares_as_usual(program: str, point: list[str]) -> None:
    assert set(statuses(program, *point).values()) == {"ok"}


def test_check_still_fails_a_wrong_rule_next_to_a_kink(monkeypatch: pytest.MonkeyPatch) -> None:
    """A kink elsewhere no longer excuses a failure of an input that does not reach it."""
    from backprop_cli.core import ops

    broken = ops.OPS["sin"]._replace(partials=(lambda xp, out, x: xp.cos(x) * 1.01,))
    monkeypatch.setitem(ops.FUNCTIONS, "sin", broken)
    result = run("check", "sin(x) + abs(z)", "x=0.5", "z=0", "-F", "json")
    assert result.code == 1, result.out
    rows = {row["name"]: row["status"] for row in json.loads(result.out)["inputs"]}
    assert rows == {"x": "fail", "z": "kink"}


def test_sqrt_at_zero_is_not_a_kink_but_a_nonfinite_gradient() -> None:
    """SPEC §3 makes choices at abs, relu and ties only; sqrt'(0) is infinite, which is a
    non-finite gradient: an error, or inf with --allow-nonfinite, never a kink."""
    assert OPS["sqrt"].kink is None and OPS["sqrt"].kinks is None
    result = run("check", "sqrt(x)", "x=0")
    assert result.code == 1 and "not finite" in result.err
    table = run("eval", "sqrt(x)", "x=0", "--allow-nonfinite")
    assert table.code == 0 and "kink" not in table.out
    graph, values = at("sqrt(x)", x=0.0)
    assert kink_at(graph, graph.output, values) is None
    listed = {entry["op"]: entry for entry in json.loads(run("ops", "-F", "json").out)}
    assert listed["sqrt"]["notes"] is None
    assert listed["abs"]["notes"] == "kink at 0, where the derivative is taken as 0"


@pytest.mark.parametrize("program, point, kind, reason", [
    ("abs(x)", {"x": 0.0}, "kink", "abs at 0 is a kink: its derivative is taken as 0"),
    ("relu(x)", {"x": -0.0}, "kink", "relu at 0 is a kink: its derivative is taken as 0"),
    ("sign(x)", {"x": 0.0}, "kink", "sign at 0 is a kink: its derivative is taken as 0"),
    ("step(x)", {"x": 0.0}, "kink", "step at 0 is a kink: its derivative is taken as 0"),
    ("max(x, y)", {"x": 1.0, "y": 1.0}, "tie",
     "a tie in max: 2 inputs are equal; the gradient follows --ties"),
    ("min(x, y, 1)", {"x": 1.0, "y": 1.0}, "tie",
     "a tie in min: 3 inputs are equal; the gradient follows --ties"),
])
def test_kink_at_asks_the_ops_own_rule(program: str, point: dict[str, float], kind: str,
                                       reason: str) -> None:
    graph, values = at(program, **point)
    assert graph.nodes[graph.output].op.kink is not None
    kink = kink_at(graph, graph.output, values)
    assert kink is not None and (kink.kind, kink.reason) == (kind, reason)
    away = {name: value + 0.5 * (k + 1) for k, (name, value) in enumerate(point.items())}
    graph, values = at(program, **away)
    assert kink_at(graph, graph.output, values) is None


def test_kink_at_a_def_names_the_gate_of_its_body() -> None:
    graph, values = at("def f(a, b) = max(a, b) + 1; f(x, y)", x=2.0, y=2.0)
    kink = kink_at(graph, graph.output, values)
    assert kink is not None and kink.kind == "tie"
    assert kink.reason.endswith("(in the body of f)")
    graph, values = at("def f(a, b) = max(a, b) + 1; f(x, y)", x=1.0, y=2.0)
    assert kink_at(graph, graph.output, values) is None


def test_only_the_piecewise_ops_have_kinks() -> None:
    with_kinks = {name for name, op in OPS.items() if op.kink is not None}
    assert with_kinks == {"abs", "relu", "sign", "step", "max", "min"}


def test_no_caller_keeps_its_own_list_of_kink_ops() -> None:
    """Kinks have one home: the table's ``kink`` rules, asked through ``kink_at``."""
    pattern = re.compile(r'"(abs|relu)",\s*"(relu|sign|step|abs)"')
    for path in (ROOT / "backprop_cli").rglob("*.py"):
        assert not pattern.search(path.read_text(encoding="utf-8")), path


def test_the_table_and_explain_note_a_kink_inside_a_def() -> None:
    program = "def f(a) = relu(a); f(x) * y"
    table = run("eval", program, "x=0", "y=2")
    row = next(line for line in table.out.splitlines() if "f (def)" in line)
    assert "kink" in row
    explained = run("eval", program, "x=0", "y=2", "--explain").out
    assert "! relu at 0 is a kink: its derivative is taken as 0 (in the body of f)" in explained
    ties = run("eval", "def m(a, b) = max(a, b); m(x, y)", "x=1", "y=1").out
    assert "tie" in next(line for line in ties.splitlines() if "m (def)" in line)
