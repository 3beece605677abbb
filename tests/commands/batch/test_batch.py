"""Many points at once: batch rows equal scalar eval, streaming, sweeps, errors."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
from hypothesis import assume, given, settings

from backprop_cli import EvaluationError, evaluate, parse_program
from backprop_cli.api import bind_inputs
from backprop_cli.batch import evaluate_chunks
from backprop_cli.points import Chunk, parse_sweep, read_csv
from tests.harness import csv_rows, run
from tests.strategies import INPUTS, point_rows, programs, risky_point_rows, risky_programs


@settings(max_examples=60)
@given(programs(), point_rows)
def test_batch_equals_scalar_eval_at_every_row(program: str, points: list) -> None:
    graph = parse_program(program)
    names = list(graph.input_names())
    columns = {n: np.array([p[INPUTS.index(n)] for p in points]) for n in names if n in INPUTS}
    fixed = bind_inputs(graph, {n: 0.0 for n in columns})
    try:
        (rows,) = evaluate_chunks(graph, fixed, [Chunk(1, columns, len(points))])
    except EvaluationError:
        assume(False)
    for k in range(len(points)):
        point = {n: float(columns[n][k]) for n in columns}
        single = evaluate(program, point)
        assert math.isclose(rows.value[k], single.value, rel_tol=1e-12, abs_tol=1e-300)
        for j, name in enumerate(names):
            assert math.isclose(rows.grads[j][k], single.gradient[name], rel_tol=1e-12,
                                abs_tol=1e-300), (program, point, name)


def test_csv_file_in_csv_out(tmp_path) -> None:
    data = tmp_path / "points.csv"
    data.write_text("x, y\n1,3\n\n-2,5\n")
    result = run("eval", "(x+y)*z", "z=-3", "--at", str(data))
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == "x,y,z,value,d_x,d_y,d_z"
    assert csv_rows(result.out) == [
        {"x": 1, "y": 3, "z": -3, "value": -12, "d_x": -3, "d_y": -3, "d_z": 4},
        {"x": -2, "y": 5, "z": -3, "value": -9, "d_x": -3, "d_y": -3, "d_z": 3},
    ]


def test_jsonl_in_and_out(tmp_path) -> None:
    data = tmp_path / "points.jsonl"
    data.write_text('{"x": 1, "y": 3}\n{"x": 0.5, "y": -1}\n')
    result = run("eval", "x*y", "--at", str(data), "-F", "jsonl")
    assert result.code == 0, result.err
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert lines[1] == {"x": 0.5, "y": -1.0, "value": -0.5, "d_x": -1.0, "d_y": 0.5}


def test_points_on_stdin_and_program_defaults() -> None:
    result = run("eval", "-f", "samples/sigmoid.bp", "--at", "-", stdin="w0,x0\n2,-1\n0,0\n")
    rows = csv_rows(result.out)
    assert round(rows[0]["value"], 4) == 0.7311 and round(rows[0]["d_w0"], 4) == -0.1966
    assert rows[1]["w1"] == -3


def test_streaming_over_many_chunks_round_trips(tmp_path) -> None:
    rng = np.random.default_rng(3)
    xs = rng.standard_normal(10_000) * 1e3
    data = tmp_path / "many.csv"
    data.write_text("x\n" + "\n".join(map(repr, xs.tolist())) + "\n")
    result = run("eval", "x / 3 + sin(x)", "--at", str(data), "--chunk-rows", "999")
    assert result.code == 0, result.err
    rows = csv_rows(result.out)
    assert len(rows) == 10_000
    assert [r["x"] for r in rows] == xs.tolist()  # every float reads back the same
    expected = [x / 3 + math.sin(x) for x in xs.tolist()]
    assert max(abs(r["value"] - e) for r, e in zip(rows, expected)) < 1e-9


def test_sweeps_make_a_grid() -> None:
    result = run("eval", "x*y", "--sweep", "x=0:1:3", "--sweep", "y=-1:1:2")
    rows = csv_rows(result.out)
    assert [(r["x"], r["y"]) for r in rows] == [
        (0, -1), (0, 1), (0.5, -1), (0.5, 1), (1, -1), (1, 1)]
    assert parse_sweep("x=-5:5:101").count == 101
    for bad in ("x=1:2", "x=a:2:3", "x=1:2:0", "x=nan:1:3"):
        assert run("eval", "x", "--sweep", bad).code == 2


@pytest.mark.parametrize(("content", "needle", "rows_before"), [
    ("x,y\n1,2\n3,abc\n", "row 2 (line 3), column y", 1),
    ("x,y\n1,2\n3\n", "row 2 (line 3): 1 cells", 1),
    ("x,y\n1,2\n1-2,\n", "row 2 (line 3), column x", 1),
    ("x,y\n1,nan\n", "row 1 (line 2), column y", 0),
    ("x,y\n1,1e999\n", "row 1 (line 2), column y", 0),
    ("x,q\n1,2\n", "has no column y", 0),
    ("x,y\r1,2\r3,4\r", "its lines end in a carriage return alone", 0),
    ("", "empty", 0),
])
def test_bad_files_are_exit_2(tmp_path, content: str, needle: str, rows_before: int) -> None:
    """The rows before the bad one are written, however the rows are chunked."""
    data = tmp_path / "bad.csv"
    data.write_text(content)
    for chunk_rows in ("1", "2", "65536"):
        result = run("eval", "x*y", "--at", str(data), "--chunk-rows", chunk_rows)
        assert result.code == 2, result.err
        assert needle in result.err
        assert len(result.out.splitlines()) == (1 + rows_before if rows_before else 0)


def test_domain_error_names_the_first_bad_row() -> None:
    result = run("eval", "log(x)", "--sweep", "x=2:-2:5")
    assert result.code == 1
    assert "--sweep, row 3: log(x) is not finite (-inf): log of zero" in result.err
    assert len(result.out.splitlines()) == 3  # the header and the two rows before it
    for chunk_rows in ("1", "2", "4"):
        again = run("eval", "log(x)", "--sweep", "x=2:-2:5", "--chunk-rows", chunk_rows)
        assert (again.code, again.out, again.err) == (result.code, result.out, result.err)
    allowed = run("eval", "log(x)", "--sweep", "x=2:-2:5", "--allow-nonfinite")
    assert allowed.code == 0
    assert [r.split(",")[1] for r in allowed.out.splitlines()[1:]] == [
        repr(math.log(2)), "0.0", "-inf", "nan", "nan"]  # as a finite chunk writes 0


def test_missing_inputs_and_conflicts(tmp_path) -> None:
    assert "missing value for input y" in run("eval", "x*y", "--sweep", "x=0:1:2").err
    data = tmp_path / "p.csv"
    data.write_text("x\n1\n")
    assert run("eval", "x*y", "--at", str(data), "x=1", "y=2").code == 2
    assert run("eval", "x", "--sweep", "x=0:1:2", "--value").code == 2


def test_read_csv_chunks() -> None:
    points = read_csv(io.BytesIO(b"a,b\n1,2\n3,4\n5,6\n"), "t")
    assert points.header == ["a", "b"]
    got = [(c.first_row, c.columns["a"].tolist(), c.rows)
           for c in points.chunks(["a", "b"], chunk_rows=2)]
    assert got == [(1, [1.0, 3.0], 2), (3, [5.0], 1)]


@settings(max_examples=150)
@given(risky_programs(), risky_point_rows)
def test_batch_fails_at_the_first_row_the_scalar_engine_fails(program: str, points: list) -> None:
    """Only the gates' values and the inputs' gradients are tested in a batch: a bad
    gradient anywhere must still be found, at the same first row."""
    graph = parse_program(program)
    names = list(graph.input_names())
    columns = {n: np.array([p[INPUTS.index(n)] for p in points]) for n in names}
    fixed = bind_inputs(graph, {n: 0.0 for n in columns})
    first_bad = None
    for k in range(len(points)):
        try:
            evaluate(program, {n: float(columns[n][k]) for n in columns})
        except EvaluationError:
            first_bad = k + 1
            break
    try:
        list(evaluate_chunks(graph, fixed, [Chunk(1, columns, len(points))]))
    except EvaluationError as error:
        assert first_bad is not None, (program, points, error.message)
        assert f"row {first_bad:,}:" in error.message, (program, points, error.message)
    else:
        assert first_bad is None, (program, points)


def _same(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-300)


@settings(max_examples=150)
@given(risky_programs(), risky_point_rows)
def test_non_finite_rows_let_through_equal_the_scalar_engine(program: str, points: list) -> None:
    graph = parse_program(program, allow_nonfinite=True)
    names = list(graph.input_names())
    columns = {n: np.array([p[INPUTS.index(n)] for p in points]) for n in names}
    fixed = bind_inputs(graph, {n: 0.0 for n in columns})
    (rows,) = evaluate_chunks(graph, fixed, [Chunk(1, columns, len(points))],
                              allow_nonfinite=True)
    for k in range(len(points)):
        single = evaluate(program, {n: float(columns[n][k]) for n in columns},
                          allow_nonfinite=True)
        assert _same(float(rows.value[k]), single.value), (program, points[k])
        for j, name in enumerate(names):
            assert _same(float(rows.grads[j][k]), single.gradient[name]), (program, points[k], name)


@pytest.mark.parametrize("program", [
    "sigmoid(relu(1)) * x", "sigmoid(step(1)) * x", "sigmoid(relu(c)) * x", "x + relu(1)^0.5",
    "x * max(c, 2) ^ 0.5", "x + tanh(relu(c)) + asin(min(c, 0.5))",
])
def test_gates_over_constants_and_fixed_inputs_in_a_batch(program: str) -> None:
    fixed = ["c=1"] if "c" in program else []
    result = run("eval", program, *fixed, "--sweep", "x=0:1:3")
    assert result.code == 0, result.err
    for row in csv_rows(result.out):
        single = evaluate(program, {"x": row["x"], **({"c": 1.0} if fixed else {})})
        assert math.isclose(row["value"], single.value, rel_tol=1e-15)
        assert math.isclose(row["d_x"], single.gradient["x"], rel_tol=1e-15)


def test_the_logistic_tail_in_a_batch_as_at_one_point(tmp_path) -> None:
    data = tmp_path / "tail.csv"
    data.write_text("x\n-710\n710\n-740\n-746\n700\n")
    result = run("eval", "sigmoid(x)", "--at", str(data), "--allow-nonfinite")
    for row in csv_rows(result.out):
        single = evaluate("sigmoid(x)", {"x": row["x"]})
        assert (row["value"], row["d_x"]) == (single.value, single.gradient["x"]), row
    assert csv_rows(result.out)[0]["value"] == 4.47628622567513e-309  # not 0


def test_a_long_number_is_read_whatever_the_chunks(tmp_path) -> None:
    data = tmp_path / "long.csv"
    data.write_text("x\n" + "1\n" * 5_000 + "1." + "0" * 200_000 + "1\n2\n")
    results = [run("eval", "x*2", "--at", str(data), "--chunk-rows", rows)
               for rows in ("1", "4096", "65536")]
    assert all(r.code == 0 and r.out == results[0].out for r in results), results[0].err
    assert results[0].out.splitlines()[-2:] == ["1.0,2.0,2.0", "2.0,4.0,2.0"]


def test_json_lines_out_of_range_and_upper_case_suffix(tmp_path) -> None:
    data = tmp_path / "points.JSONL"
    data.write_text('{"x": 1}\n{"x": 1e400}\n')
    result = run("eval", "x*2", "--at", str(data))
    assert result.code == 2
    assert "row 2, column x: a number beyond the range of doubles" in result.err
    assert result.out.splitlines() == ["x,value,d_x", "1.0,2.0,2.0"]


def test_the_logistic_tail_next_to_a_nan_row() -> None:
    result = run("eval", "sigmoid(sqrt(x) + y)", "--sweep", "x=-1:0:2", "--sweep", "y=-710:-710:1",
                 "--allow-nonfinite")
    rows = csv_rows(result.out)
    assert math.isnan(rows[0]["value"])
    single = evaluate("sigmoid(sqrt(x) + y)", {"x": 0, "y": -710}, allow_nonfinite=True)
    assert rows[1]["value"] == single.value > 0


def test_a_row_numpy_rounds_over_an_edge_takes_the_one_point_values(monkeypatch) -> None:
    """NumPy's tanh may round differently from the C library's in the last place; where
    that tips 1 - tanh(x) to 0 in a batch, the row is evaluated again at one point."""
    from backprop_cli.numerics import array_math

    def rounds_up(x):  # tanh, rounding to 1 a little early, as some SIMD builds do
        return np.where(x > 18.0, 1.0, np.tanh(x))

    monkeypatch.setattr(array_math, "tanh", rounds_up)
    program = "1 / (1 - tanh(x))"
    graph = parse_program(program)
    xs = np.array([1.0, 18.5, 2.0])
    (rows,) = evaluate_chunks(graph, bind_inputs(graph, {"x": 0.0}), [Chunk(1, {"x": xs}, 3)])
    single = evaluate(program, {"x": 18.5})
    assert (rows.value[1], rows.grads[0][1]) == (single.value, single.gradient["x"])
    for k in (0, 2):
        assert math.isclose(rows.value[k], evaluate(program, {"x": xs[k]}).value, rel_tol=1e-12)
