"""Generated code, run, agrees with backprop eval: random programs and every sample.

Python and C call the same C library as eval in the same order: their values and
gradients are the same doubles. NumPy and JavaScript have functions of their own (a
last digit may differ): within 1e-12 relative. Values agree everywhere, NaN and
infinities included (eval --allow-nonfinite); gradients wherever eval gives them
without refusing; C's return code is 1 exactly where a value or gradient the output
depends on is not finite.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_cli.api import parse_program
from backprop_cli.codegen.generate import generate
from tests.strategies import programs, risky_programs

from .runners import Expected, js_rows, run_c, run_js, run_numpy, run_python, same

ROOT = Path(__file__).resolve().parents[3]
ALL_SAMPLES = sorted((ROOT / "samples").glob("*.bp"))
# vectors and matrices: codegen refuses them (test_codegen_cli)
ARRAY_SAMPLES = [p for p in ALL_SAMPLES if "[" in p.read_text(encoding="utf-8")]
SAMPLES = [p for p in ALL_SAMPLES if p not in ARRAY_SAMPLES]
RISKY_VALUES = [0.0, -0.0, 1.0, -1.0, 0.5, -2.0, 3.0, 1e-300, 1e300, -1e300, 5e-324, 710.0,
                -745.5]
RELATIVE = {"python": 0.0, "c": 0.0, "numpy": 1e-12, "js": 1e-12}


def _points(graph, seed: int, count: int = 6, risky: bool = False) -> list[list[float]]:
    rng = random.Random(seed)
    n = len(graph.inputs)
    defaults = [graph.nodes[i].value for i in graph.inputs]
    points = []
    if all(d is not None for d in defaults):
        points.append([float(d) for d in defaults])
    while len(points) < count:
        if risky:
            points.append([rng.choice(RISKY_VALUES) for _ in range(n)])
        else:
            points.append([round(rng.uniform(-2, 2), rng.choice([3, 17])) for _ in range(n)])
    return points


def _run(lang: str, source: str, graph, points, tmp: Path):
    """(return code or None, value, gradients) per point."""
    if lang == "python":
        return [(None, v, g) for v, g in run_python(source, points, tmp)]
    if lang == "numpy":
        return [(None, v, g) for v, g in run_numpy(source, points, tmp)]
    if lang == "c":
        return run_c(source, points, tmp, len(graph.inputs), len(graph.inputs))
    return [(None, v, g) for v, g in js_rows(run_js(source, points, tmp))]


def check_agreement(program: str, lang: str, tmp: Path, seed: int, risky: bool = False
                    ) -> None:
    graph = parse_program(program)
    source = generate(graph, lang)
    names = list(graph.input_names())
    points = _points(graph, seed, risky=risky)
    rel = RELATIVE[lang]
    for point, (rc, value, grads) in zip(points, _run(lang, source, graph, points, tmp),
                                         strict=True):
        expected = Expected(graph, dict(zip(names, point)), names)
        where = f"{program!r} at {point} ({lang})"
        assert same(value, expected.value, rel), f"{where}: value {value} != {expected.value}"
        if not expected.refused:
            for name, got, want in zip(names, grads, expected.grads, strict=True):
                assert same(got, want, rel), f"{where}: d/d{name} {got} != {want}"
        if rc is not None:
            assert rc == (0 if expected.live_finite else 1), f"{where}: returned {rc}"


LANGS = ["python", "numpy", "c", "js"]


@pytest.mark.parametrize("lang", LANGS)
@settings(max_examples=15)
@given(program=programs(), seed=st.integers(0, 2**16))
def test_random_programs_agree_with_eval(lang: str, program: str, seed: int,
                                         tmp_path_factory: pytest.TempPathFactory) -> None:
    check_agreement(program, lang, tmp_path_factory.mktemp(lang), seed)


@pytest.mark.parametrize("lang", LANGS)
@settings(max_examples=10)
@given(program=risky_programs(), seed=st.integers(0, 2**16))
def test_risky_programs_agree_with_eval_at_the_edges(
        lang: str, program: str, seed: int, tmp_path_factory: pytest.TempPathFactory) -> None:
    check_agreement(program, lang, tmp_path_factory.mktemp(lang), seed, risky=True)


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_every_sample_agrees_with_eval(lang: str, sample: Path, tmp_path: Path) -> None:
    check_agreement(sample.read_text(encoding="utf-8"), lang, tmp_path, seed=len(sample.name))
