"""diff --program grows linearly with the program: a long product prints in little memory
and time, every statement stays short, and ``backprop eval`` reads the program back to
the same gradients as ``eval`` computes."""

from __future__ import annotations

import resource
import subprocess
import time
from fractions import Fraction

import pytest

from backprop_cli import parse_program
from backprop_cli.diff import symbolic_gradient
from backprop_cli.render.diff import diff_program
from backprop_cli.render.formula import PROGRAM_LINE_LIMIT
from tests.harness import backprop_command, clean, process_env, run

MEMORY_LIMIT = 600 * 2**20  # address space of the whole process, Python included


def product(factors: int) -> str:
    """``x*y*...*y``: x and ``factors - 1`` ys, a chain whose gradient of y is a long sum."""
    return "x*" + "*".join(["y"] * (factors - 1))


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def test_twenty_thousand_factors_under_a_memory_limit(tmp_path) -> None:
    source = tmp_path / "long.bp"
    source.write_text(product(20_000) + "\n")
    start = time.perf_counter()
    done = subprocess.run([*backprop_command(), "diff", "-f", str(source), "--program"],
                          capture_output=True, env=process_env(), timeout=60,
                          preexec_fn=_limit_memory, check=False)
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, done.stderr.decode()[-800:]
    assert b"Traceback" not in done.stderr
    lines = done.stdout.decode().splitlines()
    assert lines[-2].startswith("d_x = ") and lines[-1].startswith("d_y = ")
    # the program itself is one line of 80,000 characters; the derivatives stay short
    header = next(k for k, line in enumerate(lines) if line.startswith("# derivatives of"))
    derivative_lines = lines[header + 1:]
    assert max(map(len, derivative_lines)) <= 2 * PROGRAM_LINE_LIMIT + 100
    assert elapsed < 30, f"diff --program took {elapsed:.1f}s"


def _program_size(factors: int) -> int:
    graph = parse_program(product(factors))
    gradient = symbolic_gradient(graph, list(graph.input_names()))
    return sum(len(name) + len(text) for name, text in diff_program(gradient, graph))


def test_program_size_is_linear() -> None:
    small, large = _program_size(1_000), _program_size(4_000)
    assert large < 4.5 * small, (small, large)


def test_statements_are_cut_to_a_bounded_length() -> None:
    graph = parse_program(product(2_000))
    gradient = symbolic_gradient(graph, ["x", "y"])
    statements = diff_program(gradient, graph)
    assert max(len(text) for _, text in statements) <= 2 * PROGRAM_LINE_LIMIT + 100
    assert [name for name, _ in statements[-2:]] == ["d_x", "d_y"]


@pytest.mark.parametrize("factors", [3, 40, 600])
def test_program_reads_back_to_the_gradients_of_eval(factors: int) -> None:
    """Exactly (rationals: no rounding to compare around), short programs and long."""
    program = product(factors)
    point = ["x=1.5", "y=-1.25"]
    printed = clean(run("diff", program, "--program"), 0).out
    for name in ("x", "y"):
        expected = clean(run("eval", program, *point, "--exact", "--grad", name), 0)
        got = clean(run("eval", "-", *point, "--exact", "--output", f"d_{name}", "--value",
                        stdin=printed), 0)
        assert Fraction(got.out.strip()) == Fraction(expected.out.strip()), name


def test_program_of_a_short_formula_is_unchanged() -> None:
    """Cutting only applies to long formulas: the worked example prints as before."""
    printed = clean(run("diff", "(x+y)*z", "--program"), 0).out
    assert printed.splitlines()[-3:] == ["d_x = z", "d_y = z", "d_z = x + y"]
