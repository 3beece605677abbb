"""backprop check: the gradient against central differences, kinks reported and not
failed, a wrong rule caught, bad tolerances refused."""

from __future__ import annotations

import json

import pytest

from backprop_cli import parse_program
from backprop_cli.api import bind_inputs
from backprop_cli.check import gradient_check
from tests.harness import NEURON, POINT, clean, run, strict_json

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


# --------------------------------------------------------------------------------------
# check
# --------------------------------------------------------------------------------------
def check_json(*args: str, code: int = 0) -> dict:
    return strict_json(clean(run("check", *args, "-F", "json"), code).out)


@pytest.mark.parametrize("tol", ["0", "-1", "abc", "", "1e-3e"])
def test_check_bad_tolerance_is_exit_2(tol: str) -> None:
    clean(run("check", NEURON, *POINT, "--tol", tol), 2, "--tol")


@pytest.mark.parametrize("tol", ["nan", "-nan"])
def test_check_nan_tolerance_is_exit_2(tol: str) -> None:
    """BUG: --tol nan passes FloatRange(0, min_open) and then fails every input (exit 1)."""
    clean(run("check", NEURON, *POINT, "--tol", tol), 2, "--tol")


@pytest.mark.parametrize("program, point", [
    ("relu(x) * y", ["x=0", "y=2"]),
    ("abs(x) + y", ["x=0", "y=2"]),
    ("max(x, y, z)", ["x=1", "y=1", "z=1"]),
])
def test_check_kinks_are_reported_not_failed(program: str, point: list[str]) -> None:
    report = check_json(program, *point)
    assert report["passed"] is True
    assert {row["status"] for row in report["inputs"]} <= {"ok", "kink"}
    assert report["inputs"][0]["status"] == "kink" or program.startswith("abs")


def test_check_smooth_programs_pass() -> None:
    report = check_json("def f(a, b) = a*sin(b) + b^2\n"
                        "def g(u) = f(u, u*2) / (1 + u^2)\ng(x) * f(y, x)",
                        "x=0.7", "y=-1.3")
    assert [row["status"] for row in report["inputs"]] == ["ok", "ok"]
    report = check_json("x^y * log(x, y)", "x=2.5", "y=1.5", "--tol", "1e-8")
    assert all(row["status"] == "ok" for row in report["inputs"])


@pytest.mark.parametrize("program, point", [
    ("sqrt(x)", "x=1e-20"),
    ("log(x)", "x=1e-300"),
])
def test_check_near_a_domain_edge_does_not_fail_a_correct_gradient(program: str,
                                                                   point: str) -> None:
    """BUG: the central difference steps outside the domain (x - h < 0), its result is
    nan, and check reports FAIL with exit 1 for a gradient that is right."""
    report = check_json(program, point)
    assert report["inputs"][0]["status"] != "fail", report


@pytest.mark.parametrize("program, point", [
    ("sin(1000*x)", "x=0.1"),
    ("exp(x)", "x=709"),
])
def test_check_never_calls_a_smooth_program_a_kink(program: str, point: str) -> None:
    """BUG: a smooth program with large curvature fails the tolerance, and the failure is
    relabelled 'kink' (and passed) although no abs, relu, max or min is in it."""
    result = run("check", program, point, "-F", "json")
    assert result.code in (0, 1), result.err
    report = strict_json(result.out)
    assert report["inputs"][0]["status"] != "kink", report
