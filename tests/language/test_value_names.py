"""A value may take the name of a built-in function (the tutorials' ``dot = ...``): calls
and values are apart, so ``dot(a, b)`` still calls the function; a def may not."""

from __future__ import annotations

from backprop_cli import evaluate
from tests.harness import check_error, run


def test_a_value_named_like_a_function_is_a_value_and_the_call_is_the_function() -> None:
    result = evaluate("w = [2, -3]; x = [-1, -2]; dot = w[0]*x[0] + w[1]*x[1]; "
                      "dot + dot(w, x)")
    assert result.value == 4.0 + 4.0
    assert result.gradient["w"].tolist() == [-2.0, -4.0]


def test_a_scalar_value_may_shadow_a_function_name() -> None:
    result = evaluate("sin = 2; sin(sin)")
    assert result.graph.nodes[0].name == "sin"
    assert abs(result.value - 0.9092974268256817) < 1e-15


def test_a_def_may_not_take_a_built_in_name() -> None:
    check_error(run("eval", "def sin(t) = t\nsin(1)"), 2, "sin")
