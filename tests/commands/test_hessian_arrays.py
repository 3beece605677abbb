"""backprop hessian over array inputs: one row and column per element, exact (dual
arrays through the array backward pass), against differences of the gradient."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings

from backprop_cli import parse_program
from backprop_cli.api import bind_inputs, evaluate_at, shaped_for
from backprop_cli.hessian import _array_columns, hessian, input_labels
from tests.commands.array_programs import array_points, array_programs
from tests.harness import run


def _graph_and_point(program: str, point: dict) -> tuple:
    graph = parse_program(program)
    point = {k: v for k, v in point.items() if k in graph.input_names()}
    graph = shaped_for(graph, point)
    return graph, bind_inputs(graph, point), point


def _gradient(graph, point: dict) -> np.ndarray:
    """Every input element's gradient, flat, in the Hessian's order."""
    result = evaluate_at(graph, point)
    return np.concatenate([np.ravel(np.asarray(result.gradient[name], dtype=float))
                           for name in graph.input_names()])


def _differences_of_the_gradient(graph, point: dict, h: float = 1e-5) -> np.ndarray:
    """Central differences of the gradient, one column per input element."""
    columns = []
    for name in graph.input_names():
        base = np.asarray(point[name], dtype=float)
        for k in range(base.size):
            up, down = base.copy(), base.copy()
            up.flat[k] += h
            down.flat[k] -= h
            as_value = (lambda v: float(v)) if not base.shape else (lambda v: v.tolist())
            g_up = _gradient(graph, {**point, name: as_value(up)})
            g_down = _gradient(graph, {**point, name: as_value(down)})
            columns.append((g_up - g_down) / (2 * h))
    return np.array(columns).T


@settings(max_examples=40)
@given(array_programs(), array_points())
def test_hessian_against_differences_of_the_gradient(program: str, point: dict) -> None:
    graph, bound, point = _graph_and_point(program, point)
    exact = np.array(hessian(graph, bound))
    assert exact.shape == (len(input_labels(graph)),) * 2
    numeric = _differences_of_the_gradient(graph, point)
    np.testing.assert_allclose(exact, numeric, rtol=1e-5, atol=1e-6, err_msg=program)


@settings(max_examples=25)
@given(array_programs(), array_points())
def test_the_columns_are_symmetric_before_averaging(program: str, point: dict) -> None:
    graph, bound, point = _graph_and_point(program, point)
    columns = np.array(_array_columns(graph, bound))
    np.testing.assert_allclose(columns, columns.T, rtol=1e-9, atol=1e-12, err_msg=program)


# An array program and the same program written with scalars: the same second
# derivatives, to rounding (dual numbers, not differences, on both sides).
PAIRS = [
    ("sum(w * w * x)", "w0*w0*x0 + w1*w1*x1", {"w": [1.5, -2], "x": [0.5, 3]}),
    ("sin(dot(w, x))", "sin(w0*x0 + w1*x1)", {"w": [1.5, -2], "x": [0.5, 3]}),
    ("sum(exp(w) / (1 + x * x))", "exp(w0)/(1 + x0*x0) + exp(w1)/(1 + x1*x1)",
     {"w": [0.3, -0.2], "x": [0.5, 1.25]}),
    ("max(w * x)", "max(w0*x0, w1*x1)", {"w": [1.5, -2], "x": [0.5, 3]}),
    ("norm(w) * x[0] + x[1]", "sqrt(w0*w0 + w1*w1) * x0 + x1", {"w": [3, 4], "x": [2, 7]}),
]


@pytest.mark.parametrize(("array_program", "scalar_program", "point"), PAIRS)
def test_equal_to_the_scalar_program(array_program: str, scalar_program: str,
                                     point: dict) -> None:
    graph, bound, point = _graph_and_point("w = [0, 0]; x = [0, 0]; " + array_program, point)
    scalar_point = {f"{name}{k}": v for name, values in point.items()
                    for k, v in enumerate(values)}
    scalar_graph = parse_program(scalar_program)
    expected = hessian(scalar_graph, bind_inputs(scalar_graph, scalar_point))
    names = input_labels(graph)
    order = [list(scalar_graph.input_names()).index(n.replace("[", "").replace("]", ""))
             for n in names]
    expected = np.array(expected)[np.ix_(order, order)]
    np.testing.assert_allclose(np.array(hessian(graph, bound)), expected, rtol=1e-13,
                               atol=1e-13)


def test_rows_are_named_by_element() -> None:
    result = run("hessian", "W=[[1,2],[3,4]]; x=[1,-1]; sum((W @ x)^2)", "-F", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["inputs"] == ["W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]", "x[0]", "x[1]"]
    h = np.array(data["hessian"])
    # f = sum((W x)^2): d2f/dW[i,j] dW[i,l] = 2 x_j x_l
    assert h[0, 0] == 2 and h[0, 1] == -2 and h[0, 2] == 0


def test_a_bound_array_input() -> None:
    result = run("hessian", "x = [0, 0]; sum(x * x * w)", "w=[1,2]", "-F", "json")
    assert result.code == 0, result.err
    data = json.loads(result.out)
    assert data["inputs"] == ["x[0]", "x[1]", "w[0]", "w[1]"]
    assert np.array(data["hessian"])[:2, :2].tolist() == [[2, 0], [0, 4]]


def test_a_kink_is_not_twice_differentiable() -> None:
    result = run("hessian", "x=[0, 1]; sum(sqrt(x))")
    assert result.code == 1
    assert "not finite" in result.err and "Traceback" not in result.err

