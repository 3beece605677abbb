"""Hostile input and correctness for the newer commands and options.

``graph``, ``diff``, ``check``, ``hessian``, ``descend``, ``plot``, and ``eval`` with
``--at``/``--sweep``/``--chunk-rows``/``-F jsonl``/``--explain``/``--ties``/``--exact``.

Every bad input must end with the exit status SPEC §2 gives it (1 evaluation error or
unwritable output, 2 usage or input error), a short message on stderr that starts with
``error:`` or click's ``Usage:``, and never a traceback or exit 70. The correctness tests
compare each command with an independent computation: finite differences of the gradient
for ``hessian``, ``backprop eval`` of the printed formulas for ``diff``, single-point
``eval`` for ``--sweep``, closed-form minima and the optimizers' definitions for
``descend``, and ``fractions.Fraction`` for ``--exact``.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import select
import shutil
import subprocess
import time
from fractions import Fraction
from pathlib import Path

import pytest

from tests.harness import (
    backprop_command,
    binds,
    clean,
    csv_rows,
    eval_json,
    run,
    run_process,
    strict_json,
    timed,
    value_of,
)

DEEP_SIN = "sin(" * 10_000 + "x" + ")" * 10_000
DEEP_PARENS = "(" * 100_000 + "x" + ")" * 100_000
HAS_DOT = shutil.which("dot") is not None


# --------------------------------------------------------------------------------------
# graph
# --------------------------------------------------------------------------------------
NEURON = "(x+y)*z"
POINT = ["x=1", "y=3", "z=-3"]


@pytest.mark.parametrize("fmt, marker", [
    ("tree", "value -12"), ("dot", "digraph"), ("mermaid", "flowchart"),
])
def test_graph_text_formats(fmt: str, marker: str) -> None:
    result = clean(run("graph", NEURON, *POINT, "-F", fmt), 0)
    assert marker in result.out


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("suffix, magic", [(".svg", b"<svg"), (".png", b"\x89PNG"),
                                           (".pdf", b"%PDF")])
def test_graph_rendered_files(tmp_path: Path, suffix: str, magic: bytes) -> None:
    target = tmp_path / f"g{suffix}"
    clean(run("graph", NEURON, *POINT, "-o", str(target)), 0)
    assert magic in target.read_bytes()[:400]


@pytest.mark.parametrize("target", [
    "/nonexistent/dir/x.svg", "/nonexistent/dir/x.png", "/nonexistent/dir/x.dot",
    "/nonexistent/dir/x.mmd", "/nonexistent/dir/x.txt",
])
def test_graph_unwritable_output_is_exit_1(target: str) -> None:
    if target.endswith((".svg", ".png")) and not HAS_DOT:
        pytest.skip("Graphviz's dot is not installed")
    clean(run("graph", NEURON, *POINT, "-o", target), 1, "cannot write", target)


def test_graph_output_to_a_directory_is_exit_1(tmp_path: Path) -> None:
    clean(run("graph", NEURON, *POINT, "-o", str(tmp_path)), 1, str(tmp_path))


@pytest.mark.parametrize("options, says", [
    (["-F", "png"], "-o FILE"),
    (["-F", "pdf"], "-o FILE"),
    (["-F", "jpeg"], "--format"),
    (["--max-depth", "0"], "--max-depth"),
    (["--max-depth", "-1"], "--max-depth"),
    (["--max-depth", "1.5"], "--max-depth"),
    (["--max-depth", "nan"], "--max-depth"),
    (["-p", "0"], "--precision"),
    (["-p", "18"], "--precision"),
    (["--bogus"], "--bogus"),
])
def test_graph_bad_options_are_exit_2(options: list[str], says: str) -> None:
    clean(run("graph", NEURON, *POINT, *options), 2, says)


def test_graph_max_depth_cuts_the_tree() -> None:
    out = clean(run("graph", NEURON, *POINT, "-F", "tree", "--max-depth", "1"), 0).out
    assert "cut here" in out and "x   value" not in out
    huge = clean(run("graph", NEURON, *POINT, "-F", "tree", "--max-depth", "10" * 15), 0).out
    assert "x   value 1" in huge


def test_graph_without_values_and_with_some_missing() -> None:
    out = clean(run("graph", NEURON, "-F", "tree"), 0).out
    assert "value" not in out and "x" in out
    clean(run("graph", NEURON, "x=1", "y=3"), 2, "z")


def test_graph_nonfinite_values() -> None:
    clean(run("graph", "log(x)", "x=0", "-F", "mermaid"), 1, "log", "x = 0")
    out = clean(run("graph", "log(x)", "x=0", "-F", "mermaid", "--allow-nonfinite"), 0).out
    assert "-inf" in out


def test_graph_blocks_and_expand() -> None:
    program = "def f(a, b) = a*b + sigmoid(a)\nf(x, y) * 2"
    folded = clean(run("graph", program, "x=1", "y=2", "-F", "tree"), 0).out
    expanded = clean(run("graph", program, "x=1", "y=2", "-F", "tree", "--expand"), 0).out
    assert "[f]" in folded and "exp" not in folded
    assert "[f]" not in expanded and "exp" in expanded


def test_graph_dash_output_means_stdout(tmp_path: Path) -> None:
    """BUG (low): ``-o -`` writes a file literally named '-' instead of stdout."""
    result = run_process("graph", "x*2", "x=1", "-F", "dot", "-o", "-", cwd=tmp_path)
    assert result.returncode == 0
    assert not (tmp_path / "-").exists(), "graph -o - created a file named '-'"
    assert b"digraph" in result.stdout


# --------------------------------------------------------------------------------------
# diff
# --------------------------------------------------------------------------------------
DIFF_CASES = [
    ("(x+y)*z", {"x": 1.0, "y": 3.0, "z": -3.0}),
    ("def f(a, b) = a*sin(b) + b^2\ndef g(u) = f(u, u*2) / (1 + u^2)\ng(x) * f(y, x)",
     {"x": 0.7, "y": -1.3}),
    ("max(x, y, z) * min(x, y^2, z)", {"x": 0.5, "y": -2.0, "z": 1.5}),
    ("max(x, y, z)", {"x": 1.0, "y": 1.0, "z": 1.0}),
    ("abs(x - y) + relu(x*y) + abs(z) + relu(z)", {"x": -0.4, "y": 0.9, "z": 0.0}),
    ("x^y + pow(y, x)", {"x": 1.7, "y": 2.3}),
    ("log(x, y) + log(x, 2) + log2(y) + log10(x*y) + ln(y)", {"x": 5.5, "y": 3.2}),
    ("sigmoid(w*x + b) + softplus(x) + tanh(b)", {"w": 0.3, "x": -1.2, "b": 0.4}),
    ("a = x*y; b = a + x; c = b*a; c / (1 + a^2)", {"x": 0.3, "y": 2.0}),
    ("sqrt(x^2 + y^2) * atan(y/x) + asin(x/4) + acos(y/4)", {"x": 1.1, "y": 2.2}),
]


@pytest.mark.parametrize("program, point", DIFF_CASES)
def test_diff_formulas_evaluate_to_the_gradient(program: str, point: dict) -> None:
    gradient = eval_json(program, point)["gradient"]
    derivatives = json.loads(clean(run("diff", program, "-F", "json"), 0).out)["derivatives"]
    assert list(derivatives) == list(gradient)
    for name, formula in derivatives.items():
        assert math.isclose(value_of(formula, point), gradient[name], rel_tol=1e-9,
                            abs_tol=1e-12), (name, formula)
    plain = clean(run("diff", program), 0).out.splitlines()
    assert len(plain) == len(gradient)


@pytest.mark.parametrize("program, point", DIFF_CASES)
def test_diff_program_evaluates_to_the_gradient(program: str, point: dict) -> None:
    gradient = eval_json(program, point)["gradient"]
    straight = clean(run("diff", program, "--program"), 0).out
    for name, expected in gradient.items():
        result = clean(run("eval", "-", *binds(point), "--output", f"d_{name}", "--value",
                           stdin=straight), 0)
        assert math.isclose(float(result.out), expected, rel_tol=1e-9, abs_tol=1e-12)


def test_diff_bare_and_latex() -> None:
    assert clean(run("diff", "x^3 * sin(x)", "--bare"), 0).out.count("\n") == 1
    latex = clean(run("diff", "learning_rate * w^2", "-F", "latex"), 0).out.splitlines()
    assert len(latex) == 2 and all(line.startswith("\\frac{\\partial") for line in latex)
    assert clean(run("diff", "(x+y)*z", "--wrt", "z,x,z"), 0).out.splitlines() == [
        "d/dz = x + y", "d/dx = z"]


@pytest.mark.parametrize("args, says", [
    (["(x+y)*z", "--wrt", "q"], "q"),
    (["(x+y)*z", "--wrt", "х"], "х"),  # Cyrillic ha
    (["(x+y)*z", "--bare"], "--wrt"),
    (["(x+y)*z", "--bare", "--wrt", "x,y"], "--wrt"),
    (["(x+y)*z", "x=1"], "NAME=VALUE"),
    (["(x+y)*z", "-F", "svg"], "--format"),
    (["(x+y)*z", "--output", "nope"], "nope"),
    (["foo(x)"], "foo"),
    (["x +"], "1:3"),
    (["x − 1"], "U+2212"),
    (["x × 1"], "U+00D7"),
    (["x\u00a0+ 1"], "U+00A0"),
    (["max(x)"], "max"),
    (["pi = 3; pi*x"], "pi"),
    ([""], "empty"),
    (["# nothing but a comment\n;;"], "no statements"),
])
def test_diff_bad_input_is_exit_2(args: list[str], says: str) -> None:
    clean(run("diff", *args), 2, says)


def test_diff_deep_programs_are_bounded() -> None:
    clean(timed("diff", DEEP_SIN), 2, "--program")
    straight = clean(timed("diff", DEEP_SIN, "--program"), 0).out
    assert straight.rstrip().splitlines()[-1].startswith("d_x = ")
    assert clean(timed("diff", DEEP_PARENS), 0).out.endswith("/dx = 1\n")
    chain = "def f0(a) = a*2\n" + "".join(
        f"def f{i}(a) = f{i - 1}(a) + 0\n" for i in range(1, 1500)) + "f1499(x)\n"
    assert clean(timed("diff", chain), 0).out == "d/dx = 2\n"


def test_diff_program_of_a_deep_chain_evaluates() -> None:
    program = "sin(" * 1000 + "x" + ")" * 1000
    gradient = eval_json(program, {"x": 0.5})["gradient"]["x"]
    straight = clean(run("diff", program, "--program"), 0).out
    result = clean(run("eval", "-", "x=0.5", "--output", "d_x", "--value", stdin=straight), 0)
    assert math.isclose(float(result.out), gradient, rel_tol=1e-9)


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
    report = check_json(DIFF_CASES[1][0], "x=0.7", "y=-1.3")
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


@pytest.mark.parametrize("command", ["check", "hessian", "descend"])
def test_nonfinite_hint_names_an_option_the_command_has(command: str) -> None:
    """BUG: check, hessian and descend say 'use --allow-nonfinite', an option they reject."""
    result = clean(run(command, "log(x)", "x=0"), 1, "log")
    if "--allow-nonfinite" in result.err:
        retry = run(command, "log(x)", "x=0", "--allow-nonfinite")
        assert "No such option" not in retry.err, result.err


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


# --------------------------------------------------------------------------------------
# descend
# --------------------------------------------------------------------------------------
BOWL = "(x-3)^2 + 2*(y+1)^2 + x*y"  # minimum at x = 4, y = -2, value -5


def descend_json(*args: str) -> dict:
    return strict_json(clean(run("descend", *args, "-F", "json"), 0).out)


@pytest.mark.parametrize("options", [
    [], ["--optimizer", "momentum"], ["--optimizer", "momentum", "--nesterov"],
    ["--optimizer", "adam", "--lr", "0.05", "--steps", "20000"],
])
def test_descend_reaches_the_closed_form_minimum(options: list[str]) -> None:
    data = descend_json(BOWL, "x=0", "y=0", *options)
    assert data["stopped"] == "converged"
    assert math.isclose(data["inputs"]["x"]["final"], 4.0, abs_tol=1e-7)
    assert math.isclose(data["inputs"]["y"]["final"], -2.0, abs_tol=1e-7)
    assert math.isclose(data["value"], -5.0, abs_tol=1e-12)


def test_descend_maximize_and_wrt() -> None:
    data = descend_json("5 - (x-2)^2 - (y+1)^2", "x=0", "y=0", "--maximize")
    assert math.isclose(data["inputs"]["x"]["final"], 2.0, abs_tol=1e-7)
    assert math.isclose(data["value"], 5.0, abs_tol=1e-12)
    data = descend_json("(w*x - 6)^2", "w=1", "x=2", "--wrt", "w", "--lr", "0.05")
    assert list(data["inputs"]) == ["w"]
    assert math.isclose(data["inputs"]["w"]["final"], 3.0, abs_tol=1e-7)
    data = descend_json("def f(a) = (a-1)^2\nf(x) + f(y)", "x=5", "y=-5")
    assert math.isclose(data["inputs"]["y"]["final"], 1.0, abs_tol=1e-7)


def _reference_steps(optimizer: str, nesterov: bool, steps: int) -> list[tuple[float, float]]:
    """torch.optim.SGD / Adam by their definitions, on (x-3)^2 + y^4 from (0, 1)."""
    lr, mu, b1, b2, eps = 0.1, 0.9, 0.9, 0.999, 1e-8
    p = [0.0, 1.0]
    buf, m, v = [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]
    out = [tuple(p)]
    for t in range(1, steps + 1):
        g = [2 * (p[0] - 3), 4 * p[1] ** 3]
        for k in range(2):
            if optimizer == "sgd":
                p[k] -= lr * g[k]
            elif optimizer == "momentum":
                buf[k] = g[k] if t == 1 else mu * buf[k] + g[k]
                p[k] -= lr * (g[k] + mu * buf[k] if nesterov else buf[k])
            else:
                m[k] = b1 * m[k] + (1 - b1) * g[k]
                v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
                p[k] -= lr * (m[k] / (1 - b1 ** t)) / (math.sqrt(v[k] / (1 - b2 ** t)) + eps)
        out.append(tuple(p))
    return out


@pytest.mark.parametrize("optimizer, nesterov", [
    ("sgd", False), ("momentum", False), ("momentum", True), ("adam", False),
])
def test_descend_trace_follows_the_optimizer_definitions(tmp_path: Path, optimizer: str,
                                                         nesterov: bool) -> None:
    trace = tmp_path / "trace.csv"
    options = ["--optimizer", optimizer, "--steps", "6", "--trace", str(trace)]
    clean(run("descend", "(x-3)^2 + y^4", "x=0", "y=1", *options,
              *(["--nesterov"] if nesterov else []), "-F", "json"), 0)
    rows = list(csv.DictReader(io.StringIO(trace.read_text())))
    assert list(rows[0]) == ["step", "output", "x", "y", "grad_norm"]
    expected = _reference_steps(optimizer, nesterov, 6)
    assert [int(r["step"]) for r in rows] == list(range(7))
    for row, (x, y) in zip(rows, expected):
        assert math.isclose(float(row["x"]), x, rel_tol=1e-12, abs_tol=1e-15)
        assert math.isclose(float(row["y"]), y, rel_tol=1e-12, abs_tol=1e-15)
        assert math.isclose(float(row["output"]), (x - 3) ** 2 + y ** 4, rel_tol=1e-12)


@pytest.mark.parametrize("options, says", [
    (["--lr", "0"], "--lr"), (["--lr", "-1"], "--lr"), (["--lr", "abc"], "--lr"),
    (["--steps", "-1"], "--steps"), (["--steps", "1.5"], "--steps"),
    (["--tol", "-1"], "--tol"), (["--optimizer", "rmsprop"], "--optimizer"),
    (["--momentum", "1.5"], "--momentum"), (["--momentum", "-0.1"], "--momentum"),
    (["--eps", "-1"], "--eps"), (["--betas", "0.9"], "--betas"),
    (["--betas", "a,b"], "--betas"), (["--betas", "0.9,0.999,0.5"], "--betas"),
    (["--wrt", "q"], "q"), (["--wrt", "х"], "х"), (["-F", "csv"], "--format"),
])
def test_descend_bad_options_are_exit_2(options: list[str], says: str) -> None:
    clean(run("descend", BOWL, "x=0", "y=0", *options), 2, says)


@pytest.mark.parametrize("options, says", [
    (["--lr", "nan"], "--lr"), (["--lr", "inf"], "--lr"), (["--tol", "nan"], "--tol"),
    (["--eps", "nan"], "--eps"), (["--momentum", "nan", "--optimizer", "momentum"],
                                  "--momentum"),
    (["--betas", "nan,nan", "--optimizer", "adam"], "--betas"),
    (["--betas", "1.5,-2", "--optimizer", "adam"], "--betas"),
])
def test_descend_nonsense_numbers_are_exit_2(options: list[str], says: str) -> None:
    """BUG: nan/inf learning rates, tolerances and betas outside [0, 1) are accepted; the
    run then 'diverges' (exit 1, hint '--lr nan') or runs with meaningless settings."""
    clean(run("descend", BOWL, "x=0", "y=0", "--steps", "5", *options), 2, says)


@pytest.mark.parametrize("betas", ["1,1", "0.9,1", "1,0.999"])
def test_descend_adam_betas_of_one_are_not_an_internal_error(betas: str) -> None:
    """BUG: --betas with a 1 divides by 1 - beta^t = 0: ZeroDivisionError, exit 70."""
    result = run("descend", BOWL, "x=0", "y=0", "--optimizer", "adam", "--betas", betas,
                 "--steps", "5")
    clean(result, 2, "--betas")


def test_descend_divergence_and_bad_starts() -> None:
    clean(run("descend", "(x-3)^2", "x=0", "--lr", "10"), 1, "diverged", "--lr")
    clean(run("descend", "log(x)", "x=1", "--steps", "100"), 1, "diverged")
    clean(run("descend", "log(x)", "x=0"), 1, "log")
    clean(run("descend", "(x-3)^2"), 2, "x")
    clean(run("descend", "(x−3)^2", "x=0"), 2, "U+2212")
    data = descend_json("3")
    assert data["inputs"] == {} and data["steps"] == 0


@pytest.mark.parametrize("trace", ["dir", "/nonexistent/dir/t.csv"])
def test_descend_unwritable_trace_is_exit_1(tmp_path: Path, trace: str) -> None:
    target = str(tmp_path) if trace == "dir" else trace
    clean(run("descend", BOWL, "x=0", "y=0", "--trace", target), 1, target)


def test_descend_chart_keeps_json_valid() -> None:
    """BUG: --chart with -F json prints the chart after the JSON on stdout, so the output
    is no longer one JSON object (`| jq` fails)."""
    result = run("descend", BOWL, "x=0", "y=0", "--steps", "3", "--chart", "-F", "json")
    if result.code == 0:
        strict_json(result.out)
    else:
        clean(result, 2, "--chart")


# --------------------------------------------------------------------------------------
# eval --at FILE
# --------------------------------------------------------------------------------------
CSV_CASES = [
    ("ragged", b"x,y\n1,2\n3\n", 2, ["row 2", "1 cells"]),
    ("trailing comma", b"x,y\n1,2,\n", 2, ["row 1", "3 cells"]),
    ("huge", b"x,y\n1e308,1e309\n", 2, ["row 1", "column y", "1e309"]),
    ("nan cell", b"x,y\nnan,1\n", 2, ["column x", "nan"]),
    ("inf cell", b"x,y\n1,-inf\n", 2, ["column y"]),
    ("empty cell", b"x,y\n1,\n", 2, ["column y"]),
    ("hex", b"x,y\n0x10,1\n", 2, ["column x"]),
    ("underscore", b"x,y\n1_0,1\n", 2, ["column x"]),
    ("arabic digit", "x,y\n\u0663,1\n".encode(), 2, ["row 1"]),
    ("fullwidth digit", "x,y\n\uff11,1\n".encode(), 2, ["row 1"]),
    ("empty file", b"", 2, ["empty"]),
    ("blank file", b"\n\n  \n", 2, ["empty"]),
    ("unknown column", b"x,q\n1,2\n", 2, ["q"]),
    ("duplicate column", b"x,x\n1,2\n", 2, ["twice"]),
    ("empty header cell", b"x,,y\n1,2,3\n", 2, ["column"]),
    ("cyrillic header", "\u0445,y\n1,2\n".encode(), 2, ["header"]),
    ("semicolons", b"x,y\n1;2\n", 2, ["row 1"]),
    ("unclosed quote", b'x,y\n"1,2\n', 2, ["row 1"]),
    ("NUL byte", b"x,y\n1,2\x00\n", 2, ["row 1"]),
]


@pytest.mark.parametrize("name, data, code, says", CSV_CASES, ids=[c[0] for c in CSV_CASES])
def test_csv_bad_files(tmp_path: Path, name: str, data: bytes, code: int,
                       says: list[str]) -> None:
    path = tmp_path / "points.csv"
    path.write_bytes(data)
    clean(run("eval", "x*y", "--at", str(path)), code, str(path), *says)


EXPECTED_XY = [{"x": 1.0, "y": 2.0, "value": 2.0, "d_x": 2.0, "d_y": 1.0},
               {"x": 3.0, "y": 4.0, "value": 12.0, "d_x": 4.0, "d_y": 3.0}]


@pytest.mark.parametrize("data", [
    b"x,y\n1,2\n3,4\n", b"x,y\r\n1,2\r\n3,4\r\n", b'"x","y"\n"1","2"\n"3","4"\n',
    b"x, y\n 1 , 2 \n3,4", b"y,x\n2,1\n4,3\n", b"\n\nx,y\n1,2\n3,4\n\n\n",
])
def test_csv_good_variants(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "points.csv"
    path.write_bytes(data)
    for chunk in ("1", "2", "65536"):
        out = clean(run("eval", "x*y", "--at", str(path), "--chunk-rows", chunk), 0).out
        assert csv_rows(out) == EXPECTED_XY


def test_csv_header_only_and_stdin(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes(b"x,y\n")
    assert clean(run("eval", "x*y", "--at", str(path)), 0).out == "x,y,value,d_x,d_y\n"
    out = clean(run("eval", "x*y", "--at", "-", stdin="x,y\n1,2\n3,4\n"), 0).out
    assert csv_rows(out) == EXPECTED_XY
    clean(run("eval", "-", "--at", "-", stdin="x*y"), 2, "stdin")
    clean(run("eval", "x*y", "--at", str(tmp_path / "missing.csv")), 2, "missing.csv")
    clean(run("eval", "x*y", "--at", str(tmp_path)), 2, str(tmp_path))
    clean(run("eval", "x*y", "x=1", "--at", "-", stdin="x,y\n1,2\n"), 2, "x")


def test_csv_with_a_byte_order_mark(tmp_path: Path) -> None:
    """BUG (low): a CSV saved by Excel starts with a UTF-8 BOM; the program reader drops
    it, the CSV reader says 'the header is not ASCII'."""
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbfx,y\r\n1,2\r\n3,4\r\n")
    assert csv_rows(clean(run("eval", "x*y", "--at", str(path)), 0).out) == EXPECTED_XY


def test_csv_cells_do_not_shift_between_rows(tmp_path: Path) -> None:
    """BUG: the fast CSV path checks the comma count per line but the token count only per
    chunk, so '1 2,3' and ',4' are read as the rows (1, 2) and (3, 4), exit 0. With
    --chunk-rows 1 the same file is an error, as it should be."""
    path = tmp_path / "shifted.csv"
    path.write_bytes(b"x,y\n1 2,3\n,4\n")
    clean(run("eval", "x*y", "--at", str(path)), 2, "row 1")


def test_csv_blank_lines_do_not_end_the_file(tmp_path: Path) -> None:
    """BUG: a chunk of --chunk-rows lines that are all blank ends the reading, so every
    row after it is silently dropped (exit 0): with --chunk-rows 1 one blank line is
    enough, with the default 65,536 blank lines in a row."""
    path = tmp_path / "gap.csv"
    path.write_bytes(b"x,y\n1,2\n\n3,4\n")
    for chunk in ("1", "2", "65536"):
        out = clean(run("eval", "x*y", "--at", str(path), "--chunk-rows", chunk), 0).out
        assert csv_rows(out) == EXPECTED_XY, (chunk, out)


def test_csv_huge_field_is_an_input_error(tmp_path: Path) -> None:
    """BUG: a cell over the csv module's field limit (131,072 characters) raises
    _csv.Error: exit 70."""
    path = tmp_path / "long.csv"
    path.write_bytes(b"x,y\n" + b"1" * 200_000 + b",2\n")
    clean(run("eval", "x*y", "--at", str(path)), 2, "row 1")


def test_csv_error_rows_count_blank_lines(tmp_path: Path) -> None:
    """BUG (low): blank lines are dropped before rows are numbered, so the bad cell on the
    4th data line (line 5 of the file) is reported as 'row 2'."""
    path = tmp_path / "gaps.csv"
    path.write_bytes(b"x,y\n1,2\n\n\nbad,4\n")
    result = clean(run("eval", "x*y", "--at", str(path)), 2, "bad")
    assert "row 4" in result.err or "line 5" in result.err, result.err


JSONL_CASES = [
    ("missing key", b'{"x":1,"y":2}\n{"x":3}\n', ["row 2"]),
    ("extra key", b'{"x":1,"y":2}\n{"x":3,"y":4,"z":5}\n', ["row 2"]),
    ("array", b'{"x":1,"y":2}\n[1,2]\n', ["row 2"]),
    ("scalar", b'"x"\n', ["row 1"]),
    ("string", b'{"x":1,"y":"2"}\n', ["column y"]),
    ("bool", b'{"x":1,"y":true}\n', ["column y"]),
    ("null", b'{"x":1,"y":null}\n', ["column y"]),
    ("NaN", b'{"x":1,"y":NaN}\n', ["column y"]),
    ("1e400", b'{"x":1,"y":1e400}\n', ["column y"]),
    ("truncated", b'{"x":1,"y":2}\n{"x":1,"y":2\n', ["row 2"]),
    ("bad utf-8", b'{"x":1,"y":2}\n\xff\n', ["row 2"]),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000 + b"\n", ["row 1"]),
    ("empty", b"", ["empty"]),
    ("unknown key", b'{"x":1,"y":2,"q":3}\n', ["q"]),
    ("bad name", b'{"x ":1,"y":2}\n', ["x "]),
    ("huge integer", b'{"x":1,"y":1' + b"0" * 400 + b"}\n", ["column y"]),
    ("duplicate key", b'{"x":1,"x":2,"y":3}\n', ["x"]),
]


@pytest.mark.parametrize("name, data, says", JSONL_CASES, ids=[c[0] for c in JSONL_CASES])
def test_jsonl_bad_files(tmp_path: Path, name: str, data: bytes, says: list[str]) -> None:
    """BUGS among these: 'huge integer' is exit 70 (OverflowError in math.isfinite), and
    'duplicate key' is silently read as its last value while CSV refuses it."""
    path = tmp_path / "points.jsonl"
    path.write_bytes(data)
    clean(run("eval", "x*y", "--at", str(path)), 2, str(path), *says)


@pytest.mark.parametrize("data", [
    b'{"x":1,"y":2}\n{"x":3,"y":4}\n', b'{"x":1,"y":2}\r\n\r\n{"y":4,"x":3}\r\n',
    b'\xef\xbb\xbf{"x":1,"y":2}\n{"x":3.0,"y":4e0}',
])
def test_jsonl_good_variants(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "points.jsonl"
    path.write_bytes(data)
    out = clean(run("eval", "x*y", "--at", str(path), "--chunk-rows", "1"), 0).out
    assert csv_rows(out) == EXPECTED_XY
    lines = clean(run("eval", "x*y", "--at", str(path), "-F", "jsonl"), 0).out.splitlines()
    assert [strict_json(line) for line in lines] == EXPECTED_XY


# --------------------------------------------------------------------------------------
# eval --sweep, --chunk-rows, -F jsonl
# --------------------------------------------------------------------------------------
SWEEP_CASES = [
    ("max(x, y, 0.5)", {"y": 0.5}),
    ("min(x, -x, y)", {"y": 0.0}),
    ("abs(x) + relu(x) + sign(x) + step(x)", {}),
    ("y^x + x^2 + pow(x, 3) + pow(y, x)", {"y": 2.0}),
    ("log(x^2 + 1, 3) + exp(-x^2) * sin(3*x)", {}),
    ("def f(a, b) = max(a, b) * sigmoid(a)\nf(x, y) + softplus(x)", {"y": 0.0}),
    ("sqrt(x^2 + 1) * atan(x) + tanh(x) + abs(x)^1.5", {}),
]


@pytest.mark.parametrize("program, fixed", SWEEP_CASES)
def test_sweep_rows_equal_single_point_eval(program: str, fixed: dict) -> None:
    out = clean(run("eval", program, *binds(fixed), "--sweep", "x=-1:1:9"), 0).out
    rows = csv_rows(out)
    assert len(rows) == 9
    for row in rows:
        single = eval_json(program, {**fixed, "x": row["x"]})
        assert math.isclose(row["value"], single["value"], rel_tol=1e-12, abs_tol=1e-300)
        for name, grad in single["gradient"].items():
            assert math.isclose(row[f"d_{name}"], grad, rel_tol=1e-12, abs_tol=1e-300), (
                row, name, grad)


def test_sweep_grid_order_chunks_and_jsonl() -> None:
    args = ("eval", "x*y + z", "z=1", "--sweep", "x=0:1:3", "--sweep", "y=-2:2:5")
    base = clean(run(*args), 0).out
    rows = csv_rows(base)
    assert [(r["x"], r["y"]) for r in rows] == [(x, y) for x in (0.0, 0.5, 1.0)
                                                for y in (-2.0, -1.0, 0.0, 1.0, 2.0)]
    for chunk in ("1", "4", "7"):
        assert clean(run(*args, "--chunk-rows", chunk), 0).out == base
    lines = clean(run(*args, "-F", "jsonl"), 0).out.splitlines()
    assert [strict_json(line) for line in lines] == rows


def test_sweep_nonfinite_rows() -> None:
    clean(run("eval", "log(x)", "--sweep", "x=-1:1:3"), 1, "row 1", "log")
    lines = clean(run("eval", "log(x)", "--sweep", "x=-1:1:3", "--allow-nonfinite",
                      "-F", "jsonl"), 0).out.splitlines()
    assert [strict_json(line)["value"] for line in lines] == ["nan", "-inf", 0.0]


@pytest.mark.parametrize("options, says", [
    (["--sweep", "x=0:1:0"], "--sweep"), (["--sweep", "x=0:1:-3"], "--sweep"),
    (["--sweep", "x=0:1"], "--sweep"), (["--sweep", "x=0:1:1e3"], "--sweep"),
    (["--sweep", "x=nan:1:3"], "nan"), (["--sweep", "x=0:inf:3"], "inf"),
    (["--sweep", "x=1e309:1:3"], "1e309"), (["--sweep", "x=−1:0:3"], "−1"),
    (["--sweep", "x=0:1:３"], "--sweep"), (["--sweep", "х=0:1:3"], "--sweep"),
    (["--sweep", "q=0:1:3"], "q"), (["--sweep", "x=0:1:3", "x=2"], "x"),
    (["--sweep", "x=0:1:3", "--at", "f.csv"], "--at"),
    (["--sweep", "x=0:1:3", "-F", "table"], "--format"),
    (["--sweep", "x=0:1:3", "--value"], "--value"),
    (["--sweep", "x=0:1:3", "--grad", "x"], "--grad"),
    (["--sweep", "x=0:1:3", "--chunk-rows", "0"], "--chunk-rows"),
    (["--sweep", "x=0:1:3", "--chunk-rows", "-5"], "--chunk-rows"),
    (["x=1", "-F", "jsonl"], "jsonl"),
])
def test_sweep_bad_options_are_exit_2(options: list[str], says: str) -> None:
    clean(run("eval", "x^2", *options), 2, says)


def _start_of(args: list[str], size: int = 4096, timeout: float = 20.0
              ) -> tuple[int | None, bytes, bytes]:
    """The exit status (None: still running, then killed), the first ``size`` bytes of
    stdout and stderr of ``backprop ARGS``: a run that streams forever is cut short."""
    with subprocess.Popen([*backprop_command(), *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE) as proc:
        head = b""
        deadline = time.monotonic() + timeout
        while len(head) < size and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(proc.stdout.fileno(), size - len(head))
                if not chunk:
                    break
                head += chunk
        try:
            code = proc.wait(timeout=max(0.1, deadline - time.monotonic())) \
                if len(head) < size else None
        except subprocess.TimeoutExpired:
            code = None
        if code is None:
            proc.kill()
            proc.wait()
            return None, head, b""
        return code, head, proc.stderr.read()


@pytest.mark.parametrize("sweeps", [
    ["x=0:1:99999999999999999999999"],
    ["x=0:1:1000000000000"],
    ["x=0:1:3000000", "y=0:1:3000000", "z=0:1:3000000"],
])
def test_sweep_too_many_points_is_not_an_internal_error(sweeps: list[str]) -> None:
    """BUG: a huge --sweep count is exit 70 (numpy ValueError 'Maximum allowed size
    exceeded', MemoryError for 7 TiB, or 'dimensions are too large' for a grid). Either
    refusing it (exit 2, naming --sweep) or streaming the rows is right."""
    options = [part for s in sweeps for part in ("--sweep", s)]
    code, head, err = _start_of(["eval", "x + y + z", "y=0", "z=0", *options]
                                if len(sweeps) == 1 else ["eval", "x + y + z", *options])
    if code is None:  # still streaming after 4 KiB: rows must be coming out
        assert head.startswith(b"x,"), head[:200]
        return
    assert code == 2, (code, err.decode()[:300])
    assert err.startswith((b"error:", b"Usage:")) and b"--sweep" in err, err[:300]


def test_sweep_repeated_name_is_an_error() -> None:
    """BUG: --sweep x=... twice makes a 3x3 'grid' over one input: 9 rows, repeated."""
    clean(run("eval", "x^2", "--sweep", "x=0:1:3", "--sweep", "x=0:1:3"), 2, "x")


def test_sweep_over_the_whole_double_range() -> None:
    """BUG: linspace(-1e308, 1e308) overflows (stop - start = inf): numpy's RuntimeWarnings
    reach stderr and every point is nan, so 'x' at -1e308, 0, 1e308 is an error."""
    result = run_process("eval", "x", "--sweep", "x=-1e308:1e308:3")
    assert b"RuntimeWarning" not in result.stderr, result.stderr.decode()[:300]
    assert result.returncode == 0, result.stderr.decode()[:300]
    assert [r["x"] for r in csv_rows(result.stdout.decode())] == [-1e308, 0.0, 1e308]


def test_sweep_follows_the_tie_rule() -> None:
    """BUG: --ties is ignored with --sweep/--at (and --exact, --explain silently too):
    at the tie x = y = 0.5, --ties split must give 0.5 to each."""
    out = clean(run("eval", "max(x, y)", "y=0.5", "--sweep", "x=0:1:3", "--ties", "split"),
                0).out
    tie = csv_rows(out)[1]
    assert (tie["d_x"], tie["d_y"]) == (0.5, 0.5), tie


# --------------------------------------------------------------------------------------
# plot
# --------------------------------------------------------------------------------------
def test_plot_terminal_and_errors(tmp_path: Path) -> None:
    out = clean(run("plot", "sin(x)", "--sweep", "x=-3:3:50"), 0).out
    assert "sin(x)" in out
    clean(run("plot", "sin(x)", "--sweep", "x=0:1:1"), 2, "2 points")
    clean(run("plot", "sin(x)", "--sweep", "y=0:1:5"), 2, "y")
    clean(run("plot", "sin(x)", "--sweep", "x=nan:1:5"), 2, "nan")
    clean(run("plot", "sin(x)", "--sweep", "x=0:1:5", "x=1"), 2, "x")
    clean(run("plot", "sin(x)"), 2, "--sweep")
    clean(run("plot", "x*y", "--sweep", "x=0:1:5"), 2, "y")
    clean(run("plot", "log(x)", "--sweep", "x=-2:-1:5"), 1, "log")
    clean(run("plot", "log(x)", "--sweep", "x=-2:-1:5", "--allow-nonfinite"), 1, "finite")
    clean(run("plot", "sin(x)", "--sweep", "x=0:1:5", "-o", "/nonexistent/dir/p.png"), 1,
          "/nonexistent/dir/p.png")


def test_plot_to_svg_file(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    target = tmp_path / "p.svg"
    clean(run("plot", "tanh(w*x)", "w=2", "--sweep", "x=-1:1:21", "-o", str(target)), 0)
    assert b"<svg" in target.read_bytes()[:1000]


def test_plot_to_a_directory_is_exit_1(tmp_path: Path) -> None:
    """BUG (low): -o DIRECTORY is exit 0 and Matplotlib writes DIRECTORY.png beside it."""
    pytest.importorskip("matplotlib")
    folder = tmp_path / "plots"
    folder.mkdir()
    clean(run("plot", "sin(x)", "--sweep", "x=0:1:5", "-o", str(folder)), 1, str(folder))
    assert not (tmp_path / "plots.png").exists()


# --------------------------------------------------------------------------------------
# --ties, --exact, --explain
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("rule, expected", [
    ("first", [1.0, 0.0, 0.0]), ("split", [1 / 3] * 3), ("all", [1.0, 1.0, 1.0]),
])
def test_ties_with_three_tied_arguments(op: str, rule: str, expected: list[float]) -> None:
    data = eval_json(f"{op}(x, y, z) * 3", {"x": 2.0, "y": 2.0, "z": 2.0}, "--ties", rule)
    assert list(data["gradient"].values()) == pytest.approx([3 * e for e in expected],
                                                            rel=1e-15)
    # the loser of a non-tie never gets anything, whatever the rule
    data = eval_json(f"{op}(x, y, z)", {"x": 2.0, "y": 2.0, "z": 1.0 if op == "max" else 3.0},
                     "--ties", rule)
    assert data["gradient"]["z"] == 0.0
    shared = eval_json(f"{op}(x, x, x)", {"x": 1.0}, "--ties", rule)["gradient"]["x"]
    assert shared == {"first": 1.0, "split": 1.0, "all": 3.0}[rule]


def test_ties_bad_rule() -> None:
    clean(run("eval", "max(x, y)", "x=1", "y=1", "--ties", "bogus"), 2, "--ties")
    clean(run("eval", "max(x, y)", "x=1", "y=1", "--ties", "ｆirst"), 2, "--ties")


class Dual:
    """Forward-mode derivatives over Fractions: the reference for --exact."""

    def __init__(self, value, grads=None):
        self.v = Fraction(value)
        self.g = grads or {}

    @staticmethod
    def lift(x):
        return x if isinstance(x, Dual) else Dual(x)

    def _combine(self, other, dv, ds, do):
        other = Dual.lift(other)
        names = set(self.g) | set(other.g)
        return Dual(dv, {n: ds * self.g.get(n, 0) + do * other.g.get(n, 0) for n in names})

    def __add__(self, o):
        o = Dual.lift(o)
        return self._combine(o, self.v + o.v, 1, 1)

    __radd__ = __add__

    def __sub__(self, o):
        o = Dual.lift(o)
        return self._combine(o, self.v - o.v, 1, -1)

    def __rsub__(self, o):
        return Dual.lift(o) - self

    def __mul__(self, o):
        o = Dual.lift(o)
        return self._combine(o, self.v * o.v, o.v, self.v)

    __rmul__ = __mul__

    def __truediv__(self, o):
        o = Dual.lift(o)
        return self._combine(o, self.v / o.v, 1 / o.v, -self.v / o.v ** 2)

    def __rtruediv__(self, o):
        return Dual.lift(o) / self

    def __pow__(self, n: int):
        return Dual(self.v ** n, {k: n * self.v ** (n - 1) * d for k, d in self.g.items()})

    def __neg__(self):
        return Dual(-self.v, {k: -d for k, d in self.g.items()})

    def __abs__(self):
        s = (self.v > 0) - (self.v < 0)
        return Dual(abs(self.v), {k: s * d for k, d in self.g.items()})


def _relu(a):
    return a if a.v > 0 else Dual(0, {k: 0 for k in a.g})


def _max(*args):
    winner = max(a.v for a in args)
    return next(a for a in args if a.v == winner)  # the first tied argument


EXACT_CASES = [
    ("(x/3 + y)*(x - y/7)^2 - x/(y + 1)", {"x": "0.1", "y": "2.5"},
     lambda x, y: (x / 3 + y) * (x - y / 7) ** 2 - x / (y + 1)),
    ("x^-2 * y^3 - 0.1*x*y + (x - y)^4 / 9", {"x": "3", "y": "-0.7"},
     lambda x, y: x ** -2 * y ** 3 - Fraction("0.1") * x * y + (x - y) ** 4 / 9),
    ("abs(x - y)/7 + relu(y - x)/3 - (x*y)/11", {"x": "0.3", "y": "1e-3"},
     lambda x, y: abs(x - y) / 7 + _relu(y - x) / 3 - (x * y) / 11),
    ("max(x, y)/3 + min(x, 2*y)/7", {"x": "0.25", "y": "0.2"},
     lambda x, y: _max(x, y) / 3 - _max(-x, -(2 * y)) / 7),
    ("def f(a, b) = a/b - b/3\nf(x, y) * f(y, x)", {"x": "0.5", "y": "1.25"},
     lambda x, y: (x / y - y / 3) * (y / x - x / 3)),
]


@pytest.mark.parametrize("program, point, reference", EXACT_CASES)
def test_exact_equals_fraction_arithmetic(program: str, point: dict, reference) -> None:
    """BUG among these: through max/min and user defs the exact gradient is rounded
    through a float (0.0 + Fraction is a float), e.g. 3333333333333333/10**16, not 1/3."""
    names = list(point)
    leaves = [Dual(Fraction(point[n]), {n: Fraction(1)}) for n in names]
    expected = reference(*leaves)
    data = json.loads(clean(run("eval", program, *[f"{n}={v}" for n, v in point.items()],
                                "--exact", "-F", "json"), 0).out)
    assert Fraction(data["value_exact"]) == expected.v
    for n in names:
        assert Fraction(data["gradient_exact"][n]) == expected.g.get(n, 0), n


def test_exact_grad_through_max_is_one_third() -> None:
    """BUG: the minimal case of the float leak in --exact."""
    assert clean(run("eval", "max(x, 0)/3", "x=1", "--exact", "--grad", "x"), 0).out == "1/3\n"


def test_exact_split_tie_is_one_third() -> None:
    """BUG: --exact --ties split on three tied arguments gives 3333333333333333/10**16."""
    data = json.loads(clean(run("eval", "max(x, y, z)", "x=1", "y=1", "z=1", "--exact",
                                "--ties", "split", "-F", "json"), 0).out)
    assert data["gradient_exact"] == {"x": "1/3", "y": "1/3", "z": "1/3"}


def test_exact_power_with_exponent_zero() -> None:
    """BUG: d/dx x^0 at x = 0 is 0 in floating point, but --exact evaluates b*a^(b-1)
    eagerly and stops with 'zero to a negative power' (exit 1)."""
    assert clean(run("eval", "x^0", "x=0", "--grad", "x"), 0).out == "0\n"
    assert clean(run("eval", "x^0", "x=0", "--exact", "--grad", "x"), 0).out == "0\n"


@pytest.mark.parametrize("program", ["x^y", "2^x", "pow(x, y)"])
def test_exact_variable_exponent_is_not_an_internal_error(program: str) -> None:
    """BUG: a variable exponent needs log for its gradient: AttributeError, exit 70."""
    result = run("eval", program, "x=2", "y=3", "--exact") if "y" in program else \
        run("eval", program, "x=3", "--exact")
    clean(result, 2, "--exact")


@pytest.mark.parametrize("program", ["x^700", "1e308*x*10"])
def test_exact_beyond_the_double_range_is_not_an_internal_error(program: str) -> None:
    """BUG: an exact result over 1.8e308 overflows float(Fraction): exit 70."""
    result = run("eval", program, "x=3", "--exact", "--value")
    assert result.code in (0, 1), result.err
    clean(result, result.code)
    if result.code == 0:
        assert Fraction(result.out.strip()) == (Fraction(3) ** 700 if "700" in program
                                                else Fraction(10) ** 309 * 3)


def test_exact_huge_integer_exponent_does_not_hang() -> None:
    """BUG: SPEC §2 makes 9^9^9^9 a quick error, not a hang on a huge integer; with --exact
    x^2^60 computes 3**(2**60) in Fraction arithmetic and never ends."""
    command = [*backprop_command(), "eval", "x^2^60", "x=3", "--exact", "--value"]
    try:
        result = subprocess.run(command, capture_output=True, timeout=8, check=False)
    except subprocess.TimeoutExpired:  # subprocess.run has killed it
        pytest.fail("backprop eval 'x^2^60' x=3 --exact ran for over 8 s")
    assert result.returncode in (1, 2), result.stderr[:300]
    assert result.stderr.startswith(b"error:")


@pytest.mark.parametrize("program, says", [
    ("exp(x)", "exp"), ("sigmoid(x)", "sigmoid"), ("sqrt(x)", "sqrt"), ("log(x, 2)", "log"),
    ("def f(a) = sin(a)\nf(x)", "sin"), ("x^0.5", "integer"),
])
def test_exact_refuses_what_it_cannot_do(program: str, says: str) -> None:
    clean(run("eval", program, "x=4", "--exact"), 2, says, "--exact")


def test_exact_domain_errors() -> None:
    clean(run("eval", "x/y", "x=1", "y=0", "--exact"), 1, "division by zero")
    clean(run("eval", "x^-2", "x=0", "--exact"), 1, "zero")
    assert clean(run("eval", "x/3", "x=0.1", "--exact", "--value"), 0).out == "1/30\n"


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


# --------------------------------------------------------------------------------------
# every new command: empty programs, lookalikes, deep programs
# --------------------------------------------------------------------------------------
COMMANDS = [
    ["graph", "-F", "tree"], ["graph", "-F", "mermaid"], ["diff"], ["diff", "--program"],
    ["check"], ["hessian"], ["descend", "--steps", "3"], ["plot", "--sweep", "x=0:1:5"],
    ["eval", "--sweep", "x=0:1:5"], ["eval", "--explain"], ["eval", "--exact"],
    ["eval", "--ties", "split"],
]
IDS = [" ".join(c) for c in COMMANDS]


def _point(command: list[str]) -> list[str]:
    swept = command[0] == "plot" or "--sweep" in command
    return [] if swept or command[0] == "diff" else ["x=0.5"]


@pytest.mark.parametrize("command", COMMANDS, ids=IDS)
@pytest.mark.parametrize("program, says", [
    ("", "empty"), ("   \n\t", "empty"), ("# just a comment\n# and another", "no statements"),
    (";;\n;", "no statements"), ("\ufeff", "U+FEFF"),
    ("x − 1", "U+2212"), ("x × 2", "U+00D7"), ("x\u00a0+ 1", "U+00A0"), ("х + 1", "U+0445"),
    ("x + 1 )", "1:7"), ("nope(x)", "nope"), ("max(x)", "max"), ("def f(a) = a\nf(x, x)", "f"),
    ("def f(a) = a + y\nf(x)", "y"),
])
def test_every_command_refuses_bad_programs(command: list[str], program: str,
                                            says: str) -> None:
    clean(run(command[0], program, *_point(command), *command[1:]), 2, says)


@pytest.mark.parametrize("command", COMMANDS, ids=IDS)
def test_every_command_reads_defs_and_blocks(command: list[str]) -> None:
    block = "abs" if "--exact" in command else "sigmoid"  # --exact refuses sigmoid
    program = ("# a block calling a block\n"
               "def sq(a) = a*a\n"
               f"def f(a, b) = sq(a) + {block}(b)   # comment\n"
               "y = f(x, 2*x); y * 3")
    result = clean(run(command[0], program, *_point(command), *command[1:]), 0)
    assert result.out


@pytest.mark.parametrize("command", COMMANDS, ids=IDS)
def test_every_command_handles_deep_programs(command: list[str]) -> None:
    for program in (DEEP_SIN, DEEP_PARENS):
        result = timed(command[0], program, *_point(command), *command[1:])
        if command == ["diff"] and program is DEEP_SIN:
            clean(result, 2, "--program")  # the formula is too large: a clear message
        elif command == ["eval", "--exact"] and program is DEEP_SIN:
            clean(result, 2, "sin")  # no exact rational value
        else:
            clean(result, 0)


@pytest.mark.parametrize("command", COMMANDS, ids=IDS)
def test_every_command_reports_nonfinite_values_mid_computation(command: list[str]) -> None:
    program = "a = exp(x*800); b = a - a; b + x"
    if command[0] == "diff":  # diff evaluates nothing: the formula is differentiated fine
        clean(run(command[0], program, *command[1:]), 0)
        return
    if command[0] == "plot" or "--sweep" in command:
        result = run(command[0], program, *command[1:])
    elif "--exact" in command:
        result = run(command[0], "a = x/(x - 0.5); a*2", "x=0.5", *command[1:])
    else:
        result = run(command[0], program, "x=1", *command[1:])
    clean(result, 1)
    assert "exp" in result.err or "division" in result.err, result.err


def test_wide_max_and_min() -> None:
    names = [f"x{i}" for i in range(3000)]
    values = [f"{n}=1" for n in names]
    program = f"max({', '.join(names)}) - min({', '.join(names)})"
    for rule, first in (("first", 0.0), ("split", 0.0), ("all", 0.0)):
        data = json.loads(timed("eval", program, *values, "--ties", rule, "-F", "json").out)
        assert data["gradient"]["x0"] == first and data["value"] == 0.0
    split = json.loads(timed("eval", f"max({', '.join(names)})", *values, "--ties", "split",
                             "-F", "json").out)
    assert split["gradient"]["x2999"] == pytest.approx(1 / 3000, rel=1e-12)
    clean(timed("diff", f"max({', '.join(names[:300])})", "--wrt", "x7"), 0)
    clean(timed("check", f"max({', '.join(names[:300])}) * 2", *values[:300]), 0)
