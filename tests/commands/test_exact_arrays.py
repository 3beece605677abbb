"""eval --exact on programs with vectors and matrices: rational arrays through + - * /,
@, sum, dot and the other tensor ops with a rational value; a refusal naming the op
for the others; JSON with nested lists of fractions."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backprop_cli import EvaluationError, evaluate, parse_program
from backprop_cli.diff import symbolic_gradient
from backprop_cli.render.formula import to_text
from tests.harness import run

DEFAULTS = "x = [1, 2, 3]\ny = [-1, 2, 4]\nA = [[1, 2, 0], [0, 1, -1], [2, 0, 1]]\ns = 3\n"
SHAPES = {"x": (3,), "y": (3,), "A": (3, 3), "s": ()}


def _vector(draw: st.DrawFn, depth: int) -> str:
    if depth <= 0:
        return draw(st.sampled_from(["x", "y", "A[1]", "A.T[2]", "[s, 1, x[0]]"]))
    v = lambda: _vector(draw, depth - 1)  # noqa: E731
    kind = draw(st.integers(0, 7))
    if kind == 0:
        return f"A @ {v()}"
    if kind == 1:
        return f"{v()} @ A"
    if kind == 2:
        return f"({v()} {draw(st.sampled_from(['+', '-', '*']))} {v()})"
    if kind == 3:
        return f"({v()} / {draw(st.sampled_from(['3', '7', '(s * s + 1)']))})"
    if kind == 4:
        return f"({_scalar(draw, depth - 1)} * {v()})"
    if kind == 5:
        return f"{draw(st.sampled_from(['abs', 'relu']))}({v()})"
    if kind == 6:
        return f"(A.T @ A @ {v()})"
    return f"({v()} ^ 2 - {v()})"


def _scalar(draw: st.DrawFn, depth: int) -> str:
    if depth <= 0:
        return draw(st.sampled_from(["s", "x[2]", "A[0, 1]"]))
    kind = draw(st.integers(0, 5))
    if kind == 0:
        return f"sum({_vector(draw, depth - 1)})"
    if kind == 1:
        return f"dot({_vector(draw, depth - 1)}, {_vector(draw, depth - 1)})"
    if kind == 2:
        return f"mean({_vector(draw, depth - 1)})"
    if kind == 3:
        return f"{_vector(draw, depth - 1)} @ {_vector(draw, depth - 1)}"
    if kind == 4:
        return f"{draw(st.sampled_from(['max', 'min']))}({_vector(draw, depth - 1)})"
    return f"sum(outer({_vector(draw, depth - 1)}, {_vector(draw, depth - 1)}) / 5)"


@st.composite
def exact_programs(draw: st.DrawFn) -> str:
    return DEFAULTS + "f = " + _scalar(draw, draw(st.integers(1, 3)))


def _values(shape: tuple[int, ...]) -> st.SearchStrategy:
    number = st.integers(-24, 24).map(lambda k: k / 8)
    if not shape:
        return number
    return st.lists(_values(shape[1:]), min_size=shape[0], max_size=shape[0])


points = st.fixed_dictionaries({name: _values(shape) for name, shape in SHAPES.items()})


def _fractions(value: object) -> np.ndarray:
    return np.vectorize(Fraction, otypes=[object])(np.asarray(value, dtype=object))


@settings(max_examples=60)
@given(exact_programs(), points)
def test_exact_gradients_are_the_float_ones_and_diff_s_formulas(program: str,
                                                                point: dict) -> None:
    try:
        floats = evaluate(program, point)
        rational = evaluate(program, point, exact=True)
    except EvaluationError:
        assume(False)  # a division by zero
    graph = parse_program(program)
    gradient = symbolic_gradient(graph, list(SHAPES))
    values, grads = rational.exact
    assert isinstance(values[graph.output], Fraction)
    for name, expr in gradient.derivatives.items():
        node = graph.names[name]
        exact = np.asarray(grads[node], dtype=object)
        assert all(isinstance(g, Fraction) for g in exact.flat)
        assert np.allclose(np.asarray(exact, dtype=float), floats.gradient[name],
                           rtol=1e-12, atol=1e-12)
        # diff's formula, evaluated exactly: the same rationals, by another route
        text = DEFAULTS + "d = " + to_text(expr) + "\nsum(d)"
        try:
            formula = evaluate(text, point, exact=True)  # d is an array: its sum the output
        except EvaluationError:
            continue  # the formula divides by something the program only multiplies by
        d = np.asarray(formula.exact[0][formula.graph.names["d"]], dtype=object)
        if "." in to_text(expr):  # diff folded a constant into a double (1/3 -> 0.333...)
            assert np.allclose(d.astype(float), exact.astype(float), rtol=1e-12, atol=1e-12)
        else:
            assert d.tolist() == exact.tolist(), (program, name)


def test_a_third_stays_a_third() -> None:
    result = run("eval", "--exact", "x = [1, 2]; A = [[1, 3], [1, 4]]; f = x @ A @ x / 3",
                 "--grad", "x", "--grad", "A")
    assert result.code == 0, result.err
    assert result.out == "[10/3, 20/3]\n[[1/3, 2/3], [2/3, 4/3]]\n"


def test_json_holds_nested_lists_of_fractions() -> None:
    result = run("eval", "--exact", "x = [1, 2]; f = sum(x / 3) + x[0] / 7", "-F", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["value_exact"] == "8/7"
    assert data["gradient_exact"] == {"x": ["10/21", "1/3"]}
    assert data["gradient"]["x"] == [10 / 21, 1 / 3]
    node = next(n for n in data["nodes"] if n["label"] == "x / 3")
    assert node["value_exact"] == ["1/3", "2/3"] and node["grad_exact"] == ["1", "1"]


def test_the_table_shows_fractions() -> None:
    result = run("eval", "--exact", "A = [[1, 2], [3, 4]]; f = sum(A.T / 3)")
    assert result.code == 0, result.err
    assert "[[1/3, 1/3], [1/3, 1/3]]" in result.out and "10/3" in result.out


def test_bindings_are_exact_decimals() -> None:
    result = run("eval", "--exact", "dot(x, x)", "x=[0.1,0.2]", "--grad", "x")
    assert result.out == "[1/5, 2/5]\n"


@pytest.mark.parametrize(("program", "op"), [
    ("x = [1, 2]; norm(x)", "norm"),
    ("x = [1, 2]; softmax(x)[0]", "softmax"),
    ("x = [1, 2]; log_softmax(x)[0]", "log_softmax"),
    ("x = [1, 2]; logsumexp(x)", "logsumexp"),
    ("x = [1, 2]; sum(exp(x))", "exp"),
])
def test_ops_without_a_rational_value_are_refused_by_name(program: str, op: str) -> None:
    result = run("eval", "--exact", program)
    assert result.code == 2
    assert f"{op} has no exact rational value" in result.err
    assert "@, dot" in result.err and "sum" in result.err and "^" in result.err
    assert "Traceback" not in result.err


def test_the_scalar_refusal_is_unchanged() -> None:
    result = run("eval", "--exact", "exp(x)", "x=1")
    assert result.code == 2
    assert ("--exact works with +, -, *, /, ^ (integer powers), abs, relu, max, min, sign "
            "and step; exp has no exact rational value") in result.err


def test_division_by_zero_in_an_array() -> None:
    result = run("eval", "--exact", "x = [1, 0]; sum(1 / x)")
    assert result.code == 1
    assert "division by zero" in result.err and "Traceback" not in result.err


def test_the_digit_bound_holds_for_arrays() -> None:
    result = run("eval", "--exact", "--max-digits", "5", "x = [1, 3]; sum(x / 3) ^ 40")
    assert result.code != 0
    assert "too large for exact arithmetic" in result.err


def test_a_sample_with_sigmoid_is_refused() -> None:
    result = run("eval", "--exact", "-f", "samples/layer.bp", "-F", "json")
    assert result.code == 2
    assert "sigmoid has no exact rational value" in result.err
