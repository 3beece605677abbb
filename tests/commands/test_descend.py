"""backprop descend: convergence to known optima, --wrt, --maximize, divergence, outputs."""

from __future__ import annotations

import csv
import json
import math

import pytest

from backprop_cli import parse_program
from backprop_cli.api import bind_inputs
from backprop_cli.descend import Settings, descend
from tests.harness import run


def descend_json(*args: str) -> dict:
    result = run("descend", *args, "-F", "json")
    assert result.code == 0, result.err
    return json.loads(result.out)


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
