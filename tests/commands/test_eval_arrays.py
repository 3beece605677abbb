"""``backprop eval`` with vectors and matrices (SPEC §6): the neuron with lists, identities,
every output format, array bindings and --values arrays, shape and value errors, a large
program as a handful of gates, and no traceback ever."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.harness import (
    check_clean,
    check_error,
    check_points_at,
    run,
    strict_json,
    timed,
)
from tests.strategies import QUICK

# SPEC §6's neuron with lists, and §5's scalar form of it
NEURON_LISTS = ("w = [2, -3, -3]\nx = [-1, -2]\n"
                "f = 1/(1 + exp(-(w[0]*x[0] + w[1]*x[1] + w[2])))")
NEURON_SCALARS = "f = 1/(1+exp(-(w0*x0 + w1*x1 + w2)))"
SCALAR_POINT = ["w0=2", "x0=-1", "w1=-3", "x1=-2", "w2=-3"]


def json_of(*args: str) -> dict:
    result = run("eval", *args, "--format", "json")
    assert result.code == 0, result.err
    return strict_json(result.out)


# -- the neuron, bit for bit ------------------------------------------------------------------
def test_the_neuron_with_lists_gives_spec_s_figures() -> None:
    data = json_of(NEURON_LISTS)
    assert round(data["value"], 4) == 0.7311
    assert [round(g, 4) for g in data["gradient"]["w"]] == [-0.1966, -0.3932, 0.1966]
    assert [round(g, 4) for g in data["gradient"]["x"]] == [0.3932, -0.5898]


def test_the_neuron_with_lists_equals_the_scalar_form_to_the_last_bit() -> None:
    lists = json_of(NEURON_LISTS)
    scalars = json_of(NEURON_SCALARS, *SCALAR_POINT)
    assert lists["value"] == scalars["value"]
    g = scalars["gradient"]
    assert lists["gradient"]["w"] == [g["w0"], g["w1"], g["w2"]]
    assert lists["gradient"]["x"] == [g["x0"], g["x1"]]
    # the same with the arrays bound on the command line, and with sigmoid
    bound = json_of("1/(1 + exp(-(w[0]*x[0] + w[1]*x[1] + w[2])))", "w=[2,-3,-3]", "x=[-1,-2]")
    assert bound["value"] == scalars["value"]
    assert bound["gradient"] == lists["gradient"]
    gate = json_of("sigmoid(w[0]*x[0] + w[1]*x[1] + w[2])", "w=[2,-3,-3]", "x=[-1,-2]")
    scalar_gate = json_of("sigmoid(w0*x0 + w1*x1 + w2)", *SCALAR_POINT)
    assert gate["gradient"]["w"] == [scalar_gate["gradient"][k] for k in ("w0", "w1", "w2")]


def test_the_neuron_as_a_dot_product() -> None:
    # the vector form: w[0:2] @ x + w[2], the same figures
    data = json_of("w = [2, -3, -3]; x = [-1, -2]; sigmoid(w[0:2] @ x + w[2])")
    assert round(data["value"], 4) == 0.7311
    assert [round(g, 4) for g in data["gradient"]["w"]] == [-0.1966, -0.3932, 0.1966]


# -- identities ----------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(4))
def test_the_gradient_of_a_quadratic_form(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 6))
    a, x = rng.uniform(-2, 2, (n, n)), rng.uniform(-2, 2, n)
    data = json_of("x @ A @ x", f"x={json.dumps(x.tolist())}", f"A={json.dumps(a.tolist())}")
    np.testing.assert_allclose(data["gradient"]["x"], (a + a.T) @ x, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(data["gradient"]["A"], np.outer(x, x), rtol=1e-12, atol=1e-12)
    assert data["value"] == pytest.approx(float(x @ a @ x), rel=1e-12, abs=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_the_gradient_of_log_softmax_against_labels(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 6))
    z, y = rng.uniform(-3, 3, n), rng.uniform(0, 1, n)
    data = json_of("sum(log_softmax(z) * y)", f"z={json.dumps(z.tolist())}",
                   f"y={json.dumps(y.tolist())}")
    softmax = np.exp(z - z.max()) / np.exp(z - z.max()).sum()
    np.testing.assert_allclose(data["gradient"]["z"], y - softmax * y.sum(),
                               rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_the_gradient_of_the_norm(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.uniform(-3, 3, int(rng.integers(1, 6)))
    data = json_of("norm(x)", f"x={json.dumps(x.tolist())}")
    np.testing.assert_allclose(data["gradient"]["x"], x / np.linalg.norm(x), rtol=1e-13)


def test_a_matrix_gradient_is_the_outer_product() -> None:
    # d/dW of u @ W @ v is outer(u, v); d/dv is W^T u
    data = json_of("u @ W @ v", "u=[1,2]", "W=[[1,2,3],[4,5,6]]", "v=[1,0,-1]")
    assert data["gradient"]["W"] == [[1.0, 0.0, -1.0], [2.0, 0.0, -2.0]]
    assert data["gradient"]["v"] == [9.0, 12.0, 15.0]


# -- every output format -----------------------------------------------------------------------
def test_json_has_shapes_and_nested_lists() -> None:
    data = json_of("W = [[1, 2], [3, 4]]; v = [1, -1]; sum(W @ v)")
    nodes = {n["label"]: n for n in data["nodes"]}
    assert nodes["W"]["shape"] == [2, 2] and nodes["W"]["value"] == [[1.0, 2.0], [3.0, 4.0]]
    assert nodes["W @ v"]["shape"] == [2] and nodes["W @ v"]["value"] == [-1.0, -1.0]
    assert nodes["sum(W @ v)"]["shape"] == [] and nodes["sum(W @ v)"]["value"] == -2.0
    assert data["gradient"] == {"W": [[1.0, -1.0], [1.0, -1.0]], "v": [4.0, 6.0]}
    assert all("shape" in n for n in data["nodes"])


def test_csv_flattens_to_one_row_per_element() -> None:
    result = run("eval", "W = [[1, 2], [3, 4]]; v = [1, -1]; sum(W @ v)", "--format", "csv")
    assert result.code == 0, result.err
    rows = list(csv.DictReader(io.StringIO(result.out)))
    assert [r["name"] for r in rows[:6]] == ["W[0,0]", "W[0,1]", "W[1,0]", "W[1,1]", "v[0]",
                                             "v[1]"]
    assert [float(r["value"]) for r in rows[:6]] == [1.0, 2.0, 3.0, 4.0, 1.0, -1.0]
    assert [float(r["grad"]) for r in rows[:6]] == [1.0, -1.0, 1.0, -1.0, 4.0, 6.0]
    assert {r["id"] for r in rows[:4]} == {"0"}  # one node, one row per element
    assert rows[-1]["label"] == "sum(W @ v)" and float(rows[-1]["value"]) == -2.0


def test_plain_flattens_gradients() -> None:
    result = run("eval", NEURON_LISTS, "--format", "plain")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0] == "output f"
    assert [line.split()[1] for line in lines[2:]] == ["w[0]", "w[1]", "w[2]", "x[0]", "x[1]"]


def test_grad_and_value_print_arrays() -> None:
    result = run("eval", NEURON_LISTS, "--grad", "w", "--grad", "x")
    assert result.code == 0, result.err
    w, x = (json.loads(line) for line in result.out.splitlines())
    assert [round(g, 4) for g in w] == [-0.1966, -0.3932, 0.1966]
    assert [round(g, 4) for g in x] == [0.3932, -0.5898]
    result = run("eval", "W = [[1, 2], [3, 4]]; W.T * 2", "--value")
    assert json.loads(result.out) == [[2, 6], [4, 8]]


def test_the_table_shows_shapes() -> None:
    result = run("eval", "W = [[1, 2], [3, 4]]; v = [1, -1]; sum(W @ v)")
    assert result.code == 0, result.err
    header = result.out.splitlines()[2].split()
    assert header[:4] == ["id", "node", "op", "shape"]
    assert "2x2" in result.out and "scalar" in result.out
    assert "[[1, 2], [3, 4]]" in result.out


def test_large_arrays_are_elided_as_numpy_prints_them() -> None:
    result = run("eval", "sum(x * 2)", "x=[" + ",".join(map(str, range(2000))) + "]")
    assert result.code == 0, result.err
    assert "[0, 1, 2, ..., 1997, 1998, 1999]" in result.out
    with np.printoptions(threshold=1000, edgeitems=3):
        assert "..." in str(np.arange(2000))
    json_out = json_of("sum(x * 2)", "x=[" + ",".join(map(str, range(2000))) + "]")
    assert len(json_out["gradient"]["x"]) == 2000  # JSON is never elided


def test_an_array_output_is_seeded_with_ones() -> None:
    data = json_of("W = [[1, 2], [3, 4]]; x = [1, 1]; W @ x")
    assert data["value"] == [3.0, 7.0]
    assert data["gradient"]["x"] == [4.0, 6.0]  # d sum(W x) / dx = column sums
    table = run("eval", "W = [[1, 2], [3, 4]]; x = [1, 1]; W @ x")
    assert "grad = d sum(W @ x) / d node" in table.out


ARRAY_GOLDEN = {
    "arrays-neuron": (NEURON_LISTS,),
    "arrays-matrix": ("W = [[1, -2, 0.5], [3, 4, -1]]\nx = [1, 2, 3]\nb = [0.5, -0.5]\n"
                      "h = relu(W @ x + b)\nloss = logsumexp(h) - h[0] + 0.1 * norm(W)",),
    "arrays-softmax": ("z = [[1, 2, 3], [0, 0, 1]]\ny = [[0, 0, 1], [1, 0, 0]]\n"
                       "p = softmax(z)\n-mean(sum(log_softmax(z) * y) + max(p) * 0)",),
    "arrays-large": ("x @ A @ x + sum(A.T)", "x=[" + ",".join(str(k % 7 - 3) for k in range(40))
                     + "]", "A=[" + ",".join("[" + ",".join(str((i * j) % 5 - 2)
                                                             for j in range(40)) + "]"
                                             for i in range(40)) + "]"),
}


GOLDEN_CASES = [(example, fmt) for example in ARRAY_GOLDEN
                for fmt in ("table", "json", "csv", "plain")
                if example != "arrays-large" or fmt == "table"]  # the elided table only


@pytest.mark.parametrize(("example", "fmt"), GOLDEN_CASES)
def test_golden_array_outputs(example: str, fmt: str, golden) -> None:
    program, *point = ARRAY_GOLDEN[example]
    result = run("eval", program, *point, "--format", fmt)
    assert result.code == 0, result.err
    golden(f"eval/{example}.{fmt}", result.out)


# -- bindings ----------------------------------------------------------------------------------
def test_array_bindings_override_defaults() -> None:
    data = json_of("w = [1, 1, 1]; sum(w * w)", "w=[2, -3, -3]")
    assert data["value"] == 22.0
    data = json_of("W = [[0, 0], [0, 0]]; sum(W)", "W=[[1,2],[3,4]]")
    assert data["value"] == 10.0


@pytest.mark.parametrize("text", ["[2,-3,-3]", "[ 2 , -3 , -3 ]", "[+2, -3.0, -3e0]",
                                  "[2.,-3,-.3e1]"])
def test_array_binding_texts(text: str) -> None:
    assert json_of("sum(w)", f"w={text}")["value"] == -4.0


@pytest.mark.parametrize(("text", "says"), [
    ("[1, 2", "not an array literal"),
    ("[1, 2]]", "unmatched ']'"),
    ("[]", "an empty array"),
    ("[[]]", "an empty array"),
    ("[1, 2,]", "a trailing ','"),
    ("[[1, 2],]", "a trailing ','"),
    ("[, 1]", "a ',' without an element"),
    ("[1 2]", "expected ',' or ']'"),
    ("[[1, 2], [3]]", "not rectangular"),
    ("[[1, 2], 3]", "not rectangular"),
    ("[1, [2, 3]]", "must be numbers"),
    ("[nan]", "plain decimal number"),
    ("[inf, 1]", "plain decimal number"),
    ("[1_000]", "plain decimal number"),
    ("[0x10]", "plain decimal number"),
    ("[1e999]", "too large for a double"),
    ("[\u22121]", "U+2212 MINUS SIGN"),
    ("[1,\u00a02]", "U+00A0"),
    ("[\u0661]", "U+0661"),
    ("1, 2", "plain decimal number"),
    ("[" * 40 + "1" + "]" * 40, "nested more than 32 deep"),
])
def test_malformed_array_bindings_exit_2(text: str, says: str) -> None:
    check_error(run("eval", "sum(w)", f"w={text}"), 2, says)


def test_deep_nesting_of_100000_brackets_is_refused_without_recursion() -> None:
    deep = "[" * 100_000 + "1" + "]" * 100_000
    check_error(timed("eval", "sum(w)", f"w={deep}"), 2, "nested more than 32 deep")
    check_error(timed("eval", "sum(w)", "--values", "-", stdin='{"w": ' + deep + "}"), 2,
                "nested too deeply")
    result = timed("eval", f"sum({deep})")
    check_error(result, 2, "nested more than 32 deep")
    unclosed = timed("eval", "sum(w)", "w=" + "[" * 100_000)
    check_error(unclosed, 2, "not an array literal")


@pytest.mark.parametrize(("values", "says"), [
    ('{"w": [1, NaN]}', "NaN"),
    ('{"w": [[1, 2], [3]]}', "not rectangular: every row must have 2 elements"),
    ('{"w": [[1], 2]}', "not rectangular: every row must have 1 element"),
    ('{"w": []}', "an empty array"),
    ('{"w": [1, "2"]}', "must be numbers"),
    ('{"w": [1, true]}', "must be numbers"),
    ('{"w": [1, null]}', "must be numbers"),
    ('{"w": [1e999]}', "not finite"),
    ('{"w": {"a": 1}}', "a number or an array"),
    ('{"w": [1, 2, 3, 4]}', "w is a vector of 4, but the program uses it as a vector of 3"),
])
def test_malformed_values_files_exit_2(values: str, says: str) -> None:
    program = "w = [1, 2, 3]; sum(w)"
    check_error(run("eval", program, "--values", "-", stdin=values), 2, says)


def test_values_files_hold_nested_lists() -> None:
    result = run("eval", "x @ A @ x", "--values", "-", "--format", "json",
                 stdin='{"x": [1, 2], "A": [[1, 2], [3, 4]]}')
    assert result.code == 0, result.err
    assert strict_json(result.out)["gradient"]["x"] == [12.0, 21.0]


@pytest.mark.parametrize(("program", "binding", "says"), [
    ("w = [1, 2, 3]; sum(w)", "w=[1,2]",
     "w is a vector of 2, but the program uses it as a vector of 3"),
    ("w = [1, 2, 3]; sum(w)", "w=2", "w is a scalar, but the program uses it as a vector of 3"),
    ("W = [[1, 2], [3, 4]]; sum(W)", "W=[1,2,3,4]",
     "W is a vector of 4, but the program uses it as a matrix 2x2"),
    ("x = 2; x * 3", "x=[1,2]", "x is a vector of 2, but the program uses it as a scalar"),
    ("x @ A", "x=[1,2,3]", "missing value for input A"),
])
def test_wrong_shapes_exit_2_naming_both(program: str, binding: str, says: str) -> None:
    check_error(run("eval", program, binding), 2, says)


# -- shape errors on the command line: exit 2, the caret, both shapes ------------------------
@pytest.mark.parametrize(("args", "says", "column"), [
    (("w = [1, 2]; v = [1, 2, 3]; v + w",), "cannot add a vector of 3 to a vector of 2", 28),
    (("h = W @ x", "W=[" + ",".join(["[1,2]"] * 16) + "]", "x=[1,2,3]"),
     "matrix 16x2 @ vector of 3: the inner sizes differ", 5),
    (("dot(a, b)", "a=[1,2]", "b=[1,2,3]"),
     "dot of a vector of 2 and a vector of 3: the sizes differ", 1),
    (("w = [1, 2]; w[2]",), "index 2 is out of range for an axis of 2", 15),
    (("def f(v) = v + [1, 2]; f([1, 2, 3])",), "f(a vector of 3)", 24),
])
def test_shape_errors_on_the_command_line(args: tuple[str, ...], says: str,
                                          column: int) -> None:
    result = run("eval", *args)
    check_error(result, 2, says)
    check_points_at(result.err, 1, column)


# -- non-finite values and gradients in arrays: exit 1, the node and the element -------------
@pytest.mark.parametrize(("args", "says"), [
    (("sum(log(x))", "x=[1,0]"), "log(x) at [1] is not finite (-inf): log of zero"),
    (("sum(log(x))", "x=[1,-2,3]"), "log(x) at [1] is not finite (nan): log of a negative"),
    (("W = [[1, 2], [3, 0]]; sum(1 / W)",), "1 / W at [1, 1] is not finite"),
    (("sum(exp(x))", "x=[1,800]"), "exp(x) at [1] is not finite (inf): overflow"),
    (("sum(sqrt(x))", "x=[1,0]"), "the gradient of x at [1] is not finite (inf)"),
])
def test_non_finite_numbers_in_arrays_exit_1(args: tuple[str, ...], says: str) -> None:
    check_error(run("eval", *args), 1, says, "--allow-nonfinite")


def test_allow_nonfinite_lets_array_elements_through() -> None:
    result = run("eval", "sum(log(x))", "x=[1,0]", "--allow-nonfinite", "--format", "json")
    assert result.code == 0, result.err
    data = strict_json(result.out)
    assert data["value"] == "-inf"
    assert data["gradient"]["x"] == [1.0, "inf"]


# -- a large program is a handful of gates -------------------------------------------------------
def test_a_quadratic_form_of_100_is_a_handful_of_nodes() -> None:
    n = 100
    rng = np.random.default_rng(0)
    a, x = rng.integers(-3, 4, (n, n)), rng.integers(-3, 4, n)
    result = timed("eval", "x @ A @ x", f"x={json.dumps(x.tolist())}",
                   f"A={json.dumps(a.tolist())}", "--format", "json", limit=20)
    assert result.code == 0, result.err
    data = strict_json(result.out)
    assert len(data["nodes"]) == 4  # x, A, x @ A, (x @ A) @ x: not 30,000 scalar gates
    assert [node["op"] for node in data["nodes"]] == ["input", "input", "matmul", "matmul"]
    assert data["value"] == float(x @ a @ x)
    assert data["gradient"]["x"] == ((a + a.T) @ x).astype(float).tolist()


# -- no traceback, ever: random array programs through the command line --------------------
ARRAY_ATOMS = ["w", "v", "A", "B", "s", "2", "-1", "0.5", "[1, 2, 3]", "[[1, 2], [3, 4]]",
               "[s, 1]", "w[0]", "A[1]", "A[:, 0]", "w[-1:]", "A.T", "B[0, 1]", "w[5]"]
ARRAY_BINARY = ["+", "-", "*", "/", "^", "@"]
ARRAY_CALLS = ["sum", "mean", "max", "min", "norm", "softmax", "log_softmax", "logsumexp",
               "exp", "log", "sqrt", "tanh", "relu", "abs", "sigmoid"]
ARRAY_TWO = ["dot", "outer", "max", "min", "log"]
ARRAY_POINT = ["w=[1,-2,3]", "v=[0.5,2]", "A=[[1,2,3],[4,5,6]]", "B=[[1,0],[0,-1]]", "s=0.25"]


@st.composite
def array_programs(draw: st.DrawFn) -> str:
    expr = draw(st.sampled_from(ARRAY_ATOMS))
    for _ in range(draw(st.integers(0, 5))):
        kind = draw(st.integers(0, 4))
        other = draw(st.sampled_from(ARRAY_ATOMS))
        if kind == 0:
            expr = f"({expr}) {draw(st.sampled_from(ARRAY_BINARY))} {other}"
        elif kind == 1:
            expr = f"{draw(st.sampled_from(ARRAY_CALLS))}({expr})"
        elif kind == 2:
            expr = f"{draw(st.sampled_from(ARRAY_TWO))}({expr}, {other})"
        elif kind == 3:
            expr = f"({expr}){draw(st.sampled_from(['[0]', '[-1]', '[0, 0]', '[1:]', '.T']))}"
        else:
            expr = f"[{expr}, {other}]"
    if draw(st.booleans()):
        expr = f"def f(p, q) = p * q + {draw(st.sampled_from(['p', 'q', '1']))}\nf({expr}, w)"
    return expr


@QUICK
@given(array_programs(), st.sampled_from(["table", "json", "csv", "plain"]),
       st.lists(st.sampled_from(ARRAY_POINT), max_size=5, unique=True))
def test_random_array_programs_exit_0_1_or_2(program: str, fmt: str,
                                             point: list[str]) -> None:
    result = run("eval", program, *point, "--format", fmt)
    check_clean(result)
    if fmt == "json" and result.code == 0:
        data = strict_json(result.out)
        for node in data["nodes"]:
            assert np.shape(node["value"]) == tuple(node["shape"])


TOKENS = ["[", "]", ",", ":", ".T", ".x", "@", "w", "A", "1", "-1", "0.5", "(", ")", "+",
          "*", "sum(", "max(", "dot(", "\n", ";", " ", "[0]", "[-1]", "[0:2]"]


@QUICK
@given(st.lists(st.sampled_from(TOKENS), min_size=1, max_size=14).map("".join))
def test_token_soup_with_brackets_never_crashes(program: str) -> None:
    check_clean(run("eval", program, "w=[1,2,3]", "A=[[1,2],[3,4]]"))


@QUICK
@given(st.recursive(st.floats(-1e3, 1e3, allow_nan=False) | st.integers(-5, 5),
                    lambda inner: st.lists(inner, min_size=0, max_size=3), max_leaves=12))
def test_random_nested_bindings_never_crash(value) -> None:
    text = json.dumps(value)
    result = run("eval", "sum(w * 1)", f"w={text}")
    check_clean(result)
    values_file = run("eval", "sum(w * 1)", "--values", "-", stdin=json.dumps({"w": value}))
    check_clean(values_file)
    assert (result.code == 0) == (values_file.code == 0), (text, result.err, values_file.err)
    if result.code == 0:
        expected = float(np.sum(np.array(value, dtype=float)))
        assert math.isclose(float(run("eval", "sum(w * 1)", f"w={text}", "--value").out),
                            expected, rel_tol=1e-12, abs_tol=1e-9)
