"""backprop hessian: symmetric, exact for polynomials, equal to differences of the
gradient; its errors."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import assume, given, settings

from backprop_cli import EvaluationError, evaluate, parse_program
from backprop_cli.api import bind_inputs
from backprop_cli.hessian import hessian
from tests.harness import (
    NEURON,
    POINT,
    binds,
    central_difference,
    clean,
    eval_json,
    run,
    strict_json,
)
from tests.strategies import input_points, programs

# -- hessian ---------------------------------------------------------------------------------


def test_hessian_of_the_first_example() -> None:
    result = run("hessian", "(x+y)*z", "x=1", "y=3", "z=-3", "-F", "json")
    assert json.loads(result.out)["hessian"] == [[0, 0, 1], [0, 0, 1], [1, 1, 0]]
    table = run("hessian", "(x+y)*z", "x=1", "y=3", "z=-3")
    assert table.code == 0 and "Hessian" in table.out


@settings(max_examples=60)
@given(programs(), input_points)
def test_hessian_against_differences_of_the_gradient(program: str, point: dict) -> None:
    graph = parse_program(program)
    names = list(graph.input_names())
    point = {k: v for k, v in point.items() if k in names}
    assume(all(abs(v) > 0.05 and abs(abs(v) - 0.25) > 0.05 for v in point.values()))
    assume(len({round(v, 2) for v in point.values()}) == len(point))
    bound = bind_inputs(graph, point)
    point = {graph.nodes[i].name: v for i, v in bound.items()}
    try:
        matrix = hessian(graph, bound)
    except EvaluationError:
        assume(False)
    for c, name in enumerate(names):
        def column(v: float, name: str = name) -> dict[str, float]:
            return evaluate(program, {**point, name: v}).gradient

        h = 1e-5 * max(1.0, abs(point[name]))
        up, down = column(point[name] + h), column(point[name] - h)
        for r, other in enumerate(names):
            numeric = (up[other] - down[other]) / (2 * h)
            assert math.isclose(matrix[r][c], numeric, rel_tol=1e-4, abs_tol=1e-5), (
                program, point, other, name, matrix[r][c], numeric)
    for r in range(len(names)):
        for c in range(len(names)):
            assert matrix[r][c] == matrix[c][r]


def test_hessian_is_exact_for_polynomials() -> None:
    graph = parse_program("x^3 * y + 2 * x * y^2")
    matrix = hessian(graph, bind_inputs(graph, {"x": 1.5, "y": -2.0}))
    assert matrix == [[6 * 1.5 * -2.0, 3 * 1.5**2 + 4 * -2.0], [3 * 1.5**2 + 4 * -2.0, 4 * 1.5]]


def test_hessian_errors() -> None:
    assert run("hessian", "sqrt(x)", "x=0").code == 1
    assert run("hessian", "x*y", "x=1").code == 2
    assert central_difference(math.sin, 0.0) == pytest.approx(1.0)


# --------------------------------------------------------------------------------------
# hessian
# --------------------------------------------------------------------------------------
HESSIAN_CASES = [
    ("x^y * sin(x*y)", {"x": 1.3, "y": 0.7}),
    ("def f(a, b) = a*exp(b) - b^3\nf(x, y) * f(y, z)", {"x": 0.4, "y": -0.3, "z": 0.8}),
    ("sigmoid(w*x + b)", {"w": 0.5, "x": -1.5, "b": 0.2}),
    ("log(x, y) + sqrt(x*y) + atan(x/y)", {"x": 2.5, "y": 1.7}),
    ("max(x, y)^2 * z + min(y*z, x)", {"x": 1.0, "y": 2.0, "z": 0.3}),
    ("tanh(x)*cosh(y) + softplus(x - y) + 1/(x^2 + y^2)", {"x": 0.2, "y": -0.4}),
]


@pytest.mark.parametrize("program, point", HESSIAN_CASES)
def test_hessian_is_symmetric_and_matches_differences_of_the_gradient(program: str,
                                                                      point: dict) -> None:
    data = strict_json(clean(run("hessian", program, *binds(point), "-F", "json"), 0).out)
    names, matrix = data["inputs"], data["hessian"]
    assert names == list(point)
    for r in range(len(names)):
        for c in range(len(names)):
            assert matrix[r][c] == matrix[c][r]
    for c, name in enumerate(names):
        h = 1e-5 * max(1.0, abs(point[name]))
        up = eval_json(program, {**point, name: point[name] + h})["gradient"]
        down = eval_json(program, {**point, name: point[name] - h})["gradient"]
        for r, other in enumerate(names):
            numeric = (up[other] - down[other]) / (2 * h)
            assert math.isclose(matrix[r][c], numeric, rel_tol=1e-5, abs_tol=1e-6), (
                name, other, matrix[r][c], numeric)


def test_hessian_expand_agrees() -> None:
    program, point = HESSIAN_CASES[1]
    folded = json.loads(clean(run("hessian", program, *binds(point), "-F", "json"), 0).out)
    flat = json.loads(clean(run("hessian", program, *binds(point), "-F", "json", "--expand"),
                            0).out)
    for a, b in zip(folded["hessian"], flat["hessian"]):
        assert all(math.isclose(p, q, rel_tol=1e-12) for p, q in zip(a, b))


def test_hessian_edges() -> None:
    assert json.loads(clean(run("hessian", "3", "-F", "json"), 0).out)["hessian"] == []
    clean(run("hessian", "x^1.5", "x=0"), 1, "second derivative")
    clean(run("hessian", "sqrt(x)", "x=-1"), 1, "sqrt")
    clean(run("hessian", NEURON, *POINT, "-F", "latex"), 2, "--format")
    clean(run("hessian", NEURON, *POINT, "-p", "0"), 2, "--precision")
    clean(run("hessian", NEURON, "x=1", "y=3"), 2, "z")
    clean(run("hessian", NEURON, *POINT, "w=2"), 2, "w")
    clean(run("hessian", NEURON, "x=nan", "y=3", "z=1"), 2, "x")
    clean(run("hessian", "x ÷ y", "x=1", "y=2"), 2, "U+00F7")
