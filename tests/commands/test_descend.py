"""backprop descend: convergence to known optima, --wrt, --maximize, divergence, outputs,
the optimizers' definitions, bad options."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pytest

from backprop_cli import parse_program
from backprop_cli.api import bind_inputs
from backprop_cli.descend import Settings, descend
from tests.harness import clean, run, strict_json

# --------------------------------------------------------------------------------------
# descend
# --------------------------------------------------------------------------------------
BOWL = "(x-3)^2 + 2*(y+1)^2 + x*y"  # minimum at x = 4, y = -2, value -5


def descend_json(*args: str) -> dict:
    return strict_json(clean(run("descend", *args, "-F", "json"), 0).out)


def test_quadratic_bowl_converges() -> None:
    data = descend_json("-f", "samples/bowl.bp")
    assert data["stopped"] == "converged"
    assert data["inputs"]["x"]["final"] == pytest.approx(3, abs=1e-7)
    assert data["inputs"]["y"]["final"] == pytest.approx(-1, abs=1e-7)
    assert data["value"] == pytest.approx(0, abs=1e-12)


@pytest.mark.parametrize(("optimizer", "lr", "steps"), [
    ("adam", "0.02", "6000"), ("momentum", "0.0005", "20000")])
def test_rosenbrock_converges(optimizer: str, lr: str, steps: str) -> None:
    data = descend_json("-f", "samples/rosenbrock.bp", "--optimizer", optimizer, "--lr", lr,
                        "--steps", steps, "--tol", "1e-6")
    assert data["inputs"]["x"]["final"] == pytest.approx(1, abs=1e-4)
    assert data["inputs"]["y"]["final"] == pytest.approx(1, abs=1e-4)


def test_least_squares_fit_reaches_the_normal_equations() -> None:
    data = descend_json("-f", "samples/linefit.bp", "--wrt", "w,b", "--lr", "0.05",
                        "--steps", "5000")
    xs, ys = [0, 1, 2, 3, 4], [1, 2.9, 5.1, 7, 9]
    mx, my = sum(xs) / 5, sum(ys) / 5
    w = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    assert data["inputs"]["w"]["final"] == pytest.approx(w, abs=1e-7)
    assert data["inputs"]["b"]["final"] == pytest.approx(my - w * mx, abs=1e-7)


def test_wrt_keeps_the_other_inputs_fixed() -> None:
    data = descend_json("(x - a)^2 + (y - 2)^2", "x=0", "y=0", "a=5", "--wrt", "x")
    assert set(data["inputs"]) == {"x"}
    assert data["inputs"]["x"]["final"] == pytest.approx(5, abs=1e-6)
    graph = parse_program("(x - a)^2 + (y - 2)^2")
    point = bind_inputs(graph, {"x": 0, "y": 0, "a": 5})
    seen = []
    descend(graph, point, [graph.names["x"]], Settings(steps=20),
            on_step=lambda s: seen.append(s.params))
    assert all(len(p) == 1 for p in seen)
    assert point[graph.names["y"]] == 0 and point[graph.names["a"]] == 5


def test_maximize_climbs() -> None:
    data = descend_json("-(x - 2)^2 + 1", "x=-3", "--maximize")
    assert data["value"] == pytest.approx(1, abs=1e-12)
    assert data["value"] > data["start_value"]


def test_divergence_is_reported() -> None:
    result = run("descend", "x^2", "x=1", "--lr", "1.5")
    assert result.code == 1
    assert "diverged at step" in result.err and "last finite step" in result.err
    assert "--lr 0.15" in result.err


def test_stops_after_the_steps_asked_for() -> None:
    data = descend_json("x^2", "x=1", "--steps", "3", "--lr", "0.1")
    assert data["steps"] == 3 and data["stopped"] == "steps"
    assert data["inputs"]["x"]["final"] == pytest.approx(0.8**3)


def test_optimizers_match_their_definitions() -> None:
    graph = parse_program("x^2")
    point = bind_inputs(graph, {"x": 1.0})
    x = graph.names["x"]
    # momentum: b1 = g0; b_t = mu*b + g
    out = descend(graph, point, [x], Settings(steps=2, lr=0.1, optimizer="momentum",
                                              momentum=0.9))
    p, b = 1.0, 0.0
    for t in range(2):
        g = 2 * p
        b = g if t == 0 else 0.9 * b + g
        p -= 0.1 * b
    assert out.final[0] == pytest.approx(p, rel=1e-15)
    out = descend(graph, point, [x], Settings(steps=3, lr=0.1, optimizer="adam"))
    p, m, v = 1.0, 0.0, 0.0
    for t in range(1, 4):
        g = 2 * p
        m = 0.9 * m + 0.1 * g
        v = 0.999 * v + 0.001 * g * g
        p -= 0.1 * (m / (1 - 0.9**t)) / (math.sqrt(v / (1 - 0.999**t)) + 1e-8)
    assert out.final[0] == pytest.approx(p, rel=1e-14)


def test_trace_and_chart(tmp_path) -> None:
    trace = tmp_path / "trace.csv"
    result = run("descend", "-f", "samples/bowl.bp", "--steps", "5", "--trace", str(trace),
                 "--chart")
    assert result.code == 0, result.err
    rows = list(csv.reader(trace.open()))
    assert rows[0] == ["step", "output", "x", "y", "grad_norm"]
    assert [int(r[0]) for r in rows[1:]] == [0, 1, 2, 3, 4, 5]
    assert float(rows[1][1]) == 11.0
    assert "per step" in result.out and "┌" in result.out
    assert "steps of sgd" in result.out


def test_bad_options() -> None:
    assert run("descend", "x^2", "x=1", "--betas", "0.9").code == 2
    assert run("descend", "x^2", "x=1", "--wrt", "y").code == 2
    assert run("descend", "x^2").code == 2


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
