"""backprop check over array inputs: a row per element, central differences against the
array backward pass; a wrong rule fails; kinks found element by element."""

from __future__ import annotations

import json

from hypothesis import given, settings

from backprop_cli import parse_program
from backprop_cli.api import bind_inputs
from backprop_cli.check import gradient_check
from tests.commands.array_programs import array_points, array_programs
from tests.harness import run


@settings(max_examples=40)
@given(array_programs(), array_points())
def test_correct_rules_pass(program: str, point: dict) -> None:
    graph = parse_program(program)
    rows = gradient_check(graph, bind_inputs(graph, point), 1e-6)
    assert [row.name for row in rows] == (
        ["W[0,0]", "W[0,1]", "W[0,2]", "W[1,0]", "W[1,1]", "W[1,2]", "x[0]", "x[1]", "x[2]",
         "y[0]", "y[1]", "c"])
    assert all(row.status == "ok" for row in rows), (program, rows)


def _with_wrong_rule(program: str, op_name: str, wrong) -> object:
    graph = parse_program(program)
    nodes = tuple(node._replace(op=node.op._replace(vjps=wrong))
                  if node.op.name == op_name else node for node in graph.nodes)
    return graph._replace(nodes=nodes)


def test_a_wrong_rule_fails() -> None:
    # matmul's dB = A^T g written as A g (no transpose): only the x elements fail
    program = "W = [[1, 2], [3, 4]]; x = [1, -1]; sum(sin(W @ x))"
    graph = parse_program(program)
    right = graph.nodes[[n.op.name for n in graph.nodes].index("matmul")].op.vjps
    wrong = (right[0], lambda xp, g, out, a, b: xp.matmul(a, g[:, None])[:, 0])
    broken = _with_wrong_rule(program, "matmul", wrong)
    rows = gradient_check(broken, bind_inputs(broken, {}), 1e-6)
    status = {row.name: row.status for row in rows}
    assert status == {"W[0,0]": "ok", "W[0,1]": "ok", "W[1,0]": "ok", "W[1,1]": "ok",
                      "x[0]": "FAIL", "x[1]": "FAIL"}
    assert all(row.status == "ok"
               for row in gradient_check(graph, bind_inputs(graph, {}), 1e-6))


def test_exit_status_and_json() -> None:
    result = run("check", "W=[[1,2],[3,4]]; x=[1,-1]; sum(tanh(W @ x))", "-F", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["passed"] is True
    assert [r["name"] for r in data["inputs"]] == ["W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]",
                                                  "x[0]", "x[1]"]
    for r in data["inputs"]:
        assert abs(r["analytic"] - r["numeric"]) < 1e-8


def test_a_bound_array() -> None:
    result = run("check", "sum(w * w)", "w=[1,2,3]", "-F", "json")
    # the program reads w as a scalar until it is bound: built again with its shape
    assert result.code == 0, result.err
    assert [r["analytic"] for r in json.loads(result.out)["inputs"]] == [2, 4, 6]


def test_kinks_element_by_element() -> None:
    data = json.loads(run("check", "x=[0, 1]; y=2; sum(relu(x) * y)", "-F", "json").out)
    assert {r["name"]: r["status"] for r in data["inputs"]} == {
        "x[0]": "kink", "x[1]": "ok", "y": "ok"}
    data = json.loads(run("check", "x=[0, 1]; y=0; sum(relu(x + y))", "-F", "json").out)
    assert {r["name"]: r["status"] for r in data["inputs"]} == {
        "x[0]": "kink", "x[1]": "ok", "y": "kink"}


def test_ties_of_max_of_one_array() -> None:
    data = json.loads(run("check", "x=[1, 1, 0]; max(x)", "-F", "json").out)
    assert [r["status"] for r in data["inputs"]] == ["kink", "kink", "ok"]
    data = json.loads(run("check", "x=[1, 2, 0]; max(x)", "-F", "json").out)
    assert [r["status"] for r in data["inputs"]] == ["ok", "ok", "ok"]


def test_a_def_over_arrays() -> None:
    smooth = json.loads(run("check", "def f(a) = abs(a); x=[2, 1]; sum(f(x))", "-F", "json").out)
    assert [r["status"] for r in smooth["inputs"]] == ["ok", "ok"]
    kinked = json.loads(run("check", "def f(a) = abs(a); x=[0, 1]; sum(f(x))", "-F", "json").out)
    assert "kink" in [r["status"] for r in kinked["inputs"]]

