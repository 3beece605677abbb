"""Learning mode: the backward pass step by step, fan-out, tie rules, exact arithmetic."""

from __future__ import annotations

import json
from fractions import Fraction

import pytest

from tests.harness import POINT, clean, run, strict_json


def test_the_tutorials_lines() -> None:
    out = run("eval", "-f", "samples/named.bp", "--explain").out
    assert "df/dq = df/df * df/dq = 1 * z = 1 * (-4) = -4" in out
    assert "df/dx = df/dq * dq/dx = (-4) * 1 = -4" in out
    assert "mul swaps" in out and "add distributes" in out
    neuron = run("eval", "-f", "samples/neuron.bp", "--explain").out
    assert "df/dw0 = " in neuron and neuron.rstrip().endswith("df/dw2 = 0.196612")
    assert "adding a constant passes the gradient through" in neuron


def test_fan_out_is_summed_in_the_explanation_and_the_table() -> None:
    out = run("eval", "b = a + a; c = b + b", "a=3", "--explain").out
    assert "dc/db = 1 + 1 = 2   (2 paths: the gradients add up)" in out
    assert "dc/da = 2 + 2 = 4" in out
    table = run("eval", "b = a + a; c = b + b", "a=3").out
    row = next(line for line in table.splitlines() if line.strip().startswith("0 "))
    assert "sum of 2" in row


def test_max_routes_and_ties_follow_the_rule() -> None:
    out = run("eval", "max(x, y) * 2", "x=1", "y=1", "--explain").out
    assert "max routes" in out and "a tie in max" in out
    grads = {}
    for rule in ("first", "split", "all"):
        plain = run("eval", "max(x, y, z) * 2", "x=1", "y=1", "z=0", "--ties", rule,
                    "-F", "plain").out
        grads[rule] = [line.split()[2] for line in plain.splitlines() if line.startswith("grad")]
    assert grads == {"first": ["2", "0", "0"], "split": ["1", "1", "0"], "all": ["2", "2", "0"]}
    table = run("eval", "relu(x) + max(x, y)", "x=0", "y=0").out
    assert "kink" in table and "tie" in table


def test_json_carries_the_steps() -> None:
    data = json.loads(run("eval", "q = x + y; f = q * z", "x=-2", "y=5", "z=-4", "--explain",
                          "-F", "json").out)
    first = data["steps"][0]
    assert first["node"] == 4 and first["upstream"] == 1.0
    assert [(c["to"], c["local"], c["contribution"]) for c in first["contributions"]] == [
        (2, -4.0, -4.0), (3, 3.0, 3.0)]
    assert data["steps"][1]["contributions"][0]["local_formula"] == "1"
    assert {n["id"]: n["contributions"] for n in data["nodes"]}[0] == 1


def test_exact_arithmetic_against_fractions() -> None:
    assert run("eval", "x/3", "x=1", "--exact", "--grad", "x").out == "1/3\n"
    program = "q = x / 3 - y * 0.1; f = q * q + x^-2"
    data = json.loads(run("eval", program, "x=2", "y=5", "--exact", "-F", "json").out)
    x, y = Fraction(2), Fraction(5)
    q = x / 3 - y * Fraction(1, 10)
    assert data["value_exact"] == str(q * q + x ** -2)
    assert data["gradient_exact"] == {"x": str(2 * q / 3 - 2 * x ** -3),
                                      "y": str(2 * q * Fraction(-1, 10))}
    assert data["value"] == float(q * q + x ** -2)


@pytest.mark.parametrize(("program", "needle"), [
    ("exp(x)", "exp has no exact rational value"),
    ("sigmoid(x)", "sigmoid"),
    ("x ^ 0.5", "integer exponents"),
])
def test_exact_refuses_what_it_cannot_do(program: str, needle: str) -> None:
    result = run("eval", program, "x=4", "--exact")
    assert result.code == 2 and needle in result.err


def test_explain_walks_the_backward_pass() -> None:
    out = clean(run("eval", "q = x + y; f = q * z", "x=-2", "y=5", "z=-4", "--explain"), 0).out
    assert "df/dq" in out and "gradients: df/dx = -4, df/dy = -4, df/dz = 3" in out
    fanout = clean(run("eval", "a = x; b = a; b*b", "x=3", "--explain"), 0).out
    assert "3 + 3 = 6" in fanout
    steps = strict_json(clean(run("eval", "(x+y)*z", *POINT, "--explain", "-F", "json"),
                              0).out)
    assert steps["steps"] and steps["gradient"] == {"x": -3.0, "y": -3.0, "z": 4.0}
    exact = clean(run("eval", "x/3 * y", "x=1", "y=2", "--explain", "--exact"), 0).out
    assert "2/3" in exact and "0.666" not in exact
    clean(run("eval", "log(x)", "x=0", "--explain"), 1, "log")
    clean(run("eval", "(x+y)*z", *POINT, "--explain", "-p", "0"), 2, "--precision")


def test_explain_log_without_base_shows_its_own_derivative() -> None:
    """BUG (low): the explanation of log(x) writes the local derivative as
    '1/(x * log(base))' although the call has no base; it is 1/x."""
    out = clean(run("eval", "log(x)", "x=2", "--explain"), 0).out
    assert "base" not in out, out


def test_explain_split_tie_formula_matches_its_number() -> None:
    """BUG (low): with --ties split the step reads '1 if x wins, else 0 = 1 * 0.333333',
    a formula that cannot give the number written after it."""
    out = clean(run("eval", "max(x, y, z)", "x=1", "y=1", "z=1", "--explain", "--ties",
                    "split"), 0).out
    assert "1 if x wins, else 0 = 1 * 0.333333" not in out, out
