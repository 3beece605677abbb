"""Generated code of array programs, run, agrees with backprop eval: random programs of
vectors and matrices, every array sample, the trace the page reads, names that collide.

NumPy runs every point in one call (the points stacked on a leading batch axis); node
runs every point of a program in one process. Within 1e-12 relative, NaN equal to NaN.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from backprop_cli.api import evaluate_at, parse_program
from backprop_cli.codegen.generate import generate
from backprop_cli.codegen.js import javascript_module
from backprop_cli.core.graph import Graph
from tests.harness import run

from .runners import _import, compile_c, need, run_js

ROOT = Path(__file__).resolve().parents[3]
ARRAY_SAMPLES = [p for p in sorted((ROOT / "samples").glob("*.bp"))
                 if "[" in p.read_text(encoding="utf-8") or "uniform(" in p.read_text()]
RELATIVE = 1e-12
QUICK = [Phase.explicit, Phase.reuse, Phase.generate]  # no shrinking: each example runs code


def shapes_of(graph: Graph) -> dict[str, tuple[int, ...]]:
    return {graph.nodes[i].name or "": tuple(graph.nodes[i].shape or ()) for i in graph.inputs}


def random_points(graph: Graph, seed: int, count: int = 3) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    shapes = shapes_of(graph)
    points = []
    for _ in range(count):
        points.append({n: (rng.uniform(-2, 2, s).round(rng.choice([3, 17])) if s
                           else float(round(rng.uniform(-2, 2), 5))) for n, s in shapes.items()})
    return points


def close(got: Any, want: Any) -> bool:
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if got.shape != want.shape:
        return False
    nan = np.isnan(want)
    if not np.array_equal(np.isnan(got), nan):
        return False
    g, w = got[~nan], want[~nan]
    scale = np.maximum(np.abs(g), np.abs(w))
    return bool(np.all((g == w) | (np.abs(g - w) <= RELATIVE * scale)))


def expected(graph: Graph, point: dict[str, Any]) -> tuple[Any, dict[str, Any]]:
    result = evaluate_at(graph, point, allow_nonfinite=True)
    return result.value, {n: result.gradient[n] for n in graph.input_names()}


def check_numpy(graph: Graph, points: list[dict[str, Any]], tmp: Path) -> None:
    module = _import(generate(graph, "numpy"), tmp)
    names = graph.input_names()
    batch = [np.stack([np.asarray(p[n], dtype=float) for p in points]) for n in names]
    value, gradient = module.value_and_grad(*batch)
    assert list(gradient) == list(names)
    for k, point in enumerate(points):
        want_value, want_grads = expected(graph, point)
        assert close(value[k], want_value), (k, value[k], want_value)
        for n in names:
            assert close(gradient[n][k], want_grads[n]), (n, gradient[n][k], want_grads[n])
    # one point, no batch axes: the shapes of the program
    value, gradient = module.value_and_grad(*[points[0][n] for n in names])
    want_value, want_grads = expected(graph, points[0])
    assert np.shape(value) == np.shape(want_value) and close(value, want_value)
    for n in names:
        assert close(gradient[n], want_grads[n])


def check_js(graph: Graph, points: list[dict[str, Any]], tmp: Path) -> None:
    names = graph.input_names()
    args = [[p[n].tolist() if isinstance(p[n], np.ndarray) else p[n] for n in names]
            for p in points]
    rows = run_js(generate(graph, "js"), args, tmp)
    for (value, grads), point in zip(rows, points):
        want_value, want_grads = expected(graph, point)
        assert close(value, want_value), (value, want_value)
        for n, g in zip(names, grads):
            assert close(g, want_grads[n]), (n, g, want_grads[n])


def run_c_arrays(graph: Graph, points: list[dict[str, Any]], tmp: Path
                 ) -> list[tuple[int, list[float], list[float]]]:
    """Compiled with the strict flags and run once over every point: (return code, the
    value's elements, the gradient's elements) per point."""
    gcc = need("gcc", "gcc")
    obj = compile_c(generate(graph, "c"), tmp)
    shapes = shapes_of(graph)
    sizes = [int(np.prod(s)) if s else 0 for s in shapes.values()]
    total = sum(max(n, 1) for n in sizes)
    out_size = int(np.prod(graph.nodes[graph.output].shape or ()))
    grad_size = sum(max(n, 1) for n in sizes)
    params, args, at = [], [], 0
    for n in sizes:
        params.append("const double *" if n else "double")
        args.append(f"in + {at}" if n else f"in[{at}]")
        at += max(n, 1)
    driver = f"""#include <stdio.h>
int value_and_grad({', '.join([*params, 'double *', 'double *'])});
int main(void) {{
    double in[{max(total, 1)}], value[{max(out_size, 1)}], grad[{max(grad_size, 1)}];
    int k, rc;
    for (;;) {{
        for (k = 0; k < {total}; k++) if (scanf("%lf", &in[k]) != 1) return 0;
        rc = value_and_grad({', '.join([*args, 'value', 'grad'])});
        printf("%d", rc);
        for (k = 0; k < {out_size}; k++) printf(" %.17g", value[k]);
        for (k = 0; k < {grad_size}; k++) printf(" %.17g", grad[k]);
        printf("\\n");
    }}
}}
"""
    main = tmp / "driver.c"
    main.write_text(driver, encoding="utf-8")
    exe = tmp / "driver"
    build = subprocess.run([gcc, "-std=c99", str(main), str(obj), "-o", str(exe), "-lm"],
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stderr
    text = "\n".join(" ".join(repr(float(x)) for n in shapes
                               for x in np.ravel(p[n])) for p in points) + "\n"
    result = subprocess.run([str(exe)], input=text, capture_output=True, text=True, check=True)
    rows = []
    for line in result.stdout.splitlines():
        fields = line.split()
        numbers = [float(f) for f in fields[1:]]
        rows.append((int(fields[0]), numbers[:out_size], numbers[out_size:]))
    return rows


def check_c(graph: Graph, points: list[dict[str, Any]], tmp: Path) -> None:
    names = graph.input_names()
    for (code, value, grads), point in zip(run_c_arrays(graph, points, tmp), points):
        want_value, want_grads = expected(graph, point)
        assert close(value, np.ravel(want_value)), (value, want_value)
        flat = np.concatenate([np.ravel(want_grads[n]) for n in names]) if names else []
        assert close(grads, flat), (grads, flat)
        finite = all(np.all(np.isfinite(x)) for x in [want_value, *want_grads.values()])
        assert code == (0 if finite else 1) or not finite


# -- random programs --------------------------------------------------------------------------
PIECES = [
    "sum(A @ v)", "dot(u, A @ v)", "sum(A.T @ u) * s", "norm(v) + norm(A)", "max(v) - min(A)",
    "logsumexp(u)", "sum(softmax(v) * v)", "sum(log_softmax(u))", "mean(A * v)",
    "sum(outer(u, v) * A)", "v[0] * A[0, 0]", "sum(A[0:1] + v)", "sum(sigmoid(A) * s)",
    "sum([s, v[0], u[0]] * [1, 2, 3])", "sum(relu(A - s) ^ 2)", "sum(exp(u) / (1 + u * u))",
    "sum(tanh(A.T) @ u)", "dot(v, v) / (1 + s * s)", "sum(max(A, s))", "sum(abs(u) * u)",
    "sum([[s, 1], [v[0], s]] @ [u[0], 2])", "sum(A[:, 0]) + sum(A[0])", "log(1 + norm(u))",
    "sum(A.T @ A)", "sum((A @ A.T) * outer(u, u))",
]


@st.composite
def array_programs(draw: st.DrawFn) -> str:
    m, n = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    pieces = draw(st.lists(st.sampled_from(PIECES), min_size=1, max_size=3, unique=True))
    defs = [f"A = zeros([{m}, {n}])", f"u = zeros({m})", f"v = zeros({n})", "s = 0.5"]
    return "\n".join([*defs, "f = " + " + ".join(f"({p})" for p in pieces)])


def _parses(program: str) -> Graph | None:
    from backprop_cli.core.errors import BackpropError

    try:
        return parse_program(program)
    except BackpropError:
        return None


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=QUICK)
@given(program=array_programs(), seed=st.integers(0, 2**16))
def test_numpy_agrees_on_random_array_programs(program: str, seed: int,
                                               tmp_path_factory: pytest.TempPathFactory) -> None:
    graph = _parses(program)
    if graph is None:  # a piece whose shapes do not combine at these sizes
        return
    check_numpy(graph, random_points(graph, seed), tmp_path_factory.mktemp("np"))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=QUICK)
@given(program=array_programs(), seed=st.integers(0, 2**16))
def test_js_agrees_on_random_array_programs(program: str, seed: int,
                                            tmp_path_factory: pytest.TempPathFactory) -> None:
    need("node", "nodejs")
    graph = _parses(program)
    if graph is None:
        return
    check_js(graph, random_points(graph, seed), tmp_path_factory.mktemp("js"))


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=QUICK)
@given(program=array_programs(), seed=st.integers(0, 2**16))
def test_c_agrees_on_random_array_programs(program: str, seed: int,
                                           tmp_path_factory: pytest.TempPathFactory) -> None:
    need("gcc", "gcc")
    graph = _parses(program)
    if graph is None:
        return
    check_c(graph, random_points(graph, seed), tmp_path_factory.mktemp("c"))


def test_every_piece_is_an_array_program_that_parses() -> None:
    for piece in PIECES:
        graph = parse_program(f"A = zeros([2, 3])\nu = zeros(2)\nv = zeros(3)\ns = 0.5\n"
                              f"f = {piece}")
        assert graph.arrays, piece


# -- samples ------------------------------------------------------------------------------------
@pytest.mark.parametrize("sample", ARRAY_SAMPLES, ids=lambda p: p.name)
def test_every_array_sample_agrees(sample: Path, tmp_path: Path) -> None:
    graph = parse_program(sample.read_text(encoding="utf-8"))
    assert graph.arrays
    points = random_points(graph, 7)
    check_numpy(graph, points, tmp_path)
    need("node", "nodejs")
    check_js(graph, points, tmp_path)
    check_c(graph, points, tmp_path)


@pytest.mark.parametrize("sample", ARRAY_SAMPLES, ids=lambda p: p.name)
def test_trace_of_an_array_sample_is_evals_json(sample: Path, tmp_path: Path) -> None:
    """trace() at the defaults: every node's value and gradient, nested as eval -F json."""
    graph = parse_program(sample.read_text(encoding="utf-8"))
    point = {n: 0.25 for n, s in shapes_of(graph).items() if not s and
             graph.nodes[graph.inputs[graph.input_names().index(n)]].value is None}
    traced = run_js(javascript_module(graph, trace=True), [], tmp_path, trace=[point])[0]
    result = run("eval", "-f", str(sample), "-F", "json", "--allow-nonfinite",
                 *[f"{n}={v}" for n, v in point.items()])
    assert result.code == 0, result.err
    nodes = json.loads(result.out)["nodes"]
    assert len(traced["values"]) == len(nodes) == len(graph.nodes)
    for node in nodes:
        i = node["id"]
        assert close(traced["values"][i], node["value"]), (i, traced["values"][i], node)
        assert close(traced["grads"][i], node["grad"]), (i, traced["grads"][i], node)


# -- names ---------------------------------------------------------------------------------------
def test_names_the_generated_code_uses_are_renamed(tmp_path: Path) -> None:
    program = ("np = [1, 2]\nbatch = [[1, 0], [0.5, 2]]\nbpFlat = 0.5\nSHAPES = [3, -1]\n"
               "gradient = 2\n_input = [1, 1]\nc1 = 3\nFloat64Array = [0.5, 0.25]\n"
               "f = sum(batch @ np * SHAPES + _input * Float64Array) * bpFlat + gradient * c1")
    graph = parse_program(program)
    points = random_points(graph, 3)
    check_numpy(graph, points, tmp_path)
    check_js(graph, points, tmp_path)
    check_c(graph, points, tmp_path)


def test_numpy_batch_axes_broadcast_between_inputs(tmp_path: Path) -> None:
    graph = parse_program("W = zeros([2, 3])\nx = zeros(3)\nf = sum(tanh(W @ x))")
    module = _import(generate(graph, "numpy"), tmp_path)
    rng = np.random.default_rng(1)
    W = rng.uniform(-1, 1, (4, 1, 2, 3))
    x = rng.uniform(-1, 1, (5, 3))
    value, gradient = module.value_and_grad(W, x)
    assert value.shape == (4, 5) and gradient["W"].shape == (4, 5, 2, 3)
    assert gradient["x"].shape == (4, 5, 3)
    for a in range(4):
        for b in range(5):
            want = evaluate_at(graph, {"W": W[a, 0], "x": x[b]})
            assert close(value[a, b], want.value)
            assert close(gradient["W"][a, b], want.gradient["W"])
            assert close(gradient["x"][a, b], want.gradient["x"])


def test_numpy_input_of_the_wrong_shape_is_refused(tmp_path: Path) -> None:
    graph = parse_program("x = zeros(3)\nf = sum(x)")
    module = _import(generate(graph, "numpy"), tmp_path)
    with pytest.raises(ValueError, match="shape"):
        module.value_and_grad(np.zeros(4))


def test_the_python_target_still_refuses_arrays() -> None:
    result = run("codegen", "--lang", "python", "-f", str(ROOT / "samples" / "layer.bp"))
    assert result.code == 2
    assert "--lang numpy" in result.err


FIXED = [
    "A = zeros([2, 3])\nB = zeros([3, 4])\nf = sum((A @ B) * (A @ B)) + sum(A.T @ A)",
    "A = zeros([3, 2])\nu = zeros(3)\nf = logsumexp(A.T @ u) + sum(softmax(A[:, 1]) * u)",
    "A = zeros([2, 2])\nv = zeros(2)\nf = max(A @ v) + min(A) * norm(v - A[1])",
]


@pytest.mark.parametrize("program", FIXED)
def test_matrix_products_and_reductions_agree(program: str, tmp_path: Path) -> None:
    graph = parse_program(program)
    points = random_points(graph, 11)
    check_numpy(graph, points, tmp_path)
    check_js(graph, points, tmp_path)
    check_c(graph, points, tmp_path)
