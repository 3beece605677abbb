"""diff, check and hessian: formulas that eval reads back, finite differences, exactness."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from hypothesis import assume, given, settings

from backprop_cli import EvaluationError, evaluate, parse_program
from backprop_cli.api import bind_inputs
from backprop_cli.derivatives import choose_inputs, gradient_check, hessian, symbolic_gradient
from backprop_cli.render.formula import to_program, to_text
from tests.harness import central_difference, run
from tests.strategies import input_points, programs


def derivative_texts(program: str) -> dict[str, str]:
    graph = parse_program(program)
    gradient = symbolic_gradient(graph, choose_inputs(graph, None))
    return {name: to_text(expr) for name, expr in gradient.derivatives.items()}


def test_the_first_worked_example() -> None:
    assert derivative_texts("(x+y)*z") == {"x": "z", "y": "z", "z": "x + y"}
    result = run("diff", "(x+y)*z")
    assert result.out == "d/dx = z\nd/dy = z\nd/dz = x + y\n"


@pytest.mark.parametrize(("program", "expected"), [
    ("x*x", "2 * x"),
    ("x*x*x", "3 * x^2"),
    ("--x", "1"),
    ("x - x + 2*x + 3*x", "5"),
    ("exp(x) * 0 + x", "1"),
    ("x^1", "1"),
    ("tanh(x)", "1 / cosh(x)^2"),
    ("asin(x)", "1 / sqrt((1 - x) * (x + 1))"),
    ("relu(x)", "step(x)"),
    ("abs(x)", "sign(x)"),
])
def test_simplification(program: str, expected: str) -> None:
    assert derivative_texts(program)["x"] == expected


def test_sigmoid_neuron_formula_value() -> None:
    texts = derivative_texts(Path("samples/sigmoid.bp").read_text())
    point = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}
    value = evaluate(texts["w0"], {k: v for k, v in point.items() if k in texts["w0"]}).value
    assert round(value, 4) == -0.1966


def evaluable(program: str, point: dict) -> tuple:
    """The graph, its inputs, the point on them and eval's result; skips a point where
    the program has no finite value."""
    graph = parse_program(program)
    names = list(graph.input_names())
    point = {k: v for k, v in point.items() if k in names}
    try:
        result = evaluate(program, point)
    except EvaluationError:
        assume(False)
    return graph, names, point, result


@settings(max_examples=120)
@given(programs(), input_points)
def test_printed_derivatives_agree_with_eval(program: str, point: dict) -> None:
    graph, names, point, result = evaluable(program, point)
    texts = derivative_texts(program)
    full = {**{graph.nodes[i].name: graph.nodes[i].value for i in graph.inputs
               if graph.nodes[i].value is not None}, **point}
    for name in names:
        formula = texts[name]
        used = {k: v for k, v in full.items() if k in parse_program(formula).names}
        try:
            printed = evaluate(formula, used).value
        except EvaluationError:
            # the formula may take a branch the program avoids (0 * inf): compare elsewhere
            assume(False)
        expected = result.gradient[name]
        assert math.isclose(printed, expected, rel_tol=1e-9, abs_tol=1e-12), (
            program, point, name, formula, printed, expected)


@settings(max_examples=60)
@given(programs(), input_points)
def test_the_straight_line_program_agrees(program: str, point: dict) -> None:
    graph, names, point, result = evaluable(program, point)
    gradient = symbolic_gradient(graph, names)
    statements = to_program(list(gradient.derivatives.values()),
                            [f"d_{n}" for n in names], set(graph.names))
    text = program + "\n" + "\n".join(f"{n} = {f}" for n, f in statements)
    for name in names:
        try:
            value = evaluate(text, point, output=f"d_{name}").value
        except EvaluationError:
            assume(False)
        assert math.isclose(value, result.gradient[name], rel_tol=1e-9, abs_tol=1e-12)


def test_diff_program_round_trips_through_eval() -> None:
    program = run("diff", "-f", "samples/neuron.bp", "--program")
    assert program.code == 0
    again = run("eval", "-", "--output", "d_w0", "--value", stdin=program.out)
    assert again.code == 0, again.err
    assert round(float(again.out), 4) == -0.1966


def test_diff_program_grows_linearly() -> None:
    def size(n: int) -> int:
        lines = ["t0 = x"] + [f"t{i} = sin(t{i - 1}) * t{i - 1} + y" for i in range(1, n)]
        result = run("diff", "\n".join(lines), "--program")
        assert result.code == 0, result.err
        return len(result.out)

    small, large = size(100), size(400)
    assert large < 5 * small


def test_ten_thousand_node_program_differentiates() -> None:
    lines = ["t0 = x"]
    for i in range(1, 2600):
        lines.append(f"t{i} = tanh(t{i - 1} * w{i % 7} + t{max(0, i - 2)} * 0.5)")
    program = "\n".join(lines)
    assert len(parse_program(program).nodes) >= 10_000
    result = run("diff", program, "--program", "--wrt", "x,w1")
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1].startswith("d_w1 = ")
    inline = run("diff", program, "--wrt", "x")
    assert inline.code == 2 and "--program" in inline.err


def test_diff_formats() -> None:
    bare = run("diff", "x^3 * sin(x)", "--bare")
    assert bare.out == "x^3 * cos(x) + sin(x) * (3 * x^2)\n"
    data = json.loads(run("diff", "(x+y)*z", "-F", "json").out)
    assert data["derivatives"] == {"x": "z", "y": "z", "z": "x + y"}
    latex = run("diff", "w0 * x / (1 + y^2)", "-F", "latex", "--wrt", "y").out
    assert latex.startswith(r"\frac{\partial f}{\partial y} = ")
    assert r"\frac{" in latex.split("=", 1)[1]
    assert run("diff", "x*y", "--bare").code == 2
    assert run("diff", "x*y", "x=1").code == 2
    assert "no input named 'q'" in run("diff", "x*y", "--wrt", "q").err


# -- check -----------------------------------------------------------------------------------


def test_check_passes_on_the_samples() -> None:
    for sample in ("samples/neuron.bp", "samples/sigmoid.bp", "samples/functions.bp"):
        result = run("check", "-f", sample)
        assert result.code == 0, (sample, result.out)
        assert "all inputs pass" in result.out


def test_check_reports_kinks_without_failing() -> None:
    result = run("check", "relu(x) * y + max(x, z)", "x=0", "y=2", "z=0", "-F", "json")
    assert result.code == 0, result.out
    data = json.loads(result.out)
    statuses = {row["name"]: row["status"] for row in data["inputs"]}
    assert statuses["x"] == "kink" and statuses["y"] == "ok"


def test_check_fails_a_wrong_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    from backprop_cli.core import ops

    broken = ops.OPS["sin"]._replace(partials=(lambda xp, out, x: xp.cos(x) * 1.01,))
    monkeypatch.setitem(ops.FUNCTIONS, "sin", broken)
    result = run("check", "sin(x) * y", "x=0.5", "y=2", "-F", "json")
    assert result.code == 1
    data = json.loads(result.out)
    assert {r["name"]: r["status"] for r in data["inputs"]} == {"x": "fail", "y": "ok"}
    graph = parse_program("sin(x)")
    rows = gradient_check(graph, bind_inputs(graph, {"x": 0.5}), 1e-6)
    assert rows[0].status == "FAIL"


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
