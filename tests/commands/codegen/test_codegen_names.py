"""Names in generated code: the program's own where the language allows them, renamed
where they collide with a keyword, a built-in, a library name or a generated name; and
every generated file is clean: ruff (the project's rules) for Python, gcc's strictest
warnings for C, node for JavaScript."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backprop_cli.api import parse_program
from backprop_cli.codegen.generate import generate
from backprop_cli.core.errors import InputError
from tests.strategies import programs

from .runners import compile_c
from .test_codegen_agreement import LANGS, SAMPLES, check_agreement

ROOT = Path(__file__).resolve().parents[3]

# Names that collide with something in some target: Python's keywords and built-ins,
# the modules the code imports, C's and JavaScript's keywords and globals, math.h, the
# names the generator itself makes (t2, d_x, c1, dt3_dp, zero, value, grad), its helpers.
HOSTILE = ["t", "t0", "t1", "t2", "t3", "t4", "_t0", "np", "math", "float", "x_1", "x",
           "d_x", "d_t2", "d_t3", "c1", "c2", "dt4_dp", "zero", "value", "grad", "l", "O",
           "int", "double", "return", "const", "var", "function", "new", "this", "let",
           "NaN", "Infinity", "Math", "INPUTS", "DEFAULTS", "trace", "main", "fabs", "exp2",
           "y1", "__x", "_X", "None", "lambda", "class", "__proto__", "constructor", "sum",
           "bp_pow", "bpPow", "bp_sigmoid", "_div", "_pow", "_sigmoid", "valueAndGrad",
           "value_and_grad", "static", "inline", "auto", "isfinite", "NAN", "yield", "await",
           "print", "object", "list", "type", "self"]


@st.composite
def hostile_programs(draw: st.DrawFn) -> str:
    f, p, a, b, q, out = draw(st.lists(st.sampled_from(HOSTILE), min_size=6, max_size=6,
                                       unique=True))
    return (f"def {f}({p}, s) = {p} * s + sin({p})\n"
            f"{q} = {a} * {b} + {f}({a}, {b})\n"
            f"{out} = exp(-{q}) / (1 + {q} ^ 2) + max({a}, {b}) + {a} / 3")


def test_def_is_not_a_name_in_backprop() -> None:
    with pytest.raises(InputError):
        parse_program("def = 1")


@pytest.mark.parametrize("lang", LANGS)
@settings(max_examples=12)
@given(program=hostile_programs(), seed=st.integers(0, 1000))
def test_hostile_names_collide_with_nothing(lang: str, program: str, seed: int,
                                            tmp_path_factory: pytest.TempPathFactory) -> None:
    try:
        parse_program(program)
    except InputError:
        assume(False)
    check_agreement(program, lang, tmp_path_factory.mktemp(lang), seed)


def test_legal_names_are_kept_and_colliding_ones_renamed() -> None:
    graph = parse_program("q = x_1 * t2 + lambda\nint = q * var")
    py = generate(graph, "python")
    assert "    x_1: float,\n    t2: float,\n    lambda_: float,\n    var: float,\n" in py
    assert "int_ = q * var" in py and '"lambda": d_lambda_' in py
    c = generate(graph, "c")
    assert "double lambda, double var" in c and "const double int_ = q * var;" in c
    js = generate(graph, "js")
    assert "valueAndGrad(x_1, t2, lambda, var_)" in js
    # the temporary of node 2 steps aside for the program's own t2
    assert "t2_ = x_1 * t2" in py and "const t2_ = x_1 * t2;" in js


def _ruff(paths: list[Path]) -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache", "--config",
                             str(ROOT / "pyproject.toml"), *map(str, paths)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _corpus() -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in SAMPLES]
    texts.append("y = " + " + ".join(f"sin(x * {k})" for k in range(1, 60)))  # a long sum
    long = "a_very_long_input_name_that_goes_on_and_on_for_a_while_" * 2
    texts.append(f"{long} * exp({long}) / (1 + {long} ^ 2)")
    texts.append("x ^ y + log(x, y) + asin(x) + acos(y) + atan(x) + sinh(y) + cosh(x)"
                 " + tan(x) + log2(x) + log10(y) + ln(x) + sqrt(y) + sign(x) + step(y)"
                 " + relu(x) + softplus(y) + sigmoid(x) + min(x, y, 1) + abs(x) + tanh(y)")
    texts.append("x")
    texts.append("2 * 3")
    return texts


@pytest.mark.parametrize("lang", ["python", "numpy"])
def test_generated_python_is_ruff_clean(lang: str, tmp_path: Path) -> None:
    paths = []
    for k, text in enumerate(_corpus()):
        path = tmp_path / f"gen_{k}.py"
        path.write_text(generate(parse_program(text), lang), encoding="utf-8")
        paths.append(path)
    _ruff(paths)


@settings(max_examples=8)
@given(program=st.one_of(programs(), hostile_programs()))
def test_generated_python_of_random_programs_is_ruff_clean(
        program: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    try:
        graph = parse_program(program)
    except InputError:
        assume(False)
    tmp = tmp_path_factory.mktemp("ruff")
    paths = []
    for lang in ("python", "numpy"):
        path = tmp / f"{lang}.py"
        path.write_text(generate(graph, lang), encoding="utf-8")
        paths.append(path)
    _ruff(paths)


def test_generated_c_compiles_with_every_warning_an_error(tmp_path: Path) -> None:
    for text in _corpus():
        compile_c(generate(parse_program(text), "c"), tmp_path)
        compile_c(generate(parse_program(text), "c", wrt=[]), tmp_path)


def test_the_same_program_gives_the_same_bytes() -> None:
    for text in _corpus():
        graph = parse_program(text)
        for lang in LANGS:
            assert generate(graph, lang) == generate(parse_program(text), lang)
