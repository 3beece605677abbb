"""Training with vectors and matrices: the initialisers (randn, uniform, zeros, ones) and
their seed, descend at one point with array inputs, trajectories over rows against a
NumPy reference of the update rules, gradients over rows against one-point sums, --save
and eval --values with arrays, the moons MLP at 100%, its decision boundary."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_cli import parse_program
from backprop_cli.api import bind_inputs, evaluate_at
from backprop_cli.batch import bind_columns
from backprop_cli.descend import Settings
from backprop_cli.optimizers import Rule, learning_rate
from backprop_cli.train import Training, _ArrayModel, read_data, train
from tests.harness import ROOT, check_points_at, clean, run, strict_json

MOONS_BP = ROOT / "samples" / "moons.bp"
MOONS = ROOT / "samples" / "moons.csv"
LINEAR = "w = [0.5, -0.25]\nb = 0.1\nx = [x0, x1]\nloss = (dot(w, x) + b - t)^2\n"


def default_of(program: str, name: str, *options: str) -> np.ndarray:
    data = strict_json(clean(run("eval", program, *options, "-F", "json"), 0).out)
    node = next(n for n in data["nodes"] if n["name"] == name)
    return np.array(node["value"])


# -- initialisers -------------------------------------------------------------------------
def test_randn_and_uniform_draw_the_documented_streams() -> None:
    program = "A = randn(3, 2); u = uniform(-1, 1, [4]); sum(A) + sum(u)"
    for seed in (0, 5):
        graph = parse_program(program, seed=seed)
        values = {graph.nodes[i].name: graph.nodes[i].value for i in graph.inputs}
        first = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
        second = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1,)))
        assert np.array_equal(values["A"], first.standard_normal((3, 2)))
        assert np.array_equal(values["u"], second.uniform(-1, 1, (4,)))


def test_the_seed_decides_and_other_statements_do_not() -> None:
    program = "W = randn(2, 3) * 0.5; sum(W)"
    same = default_of(program, "W", "--seed", "3")
    assert np.array_equal(same, default_of(program, "W", "--seed", "3"))
    assert not np.array_equal(same, default_of(program, "W", "--seed", "4"))
    # a statement with no random call, before it: the same numbers
    assert np.array_equal(same, default_of("c = 2; z = zeros(5); " + program, "W", "--seed",
                                           "3"))


def test_shapes_forms_and_fixed_initialisers() -> None:
    assert default_of("z = zeros(2, 3); sum(z)", "z").tolist() == [[0.0] * 3] * 2
    assert default_of("o = ones([3]); sum(o)", "o").tolist() == [1.0] * 3
    u = default_of("u = uniform(2, 3, 50, 4); sum(u)", "u")
    assert u.shape == (50, 4) and np.all((u >= 2) & (u < 3))
    scalar = strict_json(clean(run("eval", "s = randn(); s", "-F", "json"), 0).out)
    assert isinstance(scalar["value"], float)


def test_a_binding_and_values_override_a_default(tmp_path: Path) -> None:
    program = "w = randn(2); sum(w * w)"
    assert clean(run("eval", program, "w=[1,2]", "--value"), 0).out.strip() == "5"
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"w": [3, 4]}))
    assert clean(run("eval", program, "--values", str(path), "--value"), 0).out.strip() == "25"


@pytest.mark.parametrize(("program", "says", "column"), [
    ("W = randn(2, x); sum(W)", "numbers written in the program", 5),
    ("W = randn(2, 1.5); sum(W)", "a whole number from 1 up", 5),
    ("W = randn(0); sum(W)", "a whole number from 1 up", 5),
    ("u = uniform(1, -1, 3); sum(u)", "the low one first", 5),
    ("u = uniform(1); u", "2 numbers before the dimensions", 5),
    ("W = randn(5000, 5000, 5000); sum(W)", "more than", 5),
])
def test_bad_initialisers_are_input_errors_at_the_call(program: str, says: str,
                                                        column: int) -> None:
    result = clean(run("eval", program), 2, says)
    check_points_at(result.err, 1, column)


def test_no_initialiser_inside_a_def() -> None:
    clean(run("eval", "def f(a) = a * randn(2)\nsum(f(1))"), 2, "outside a def")


# -- descend at one point -----------------------------------------------------------------
def test_descend_moves_a_vector_as_the_update_rule_says() -> None:
    data = strict_json(clean(run("descend", "x=[1,2]; sum((x-3)^2)", "--steps", "7",
                                 "--lr", "0.1", "--tol", "0", "-F", "json"), 0).out)
    x = np.array([1.0, 2.0])
    for _ in range(7):
        x = x - 0.1 * 2 * (x - 3)
    assert data["inputs"]["x"]["final"] == pytest.approx(list(x), rel=1e-15)
    assert data["inputs"]["x"]["grad"] == pytest.approx(list(2 * (x - 3)), rel=1e-12)


def test_descend_binds_an_array_to_an_unassigned_input(tmp_path: Path) -> None:
    trace = tmp_path / "t.csv"
    result = clean(run("descend", "sum((W - [[1, 2], [3, 4]])^2)", "W=[[0,0],[0,0]]",
                       "--optimizer", "adam", "--lr", "0.05", "--steps", "400",
                       "--trace", str(trace), "-F", "json"), 0)
    final = strict_json(result.out)["inputs"]["W"]["final"]
    assert np.allclose(final, [[1, 2], [3, 4]], atol=0.05)
    header = next(csv.reader(trace.open()))
    assert header == ["step", "output", "W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]", "grad_norm"]


def test_an_array_output_is_refused() -> None:
    clean(run("descend", "x=[1,2]; (x-3)^2"), 2, "a vector of 2", "one number")


# -- over rows ----------------------------------------------------------------------------
def small_data(rows: int, seed: int = 1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x0, x1 = rng.normal(size=rows), rng.normal(size=rows)
    return x0, x1, 0.7 * x0 - 0.3 * x1 + 0.2 + 0.05 * rng.normal(size=rows)


def write_data(path: Path, columns: dict[str, np.ndarray]) -> Path:
    names = list(columns)
    lines = [",".join(names)] + [",".join(repr(float(columns[n][k])) for n in names)
                                 for k in range(len(columns[names[0]]))]
    path.write_text("\n".join(lines) + "\n")
    return path


def linear_reference(x0: np.ndarray, x1: np.ndarray, t: np.ndarray, steps: int, lr: float,
                     batch: int | None, optimizer: str, seed: int = 0, wd: float = 0.0,
                     schedule: str = "constant", lr_end: float = 0.0
                     ) -> tuple[np.ndarray, float]:
    """LINEAR trained by hand: the mean gradient of each batch, PyTorch's update rules,
    the batch order of --seed."""
    n = len(t)
    size = batch or n
    rng = np.random.default_rng(seed)
    w, b = np.array([0.5, -0.25]), 0.1
    mw, vw, mb, vb, bw, bb = np.zeros(2), np.zeros(2), 0.0, 0.0, None, None
    rule = Rule(lr=lr, schedule=schedule, lr_end=lr_end)
    k = 0
    while k < steps:
        order = rng.permutation(n) if size < n else np.arange(n)
        for first in range(0, n, size):
            if k >= steps:
                break
            i = order[first:first + size]
            r = w[0] * x0[i] + w[1] * x1[i] + b - t[i]
            gw = np.array([np.mean(2 * r * x0[i]), np.mean(2 * r * x1[i])])
            gb = float(np.mean(2 * r))
            step_lr = learning_rate(rule, k, steps)
            if optimizer == "adam":
                k1 = k + 1
                w, b = w * (1 - step_lr * wd), b * (1 - step_lr * wd)
                mw, mb = 0.9 * mw + 0.1 * gw, 0.9 * mb + 0.1 * gb
                vw, vb = 0.999 * vw + 0.001 * gw * gw, 0.999 * vb + 0.001 * gb * gb
                w = w - step_lr * (mw / (1 - 0.9**k1)) / (np.sqrt(vw / (1 - 0.999**k1)) + 1e-8)
                b = b - step_lr * (mb / (1 - 0.9**k1)) / ((vb / (1 - 0.999**k1)) ** 0.5 + 1e-8)
            else:
                gw, gb = gw + wd * w, gb + wd * b
                if optimizer == "momentum":
                    bw = gw if bw is None else 0.9 * bw + gw
                    bb = gb if bb is None else 0.9 * bb + gb
                    gw, gb = bw, bb
                w, b = w - step_lr * gw, b - step_lr * gb
            k += 1
    return w, b


@pytest.mark.parametrize(("args", "ref"), [
    (["--lr", "0.1", "--steps", "20"], dict(steps=20, lr=0.1, batch=None, optimizer="sgd")),
    (["--lr", "0.05", "--epochs", "3", "--batch-size", "8", "--seed", "4", "--optimizer",
      "momentum", "--weight-decay", "0.01"],
     dict(steps=3 * 4, lr=0.05, batch=8, optimizer="momentum", seed=4, wd=0.01)),
    (["--lr", "0.02", "--epochs", "2", "--batch-size", "10", "--optimizer", "adam",
      "--weight-decay", "0.1", "--schedule", "linear", "--lr-end", "0.001"],
     dict(steps=2 * 3, lr=0.02, batch=10, optimizer="adam", wd=0.1, schedule="linear",
          lr_end=0.001)),
])
def test_array_trajectory_equals_the_reference(tmp_path: Path, args: list[str],
                                               ref: dict) -> None:
    x0, x1, t = small_data(30)
    data = write_data(tmp_path / "d.csv", {"x0": x0, "x1": x1, "t": t})
    program = tmp_path / "linear.bp"
    program.write_text(LINEAR)
    out = strict_json(clean(run("descend", "-f", str(program), "--data", str(data), *args,
                                "-F", "json"), 0).out)
    w, b = linear_reference(x0, x1, t, **ref)
    assert out["inputs"]["w"]["final"] == pytest.approx(list(w), rel=1e-10, abs=1e-13)
    assert out["inputs"]["b"]["final"] == pytest.approx(b, rel=1e-10, abs=1e-13)
    assert out["steps"] == ref["steps"]


MLP = ("W1 = uniform(-1, 1, [4, 2]); b1 = uniform(-1, 1, [4]); w2 = randn(4); b2 = 0.3\n"
       "x = [x0, x1]\nh = tanh(W1 @ x + b1)\nscore = dot(w2, h) + b2\n"
       "reg = 0.01 * (sum(W1^2) + b2^2)\nloss = softplus(-y * score) + reg\n")


@settings(max_examples=15, deadline=None)
@given(rows=st.integers(1, 12), seed=st.integers(0, 1000))
def test_gradients_over_rows_are_the_sum_of_one_point_gradients(rows: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    x0, x1 = rng.normal(size=rows), rng.normal(size=rows)
    y = np.where(rng.random(rows) < 0.5, -1.0, 1.0)
    graph = parse_program(MLP, seed=seed, inline_functions=True)
    names = ("x0", "x1", "y")
    fixed = bind_columns(graph, {}, list(names), "data")
    moving = [graph.names[n] for n in ("W1", "b1", "w2", "b2")]
    model = _ArrayModel(graph, fixed, names, moving, [])
    params = [fixed[i] for i in moving]
    loss, grads, _ = model.step([x0, x1, y], rows, params, "sum")
    total_loss = 0.0
    totals = [np.zeros(np.shape(p)) for p in params]
    for r in range(rows):
        point = {"x0": float(x0[r]), "x1": float(x1[r]), "y": float(y[r])}
        result = evaluate_at(graph, point)
        total_loss += result.evaluation.value
        for k, i in enumerate(moving):
            totals[k] = totals[k] + result.evaluation.grads[i]
    assert loss == pytest.approx(total_loss, rel=1e-12)
    for got, want in zip(grads, totals):
        assert np.allclose(got, want, rtol=1e-11, atol=1e-13)
        assert np.shape(got) == np.shape(want)


def test_save_round_trip_with_arrays(tmp_path: Path) -> None:
    x0, x1 = np.linspace(-1, 1, 7), np.linspace(2, 0, 7)
    y = np.where(x0 > 0, 1.0, -1.0)
    data = write_data(tmp_path / "d.csv", {"x0": x0, "x1": x1, "y": y})
    program = tmp_path / "mlp.bp"
    program.write_text(MLP)
    saved = tmp_path / "params.json"
    out = strict_json(clean(run("descend", "-f", str(program), "--data", str(data), "--steps",
                                "5", "--lr", "0.3", "--save", str(saved), "-F", "json"),
                            0).out)
    params = json.loads(saved.read_text())
    assert np.shape(params["W1"]) == (4, 2) and np.shape(params["b1"]) == (4,)
    for name in ("W1", "b1", "w2", "b2"):
        assert params[name] == out["inputs"][name]["final"]
    # eval --values reads them back: the mean of the one-point losses is the final loss
    losses = [float(clean(run("eval", "-f", str(program), "--values", str(saved),
                              f"x0={a!r}", f"x1={b!r}", f"y={c!r}", "--value"), 0).out)
              for a, b, c in zip(x0.tolist(), x1.tolist(), y.tolist())]
    assert np.mean(losses) == pytest.approx(out["value"], rel=1e-12)


# -- the moons ----------------------------------------------------------------------------
def test_moons_reaches_every_training_point() -> None:
    graph = parse_program(MOONS_BP.read_text(), inline_functions=True)
    data = read_data(str(MOONS), graph, None, 1 << 20)
    fixed = bind_columns(graph, {}, list(data.names), data.origin)
    names = [n for n in graph.input_names() if n not in data.names]
    outcome = train(graph, fixed, [graph.names[n] for n in names], data,
                    Settings(lr=1.0, steps=100, schedule="linear", lr_end=0.1),
                    Training(metrics=("acc",)))
    assert dict(outcome.metrics)["acc"] == 1.0
    assert outcome.final_output < 0.05 < outcome.start_output


def test_moons_from_the_command_line_and_its_boundary(tmp_path: Path) -> None:
    saved = tmp_path / "moons.json"
    out = strict_json(clean(run("descend", "-f", str(MOONS_BP), "--data", str(MOONS),
                                "--steps", "100", "--lr", "1", "--schedule", "linear",
                                "--lr-end", "0.1", "--metric", "acc", "--save", str(saved),
                                "-F", "json"), 0).out)
    assert out["metrics"]["acc"] == 1.0
    picture = clean(run("plot", "-f", str(MOONS_BP), "--output", "score", "--values",
                        str(saved), "--sweep", "x0=-2:3:40", "--sweep", "x1=-1.5:2:20",
                        "--points", str(MOONS), "--color", "y"), 0).out
    assert "score over x0 and x1" in picture
    # the surface is the model's score: a grid point against eval at that point
    from backprop_cli.plot import sweep_surface
    from backprop_cli.points import parse_sweep

    graph = parse_program(MOONS_BP.read_text(), output="score")
    values = json.loads(saved.read_text())
    values = {k: np.array(v) if isinstance(v, list) else v for k, v in values.items()}
    surface = sweep_surface(graph, values, parse_sweep("x0=-2:3:5"), parse_sweep("x1=-1:1:3"))
    point = evaluate_at(graph, {**values, "x0": float(surface.xs[1]),
                                "x1": float(surface.ys[2]), "y": 1.0})
    assert surface.z[1, 2] == pytest.approx(point.evaluation.value, rel=1e-12)


def test_bind_inputs_sees_the_drawn_defaults() -> None:
    graph = parse_program(MOONS_BP.read_text(), seed=2)
    bound = bind_inputs(graph, {"x0": 0.0, "x1": 0.0, "y": 1.0})
    assert np.shape(bound[graph.names["W2"]]) == (16, 16)
