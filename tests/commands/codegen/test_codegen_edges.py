"""Every operation of the table, generated alone and run at the edges of its domain
(zeros of both signs, NaN, infinities, overflow, the tails of sigmoid and softplus, pow's
special cases, ties of max and min): each target gives eval's value and gradient there.
And the backward pass's rule that a gate whose gradient is 0 passes nothing back, where
the local derivative is infinite at a finite point (sqrt at 0 behind a relu)."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from backprop_cli.api import evaluate_at, parse_program
from backprop_cli.codegen.generate import generate
from backprop_cli.core.errors import InputError
from backprop_cli.core.ops import OPERATIONS

from .runners import js_rows, run_c, run_js, run_numpy, run_python, same
from .test_codegen_agreement import LANGS, RELATIVE, check_agreement

EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, 2.0, -2.0, 3.0, -3.0, 1e-300, 5e-324, 1e300, -1e300,
         709.0, 710.0, -745.5, -800.0, 40.0, float("inf"), float("-inf"), float("nan")]
PAIR_EDGES = [0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 2.0, -3.0, 1e300, float("inf"),
              float("-inf"), float("nan")]


def _programs() -> list[tuple[str, int]]:
    """Each op of the table applied to inputs: (program, number of inputs)."""
    out = []
    for op in OPERATIONS:
        if op.is_leaf or op.name in ("pos",) or getattr(op, "tensor", False):
            continue
        if op.form == "infix":
            out.append((f"x {op.symbol} y", 2))
        elif op.form == "prefix":
            out.append((f"{op.symbol}x", 1))
        elif op.max_args is None:
            out.append((f"{op.name}(x, y, z)", 3))
        elif op.max_args == 2:
            out.append((f"{op.name}(x)", 1))
            out.append((f"{op.name}(x, y)", 2))
        else:
            out.append((f"{op.name}(x)", 1))
    return [(p, n) for p, n in out if _scalar(p)]


def _scalar(program: str) -> bool:
    """Whether codegen writes the program (an operation of arrays is refused)."""
    try:
        generate(parse_program(program), "python")
    except InputError:
        return False
    return True


PROGRAMS = _programs()


def test_the_scalar_operations_are_all_there() -> None:
    names = {p.split("(")[0] for p, _ in PROGRAMS}
    assert {"exp", "log", "sigmoid", "softplus", "max", "min", "sign", "step"} <= names
    assert len(PROGRAMS) >= 30


def _run(lang: str, source: str, points: list[list[float]], n: int, tmp: Path):
    if lang == "python":
        return run_python(source, points, tmp)
    if lang == "numpy":
        return run_numpy(source, points, tmp)
    if lang == "c":
        return [(v, g) for _rc, v, g in run_c(source, points, tmp, n, n)]
    return js_rows(run_js(source, points, tmp))


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("program", "n"), PROGRAMS, ids=[p for p, _ in PROGRAMS])
def test_every_operation_at_the_edges(lang: str, program: str, n: int, tmp_path: Path) -> None:
    graph = parse_program(program)
    names = graph.input_names()
    edges = EDGES if n == 1 else PAIR_EDGES if n == 2 else PAIR_EDGES[:7]
    points = [list(p) for p in itertools.product(edges, repeat=n)]
    rows = _run(lang, generate(graph, lang), points, n, tmp_path)
    rel = RELATIVE[lang]
    for point, (value, grads) in zip(points, rows, strict=True):
        result = evaluate_at(graph, dict(zip(names, point)), allow_nonfinite=True)
        assert same(value, result.value, rel), f"{program} at {point}: {value} != {result.value}"
        for name, got in zip(names, grads, strict=True):
            want = result.gradient[name]
            assert same(got, want, rel), f"{program} at {point}: d/d{name} {got} != {want}"


ZERO_GRADIENT_GATES = [
    ("relu(sqrt(x))", [[0.0], [4.0]]),
    ("step(y) * sqrt(x) + y", [[-1.0, 0.0], [2.0, 1.0]]),  # y comes first
    ("max(sqrt(x), 1)", [[0.0], [9.0]]),
    ("0 * x ^ 0.5 + x", [[0.0], [2.0]]),
    ("def f(p) = sqrt(p)\nrelu(-1 * f(x)) + x", [[0.0], [1.0]]),
]


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize(("program", "points"), ZERO_GRADIENT_GATES,
                         ids=[p for p, _ in ZERO_GRADIENT_GATES])
def test_a_zero_gradient_passes_nothing_back(lang: str, program: str, points, tmp_path: Path
                                             ) -> None:
    graph = parse_program(program)
    names = graph.input_names()
    rows = _run(lang, generate(graph, lang), points, len(names), tmp_path)
    for point, (value, grads) in zip(points, rows, strict=True):
        result = evaluate_at(graph, dict(zip(names, point)))  # eval gives finite numbers
        assert same(value, result.value, RELATIVE[lang])
        assert all(same(g, result.gradient[n], RELATIVE[lang]) for n, g in zip(names, grads))


def test_check_agreement_sees_the_zero_gradient_rule(tmp_path: Path) -> None:
    check_agreement("relu(sqrt(x)) + x", "python", tmp_path, seed=1)
