"""eval's options do what they say or are refused: --grad may be repeated (one line per
name, in the order given); combinations that would ignore an option are a usage error
(exit 2) that names both options."""

from __future__ import annotations

import pytest

from tests.harness import NEURON, POINT, check_usage_error, run


def test_grad_repeated_prints_one_line_per_name_in_order() -> None:
    result = run("eval", NEURON, *POINT, "--grad", "x", "--grad", "z", "--grad", "y")
    assert result.code == 0, result.err
    assert result.out == "-3\n4\n-3\n"


def test_grad_repeated_with_a_named_node_and_exact() -> None:
    result = run("eval", "q = x/3; f = q*y", "x=1", "y=2", "--exact", "--grad", "q",
                 "--grad", "x")
    assert result.code == 0, result.err
    assert result.out == "2\n2/3\n"


def test_grad_repeated_with_an_unknown_name_prints_nothing() -> None:
    result = run("eval", NEURON, *POINT, "--grad", "x", "--grad", "nope")
    check_usage_error(result, "nope")


@pytest.mark.parametrize(("extra", "first", "second"), [
    (["--grad", "x", "-F", "json"], "--grad", "--format json"),
    (["--grad", "x", "--format", "plain"], "--grad", "--format plain"),
    (["--value", "-F", "csv"], "--value", "--format csv"),
    (["--value", "-Ftable"], "--value", "--format table"),
    (["--explain", "--value"], "--explain", "--value"),
    (["--explain", "--grad", "x"], "--explain", "--grad"),
    (["--explain", "-F", "csv"], "--explain", "--format csv"),
    (["--explain", "-F", "plain"], "--explain", "--format plain"),
    (["--value", "--grad", "x"], "--value", "--grad"),
])
def test_a_combination_that_would_ignore_an_option_names_both(
        extra: list[str], first: str, second: str) -> None:
    result = run("eval", NEURON, *POINT, *extra)
    check_usage_error(result, first, second)
    assert "cannot be used together" in result.err


@pytest.mark.parametrize(("extra", "first", "second"), [
    (["--grad", "x", "--sweep", "x=0:1:3"], "--grad", "--sweep"),
    (["--value", "--sweep", "x=0:1:3"], "--value", "--sweep"),
    (["--explain", "--sweep", "x=0:1:3"], "--explain", "--sweep"),
    (["--exact", "--sweep", "x=0:1:3"], "--exact", "--sweep"),
])
def test_one_point_options_with_a_sweep_name_both(extra: list[str], first: str,
                                                  second: str) -> None:
    result = run("eval", NEURON, "y=3", "z=-3", *extra)
    check_usage_error(result, first, second)


@pytest.mark.parametrize("extra", [["--explain", "-F", "json"], ["--explain", "-F", "table"],
                                   ["--explain"]])
def test_explain_takes_text_or_json(extra: list[str]) -> None:
    result = run("eval", NEURON, *POINT, *extra)
    assert result.code == 0, result.err
