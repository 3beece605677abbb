"""eval --explain over arrays: the tensor ops' rules in words and numbers, elementwise
products, sums back to a broadcast shape, fan-out sums of arrays; JSON."""

from __future__ import annotations

import json

import numpy as np
from hypothesis import given, settings

from backprop_cli import evaluate, parse_program
from backprop_cli.api import evaluate_at
from backprop_cli.explain import contributions_by_target, steps
from tests.commands.array_programs import array_points, array_programs
from tests.harness import run


def test_matmul_rule_in_words_and_numbers() -> None:
    out = run("eval", "W=[[1,2],[3,4]]; x=[1,-1]; sum(W @ x)", "--explain").out
    assert "(matmul: dA = upstream @ B^T, dB = A^T @ upstream)" in out
    assert ("df/dW = upstream @ x^T (a vector operand as a one-row matrix) = "
            "[1, 1] @ [1, -1]^T = [[1, -1], [1, -1]]") in out
    assert "df/dx = W^T @ upstream" in out and "[[1, 2], [3, 4]]^T @ [1, 1] = [4, 6]" in out


def test_broadcast_sum_and_large_arrays() -> None:
    out = run("eval", "W=[[1,2,3],[3,4,5],[1,1,1]]; x=[1,-1,2]; b=1; sum(W @ x + b)",
              "--explain").out
    assert "df/db = upstream * local = [1, 1, 1] * 1 = 3   (summed back to its shape" in out
    assert "df/dW = upstream @ x^T" in out and "= <3x3 array>" in out


def test_fan_out_of_arrays() -> None:
    out = run("eval", "x=[1,2]; sum(x * x) + sum(x)", "--explain").out
    # sum(x) gives [1, 1]; x * x gives upstream * x to each operand: [1, 2] twice
    assert ("df/dx = [1, 1] + [1, 2] + [1, 2] = [3, 5]   (3 paths: the gradients add up)"
            in out)


def test_kinks_element_by_element() -> None:
    out = run("eval", "x=[1, 0]; sum(relu(x))", "--explain").out
    assert "! relu at 0 is a kink: its derivative is taken as 0 (element [1])" in out


@settings(max_examples=30)
@given(array_programs(), array_points())
def test_the_contributions_add_up_to_the_gradients(program: str, point: dict) -> None:
    graph = parse_program(program)
    result = evaluate_at(graph, point)
    values, grads = result.numbers
    gate_steps = steps(graph, values, grads, result.xp)
    into = contributions_by_target(gate_steps)
    for i in graph.inputs:
        total = sum(c.value for c in into.get(i, []))
        np.testing.assert_allclose(total, grads[i], rtol=1e-12, atol=1e-12)


def test_json_has_nested_lists_and_rules() -> None:
    data = json.loads(run("eval", "x=[1,2]; b=1; sum(x + b)", "--explain", "-F", "json").out)
    add = next(s for s in data["steps"] if s["pattern"].startswith("add"))
    assert add["upstream"] == [1, 1]
    assert [c["rule"] for c in add["contributions"]] == ["elementwise", "elementwise"]
    assert [c["summed"] for c in add["contributions"]] == [False, True]
    assert add["contributions"][1]["contribution"] == 2


def test_scalar_explanations_keep_their_keys() -> None:
    data = json.loads(run("eval", "(x+y)*z", "x=1", "y=3", "z=-3", "--explain",
                          "-F", "json").out)
    assert "rule" not in data["steps"][0]["contributions"][0]
    assert evaluate("(x+y)*z", {"x": 1, "y": 3, "z": -3}).value == -12
