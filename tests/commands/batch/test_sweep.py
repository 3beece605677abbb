"""eval --sweep: rows equal single-point eval, grid order, chunks, -F jsonl, non-finite
rows, the tie rule, bad and huge sweeps."""

from __future__ import annotations

import math
import os
import select
import subprocess
import time

import pytest

from tests.harness import (
    backprop_command,
    binds,
    clean,
    csv_rows,
    eval_json,
    process_env,
    run,
    run_process,
    strict_json,
)

# --------------------------------------------------------------------------------------
# eval --sweep, --chunk-rows, -F jsonl
# --------------------------------------------------------------------------------------
SWEEP_CASES = [
    ("max(x, y, 0.5)", {"y": 0.5}),
    ("min(x, -x, y)", {"y": 0.0}),
    ("abs(x) + relu(x) + sign(x) + step(x)", {}),
    ("y^x + x^2 + pow(x, 3) + pow(y, x)", {"y": 2.0}),
    ("log(x^2 + 1, 3) + exp(-x^2) * sin(3*x)", {}),
    ("def f(a, b) = max(a, b) * sigmoid(a)\nf(x, y) + softplus(x)", {"y": 0.0}),
    ("sqrt(x^2 + 1) * atan(x) + tanh(x) + abs(x)^1.5", {}),
]


@pytest.mark.parametrize("program, fixed", SWEEP_CASES)
def test_sweep_rows_equal_single_point_eval(program: str, fixed: dict) -> None:
    out = clean(run("eval", program, *binds(fixed), "--sweep", "x=-1:1:9"), 0).out
    rows = csv_rows(out)
    assert len(rows) == 9
    for row in rows:
        single = eval_json(program, {**fixed, "x": row["x"]})
        assert math.isclose(row["value"], single["value"], rel_tol=1e-12, abs_tol=1e-300)
        for name, grad in single["gradient"].items():
            assert math.isclose(row[f"d_{name}"], grad, rel_tol=1e-12, abs_tol=1e-300), (
                row, name, grad)


def test_sweep_grid_order_chunks_and_jsonl() -> None:
    args = ("eval", "x*y + z", "z=1", "--sweep", "x=0:1:3", "--sweep", "y=-2:2:5")
    base = clean(run(*args), 0).out
    rows = csv_rows(base)
    assert [(r["x"], r["y"]) for r in rows] == [(x, y) for x in (0.0, 0.5, 1.0)
                                                for y in (-2.0, -1.0, 0.0, 1.0, 2.0)]
    for chunk in ("1", "4", "7"):
        assert clean(run(*args, "--chunk-rows", chunk), 0).out == base
    lines = clean(run(*args, "-F", "jsonl"), 0).out.splitlines()
    assert [strict_json(line) for line in lines] == rows


def test_sweep_nonfinite_rows() -> None:
    clean(run("eval", "log(x)", "--sweep", "x=-1:1:3"), 1, "row 1", "log")
    lines = clean(run("eval", "log(x)", "--sweep", "x=-1:1:3", "--allow-nonfinite",
                      "-F", "jsonl"), 0).out.splitlines()
    assert [strict_json(line)["value"] for line in lines] == ["nan", "-inf", 0.0]


@pytest.mark.parametrize("options, says", [
    (["--sweep", "x=0:1:0"], "--sweep"), (["--sweep", "x=0:1:-3"], "--sweep"),
    (["--sweep", "x=0:1"], "--sweep"), (["--sweep", "x=0:1:1e3"], "--sweep"),
    (["--sweep", "x=nan:1:3"], "nan"), (["--sweep", "x=0:inf:3"], "inf"),
    (["--sweep", "x=1e309:1:3"], "1e309"), (["--sweep", "x=−1:0:3"], "−1"),
    (["--sweep", "x=0:1:３"], "--sweep"), (["--sweep", "х=0:1:3"], "--sweep"),
    (["--sweep", "q=0:1:3"], "q"), (["--sweep", "x=0:1:3", "x=2"], "x"),
    (["--sweep", "x=0:1:3", "--at", "f.csv"], "--at"),
    (["--sweep", "x=0:1:3", "-F", "table"], "--format"),
    (["--sweep", "x=0:1:3", "--value"], "--value"),
    (["--sweep", "x=0:1:3", "--grad", "x"], "--grad"),
    (["--sweep", "x=0:1:3", "--chunk-rows", "0"], "--chunk-rows"),
    (["--sweep", "x=0:1:3", "--chunk-rows", "-5"], "--chunk-rows"),
    (["x=1", "-F", "jsonl"], "jsonl"),
])
def test_sweep_bad_options_are_exit_2(options: list[str], says: str) -> None:
    clean(run("eval", "x^2", *options), 2, says)


def _start_of(args: list[str], size: int = 4096, timeout: float = 20.0
              ) -> tuple[int | None, bytes, bytes]:
    """The exit status (None: still running, then killed), the first ``size`` bytes of
    stdout and stderr of ``backprop ARGS``: a run that streams forever is cut short."""
    with subprocess.Popen([*backprop_command(), *args], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, env=process_env()) as proc:
        head = b""
        deadline = time.monotonic() + timeout
        while len(head) < size and time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 0.2)
            if ready:
                chunk = os.read(proc.stdout.fileno(), size - len(head))
                if not chunk:
                    break
                head += chunk
        try:
            code = proc.wait(timeout=max(0.1, deadline - time.monotonic())) \
                if len(head) < size else None
        except subprocess.TimeoutExpired:
            code = None
        if code is None:
            proc.kill()
            proc.wait()
            return None, head, b""
        return code, head, proc.stderr.read()


@pytest.mark.parametrize("sweeps", [
    ["x=0:1:99999999999999999999999"],
    ["x=0:1:1000000000000"],
    ["x=0:1:3000000", "y=0:1:3000000", "z=0:1:3000000"],
])
def test_sweep_too_many_points_is_not_an_internal_error(sweeps: list[str]) -> None:
    """BUG: a huge --sweep count is exit 70 (numpy ValueError 'Maximum allowed size
    exceeded', MemoryError for 7 TiB, or 'dimensions are too large' for a grid). Either
    refusing it (exit 2, naming --sweep) or streaming the rows is right."""
    options = [part for s in sweeps for part in ("--sweep", s)]
    code, head, err = _start_of(["eval", "x + y + z", "y=0", "z=0", *options]
                                if len(sweeps) == 1 else ["eval", "x + y + z", *options])
    if code is None:  # still streaming after 4 KiB: rows must be coming out
        assert head.startswith(b"x,"), head[:200]
        return
    assert code == 2, (code, err.decode()[:300])
    assert err.startswith((b"error:", b"Usage:")) and b"--sweep" in err, err[:300]


def test_sweep_repeated_name_is_an_error() -> None:
    """BUG: --sweep x=... twice makes a 3x3 'grid' over one input: 9 rows, repeated."""
    clean(run("eval", "x^2", "--sweep", "x=0:1:3", "--sweep", "x=0:1:3"), 2, "x")


def test_sweep_over_the_whole_double_range() -> None:
    """BUG: linspace(-1e308, 1e308) overflows (stop - start = inf): numpy's RuntimeWarnings
    reach stderr and every point is nan, so 'x' at -1e308, 0, 1e308 is an error."""
    result = run_process("eval", "x", "--sweep", "x=-1e308:1e308:3")
    assert b"RuntimeWarning" not in result.stderr, result.stderr.decode()[:300]
    assert result.returncode == 0, result.stderr.decode()[:300]
    assert [r["x"] for r in csv_rows(result.stdout.decode())] == [-1e308, 0.0, 1e308]


def test_sweep_follows_the_tie_rule() -> None:
    """BUG: --ties is ignored with --sweep/--at (and --exact, --explain silently too):
    at the tie x = y = 0.5, --ties split must give 0.5 to each."""
    out = clean(run("eval", "max(x, y)", "y=0.5", "--sweep", "x=0:1:3", "--ties", "split"),
                0).out
    tie = csv_rows(out)[1]
    assert (tie["d_x"], tie["d_y"]) == (0.5, 0.5), tie
