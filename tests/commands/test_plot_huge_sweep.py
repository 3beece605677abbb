"""plot over a huge sweep: bounded time and memory, and the same picture as a fine one."""

from __future__ import annotations

import math
import resource
import time

import pytest

from backprop_cli.api import parse_program
from backprop_cli.plot import BINS, MAX_EVALUATED, sweep_curve
from backprop_cli.points import Sweep
from backprop_cli.render import plot
from tests.harness import run_process

MEMORY = 1 << 30  # bytes of address space: 1e8 points as arrays would need 800 MB each


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def test_a_hundred_million_point_sweep_is_quick_and_small() -> None:
    start = time.perf_counter()
    done = run_process("plot", "sigmoid(x)", "--sweep", "x=0:1:100000000",
                       preexec_fn=_limited, timeout=60)
    elapsed = time.perf_counter() - start
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert done.stderr == b""
    assert "┌" in done.stdout.decode()
    assert elapsed < 8, f"took {elapsed:.1f}s"


def test_the_largest_sweep_to_a_file_is_bounded_too(tmp_path) -> None:
    target = tmp_path / "p.png"
    done = run_process("plot", "tanh(3*x)", "--sweep", "x=-1:1:1000000000", "-o", str(target),
                       preexec_fn=_limited, timeout=60, env={"MPLCONFIGDIR": str(tmp_path)})
    assert done.returncode == 0, done.stderr.decode()[-2000:]
    assert target.read_bytes().startswith(b"\x89PNG")


def test_a_curve_keeps_few_points_whatever_the_count() -> None:
    curve = sweep_curve(parse_program("sin(x)"), {}, Sweep("x", -3, 3, 1_000_001))
    assert len(curve.value.xs) <= 4 * BINS and len(curve.slope.xs) <= 4 * BINS
    assert abs(curve.value.ys.max() - 1) < 1e-11 and abs(curve.value.ys.min() + 1) < 1e-11
    assert curve.slope.ys.min() == math.cos(3.0) and curve.slope.ys.max() == 1.0
    assert curve.value.xs[0] == -3 and curve.value.xs[-1] == 3  # the ends are kept


@pytest.mark.parametrize("program", ["sin(40*x) * x", "sin(200*x)", "tanh(50*x)", "x^2"])
@pytest.mark.parametrize("sweep", [(-2, 2), (2, -2), (0, 0.5)])
def test_decimated_and_full_pictures_are_the_same(program: str, sweep: tuple) -> None:
    """One run of points per pixel column: the picture of all of them, cell for cell."""
    graph = parse_program(program)
    axis = Sweep("x", *sweep, 100_001)
    for width, height in ((70, 18), (40, 12)):
        columns = plot.terminal_columns((axis.start, axis.stop), width)
        few = sweep_curve(graph, {}, axis, columns=columns)
        assert len(few.value.xs) <= 8 * width
        every = sweep_curve(graph, {}, axis, bins=None)
        assert len(every.value.xs) == 100_001
        assert (plot.terminal(few, "v", "x", color=False, width=width, height=height)
                == plot.terminal(every, "v", "x", color=False, width=width, height=height))


def test_over_the_evaluation_limit_a_sample_grid_is_drawn() -> None:
    graph = parse_program("x^2")
    curve = sweep_curve(graph, {}, Sweep("x", -1, 1, MAX_EVALUATED * 10))
    assert curve.evaluated == MAX_EVALUATED
    assert curve.value.xs.min() == -1 and curve.value.xs.max() == 1
