"""Whole programs: semantics, random programs against finite differences, scale."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import assume, given, settings

from backprop_cli import EvaluationError, InputError, evaluate, parse_program
from tests.harness import close, numeric_gradient
from tests.strategies import points, programs

# -- semantics -------------------------------------------------------------------------------


def test_fan_out_sums_the_gradients() -> None:
    result = evaluate("b = a + a; c = b + b", {"a": 3.0})
    assert result.gradient == {"a": 4.0}
    names = [n.name for n in result.nodes]
    assert names.count("a") == 1  # one node with two uses


def test_a_leaf_used_twice_is_one_node() -> None:
    result = evaluate("x * x + x", {"x": 3.0})
    assert [n.op for n in result.nodes].count("input") == 1
    assert result.gradient == {"x": 7.0}


def test_constant_assignment_is_an_input_with_a_default() -> None:
    program = "x = -2; y = 5; z = -4; q = x + y; f = q * z"
    assert evaluate(program).gradient == {"x": -4.0, "y": -4.0, "z": 3.0}
    assert evaluate(program, {"x": 1.0}).value == (1 + 5) * -4
    inputs = [n for n in evaluate(program).nodes if n.op == "input"]
    assert [n.name for n in inputs] == ["x", "y", "z"]


def test_constant_expressions_fold_into_defaults() -> None:
    result = evaluate("r = 2 * pi / 4; sin(r)")
    assert result.gradient == {"r": pytest.approx(math.cos(math.pi / 2))}
    assert result.nodes[0].value == pytest.approx(math.pi / 2)


def test_input_read_before_its_default_is_assigned() -> None:
    result = evaluate("f = x * 2; x = 3; f")
    assert result.value == 6.0 and result.gradient == {"x": 2.0}


def test_output_picks_a_named_node() -> None:
    result = evaluate("q = x + y; f = q * z", {"x": -2, "y": 5, "z": -4}, output="q")
    assert result.output == "q" and result.value == 3.0
    assert result.gradient == {"x": 1.0, "y": 1.0, "z": 0.0}  # every input, even unused


def test_binding_a_computed_name_is_an_error() -> None:
    with pytest.raises(InputError, match="computed"):
        evaluate("q = x + y; f = q * z", {"x": 1, "y": 2, "z": 3, "q": 1})


def test_missing_values_are_listed_together() -> None:
    with pytest.raises(InputError, match="y, z"):
        evaluate("x + y * z", {"x": 1})


def test_unnamed_output_is_its_source_text() -> None:
    assert evaluate("(x+y)*z", {"x": 1, "y": 3, "z": -3}).output == "(x+y)*z"
    assert evaluate("f = (x+y)*z", {"x": 1, "y": 3, "z": -3}).output == "f"


def test_alias_of_an_input() -> None:
    result = evaluate("a = x; a * 3", {"x": 2.0})
    assert result.gradient == {"x": 3.0}
    with pytest.raises(InputError, match="computed"):
        evaluate("a = x; a * 3", {"x": 2.0, "a": 1.0})


def test_pi_and_e() -> None:
    assert evaluate("pi + e").value == math.pi + math.e
    with pytest.raises(InputError, match="constant"):
        evaluate("pi = 3; pi")
    with pytest.raises(InputError, match="constant"):
        evaluate("x + pi", {"x": 1, "pi": 3})


def test_user_functions_are_blocks_and_expand_the_same() -> None:
    program = (
        "def neuron(w, x, b) = sigmoid(w * x + b)\n"
        "def sq(d) = d * d\n"
        "loss = sq(neuron(w, x, b) - t)"
    )
    point = {"w": 0.5, "x": 2.0, "b": -1.0, "t": 1.0}
    one = evaluate(program, point)
    fine = evaluate(program, point, expand=True)
    assert [n.op for n in one.nodes].count("def") == 2
    assert "def" not in [n.op for n in fine.nodes] and "sigmoid" not in [n.op for n in fine.nodes]
    assert one.value == pytest.approx(fine.value, rel=1e-15)
    for name in point:
        assert one.gradient[name] == pytest.approx(fine.gradient[name], rel=1e-12)
    numeric = numeric_gradient(program, point)
    for name in point:
        assert close(one.gradient[name], numeric[name])


def test_nested_functions_inline_into_each_other() -> None:
    lines = ["def f0(x) = sin(x) + 1"]
    lines += [f"def f{i}(x) = f{i - 1}(x) * 0.5" for i in range(1, 300)]
    lines.append("f299(y)")
    result = evaluate("\n".join(lines), {"y": 0.3})
    assert result.value == pytest.approx((math.sin(0.3) + 1) * 0.5**299)


@pytest.mark.parametrize(
    ("program", "message"),
    [
        ("log(x)", "log of a negative number"),
        ("1 / x", "division by zero"),
        ("sqrt(x)", "square root of a negative number"),
        ("exp(x * 1000)", "overflow"),
        ("asin(x - 3)", "asin is defined on"),
        ("x ^ 0.5", "non-integer power"),
    ],
)
def test_domain_errors_name_the_node(program: str, message: str) -> None:
    point = {"x": -1.0 if "1000" not in program and "/" not in program else 0.0}
    if "1000" in program:
        point = {"x": 1.0}
    with pytest.raises(EvaluationError) as caught:
        evaluate(program, point)
    assert message in caught.value.message
    assert caught.value.start is not None


def test_nonfinite_numbers_pass_when_allowed() -> None:
    result = evaluate("log(x)", {"x": 0.0}, allow_nonfinite=True)
    assert result.value == -math.inf


def test_gradient_error_names_the_gate() -> None:
    with pytest.raises(EvaluationError, match="sqrt"):
        evaluate("sqrt(x) + 1", {"x": 0.0})


# -- random programs against finite differences ------------------------------------------------

# where max/min/abs/relu of the generated programs can switch branch: keep away from them
KINK_POINTS = (0.0, 0.25, 0.5, 1.5, 2.0)


@settings(max_examples=150)
@given(programs(), points)
def test_random_programs_against_finite_differences(program: str, point: dict) -> None:
    graph = parse_program(program)
    used = {graph.nodes[i].name for i in graph.inputs}
    point = {k: v for k, v in point.items() if k in used}
    # stay away from kinks, where a finite difference straddles two slopes
    assume(all(abs(abs(v) - c) > 0.01 for v in point.values() for c in KINK_POINTS))
    values = sorted(point.values())
    assume(all(b - a > 0.01 for a, b in itertools.pairwise(values)))
    result = evaluate(program, point)
    numeric = numeric_gradient(program, point)
    for name in point:
        assert close(result.gradient[name], numeric[name], rel=1e-4, abs_tol=1e-5), (
            program, point, name, result.gradient[name], numeric[name])
    expanded = evaluate(program, point, expand=True)
    for name in point:
        assert close(expanded.gradient[name], result.gradient[name], rel=1e-9, abs_tol=1e-12)


# -- scale: no recursion at depth or size --------------------------------------------------------


def test_hundred_thousand_nested_parentheses_evaluate() -> None:
    depth = 100_000
    result = evaluate("(" * depth + "x" + ")" * depth + " * 2", {"x": 3.0})
    assert result.value == 6.0 and result.gradient == {"x": 2.0}


def test_twenty_thousand_nested_sines() -> None:
    depth = 20_000
    result = evaluate("sin(" * depth + "x" + ")" * depth, {"x": 0.5})
    value, grad = 0.5, 1.0
    for _ in range(depth):
        grad *= math.cos(value)
        value = math.sin(value)
    assert result.value == pytest.approx(value, rel=1e-12)
    assert result.gradient["x"] == pytest.approx(grad, rel=1e-9)
    assert len(result.nodes[-1].label) < 200


def test_two_hundred_thousand_term_sum() -> None:
    terms = 200_000
    program = " + ".join(f"{i % 7}*x" for i in range(terms))
    result = evaluate(program, {"x": 1.0})
    expected = float(sum(i % 7 for i in range(terms)))
    assert result.value == expected and result.gradient == {"x": expected}


def test_deep_unary_minus_and_powers() -> None:
    depth = 50_000
    assert evaluate("-" * depth + "x", {"x": 2.0}).value == 2.0
    assert evaluate("x" + "^1" * depth, {"x": 2.0}).gradient == {"x": 1.0}
