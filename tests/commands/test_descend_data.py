"""descend --data: trajectories against a reference of the update rules (minibatch order
included), gradients over rows against one-point gradients, schedules and weight decay
as PyTorch defines them, --save and eval --values, divergence, the specialised passes."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_cli import parse_program
from backprop_cli.api import bind_inputs
from backprop_cli.core.engine import backward, forward
from backprop_cli.core.ops import OPERATIONS
from backprop_cli.optimizers import Rule, learning_rate
from backprop_cli.passes import Passes
from tests.harness import ROOT, clean, run, strict_json

LOGISTIC = ROOT / "samples" / "logistic.bp"
MOONS = ROOT / "samples" / "moons.csv"


def moons() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = list(csv.DictReader(MOONS.open()))
    return tuple(np.array([float(r[k]) for r in rows]) for k in ("x0", "x1", "y"))


def softplus(z: np.ndarray) -> np.ndarray:
    return np.logaddexp(0.0, z)


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def reference(steps: int, lr: float, batch: int | None, seed: int = 0, *,
              optimizer: str = "sgd", wd: float = 0.0, schedule: str = "constant",
              lr_end: float = 0.0, momentum: float = 0.9) -> list[float]:
    """The logistic regression of samples/logistic.bp trained by hand: per-row gradients
    written out, the mean over each batch, PyTorch's update rules, the same batch order."""
    x0, x1, y = moons()
    n = len(y)
    size = batch or n
    rng = np.random.default_rng(seed)
    p = np.zeros(3)
    m = np.zeros(3)
    v = np.zeros(3)
    buf = None
    t = 0
    rule = Rule(lr=lr, schedule=schedule, lr_end=lr_end)
    while t < steps:
        order = rng.permutation(n) if size < n else np.arange(n)
        for first in range(0, n, size):
            if t >= steps:
                break
            k = order[first:first + size]
            z = p[0] * x0[k] + p[1] * x1[k] + p[2]
            d = -y[k] * sigmoid(-y[k] * z)  # d softplus(-y z) / d z
            g = np.array([np.mean(d * x0[k]), np.mean(d * x1[k]), np.mean(d)])
            step_lr = learning_rate(rule, t, steps)
            if optimizer == "adam":
                t1 = t + 1
                p = p * (1 - step_lr * wd)
                m = 0.9 * m + 0.1 * g
                v = 0.999 * v + 0.001 * g * g
                p = p - step_lr * (m / (1 - 0.9**t1)) / (np.sqrt(v / (1 - 0.999**t1)) + 1e-8)
            else:
                g = g + wd * p
                if optimizer == "momentum":
                    buf = g if buf is None else momentum * buf + g
                    g = buf
                p = p - step_lr * g
            t += 1
    return list(p)


def trained(*args: str) -> dict:
    return strict_json(clean(run("descend", "-f", str(LOGISTIC), "--data", str(MOONS),
                                 *args, "-F", "json"), 0).out)


def finals(data: dict) -> list[float]:
    return [data["inputs"][k]["final"] for k in ("w0", "w1", "b")]


@pytest.mark.parametrize(("args", "ref"), [
    (["--lr", "0.5", "--steps", "30"], dict(steps=30, lr=0.5, batch=None)),
    (["--lr", "0.3", "--epochs", "3", "--batch-size", "16", "--seed", "7"],
     dict(steps=3 * 7, lr=0.3, batch=16, seed=7)),
    (["--lr", "0.05", "--epochs", "2", "--batch-size", "32", "--optimizer", "adam",
      "--weight-decay", "0.1"],
     dict(steps=8, lr=0.05, batch=32, optimizer="adam", wd=0.1)),
    (["--lr", "0.2", "--steps", "25", "--batch-size", "25", "--optimizer", "momentum",
      "--weight-decay", "0.01", "--schedule", "cosine", "--lr-end", "0.01"],
     dict(steps=25, lr=0.2, batch=25, optimizer="momentum", wd=0.01, schedule="cosine",
          lr_end=0.01)),
    (["--lr", "1", "--steps", "40", "--schedule", "linear", "--lr-end", "0.1"],
     dict(steps=40, lr=1.0, batch=None, schedule="linear", lr_end=0.1)),
])
def test_trajectory_equals_the_reference(args: list[str], ref: dict) -> None:
    data = trained(*args)
    assert finals(data) == pytest.approx(reference(**ref), rel=1e-11, abs=1e-13)
    assert data["steps"] == ref["steps"]


def test_same_seed_same_bytes_and_another_seed_another_run(tmp_path: Path) -> None:
    args = ["--lr", "0.3", "--epochs", "2", "--batch-size", "10"]
    first = run("descend", "-f", str(LOGISTIC), "--data", str(MOONS), *args, "--seed", "3")
    again = run("descend", "-f", str(LOGISTIC), "--data", str(MOONS), *args, "--seed", "3")
    other = run("descend", "-f", str(LOGISTIC), "--data", str(MOONS), *args, "--seed", "4")
    assert first.out == again.out and first.code == 0
    assert other.out != first.out


def test_sum_reduction_is_n_times_the_mean_gradient() -> None:
    mean = trained("--lr", "0.5", "--steps", "5")
    total = trained("--lr", "0.005", "--steps", "5", "--reduce", "sum")
    assert finals(total) == pytest.approx(finals(mean), rel=1e-12)
    assert total["value"] == pytest.approx(100 * mean["value"], rel=1e-12)


@settings(max_examples=20, deadline=None)
@given(st.lists(st.tuples(st.floats(-3, 3), st.floats(-3, 3)), min_size=1, max_size=12),
       st.floats(-2, 2), st.floats(-2, 2))
def test_gradient_over_rows_is_the_sum_of_one_point_gradients(rows, w, b) -> None:
    from backprop_cli.numerics import array_math

    graph = parse_program("loss = (w*x + b - t)^2 + 0.1*sin(w*x)")
    xs = np.array([r[0] for r in rows])
    ts = np.array([r[1] for r in rows])
    ids = graph.names
    leaves = {ids["w"]: w, ids["b"]: b, ids["x"]: xs, ids["t"]: ts}
    grads = backward(graph, forward(graph, leaves, array_math), array_math)
    for name in ("w", "b"):
        one = sum(backward(graph, forward(graph, bind_inputs(
            graph, {"w": w, "b": b, "x": x, "t": t})))[ids[name]] for x, t in rows)
        assert float(np.sum(grads[ids[name]])) == pytest.approx(one, rel=1e-12, abs=1e-12)


def test_save_then_eval_values_predicts(tmp_path: Path) -> None:
    params = tmp_path / "params.json"
    data = strict_json(clean(run("descend", "-f", str(LOGISTIC), "--data", str(MOONS),
                                 "--lr", "0.5", "--steps", "50", "--save", str(params),
                                 "-F", "json"), 0).out)
    saved = json.loads(params.read_text())
    assert saved == {k: data["inputs"][k]["final"] for k in ("w0", "w1", "b")}
    result = clean(run("eval", "-f", str(LOGISTIC), "--output", "loss", "--values",
                       str(params), "--at", str(MOONS), "-F", "csv"), 0)
    losses = [float(r["value"]) for r in csv.DictReader(result.out.splitlines())]
    assert sum(losses) / len(losses) == pytest.approx(data["value"], rel=1e-12)
    # and it starts a run where the other ended
    again = trained("--values", str(params), "--lr", "0.5", "--steps", "0")
    assert again["start_value"] == pytest.approx(data["value"], rel=1e-12)


def test_metric_and_val(tmp_path: Path) -> None:
    data = trained("--lr", "0.5", "--steps", "100", "--metric", "acc", "--val", str(MOONS))
    x0, x1, y = moons()
    w0, w1, b = finals(data)
    accuracy = float(np.mean(y * (w0 * x0 + w1 * x1 + b) > 0))
    assert data["metrics"]["acc"] == pytest.approx(accuracy)
    assert data["val"]["acc"] == data["metrics"]["acc"]
    assert data["val"]["loss"] == pytest.approx(data["value"], rel=1e-12)


def test_trace_has_one_row_per_epoch(tmp_path: Path) -> None:
    trace = tmp_path / "trace.csv"
    clean(run("descend", "-f", str(LOGISTIC), "--data", str(MOONS), "--epochs", "4",
              "--batch-size", "50", "--metric", "acc", "--trace", str(trace)), 0)
    rows = list(csv.reader(trace.open()))
    assert rows[0] == ["epoch", "step", "lr", "loss", "acc", "w0", "w1", "b"]
    assert [(int(r[0]), int(r[1])) for r in rows[1:]] == [(1, 2), (2, 4), (3, 6), (4, 8)]


def test_divergence_exits_1_and_minimised_is_not_said() -> None:
    result = run("descend", "x^2", "x=1", "--lr", "1.5", "--steps", "100")
    assert result.code == 1
    assert "diverged" in result.err and "--lr 0.15" in result.err
    assert "minimised" not in result.out
    flat = clean(run("descend", "x^2", "x=1", "--lr", "1", "--steps", "4"), 0)
    assert "minimised" not in flat.out and "unchanged" in flat.out
    wild = run("descend", "-f", str(LOGISTIC), "--data", str(MOONS), "--lr", "1e6",
               "--steps", "50")
    assert wild.code == 1 and "diverged" in wild.err, wild.err


def test_data_options_need_data_and_bad_combinations_are_usage_errors() -> None:
    for args in (["--epochs", "3"], ["--batch-size", "4"], ["--metric", "acc"]):
        assert run("descend", "x^2", "x=1", *args).code == 2
    base = ["descend", "-f", str(LOGISTIC), "--data", str(MOONS)]
    assert run(*base, "--steps", "3", "--epochs", "2").code == 2
    assert run(*base, "--wrt", "x0").code == 2
    bad = run(*base, "--metric", "accuracy")
    assert bad.code == 2 and "acc" in bad.err
    assert run(*base, "--schedule", "step").code == 2
    assert run(*base, "--gamma", "0.5").code == 2


def test_start_error_names_the_row(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    path.write_text("x\n1\n2\n-1\n")
    result = run("descend", "log(x) * w", "w=1", "--data", str(path))
    assert result.code == 1
    assert "row 3" in result.err, result.err


# -- the schedules and the passes ---------------------------------------------------------
def test_schedules_are_pytorchs_closed_forms() -> None:
    base = 0.5
    linear = Rule(lr=base, schedule="linear", lr_end=0.05)
    assert [learning_rate(linear, t, 10) for t in (0, 5, 10, 20)] == pytest.approx(
        [0.5, 0.275, 0.05, 0.05])
    cosine = Rule(lr=base, schedule="cosine", lr_end=0.1)
    assert learning_rate(cosine, 0, 8) == pytest.approx(0.5)
    assert learning_rate(cosine, 4, 8) == pytest.approx(0.3)
    assert learning_rate(cosine, 8, 8) == pytest.approx(0.1)
    step = Rule(lr=base, schedule="step", step_size=3, gamma=0.5)
    assert [learning_rate(step, t, 100) for t in range(7)] == [0.5] * 3 + [0.25] * 3 + [0.125]
    micrograd = Rule(lr=1.0, schedule="linear", lr_end=0.1)  # 1.0 - 0.9*k/100
    assert all(learning_rate(micrograd, k, 100) == 1.0 - 0.9 * k / 100 for k in range(100))


def test_table_texts_the_passes_rely_on() -> None:
    """Passes takes a rule written "1" or "-1" as that constant, and one written as an
    argument's name as that argument's value: hold the table's rules to their texts."""
    from backprop_cli.core import scalar_math

    points = [(0.5, -1.25), (3.0, 2.0), (-0.75, 0.0)]
    for op in OPERATIONS:
        if op.is_leaf or op.variadic:
            continue
        for k, text in enumerate(op.partials_text):
            arity = len(op.params)
            if text not in ("1", "-1") and text not in op.params[:arity]:
                continue
            for a, b in points:
                args = (a, b)[:arity]
                try:
                    out = op.forward(scalar_math, *args)
                    got = op.partials[k](scalar_math, out, *args)
                except Exception:
                    continue
                want = float(text) if text in ("1", "-1") else args[op.params.index(text)]
                assert got == want, (op.name, k, text)


PROGRAMS = ["(x-3)^2 + (y+1)^2 + 0.5*x*y", "sigmoid(w*x + b) * tanh(x - y)",
            "max(x, y, 0.5) - min(x*y, 2) + relu(x) / (1 + y^2)", "exp(-x) * log(2 + y^2)"]


@pytest.mark.parametrize("program", PROGRAMS)
@settings(max_examples=25, deadline=None)
@given(st.floats(-2, 2), st.floats(-2, 2))
def test_passes_give_the_engines_bits(program: str, x: float, y: float) -> None:
    graph = parse_program(program, inline_functions=True)
    point = bind_inputs(graph, {n: v for n, v in (("x", x), ("y", y), ("w", 0.7), ("b", -0.2))
                                if n in graph.input_names()})
    names = [n for n in ("x", "y") if n in graph.names]
    moving = [graph.names[n] for n in names]
    passes = Passes(graph, point, moving)
    for shift in (0.0, 0.25):
        params = [point[i] + shift for i in moving]
        at = {**point, **dict(zip(moving, params))}
        values = forward(graph, at)
        grads = backward(graph, values)
        output, got = passes.run(params)
        assert output == values[graph.output] or math.isnan(output)
        assert got == [grads[i] for i in moving]


@pytest.mark.parametrize("data", [False, True])
def test_ctrl_c_shows_the_result_writes_save_and_exits_130(tmp_path: Path, data: bool) -> None:
    import signal
    import subprocess
    import time

    from tests.harness import backprop_command, process_env

    params = tmp_path / "params.json"
    args = (["-f", str(LOGISTIC), "--data", str(MOONS), "--lr", "1e-9"] if data
            else ["(x-4)^2 + (y+2)^2", "x=0", "y=0", "--lr", "1e-9"])
    proc = subprocess.Popen([*backprop_command(), "descend", *args, "--tol", "0", "--steps",
                             "100000000", "--save", str(params), "-F", "json"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=process_env())
    time.sleep(2.0)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 130, err
    result = json.loads(out)
    assert result["stopped"] == "interrupted" and result["steps"] > 0
    saved = json.loads(params.read_text())
    assert saved == {k: v["final"] for k, v in result["inputs"].items()}
    assert err.decode().strip().startswith("interrupted at step")
