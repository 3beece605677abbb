"""Every tensor op's vector-Jacobian products against central finite differences.

For an op ``out = f(a, b, ...)`` and a random ``r`` of the output's shape, the gradient
of the linear functional ``L = sum(out * r)`` with respect to each argument is what the
op's VJP gives from the upstream gradient ``r``; central differences of ``L`` say what
it should be. Shapes and values are drawn by hypothesis: vectors and matrices for
``@`` in every combination, broadcasting shapes for the elementwise ops with arrays.
Then the same through the whole engine, ``backprop_cli.api.evaluate`` and
``evaluate_at``, where a program is parsed, its shapes inferred and its bindings checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backprop_cli.api import evaluate, evaluate_at, parse_program
from backprop_cli.core.ops import OPERATIONS, TENSOR_OPERATIONS, Op
from backprop_cli.numerics.tensor_math import POINT

STEP = 1e-6
sizes = st.integers(1, 4)


def arrays_of(shape: tuple[int, ...], low: float = -2.0, high: float = 2.0,
              gap: float = 0.0) -> st.SearchStrategy[np.ndarray]:
    """Float arrays of ``shape``; with ``gap`` every two elements differ by at least it
    (no ties for max and min, so the derivative is defined)."""
    n = int(np.prod(shape)) if shape else 1
    elements = st.floats(low, high, allow_nan=False, allow_infinity=False)
    values = st.lists(elements, min_size=n, max_size=n)
    if gap:
        values = values.filter(lambda v: len(v) < 2 or float(np.min(np.diff(np.sort(v)))) > gap)
    return values.map(lambda v: np.array(v, dtype=float).reshape(shape))


def as_engine_value(v: Any) -> Any:
    """A value as the one-point engine holds it: a float for a scalar."""
    if isinstance(v, np.ndarray) and v.ndim == 0:
        return float(v)
    return v


def numeric_gradient(f: Callable[[list[Any]], float], args: list[Any], k: int) -> Any:
    """d f / d args[k] by central differences, element by element."""
    base = np.array(args[k], dtype=float)
    grad = np.zeros(base.shape)
    for index in np.ndindex(base.shape):
        plus, minus = base.copy(), base.copy()
        plus[index] += STEP
        minus[index] -= STEP
        up = list(args)
        down = list(args)
        up[k], down[k] = as_engine_value(plus), as_engine_value(minus)
        grad[index] = (f(up) - f(down)) / (2 * STEP)
    return grad


def check_vjps(op: Op, args: list[Any], static: Any = None, seed: int = 0) -> None:
    """The op's VJP of ``sum(out * r)`` equals the central differences, argument by
    argument, and the VJP's shape is the argument's."""
    def forward(values: list[Any]) -> Any:
        return (op.forward(POINT, static, *values) if op.static
                else op.forward(POINT, *values))

    out = forward(args)
    r = np.random.default_rng(seed).uniform(-1, 1, np.shape(out))
    r = as_engine_value(r)

    def functional(values: list[Any]) -> float:
        return float(np.sum(np.asarray(forward(values)) * r))

    if op.static:
        grads = [op.vjps[0](POINT, static, r, out, *args)]
    elif op.variadic:
        grads = op.vjps[0](POINT, r, out, *args)
    else:
        grads = [rule(POINT, r, out, *args) for rule in op.vjps]
    assert len(grads) == len(args)
    for k, grad in enumerate(grads):
        expected = numeric_gradient(functional, args, k)
        assert np.shape(grad) == np.shape(args[k]), (op.name, k)
        np.testing.assert_allclose(np.asarray(grad, dtype=float), expected,
                                   rtol=1e-5, atol=1e-6, err_msg=f"{op.name} argument {k}")


TENSOR = {op.name: op for op in TENSOR_OPERATIONS}


def test_every_tensor_op_is_tested_here() -> None:
    # a new tensor op fails here until it has a property test below
    assert set(TENSOR) == {"matmul", "dot", "outer", "transpose", "sum", "mean", "amax",
                           "amin", "norm", "softmax", "log_softmax", "logsumexp", "stack",
                           "index"}
    for op in TENSOR_OPERATIONS:
        assert op.tensor and op.vjps and op.shape_rule is not None, op.name


# -- matmul: matrix-matrix, matrix-vector, vector-matrix, vector-vector -------------------
@st.composite
def matmul_operands(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray]:
    m, k, n = draw(sizes), draw(sizes), draw(sizes)
    left = draw(st.sampled_from([(m, k), (k,)]))
    right = draw(st.sampled_from([(k, n), (k,)]))
    return draw(arrays_of(left)), draw(arrays_of(right))


@settings(max_examples=60)
@given(matmul_operands(), st.integers(0, 1000))
def test_matmul(operands: tuple[np.ndarray, np.ndarray], seed: int) -> None:
    a, b = operands
    op = TENSOR["matmul"]
    np.testing.assert_allclose(np.asarray(op.forward(POINT, a, b)), a @ b, rtol=1e-12)
    assert np.shape(op.forward(POINT, a, b)) == op.shape_rule(None, a.shape, b.shape)
    check_vjps(op, [a, b], seed=seed)


@settings(max_examples=30)
@given(sizes.flatmap(lambda n: st.tuples(arrays_of((n,)), arrays_of((n,)))),
       st.integers(0, 1000))
def test_dot(operands: tuple[np.ndarray, np.ndarray], seed: int) -> None:
    a, b = operands
    op = TENSOR["dot"]
    assert op.forward(POINT, a, b) == pytest.approx(float(np.dot(a, b)), rel=1e-12)
    check_vjps(op, [a, b], seed=seed)


@settings(max_examples=30)
@given(st.tuples(sizes, sizes).flatmap(
    lambda mn: st.tuples(arrays_of((mn[0],)), arrays_of((mn[1],)))), st.integers(0, 1000))
def test_outer(operands: tuple[np.ndarray, np.ndarray], seed: int) -> None:
    a, b = operands
    op = TENSOR["outer"]
    np.testing.assert_array_equal(op.forward(POINT, a, b), np.outer(a, b))
    check_vjps(op, [a, b], seed=seed)


shapes = st.one_of(st.tuples(sizes), st.tuples(sizes, sizes))


@settings(max_examples=30)
@given(shapes.flatmap(arrays_of), st.integers(0, 1000))
def test_transpose(a: np.ndarray, seed: int) -> None:
    op = TENSOR["transpose"]
    np.testing.assert_array_equal(op.forward(POINT, a), a.T)
    check_vjps(op, [a], seed=seed)


@pytest.mark.parametrize("name", ["sum", "mean", "norm", "logsumexp"])
@settings(max_examples=25)
@given(a=shapes.flatmap(arrays_of), seed=st.integers(0, 1000))
def test_smooth_reductions(name: str, a: np.ndarray, seed: int) -> None:
    assume(name != "norm" or float(np.sqrt(np.sum(a * a))) > 0.1)
    op = TENSOR[name]
    reference = {"sum": np.sum, "mean": np.mean, "norm": lambda v: np.sqrt(np.sum(v * v)),
                 "logsumexp": lambda v: np.log(np.sum(np.exp(v)))}[name]
    value = op.forward(POINT, a)
    assert value.__class__ is float  # a scalar at one point is a float, as in scalar programs
    assert value == pytest.approx(float(reference(a)), rel=1e-12)
    check_vjps(op, [a], seed=seed)


@pytest.mark.parametrize("name", ["amax", "amin"])
@settings(max_examples=25)
@given(a=shapes.flatmap(lambda s: arrays_of(s, gap=1e-3)), seed=st.integers(0, 1000))
def test_max_and_min_of_one_array(name: str, a: np.ndarray, seed: int) -> None:
    op = TENSOR[name]
    assert op.forward(POINT, a) == (a.max() if name == "amax" else a.min())
    check_vjps(op, [a], seed=seed)


@pytest.mark.parametrize("name", ["amax", "amin"])
def test_max_and_min_route_a_tie_to_the_first(name: str) -> None:
    a = np.array([[1.0, 3.0], [3.0, 1.0]]) * (1 if name == "amax" else -1)
    op = TENSOR[name]
    grad = op.vjps[0](POINT, 2.0, op.forward(POINT, a), a)
    np.testing.assert_array_equal(grad, [[0.0, 2.0], [0.0, 0.0]])


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@settings(max_examples=25)
@given(a=shapes.flatmap(arrays_of), seed=st.integers(0, 1000))
def test_softmax_over_the_last_axis(name: str, a: np.ndarray, seed: int) -> None:
    op = TENSOR[name]
    shifted = np.exp(a - a.max(axis=-1, keepdims=True))
    softmax = shifted / shifted.sum(axis=-1, keepdims=True)
    expected = softmax if name == "softmax" else np.log(softmax)
    np.testing.assert_allclose(op.forward(POINT, a), expected, rtol=1e-12, atol=1e-14)
    check_vjps(op, [a], seed=seed)


def test_softmax_and_logsumexp_do_not_overflow() -> None:
    z = np.array([1000.0, 1001.0, 999.0])
    assert np.all(np.isfinite(TENSOR["softmax"].forward(POINT, z)))
    assert TENSOR["logsumexp"].forward(POINT, z) == pytest.approx(
        1001.0 + np.log(np.exp(-1.0) + 1.0 + np.exp(-2.0)), rel=1e-15)


@st.composite
def stack_operands(draw: st.DrawFn) -> list[Any]:
    shape = draw(st.one_of(st.just(()), st.tuples(sizes)))
    count = draw(st.integers(1, 4))
    elements = [draw(arrays_of(shape)) for _ in range(count)]
    return [as_engine_value(e) for e in elements]


@settings(max_examples=30)
@given(stack_operands(), st.integers(0, 1000))
def test_stack(elements: list[Any], seed: int) -> None:
    op = TENSOR["stack"]
    np.testing.assert_array_equal(op.forward(POINT, *elements), np.array(elements))
    check_vjps(op, elements, seed=seed)


@st.composite
def index_operands(draw: st.DrawFn) -> tuple[np.ndarray, tuple[int | slice, ...]]:
    shape = draw(shapes)
    count = draw(st.integers(1, len(shape)))
    subscripts: list[int | slice] = []
    for n in shape[:count]:
        if draw(st.booleans()):
            subscripts.append(draw(st.integers(-n, n - 1)))
        else:
            low = draw(st.one_of(st.none(), st.integers(-n, n)))
            high = draw(st.one_of(st.none(), st.integers(-n, n)))
            subscripts.append(slice(low, high))
    return draw(arrays_of(shape)), tuple(subscripts)


@settings(max_examples=60)
@given(index_operands(), st.integers(0, 1000))
def test_index(operands: tuple[np.ndarray, tuple[int | slice, ...]], seed: int) -> None:
    a, subscripts = operands
    op = TENSOR["index"]
    out = op.forward(POINT, subscripts, a)
    np.testing.assert_array_equal(out, a[subscripts])
    assert np.shape(out) == op.shape_rule(subscripts, a.shape)
    check_vjps(op, [a], static=subscripts, seed=seed)


# -- the elementwise ops with arrays, broadcasting as NumPy does ---------------------------
ELEMENTWISE = [op for op in OPERATIONS if not op.tensor and not op.is_leaf]
# inputs away from each op's kinks and the edges of its domain
DOMAIN = {"log": (0.2, 3.0), "ln": (0.2, 3.0), "log2": (0.2, 3.0), "log10": (0.2, 3.0),
          "sqrt": (0.2, 3.0), "asin": (-0.8, 0.8), "acos": (-0.8, 0.8), "tan": (-1.2, 1.2),
          "pow": (0.3, 2.0)}
KINKED = {"abs", "relu", "sign", "step", "max", "min"}


@st.composite
def broadcast_shapes(draw: st.DrawFn, count: int) -> list[tuple[int, ...]]:
    """Shapes that broadcast together: a scalar, a row against a matrix, a column."""
    m, n = draw(sizes), draw(sizes)
    choices = [(), (n,), (m, n), (1, n), (m, 1), (1,)]
    return [draw(st.sampled_from(choices)) for _ in range(count)]


def elementwise_program(op: Op, names: list[str]) -> str:
    if op.form == "infix":
        return f"a {op.symbol} b"
    if op.form == "prefix":
        return f"{op.symbol}a"
    return f"{op.name}({', '.join(names)})"


@pytest.mark.parametrize("op", ELEMENTWISE, ids=lambda op: op.name)
@settings(max_examples=12)
@given(data=st.data())
def test_elementwise_ops_broadcast_through_the_engine(op: Op, data: st.DataObject) -> None:
    count = op.min_args if op.max_args is not None else data.draw(st.integers(2, 3))
    names = ["a", "b", "c"][:count]
    if op.name == "log" and data.draw(st.booleans()):
        names = ["a", "b"]  # log(a, base)
    program_shapes = data.draw(broadcast_shapes(len(names)))
    low, high = DOMAIN.get(op.name, (-2.0, 2.0))
    values: dict[str, Any] = {}
    for name, shape in zip(names, program_shapes):
        array = data.draw(arrays_of(shape, low, high))
        if op.name in KINKED:
            array = np.where(np.abs(array) < 0.1, array + 0.3, array)
        if op.name == "div" and name == "b":
            array = np.where(np.abs(array) < 0.3, 0.5, array)
        if op.name == "log" and name == "b":
            array = np.where(np.abs(array - 1.0) < 0.3, 2.0, array)  # base away from 1
        values[name] = float(array) if not shape else array
    if op.name in ("max", "min"):  # no ties between the arguments
        broadcast = np.broadcast_arrays(*[np.asarray(v) for v in values.values()])
        stacked = np.sort(np.stack(broadcast), axis=0)
        assume(stacked.shape[0] < 2 or float(np.min(np.diff(stacked, axis=0))) > 1e-3)
    expected_shape = np.broadcast_shapes(*program_shapes)
    r = np.random.default_rng(0).uniform(-1, 1, expected_shape)
    values["r"] = float(r) if not expected_shape else r
    program = f"sum(({elementwise_program(op, names)}) * r)"
    result = evaluate(program, values)
    gradient = result.gradient

    def functional(point: list[Any]) -> float:
        return float(evaluate(program, {**values, **dict(zip(names, point))}).value)

    point = [values[n] for n in names]
    for k, name in enumerate(names):
        assert np.shape(gradient[name]) == np.shape(values[name])
        np.testing.assert_allclose(np.asarray(gradient[name]),
                                   numeric_gradient(functional, point, k),
                                   rtol=1e-5, atol=1e-6, err_msg=f"{program}: {name}")


def test_broadcast_gradient_is_summed_back_to_the_input_shape() -> None:
    # a row against a matrix, and a scalar: each gets the sum over what it was spread on
    result = evaluate("sum(A * w * s)", {"A": [[1.0, 2.0], [3.0, 4.0]], "w": [10.0, 20.0],
                                          "s": 2.0})
    np.testing.assert_array_equal(result.gradient["w"], [8.0, 12.0])
    np.testing.assert_array_equal(result.gradient["A"], [[20.0, 40.0], [20.0, 40.0]])
    assert result.gradient["s"] == 1.0 * 10 + 2 * 20 + 3 * 10 + 4 * 20


# -- the tensor ops through the engine -------------------------------------------------------
PROGRAMS: dict[str, tuple[str, Callable[[st.DrawFn], dict[str, Any]]]] = {}


def through_engine(name: str, program: str):
    def register(draw_values: Callable[[st.DrawFn], dict[str, Any]]):
        PROGRAMS[name] = (program, draw_values)
        return draw_values
    return register


@through_engine("matmul", "sum((A @ B) * weights)")
def _matmul(draw: st.DrawFn) -> dict[str, Any]:
    a, b = draw(matmul_operands())
    return {"A": a, "B": b}


@through_engine("dot", "dot(a, b) * weights")
def _dot(draw: st.DrawFn) -> dict[str, Any]:
    n = draw(sizes)
    return {"a": draw(arrays_of((n,))), "b": draw(arrays_of((n,)))}


@through_engine("outer", "sum(outer(a, b) * weights)")
def _outer(draw: st.DrawFn) -> dict[str, Any]:
    return {"a": draw(arrays_of((draw(sizes),))), "b": draw(arrays_of((draw(sizes),)))}


@through_engine("transpose", "sum(A.T * weights)")
def _transpose(draw: st.DrawFn) -> dict[str, Any]:
    return {"A": draw(shapes.flatmap(arrays_of))}


for _name in ("sum", "mean", "norm", "logsumexp", "softmax", "log_softmax"):
    def _one_array(draw: st.DrawFn) -> dict[str, Any]:
        return {"a": draw(shapes.flatmap(lambda s: arrays_of(s, 0.5, 2.0)))}
    through_engine(_name, f"sum({_name}(a) * weights)")(_one_array)

for _name, _call in (("amax", "max"), ("amin", "min")):
    def _distinct(draw: st.DrawFn) -> dict[str, Any]:
        return {"a": draw(shapes.flatmap(lambda s: arrays_of(s, gap=1e-3)))}
    through_engine(_name, f"{_call}(a) * weights")(_distinct)


@through_engine("stack", "sum([a * b, b, a + 1] * weights)")
def _stack(draw: st.DrawFn) -> dict[str, Any]:
    shape = draw(st.one_of(st.just(()), st.tuples(sizes)))
    return {"a": as_engine_value(draw(arrays_of(shape))),
            "b": as_engine_value(draw(arrays_of(shape)))}


@through_engine("index", "sum(A[1:, -1] * weights) + A[0, 0] * A[-1, 0]")
def _index(draw: st.DrawFn) -> dict[str, Any]:
    return {"A": draw(st.tuples(st.integers(2, 4), sizes).flatmap(arrays_of))}


def test_every_tensor_op_runs_through_the_engine() -> None:
    assert set(PROGRAMS) == set(TENSOR)


@pytest.mark.parametrize("name", sorted(PROGRAMS))
@settings(max_examples=10)
@given(data=st.data())
def test_tensor_ops_through_the_engine(name: str, data: st.DataObject) -> None:
    program, draw_values = PROGRAMS[name]
    values = data.draw(st.composite(lambda draw: draw_values(draw))())
    graph = parse_program(program.replace("weights", "1"), bind_later=True)  # shapes: bindings
    shape = np.shape(evaluate_at(graph, values).value)
    r = np.random.default_rng(1).uniform(-1, 1, shape)
    values["weights"] = float(r) if not shape else r
    graph = parse_program(program, bind_later=True)
    result = evaluate_at(graph, values)
    names = [n for n in values if n != "weights"]
    assert set(result.gradient) == {*names, "weights"}
    for k, input_name in enumerate(names):

        def functional(point: list[Any]) -> float:
            return float(evaluate_at(graph, {**values, **dict(zip(names, point))}).value)

        expected = numeric_gradient(functional, [values[n] for n in names], k)
        got = result.gradient[input_name]
        assert np.shape(got) == np.shape(values[input_name])
        np.testing.assert_allclose(np.asarray(got), expected, rtol=1e-5, atol=1e-6,
                                   err_msg=f"{program}: {input_name}")


def test_one_node_per_tensor_op() -> None:
    # tensor ops are single gates: W @ x is one node, never a node per element
    graph = parse_program("W @ x", bind_later=True)
    values = {"W": np.ones((50, 40)), "x": np.ones(40)}
    result = evaluate_at(graph, values)
    assert len(result.graph.nodes) == 3
    assert [n.op.name for n in result.graph.nodes] == ["input", "input", "matmul"]
    assert result.graph.nodes[2].shape == (50,)
