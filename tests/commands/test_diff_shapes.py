"""``diff --shape``: the shapes of array inputs the program does not assign, and the hint
that a shape error on such an input gives."""

from __future__ import annotations

import pytest

from tests.harness import check_error, run


def test_shapes_make_a_free_program_differentiable() -> None:
    result = run("diff", "x @ A @ x", "--shape", "x=2", "--shape", "A=2x2")
    assert result.code == 0, result.err
    assert result.out.splitlines() == ["d/dx = A.T @ x + A @ x", "d/dA = outer(x, x)"]


def test_a_shape_that_does_not_fit_is_a_shape_error_with_a_caret() -> None:
    result = run("diff", "x @ A @ x", "--shape", "x=2", "--shape", "A=3x2")
    check_error(result, 2, "inner sizes differ")
    assert "^" in result.err


@pytest.mark.parametrize("text", ["x", "x=", "x=0", "x=2x", "x=-1", "1x=2", "x=2*3"])
def test_a_malformed_shape_is_a_usage_error(text: str) -> None:
    check_error(run("diff", "sum(x)", "--shape", text), 2, "--shape")


def test_a_free_input_used_as_an_array_says_how_to_give_it_a_shape() -> None:
    result = run("diff", "x @ A @ x")
    check_error(result, 2, "a scalar @ a scalar")
    assert "x has no value in the program" in result.err
    assert "--shape x=2" in result.err
