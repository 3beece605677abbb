"""backprop diff on programs with vectors and matrices: matrix formulas that eval reads
back and that evaluate to the backward pass's gradients, --program, LaTeX, JSON."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backprop_cli import EvaluationError, evaluate, parse_program
from backprop_cli.api import bind_inputs, shaped_for
from backprop_cli.core.engine import forward
from backprop_cli.core.names import choose_inputs
from backprop_cli.diff import symbolic_gradient
from backprop_cli.numerics.tensor_math import POINT
from backprop_cli.render.diff import diff_program, diff_program_text
from backprop_cli.render.formula import to_latex, to_text
from tests.harness import run

# -- random array programs ---------------------------------------------------------------
# Inputs with defaults that give their shapes: two vectors of 3, a 3x3 and a 2x3 matrix,
# a scalar. Expressions are drawn by type, so every program is well shaped.
DEFAULTS = "x = [1, 2, 3]\ny = [-1, 0.5, 2]\nA = [[1, 2, 0], [0, 1, -1], [2, 0, 1]]\n" \
           "B = [[1, 0, 2], [-1, 1, 0]]\ns = 0.5\n"
SHAPES = {"x": (3,), "y": (3,), "A": (3, 3), "B": (2, 3), "s": ()}


def _vector(draw: st.DrawFn, depth: int) -> str:
    if depth <= 0:
        return draw(st.sampled_from(["x", "y", "A[1]", "A.T[0]", "[s, 1, x[2]]"]))
    kind = draw(st.integers(0, 13))
    v = lambda: _vector(draw, depth - 1)  # noqa: E731
    if kind == 0:
        return f"A @ {v()}"
    if kind == 1:
        return f"{v()} @ A"
    if kind == 2:
        return f"A.T @ ({v()} * {v()})"
    if kind == 3:
        return f"({v()} {draw(st.sampled_from(['+', '-', '*']))} {v()})"
    if kind == 4:
        return f"{draw(st.sampled_from(['tanh', 'sin', 'sigmoid', 'relu', 'abs']))}({v()})"
    if kind == 5:
        return f"({_scalar(draw, depth - 1)} * {v()})"
    if kind == 6:
        return f"softmax({v()})"
    if kind == 7:
        return f"log_softmax({v()})"
    if kind == 8:
        return f"B.T @ (B @ {v()})"
    if kind == 9:
        return f"({v()} - {_scalar(draw, depth - 1)})"
    if kind == 10:
        return f"{_matrix(draw, depth - 1)} @ {v()}"
    if kind == 11:
        return f"[{_scalar(draw, depth - 1)}, {_scalar(draw, depth - 1)}, 2]"
    if kind == 12:
        return f"({v()} / (2 + sin({v()})))"
    return f"{_matrix(draw, depth - 1)}[{draw(st.integers(0, 2))}]"


def _scalar(draw: st.DrawFn, depth: int) -> str:
    if depth <= 0:
        return draw(st.sampled_from(["s", "x[0]", "A[1, 2]", "y[-1]"]))
    kind = draw(st.integers(0, 10))
    if kind == 0:
        return f"sum({_vector(draw, depth - 1)})"
    if kind == 1:
        return f"dot({_vector(draw, depth - 1)}, {_vector(draw, depth - 1)})"
    if kind == 2:
        return f"({_vector(draw, depth - 1)} @ {_vector(draw, depth - 1)})"
    if kind == 3:
        return f"mean({_vector(draw, depth - 1)})"
    if kind == 4:
        return f"norm(1 + {_vector(draw, depth - 1)})"
    if kind == 5:
        return f"logsumexp({_vector(draw, depth - 1)})"
    if kind == 6:
        return f"{draw(st.sampled_from(['max', 'min']))}({_vector(draw, depth - 1)})"
    if kind == 7:
        return f"sum({_matrix(draw, depth - 1)})"
    if kind == 8:
        return f"{_vector(draw, depth - 1)}[{draw(st.integers(-3, 2))}]"
    if kind == 9:
        return f"({_scalar(draw, depth - 1)} * sin({_scalar(draw, depth - 1)}))"
    return f"{_vector(draw, depth - 1)} @ A @ {_vector(draw, depth - 1)}"


def _matrix(draw: st.DrawFn, depth: int) -> str:
    if depth <= 0:
        return draw(st.sampled_from(["A", "A.T", "B.T @ B"]))
    kind = draw(st.integers(0, 8))
    m = lambda: _matrix(draw, depth - 1)  # noqa: E731
    if kind == 0:
        return f"({m()} @ {m()})"
    if kind == 1:
        return f"outer({_vector(draw, depth - 1)}, {_vector(draw, depth - 1)})"
    if kind == 2:
        return f"({m()} {draw(st.sampled_from(['+', '-', '*']))} {m()})"
    if kind == 3:
        return f"({m()} * {_vector(draw, depth - 1)})"
    if kind == 4:
        return f"({m()} * [[1], [2], [-1]])"
    if kind == 5:
        return f"tanh({m()})"
    if kind == 6:
        return f"({_scalar(draw, depth - 1)} * {m()})"
    if kind == 7:
        return f"[{_vector(draw, depth - 1)}, x, {_vector(draw, depth - 1)}]"
    return f"{m()}.T"


@st.composite
def array_programs(draw: st.DrawFn) -> str:
    depth = draw(st.integers(1, 3))
    return DEFAULTS + "f = " + _scalar(draw, depth)


def _values(shape: tuple[int, ...]) -> st.SearchStrategy:
    number = st.integers(-20, 20).map(lambda k: k / 8)
    if not shape:
        return number
    inner = _values(shape[1:])
    return st.lists(inner, min_size=shape[0], max_size=shape[0])


points = st.fixed_dictionaries({name: _values(shape) for name, shape in SHAPES.items()})


def _binding(name: str, value: object) -> str:
    return f"{name}={json.dumps(value)}"


def derivatives(program: str) -> dict[str, str]:
    graph = parse_program(program)
    gradient = symbolic_gradient(graph, choose_inputs(graph, None))
    return {name: to_text(expr) for name, expr in gradient.derivatives.items()}


def _gradient(program: str, point: dict) -> dict:
    try:
        return evaluate(program, point).gradient
    except EvaluationError:
        assume(False)
        raise


def value_of(text: str, point: dict, output: str) -> object:
    """The value of ``output`` in the program ``text`` at ``point``, as eval computes it
    (the forward pass only: an array output has no gradient of its own to seed)."""
    graph = parse_program(text, output=output)
    graph = shaped_for(graph, point)
    with np.errstate(all="ignore"):
        value = forward(graph, bind_inputs(graph, point), POINT)[graph.output]
    if not np.all(np.isfinite(value)):
        assume(False)  # a branch the program avoids (0 * inf): compare elsewhere
    return value


def _close(printed: object, expected: object) -> bool:
    a, b = np.asarray(printed, dtype=float), np.asarray(expected, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-9, atol=1e-9))


@settings(max_examples=150)
@given(array_programs(), points)
def test_printed_formulas_evaluate_to_the_gradient(program: str, point: dict) -> None:
    expected = _gradient(program, point)
    for name, formula in derivatives(program).items():
        # after the inputs' declarations (their shapes), bound at the point
        printed = value_of(DEFAULTS + "d = " + formula, point, "d")
        assert _close(printed, expected[name]), (program, point, name, formula)


@settings(max_examples=40)
@given(array_programs(), points)
def test_the_straight_line_program_agrees(program: str, point: dict) -> None:
    expected = _gradient(program, point)
    graph = parse_program(program)
    gradient = symbolic_gradient(graph, choose_inputs(graph, None))
    text = diff_program_text(graph, diff_program(gradient, graph))
    for name in gradient.derivatives:
        value = value_of(text, point, f"d_{name}")
        assert _close(value, expected[name]), (program, name, text)


@settings(max_examples=15)
@given(array_programs(), points)
def test_the_command_reads_its_formulas_back(program: str, point: dict) -> None:
    """diff --bare's text, through backprop eval at a random point, is eval's gradient:
    compared through a weighted sum of its elements (distinct weights), one number."""
    expected = _gradient(program, point)
    bindings = [_binding(k, v) for k, v in point.items()]
    for name, shape in SHAPES.items():
        formula = run("diff", program, "--wrt", name, "--bare")
        assert formula.code == 0, formula.err
        weights = np.arange(1, np.prod(shape, dtype=int) + 1).reshape(shape) / 7
        text = f"{DEFAULTS}sum(({formula.out.strip()}) * {json.dumps(weights.tolist())})"
        value = run("eval", text, *bindings, "--value")
        if value.code == 1:
            continue  # not finite where the program is (0 * inf in a branch it avoids)
        assert value.code == 0, value.err
        assert np.isclose(float(value.out), float(np.sum(np.asarray(expected[name]) * weights)),
                          rtol=1e-9, atol=1e-9), (program, name, formula.out)


# -- the formulas themselves ---------------------------------------------------------------
@pytest.mark.parametrize(("program", "expected"), [
    ("x = [1, 2]; A = [[1, 2], [3, 4]]; x @ A @ x",
     {"x": "A.T @ x + A @ x", "A": "outer(x, x)"}),
    ("x = [1, 2, 3]; sum(x)", {"x": "[1, 1, 1]"}),
    ("x = [1, 2, 3]; sum(x * x)", {"x": "2 * x"}),
    ("x = [1, 2]; y = [3, 4]; dot(x, y)", {"x": "y", "y": "x"}),
    ("W = [[1, 2], [3, 4], [5, 6]]; x = [1, 2]; b = [0, 0, 0]; sum(tanh(W @ x + b))",
     {"W": "outer(1 / cosh(W @ x + b)^2, x)", "x": "W.T @ (1 / cosh(W @ x + b)^2)",
      "b": "1 / cosh(W @ x + b)^2"}),
    ("x = [1, 2]; norm(x)", {"x": "x / norm(x)"}),
    ("A = [[1, 2], [3, 4]]; c = [1, 2]; sum(A * c)",
     {"A": "[[1, 1], [1, 1]] * c", "c": "A.T @ [1, 1]"}),
    ("A = [[1, 2], [3, 4]]; c = [[1], [2]]; sum(A * c)",
     {"A": "[[1, 1], [1, 1]] * c", "c": "[A @ [1, 1]].T"}),
    ("x = [1, 2, 3]; s = 2; sum(x + s)", {"x": "[1, 1, 1]", "s": "3"}),
    ("x = [1, 2]; max(x)", {"x": "[1 - step(x[1] - x[0]), step(x[1] - x[0])]"}),
    ("x = [1, 2, 3]; y = [0, 5]; sum(x)", {"x": "[1, 1, 1]", "y": "[0, 0]"}),
    ("A = [[1, 2], [3, 4]]; sum(A.T.T)", {"A": "[[1, 1], [1, 1]]"}),
])
def test_matrix_formulas(program: str, expected: dict) -> None:
    assert derivatives(program) == expected


def test_the_tutorials_neuron_with_lists() -> None:
    program = ("w = [2, -3, -3]; x = [-1, -2]; "
               "f = 1/(1 + exp(-(w[0]*x[0] + w[1]*x[1] + w[2])))")
    texts = derivatives(program)
    assert texts["w"].startswith("[") and "x[0]" in texts["w"]
    w = value_of(program + f"\nd = {texts['w']}", {}, "d")
    assert np.round(w, 4).tolist() == [-0.1966, -0.3932, 0.1966]


def test_diff_command_on_a_quadratic_form() -> None:
    result = run("diff", "x = [1, 2]; A = [[1, 2], [3, 4]]; f = x @ A @ x")
    assert result.code == 0, result.err
    assert result.out == "df/dx = A.T @ x + A @ x\ndf/dA = outer(x, x)\n"


def test_program_output_round_trips_through_eval() -> None:
    source = "x = [1, 2]; A = [[1, 2], [3, 4]]; f = x @ A @ x"
    program = run("diff", source, "--program")
    assert program.code == 0, program.err
    assert program.out.endswith("d_x = A.T @ x + A @ x\nd_A = outer(x, x)\n")
    grad = json.loads(run("eval", source, "--grad", "x", "x=[3,-1]").out)
    for k in range(2):
        again = run("eval", program.out + f"d_x[{k}]\n", "--value", "x=[3,-1]")
        assert again.code == 0, again.err
        assert float(again.out) == grad[k]


def test_json_output_holds_the_formulas() -> None:
    result = run("diff", "x = [1, 2]; A = [[1, 2], [3, 4]]; f = x @ A @ x", "-F", "json")
    data = json.loads(result.out)
    assert data["derivatives"] == {"x": "A.T @ x + A @ x", "A": "outer(x, x)"}


@pytest.mark.parametrize(("program", "name", "expected"), [
    ("x = [1, 2]; A = [[1, 2], [3, 4]]; x @ A @ x", "x", r"A^\top x + A x"),
    ("x = [1, 2]; A = [[1, 2], [3, 4]]; x @ A @ x", "A", r"x x^\top"),
    ("x = [1, 2, 3]; sum(x)", "x", r"\mathbf{1}"),
    ("A = [[1, 2], [3, 4]]; c = [1, 2]; sum(A * c)", "c", r"A^\top \mathbf{1}"),
    ("x = [1, 2]; y = [3, 4]; sum(x * y) + sum(x)", "x", r"y + 1"),
    ("x = [1, 2]; y = [3, 4]; sum(exp(x) * y)", "x", r"y \odot \exp\left(x\right)"),
    ("x = [1, 2]; y = [3, 4]; x[0] * (y @ y)", "x", r"\begin{bmatrix} y^\top y \\ 0 \end{bmatrix}"),
    ("A = [[1, 2], [3, 4]]; sum(A)", "A", r"\mathbf{1}"),
    ("A = [[1, 2], [3, 4]]; B = [[1, 2], [3, 4]]; sum(A * B)", "A", "B"),
    ("x = [1, 2]; y = [3, 4]; sum(outer(x, y) * [[1, 2], [3, 4]])", "x",
     r"\begin{bmatrix} 1 & 2 \\ 3 & 4 \end{bmatrix} y"),
    ("x = [1, 2]; logsumexp(x)", "x",
     r"\exp\left(x - \ln\left(\sum \exp\left(x\right)\right)\right)"),
])
def test_latex(program: str, name: str, expected: str) -> None:
    graph = parse_program(program)
    gradient = symbolic_gradient(graph, [name])
    assert to_latex(gradient.derivatives[name]) == expected


def test_latex_command() -> None:
    result = run("diff", "x = [1, 2]; A = [[1, 2], [3, 4]]; f = x @ A @ x", "-F", "latex")
    assert result.code == 0, result.err
    assert result.out == ("\\frac{\\partial f}{\\partial x} = A^\\top x + A x\n"
                          "\\frac{\\partial f}{\\partial A} = x x^\\top\n")


def test_a_large_index_is_refused_clearly() -> None:
    result = run("diff", "x = " + str([0] * 20_001) + "; x[0]")
    assert result.code == 2
    assert "element by element" in result.err and "Traceback" not in result.err


def test_the_layer_program_reads_back_to_eval_s_gradient() -> None:
    program = run("diff", "-f", "samples/layer.bp", "--program").out
    expected = json.loads(run("eval", "-f", "samples/layer.bp", "--grad", "W").out)
    rows = [[float(run("eval", program + f"d_W[{i}, {j}]\n", "--value").out)
             for j in range(2)] for i in range(3)]
    assert np.allclose(rows, expected, rtol=1e-15, atol=0)
