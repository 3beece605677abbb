"""Array programs over many points: rows equal one-point evaluation, element columns,
JSON Lines nested lists, errors, and the training sum over rows."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_cli.api import bind_inputs, evaluate_at, parse_program
from backprop_cli.batch_arrays import (
    evaluate_array_chunks,
    loss_over_rows,
    plan_array_columns,
    row_values,
)
from backprop_cli.core.numbers import element_names, elements
from backprop_cli.points import Chunk
from tests.harness import check_error, csv_rows, run

MLP = ("W1 = [[0.1, 0.2], [0.3, -0.4], [0.5, 0.6]]; b1 = [0, 0.1, 0]; W2 = [[1, -1, 0.5]]\n"
       "b2 = 0.2; x = [0, 0]; y = 0\n"
       "h = tanh(W1 @ x + b1); o = (W2 @ h)[0] + b2\n"
       "(o - y)^2 + b2^2 + sum(W1 * W1)")
PARAMS = ["W1", "b1", "W2", "b2"]


@settings(max_examples=20, deadline=None)
@given(st.integers(1, 9), st.integers(0, 2**32 - 1))
def test_loss_over_rows_is_the_sum_of_one_point_gradients(rows: int, seed: int) -> None:
    graph = parse_program(MLP)
    rng = np.random.default_rng(seed)
    x, y = rng.standard_normal((rows, 2)), rng.standard_normal(rows)
    leaves = row_values(graph, bind_inputs(graph, {}),
                        {"x[0]": x[:, 0], "x[1]": x[:, 1], "y": y}, rows)
    ids = [graph.names[name] for name in PARAMS]
    result = loss_over_rows(graph, leaves, ids, rows)
    loss, grads = 0.0, [np.zeros(np.shape(graph.nodes[i].value)) for i in ids]
    for k in range(rows):
        single = evaluate_at(graph, {"x": x[k].tolist(), "y": float(y[k])})
        loss += single.value
        grads = [g + np.asarray(single.evaluation.grads[i]) for g, i in zip(grads, ids)]
    assert result.loss == pytest.approx(loss, rel=1e-12)
    for got, want, i in zip(result.grads, grads, ids):
        assert np.shape(got) == graph.nodes[i].shape
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-13)


def test_loss_over_rows_wants_a_scalar_output() -> None:
    from backprop_cli.core.errors import InputError

    graph = parse_program("w = [1, 2]; x = 0; w * x")
    with pytest.raises(InputError, match="a number per row"):
        loss_over_rows(graph, row_values(graph, bind_inputs(graph, {}),
                                         {"x": np.ones(3)}, 3), [0], 3)


# -- rows equal one-point evaluation -------------------------------------------------------

N = 3  # x is a vector of 3, W a matrix 3x3, b a scalar

VECTOR_FORMS = ["tanh({0})", "{0} * {0}", "{0} + b", "sigmoid({0})", "softmax({0})",
                "W @ {0}", "{0} - x", "exp(-{0} * {0})", "W.T @ {0}", "relu({0})",
                "[{0}[2], {0}[0], b]", "log_softmax({0})", "max({0}, x)", "abs({0})"]
SCALAR_FORMS = ["sum({0})", "mean({0})", "dot({0}, x)", "logsumexp({0})", "max({0})",
                "{0}[1]", "norm({0} + 3)", "sum(outer({0}, x) @ {0})"]


@st.composite
def array_programs(draw: st.DrawFn) -> str:
    """A random program of x (vector), W (matrix) and b: a vector expression, reduced."""
    expr = draw(st.sampled_from(["x", "W @ x", "x * b"]))
    for _ in range(draw(st.integers(1, 4))):
        expr = draw(st.sampled_from(VECTOR_FORMS)).format(f"({expr})")
    result = draw(st.sampled_from(SCALAR_FORMS)).format(f"({expr})")
    if draw(st.booleans()):
        result = f"sin({result}) + b * {result}"
    return result


def _cells(draw: st.DrawFn, shape: tuple[int, ...], rows: int) -> np.ndarray:
    count = int(np.prod(shape)) * rows
    cells = draw(st.lists(st.floats(-2, 2), min_size=count, max_size=count))
    return np.array(cells).reshape((rows, *shape))


SHAPES = {"x": (N,), "W": (N, N), "b": ()}


@st.composite
def array_rows(draw: st.DrawFn) -> tuple[int, dict[str, np.ndarray], dict[str, Any]]:
    """Rows for some of x, W, b (the others shared, bound once)."""
    rows = draw(st.integers(1, 6))
    per_row = draw(st.sets(st.sampled_from(sorted(SHAPES))))
    given = {name: _cells(draw, SHAPES[name], rows) for name in sorted(per_row)}
    shared = {name: _cells(draw, SHAPES[name], 1)[0] for name in SHAPES if name not in per_row}
    return rows, given, {k: (float(v) if not np.shape(v) else v.tolist())
                         for k, v in shared.items()}


def _columns(given: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Element columns (x[0], W[1,0]) of rows x shape cells."""
    from backprop_cli.core.numbers import element_names

    out = {}
    for name, cells in given.items():
        flat = cells.reshape(len(cells), -1)
        for k, column in enumerate(element_names(name, cells.shape[1:])):
            out[column] = flat[:, k]
    return out


def _close(got: float, want: float) -> bool:
    if math.isnan(want):
        return math.isnan(got)
    return math.isclose(got, want, rel_tol=1e-12, abs_tol=1e-12)


@settings(max_examples=80, deadline=None)
@given(array_programs(), array_rows())
def test_array_rows_equal_one_point_evaluation(program: str, data) -> None:
    rows, given, shared = data
    columns = _columns(given)
    graph = parse_program(program, input_shapes=SHAPES)
    inputs = set(graph.input_names())
    shared = {name: v for name, v in shared.items() if name in inputs}
    given = {name: v for name, v in given.items() if name in inputs}
    plan = plan_array_columns(graph, shared, list(columns), "rows")
    (out,) = evaluate_array_chunks(plan.graph, plan.fixed, [Chunk(1, columns, rows)],
                                   allow_nonfinite=True)
    assert plan.names == [column for name in graph.input_names()
                          for column in element_names(name, SHAPES[name])]
    order = list(plan.graph.input_names())
    for k in range(rows):
        point = {**shared, **{name: cells[k].tolist() if cells.ndim > 1 else float(cells[k])
                              for name, cells in given.items()}}
        single = evaluate_at(parse_program(program, input_shapes=SHAPES), point,
                             allow_nonfinite=True)
        assert _close(float(out.value[k]), single.value), (program, point)
        j = 0
        for name in order:
            for g in elements(single.gradient[name]):
                assert _close(float(out.grads[j][k]), g), (program, point, name)
                j += 1
        assert j == len(out.grads)


# -- the command: element columns, JSON Lines, names, errors --------------------------------

NEURON = "w = [2, -3, -3]; f = 1/(1 + exp(-(w[0]*x[0] + w[1]*x[1] + w[2])))"


def _write(tmp_path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def _fails(result, code: int, *says: str) -> None:
    """Exit ``code``, each of ``says`` on stderr, no traceback (rows before may be out)."""
    assert result.code == code, (result.code, result.err)
    assert "Traceback" not in result.err
    for text in says:
        assert text in result.err, result.err


def _one_point(program: str, *bindings: str) -> dict:
    result = run("eval", program, *bindings, "-F", "plain")
    assert result.code == 0, result.err
    out = {}
    for line in result.out.splitlines()[1:]:
        parts = line.split()
        key = parts[0] if parts[0] != "grad" else "d_" + parts[1]
        out[key] = float(parts[-1])
    return out


def test_element_columns_bind_a_vector_per_row(tmp_path) -> None:
    data = _write(tmp_path, "x.csv", "x[0],x[1]\n-1,-2\n0.5,3\n")
    result = run("eval", NEURON, "--at", data)
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == (
        '"w[0]","w[1]","w[2]",x[0],x[1],value,"d_w[0]","d_w[1]","d_w[2]",d_x[0],d_x[1]'
        .replace('"', ""))
    rows = csv_rows(result.out)
    for row, x in zip(rows, ["[-1,-2]", "[0.5,3]"]):
        single = _one_point(NEURON, f"x={x}")
        assert row["value"] == single["value"]
        for name in ["w[0]", "w[1]", "w[2]", "x[0]", "x[1]"]:
            assert row[f"d_{name}"] == single[f"d_{name}"]


def test_the_tutorial_neuron_over_rows(tmp_path) -> None:
    data = _write(tmp_path, "x.csv", "x[0],x[1]\n-1,-2\n")
    (row,) = csv_rows(run("eval", NEURON, "--at", data).out)
    assert round(row["value"], 4) == 0.7311
    assert [round(row[f"d_w[{k}]"], 4) for k in range(3)] == [-0.1966, -0.3932, 0.1966]
    assert [round(row[f"d_x[{k}]"], 4) for k in range(2)] == [0.3932, -0.5898]


def test_matrix_columns_quoted_or_not(tmp_path) -> None:
    program = "sum(tanh(W @ x))"
    for header in ['"W[0,0]","W[0,1]","W[1,0]","W[1,1]",x[0],x[1]',
                   "W[0,0],W[0,1],W[1,0],W[1,1],x[0],x[1]"]:
        data = _write(tmp_path, "m.csv", header + "\n1,2,3,4,1,-1\n0,1,1,0,2,2\n")
        result = run("eval", program, "--at", data)
        assert result.code == 0, result.err
        rows = csv_rows(result.out)
        assert list(rows[0])[:6] == ["W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]", "x[0]", "x[1]"]
        single = _one_point(program, "W=[[1,2],[3,4]]", "x=[1,-1]")
        assert rows[0]["value"] == pytest.approx(single["value"], rel=1e-12)
        assert rows[0]["d_W[1,0]"] == pytest.approx(single["d_W[1,0]"], rel=1e-12)


def test_a_shared_array_binding_and_its_gradient_per_row(tmp_path) -> None:
    data = _write(tmp_path, "x.csv", "x[0],x[1]\n1,2\n-1,0.5\n")
    result = run("eval", "sum(W @ x)", "W=[[1,2],[3,4]]", "--at", data)
    assert result.code == 0, result.err
    rows = csv_rows(result.out)
    assert [r["W[1,0]"] for r in rows] == [3, 3]
    assert [r["d_W[1,0]"] for r in rows] == [1, -1]  # d/dW[i,j] = x[j], per row
    assert [r["d_x[0]"] for r in rows] == [4, 4]


def test_an_array_output_has_value_columns(tmp_path) -> None:
    data = _write(tmp_path, "x.csv", "x[0],x[1],y\n1,2,3\n")
    (row,) = csv_rows(run("eval", "x * y", "--at", data).out)
    assert row["value[0]"] == 3 and row["value[1]"] == 6
    assert "value" not in row


def test_json_lines_hold_nested_lists(tmp_path) -> None:
    data = _write(tmp_path, "p.jsonl", '{"x": [1, 2], "W": [[1, 0], [0, 2]], "id": "a"}\n'
                                       '{"x": [-1, 0.5], "W": [[0, 1], [1, 0]], "id": "b"}\n')
    result = run("eval", "sum(W @ x)", "--at", data, "-F", "jsonl", "--keep", "id")
    assert result.code == 0, result.err
    lines = [json.loads(line) for line in result.out.splitlines()]
    assert list(lines[0]) == ["id", "W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]", "x[0]", "x[1]",
                              "value", "d_W[0,0]", "d_W[0,1]", "d_W[1,0]", "d_W[1,1]",
                              "d_x[0]", "d_x[1]"]
    assert lines[1]["value"] == -0.5 and lines[1]["d_W[0,0]"] == -1.0
    assert lines[1]["id"] == "b"


def test_json_lines_element_keys_too(tmp_path) -> None:
    data = _write(tmp_path, "p.jsonl", '{"x[0]": 1, "x[1]": 2}\n')
    (line,) = run("eval", "sum(x * x)", "--at", data, "-F", "jsonl").out.splitlines()
    assert json.loads(line)["d_x[1]"] == 4


@pytest.mark.parametrize("text, says", [
    ('{"x": [1, 2]}\n{"x": [1, 2, 3]}\n',
     "row 2, column x: a vector of 3, but row 1 has a vector of 2"),
    ('{"x": [1, 2]}\n{"x": 3}\n', "row 2, column x: a scalar, but row 1 has a vector of 2"),
    ('{"x": [1, 2]}\n{"x": [1, "a"]}\n', "row 2: the value of x must be numbers"),
    ('{"x": [1, 2]}\n{"x": [[1], [2, 3]]}\n', "row 2: the value of x is not rectangular"),
])
def test_json_lines_bad_arrays(tmp_path, text: str, says: str) -> None:
    data = _write(tmp_path, "p.jsonl", text)
    result = run("eval", "sum(x * x)", "--at", data)
    _fails(result, 2, says)


@pytest.mark.parametrize("header, program, says", [
    ("x[0],x[2]", "sum(x * x)", "gives some elements of x but not x[1]"),
    ("W[0,0],W[1,1]", "sum(W)", "not W[0,1], W[1,0]"),
    ("x[0],x[1]", "x = [0, 0, 0]; sum(x * x)",
     "gives x as a vector of 2 (columns x[0], x[1]), but the program uses it as a vector of 3"),
    ("x", "x = [0, 0]; sum(x * x)", "the column x gives a number per row, but x is a vector of 2"),
    ("x,x[0]", "sum(x * x)", "gives x both whole and as element columns"),
    ("x[0],x[1]", "x = 0; x * 2", "x is a scalar, but the columns x[0], x[1] give "
     "elements of an array"),
])
def test_column_errors(tmp_path, header: str, program: str, says: str) -> None:
    width = len([name for name in header.split(",") if "[" not in name or "]" in name])
    data = _write(tmp_path, "p.csv", header + "\n" + ",".join(["1"] * width) + "\n")
    check_error(run("eval", program, "--at", data), 2, says)


def test_a_column_and_a_binding_for_one_array(tmp_path) -> None:
    data = _write(tmp_path, "p.csv", "x[0],x[1]\n1,2\n")
    check_error(run("eval", "sum(x)", "x=[1,2]", "--at", data), 2,
                "x is given both by", "and on the command line")


def test_no_columns_and_no_value(tmp_path) -> None:
    data = _write(tmp_path, "p.csv", "x[0],x[1]\n1,2\n")
    check_error(run("eval", "sum(W @ x)", "--at", data), 2, "a scalar @ a vector of 2")
    check_error(run("eval", "W = [[1, 2]]; sum(W @ x) * c", "--at", data), 2,
                "p.csv has no column c, and no value is bound for it")


def test_a_non_finite_row_names_its_row_node_and_element(tmp_path) -> None:
    data = _write(tmp_path, "p.csv", "x[0],x[1]\n1,2\n3,-4\n5,6\n")
    result = run("eval", "sum(log(x))", "--at", data)
    _fails(result, 1, "p.csv, row 2: log(x) at [1] is not finite (nan): log of a "
                "negative number")
    assert len(csv_rows(result.out)) == 1  # the rows before it are written
    allowed = run("eval", "sum(log(x))", "--at", data, "--allow-nonfinite")
    assert allowed.code == 0 and math.isnan(csv_rows(allowed.out)[1]["value"])


def test_a_non_finite_gradient_row(tmp_path) -> None:
    data = _write(tmp_path, "p.csv", "x[0],x[1]\n1,2\n0,1\n")
    _fails(run("eval", "sum(sqrt(x))", "--at", data), 1, "row 2", "gradient")


def test_sweep_over_one_element() -> None:
    result = run("eval", "w = [1, 2, 3]; sum(w * w)", "--sweep", "w[1]=0:1:3")
    assert result.code == 0, result.err
    rows = csv_rows(result.out)
    assert [r["w[1]"] for r in rows] == [0, 0.5, 1]
    assert [r["w[0]"] for r in rows] == [1, 1, 1]
    assert [r["d_w[1]"] for r in rows] == [0, 1, 2]
    assert [r["value"] for r in rows] == [10, 10.25, 11]


def test_sweep_element_errors() -> None:
    check_error(run("eval", "sum(x * x)", "--sweep", "x[0]=0:1:3"), 2,
                "x[0] is not an element of x, a scalar")
    check_error(run("eval", "x = [1, 2]; sum(x * x)", "--sweep", "x[2]=0:1:3"), 2,
                "x[2] is not an element of x, a vector of 2")
    check_error(run("eval", "x = [1, 2]; sum(x * x)", "--sweep", "z[0]=0:1:3"), 2,
                "z is not an input")


def test_sweep_a_scalar_beside_an_array() -> None:
    rows = csv_rows(run("eval", "sum(x * b)", "x=[1,2]", "--sweep", "b=0:1:2").out)
    assert [r["d_b"] for r in rows] == [3, 3] and [r["d_x[1]"] for r in rows] == [0, 1]


def test_chunks_make_the_same_rows(tmp_path) -> None:
    lines = "".join(f"{k / 7},{-k / 3}\n" for k in range(50))
    data = _write(tmp_path, "p.csv", "x[0],x[1]\n" + lines)
    whole = run("eval", "logsumexp(x) * sum(x)", "--at", data)
    pieces = run("eval", "logsumexp(x) * sum(x)", "--at", data, "--chunk-rows", "7")
    assert whole.code == 0 and whole.out == pieces.out
