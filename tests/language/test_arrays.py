"""Arrays in the language: literals, shapes inferred when the graph is built, subscripts
and slices, ``.T``, and every shape error with its words and its caret (SPEC §6)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_cli.api import evaluate, parse_program
from backprop_cli.core.errors import InputError
from backprop_cli.core.shapes import ShapeError, broadcast, describe


def graph_of(program: str, **options):
    return parse_program(program, **options)


def shape_of(program: str) -> tuple[int, ...] | None:
    graph = graph_of(program)
    return graph.nodes[graph.output].shape


def error_of(program: str, **values) -> InputError:
    with pytest.raises(InputError) as caught:
        evaluate(program, values)
    return caught.value


def caret_text(error: InputError) -> str:
    """The program text the caret marks."""
    assert error.source is not None
    return error.source.text[error.start:error.end]


# -- literals and shapes ----------------------------------------------------------------------
@pytest.mark.parametrize(("program", "shape"), [
    ("[2, -3, -3]", (3,)),
    ("[[1, 2], [3, 4]]", (2, 2)),
    ("[[1, 2, 3], [4, 5, 6]]", (2, 3)),
    ("[[1], [2]]", (2, 1)),
    ("[1]", (1,)),
    ("[1 + 2, exp(0), 2 ^ 3]", (3,)),  # elements are expressions
    ("w = [1, 2]; [w, w, w]", (3, 2)),
    ("w = [1, 2]; w[0]", ()),
    ("W = [[1, 2], [3, 4]]; W[1, 0]", ()),
    ("W = [[1, 2], [3, 4]]; W[1]", (2,)),
    ("W = [[1, 2], [3, 4], [5, 6]]; W[:, 1]", (3,)),
    ("W = [[1, 2], [3, 4], [5, 6]]; W[1:]", (2, 2)),
    ("W = [[1, 2, 3], [4, 5, 6]]; W.T", (3, 2)),
    ("w = [1, 2, 3]; w.T", (3,)),
    ("W = [[1, 2, 3], [4, 5, 6]]; W @ [1, 2, 3]", (2,)),
    ("W = [[1, 2, 3], [4, 5, 6]]; [1, 2] @ W", (3,)),
    ("W = [[1, 2, 3], [4, 5, 6]]; W @ W.T", (2, 2)),
    ("[1, 2] @ [3, 4]", ()),
    ("dot([1, 2], [3, 4])", ()),
    ("outer([1, 2], [3, 4, 5])", (2, 3)),
    ("sum([[1, 2], [3, 4]])", ()),
    ("mean([1, 2])", ()),
    ("max([1, 2])", ()),
    ("min([[1, 2], [3, 4]])", ()),
    ("max([1, 2], [3, 0])", (2,)),  # elementwise over several arrays
    ("max([1, 2], 0)", (2,)),
    ("norm([3, 4])", ()),
    ("softmax([1, 2, 3])", (3,)),
    ("log_softmax([[1, 2], [3, 4]])", (2, 2)),
    ("logsumexp([1, 2])", ()),
    ("[[1, 2], [3, 4]] + [10, 20]", (2, 2)),  # a row against a matrix
    ("[[1], [2]] * [10, 20, 30]", (2, 3)),
    ("2 * [1, 2] - 1", (2,)),
    ("exp([[1, 2], [3, 4]])", (2, 2)),
    ("log([1, 2], 2)", (2,)),
    ("[1, 2] ^ 2", (2,)),
])
def test_shapes_are_known_when_the_graph_is_built(program: str, shape: tuple[int, ...]) -> None:
    assert shape_of(program) == shape
    value = evaluate(program).value
    assert np.shape(value) == shape


def test_scalar_programs_stay_scalar() -> None:
    graph = graph_of("(x + y) * z")
    assert not graph.arrays
    assert all(node.shape == () for node in graph.nodes)


def test_literals_match_numpy() -> None:
    result = evaluate("A = [[1, 2], [3, 4]]; B = [[0, 1], [1, 0]]; A @ B + A.T * 2 - 1")
    a, b = np.array([[1.0, 2], [3, 4]]), np.array([[0.0, 1], [1, 0]])
    np.testing.assert_array_equal(result.value, a @ b + a.T * 2 - 1)


def test_a_name_assigned_a_constant_array_is_an_input_with_that_default() -> None:
    graph = graph_of("w = [2, -3, -3]; sum(w * w)")
    (node,) = [graph.nodes[i] for i in graph.inputs]
    assert node.name == "w" and node.op.name == "input" and node.shape == (3,)
    np.testing.assert_array_equal(node.value, [2.0, -3.0, -3.0])
    result = evaluate("w = [2, -3, -3]; sum(w * w)", {"w": [1, 1, 1]})
    assert result.value == 3.0


def test_a_vector_built_from_scalars() -> None:
    result = evaluate("x = [x0, x1]; sum(x * x)", {"x0": 3.0, "x1": 4.0})
    assert result.value == 25.0
    assert result.gradient == {"x0": 6.0, "x1": 8.0}
    # a literal of inputs is computed from them: it is no input itself
    with pytest.raises(InputError, match="computed from other names"):
        evaluate("x = [x0, x1]; sum(x)", {"x0": 1, "x1": 2, "x": [1, 2]})


def test_newlines_inside_brackets_do_not_end_a_statement() -> None:
    program = "W = [[1, 2],\n     [3, 4]]\nv = [\n  1,\n  2\n]\nsum(W @ v)"
    assert evaluate(program).value == 1 + 4 + 3 + 8


@pytest.mark.parametrize(("program", "marked"), [
    ("w = [1, 2,]", "]"),
    ("w = []", "]"),
    ("w = [1, 2", "["),
    ("w = [1, 2; 3]", ";"),
    ("w = [1, 2]; w[", "["),
    ("w = [1, 2]; w[0:1:2]", ":"),
])
def test_brackets_that_do_not_parse(program: str, marked: str) -> None:
    error = error_of(program)
    assert caret_text(error) == marked


# -- shape errors: exit 2's words, both shapes, the caret -----------------------------------
SHAPE_ERRORS = [
    ("[1, 2, 3] + [1, 2]", "cannot add a vector of 3 to a vector of 2", "[1, 2, 3] + [1, 2]"),
    ("[1, 2] - [1, 2, 3]", "cannot subtract a vector of 3 from a vector of 2",
     "[1, 2] - [1, 2, 3]"),
    ("[1, 2] * [[1, 2, 3]]", "cannot multiply a vector of 2 by a matrix 1x3",
     "[1, 2] * [[1, 2, 3]]"),
    ("[1, 2] / [1, 2, 3]", "cannot divide a vector of 2 by a vector of 3", "[1, 2] / [1, 2, 3]"),
    ("[1, 2] ^ [1, 2, 3]", "cannot raise a vector of 2 to the power a vector of 3",
     "[1, 2] ^ [1, 2, 3]"),
    ("max([1, 2], [1, 2, 3])", "a vector of 2 with a vector of 3", "max([1, 2], [1, 2, 3])"),
    ("W = [[1, 2]] * ones; W @ [1, 2, 3]",
     "matrix 16x2 @ vector of 3: the inner sizes differ", "W @ [1, 2, 3]"),
    ("[1, 2] @ [1, 2, 3]", "vector of 2 @ vector of 3: the inner sizes differ",
     "[1, 2] @ [1, 2, 3]"),
    ("[[1, 2]] @ [[1, 2]]", "matrix 1x2 @ matrix 1x2: the inner sizes differ",
     "[[1, 2]] @ [[1, 2]]"),
    ("2 @ [1, 2]", "a scalar @ a vector of 2: @ takes vectors and matrices", "2 @ [1, 2]"),
    ("dot([1, 2], [1, 2, 3])", "dot of a vector of 2 and a vector of 3: the sizes differ",
     "dot([1, 2], [1, 2, 3])"),
    ("dot([[1, 2]], [1, 2])", "dot takes two vectors", "dot([[1, 2]], [1, 2])"),
    ("outer([[1]], [1])", "outer takes two vectors", "outer([[1]], [1])"),
    ("norm(2)", "norm of a scalar", "norm(2)"),
    ("softmax(2)", "softmax of a scalar", "softmax(2)"),
    ("logsumexp(2)", "logsumexp of a scalar", "logsumexp(2)"),
    ("[[1, 2], 3]", "element 0 is a vector of 2, element 1 is a scalar", "[[1, 2], 3]"),
    ("[[1, 2], [3]]", "element 0 is a vector of 2, element 1 is a vector of 1",
     "[[1, 2], [3]]"),
]


@pytest.mark.parametrize(("program", "words", "marked"), SHAPE_ERRORS)
def test_shape_errors_name_both_shapes_at_the_caret(program: str, words: str,
                                                    marked: str) -> None:
    program = program.replace("[[1, 2]] * ones", "[" + ", ".join(["[1, 2]"] * 16) + "]")
    error = error_of(program)
    assert words in error.message
    assert caret_text(error) == marked
    assert error.exit_code == 2


def test_shape_errors_are_found_before_anything_is_evaluated() -> None:
    # the graph is not built, so log(-1) never runs: a shape error, not a domain error
    error = error_of("log(-1) + [1, 2] + [1, 2, 3]")
    assert "cannot add a vector of 2 to a vector of 3" in error.message


@settings(max_examples=50)
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 4)).flatmap(
    lambda mn: st.sampled_from([(), (mn[1],), mn, (1, mn[1]), (mn[0], 1)])),
    min_size=2, max_size=3))
def test_broadcasting_agrees_with_numpy(shapes: list[tuple[int, ...]]) -> None:
    try:
        expected = np.broadcast_shapes(*shapes)
    except ValueError:
        with pytest.raises(ShapeError):
            broadcast(shapes)
        return
    assert broadcast(shapes) == expected


@pytest.mark.parametrize(("shape", "words"), [
    ((), "a scalar"), ((3,), "a vector of 3"), ((2, 3), "a matrix 2x3"),
    ((2, 3, 4), "an array 2x3x4"),
])
def test_shapes_in_words(shape: tuple[int, ...], words: str) -> None:
    assert describe(shape) == words


# -- subscripts and slices ------------------------------------------------------------------
W = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


@pytest.mark.parametrize("subscript", [
    "0", "1", "-1", "-2", "0, 0", "1, 2", "-1, -1", "0, -3", ":", "0:1", "1:", ":1",
    "-1:", ":, 1", ":, 1:", "1, :2", ":, -2:", "0:2, 0:2", "0, 1:3", "1:1",
])
def test_subscripts_and_slices_are_numpy_s(subscript: str) -> None:
    result = evaluate(f"W = {W}; sum(W[{subscript}] * 1)")
    at = numpy_subscripts(subscript)
    assert result.value == float(np.sum(np.array(W)[at]))  # NumPy's own indexing
    gradient = np.zeros((2, 3))
    gradient[at] = 1
    np.testing.assert_array_equal(result.gradient["W"], gradient)
    assert np.shape(evaluate(f"W = {W}; W[{subscript}]").value) == np.shape(np.array(W)[at])


def numpy_subscripts(text: str) -> tuple[int | slice, ...]:
    """``"1, :2"`` -> ``(1, slice(None, 2))``."""
    items: list[int | slice] = []
    for part in text.split(","):
        if ":" in part:
            low, high = (int(p) if p.strip() else None for p in part.split(":"))
            items.append(slice(low, high))
        else:
            items.append(int(part))
    return tuple(items)


def test_subscripts_may_be_constant_expressions() -> None:
    assert evaluate("w = [5, 6, 7]; w[1 + 1] + w[2 * 0] + w[-(1)]").value == 7 + 5 + 7


def test_subscript_nodes_are_not_in_the_graph() -> None:
    graph = graph_of("w = [5, 6, 7]; w[1 + 1]")
    assert [n.op.name for n in graph.nodes] == ["input", "index"]
    assert graph.nodes[1].value == (2,)


@pytest.mark.parametrize(("program", "words", "marked"), [
    ("w = [1, 2, 3]; w[3]", "index 3 is out of range for an axis of 3", "3"),
    ("w = [1, 2, 3]; w[-4]", "index -4 is out of range for an axis of 3", "-4"),
    ("w = [1, 2, 3]; w[0:5]", "index 5 is out of range for an axis of 3", "0:5"),
    ("W = [[1, 2], [3, 4]]; W[0, 2]", "index 2 is out of range for an axis of 2", "2"),
    ("w = [1, 2, 3]; w[0, 1]", "2 subscripts for a vector of 3", "w[0, 1]"),
    ("w = [1, 2, 3]; w[0][0]", "1 subscript for a scalar", "w[0][0]"),
    ("x = 2; x[0]", "1 subscript for a scalar", "x[0]"),
    ("w = [1, 2, 3]; w[0.5]", "a subscript must be a constant integer", "0.5"),
    ("w = [1, 2, 3]; w[k]", "a subscript must be a constant integer", "k"),
    ("w = [1, 2, 3]; w[w[0]]", "a subscript must be a constant integer", "w[0]"),
    ("w = [1, 2, 3]; w[[0]]", "a subscript must be a constant integer", "[0]"),
    ("w = [1, 2, 3]; w[0/0]", "a subscript must be a constant integer", "0/0"),
    ("w = [1, 2, 3]; w[1/0]", "a subscript must be a constant integer", "1/0"),
    ("w = [1, 2, 3]; w[1e300]", "out of range", "1e300"),
    ("w = [1, 2, 3]; w.X", "unknown attribute '.X'", ".X"),
    ("w = [1, 2, 3]; w.t", "unknown attribute '.t'", ".t"),
])
def test_bad_subscripts(program: str, words: str, marked: str) -> None:
    error = error_of(program, k=1)
    assert words in error.message
    assert caret_text(error) == marked


def test_an_unknown_attribute_hints_at_the_transpose() -> None:
    assert "arrays have .T" in (error_of("w = [1, 2]; w.shape").hint or "")


# -- defs: parameters of any shape, shapes inferred at each call ----------------------------
def test_a_def_called_with_different_shapes() -> None:
    program = "def sq(v) = sum(v * v)\nsq(2) + sq([1, 2]) + sq([[1, 2], [3, 4]])"
    result = evaluate(program)
    assert result.value == 4 + 5 + 30
    graph = result.graph
    calls = [n for n in graph.nodes if n.op.name == "sq"]
    assert [graph.nodes[n.args[0]].shape for n in calls] == [(), (2,), (2, 2)]
    assert all(n.shape == () for n in calls)


def test_a_def_returns_the_shape_its_body_gives() -> None:
    graph = graph_of("def f(A, v) = A @ v + v[0]\nf([[1, 2], [3, 4], [5, 6]], [1, 1])")
    assert graph.nodes[graph.output].shape == (3,)
    result = evaluate("def f(A, v) = A @ v + v[0]\nsum(f([[1, 2], [3, 4], [5, 6]], v))",
                      {"v": [1.0, 2.0]})
    # d/dv of sum(A v) + 3 v[0] = column sums of A, plus 3 on v[0]
    np.testing.assert_array_equal(result.gradient["v"], [9.0 + 3, 12.0])


def test_defs_calling_defs_with_arrays() -> None:
    program = ("def g(v) = v @ v\ndef f(A, v) = g(A @ v) + g(v)\n"
               "f([[1, 0], [0, 2]], [3, 4])")
    assert evaluate(program).value == (9 + 64) + (9 + 16)


@pytest.mark.parametrize(("program", "words", "marked"), [
    ("def f(v, w) = v + w\nsum(f([1, 2], [3, 4, 5]))",
     "f(a vector of 2, a vector of 3): cannot add a vector of 2 to a vector of 3",
     "f([1, 2], [3, 4, 5])"),
    ("def f(v) = v[5]\nf([1, 2])",
     "f(a vector of 2): index 5 is out of range for an axis of 2", "f([1, 2])"),
    ("def f(v) = v[0:3]\nsum(f([1, 2]))",
     "f(a vector of 2): index 3 is out of range for an axis of 2", "f([1, 2])"),
    ("def f(v) = v[0, 1]\nf([1, 2])", "f(a vector of 2): 2 subscripts for a vector of 2",
     "f([1, 2])"),
    ("def f(v) = v[0]\nf(3)", "f(a scalar): 1 subscript for a scalar", "f(3)"),
    ("def f(A) = A @ [1, 2, 3]\nsum(f([[1, 2]]))",
     "f(a matrix 1x2): matrix 1x2 @ vector of 3: the inner sizes differ", "f([[1, 2]])"),
    ("def g(v) = v + [1, 2, 3]\ndef f(v) = g(v) * 2\nsum(f([1, 2]))",
     "f(a vector of 2): cannot add a vector of 2 to a vector of 3", "f([1, 2])"),
])
def test_a_shape_error_in_a_def_is_reported_at_the_call(program: str, words: str,
                                                        marked: str) -> None:
    error = error_of(program)
    assert words in error.message
    assert caret_text(error) == marked


def test_a_def_body_with_the_right_shapes_at_one_call_and_the_wrong_at_another() -> None:
    program = "def f(v) = v + [1, 2]\nsum(f([3, 4])) + sum(f([1, 2, 3]))"
    error = error_of(program)
    assert "f(a vector of 3)" in error.message
    assert caret_text(error) == "f([1, 2, 3])"


def test_a_long_chain_of_defs_with_arrays_does_not_recurse() -> None:
    n = 3000
    lines = ["def f0(v) = v * 2"] + [f"def f{i}(v) = f{i - 1}(v) + 1" for i in range(1, n)]
    result = evaluate("\n".join([*lines, f"sum(f{n - 1}(w))"]), {"w": [1.0, 2.0]})
    assert result.value == (2 + n - 1) + (4 + n - 1)
    np.testing.assert_array_equal(result.gradient["w"], [2.0, 2.0])


# -- inputs bound to arrays: their shapes come from the bindings ----------------------------
def test_unassigned_inputs_take_the_shapes_of_their_bindings() -> None:
    values = {"x": [1.0, 2.0], "A": [[1.0, 2.0], [3.0, 4.0]]}
    result = evaluate("x @ A @ x", values)
    assert result.value == 27.0
    np.testing.assert_array_equal(result.gradient["x"], [12.0, 21.0])  # (A + A.T) x
    assert evaluate("w[0] * x[-1]", {"w": [3.0, 4.0], "x": [5.0, 6.0]}).value == 18.0
    assert evaluate("max(x) - min(x)", {"x": [5.0, -1.0, 2.0]}).value == 6.0


@pytest.mark.parametrize(("program", "values", "words"), [
    ("x @ A", {"x": 1.0, "A": 2.0}, "a scalar @ a scalar"),
    ("x @ A", {"x": [1.0, 2.0], "A": [1.0, 2.0, 3.0]}, "vector of 2 @ vector of 3"),
    ("w[0]", {"w": 2.0}, "1 subscript for a scalar"),
    ("w[2]", {"w": [1.0, 2.0]}, "index 2 is out of range for an axis of 2"),
    ("max(x)", {"x": 2.0}, "max takes 2 or more arguments, got 1"),
])
def test_the_shapes_of_bound_inputs_are_checked(program: str, values: dict,
                                                words: str) -> None:
    error = error_of(program, **values)
    assert words in error.message
    assert error.source is not None  # with the caret in the program


def test_an_unbound_input_is_missing_not_a_shape_error() -> None:
    error = error_of("x @ A", x=[1.0, 2.0])
    assert "missing value for input A" in error.message


def test_without_bindings_to_come_the_shapes_are_checked_at_once() -> None:
    # commands that bind no arrays (graph, diff, ...) still refuse these when parsing
    for program in ("x @ A", "w[0]", "max(x)"):
        with pytest.raises(InputError):
            parse_program(program)
