"""Limits and numbers: the node count and the size are limited and the message names the
option; numbers are floats (no huge integers, no hangs); a domain error is exit 1 and points
at the node; depth and width never recurse and never go quadratic (SPEC §2, §3)."""

from __future__ import annotations

import json
import re
import subprocess
import time
from pathlib import Path

import pytest

from tests.harness import Run, check_error, no_traceback, run, run_process


# --------------------------------------------------------------------------------------
# limits: node count and size, named by their options
# --------------------------------------------------------------------------------------
def test_node_limit_is_exact_and_names_the_option():
    program = "x+x+x+x+x+x"  # one input used six times, five adds: 6 nodes
    ok = run("eval", program, "x=1", "--max-nodes", "6", "--value")
    assert (ok.code, ok.out.strip()) == (0, "6"), ok.err
    over = run("eval", program, "x=1", "--max-nodes", "5")
    check_error(over, 2, "--max-nodes")


def test_node_limit_counts_function_bodies_and_expansions():
    program = "def f(a) = a*a + a\nf(x) + f(x)"
    check_error(run("eval", program, "x=1", "--max-nodes", "3"), 2, "--max-nodes")
    check_error(run("eval", "sigmoid(x) * x", "x=1", "--expand", "--max-nodes", "4"), 2,
                "--max-nodes")


def test_exponential_blowup_stops_at_the_default_node_limit(tmp_path: Path):
    """A 'billion laughs': each def calls the previous one twice, 2^40 nodes if inlined."""
    lines = ["def f0(a) = a * a"]
    lines += [f"def f{i}(a) = f{i - 1}(a) + f{i - 1}(a)" for i in range(1, 41)]
    lines.append("f40(x)")
    path = tmp_path / "laughs.bp"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for extra in ([], ["--expand"]):
        start = time.monotonic()
        proc = run_process("eval", "-f", str(path), "x=1", *extra, timeout=60)
        elapsed = time.monotonic() - start
        err = proc.stderr.decode("utf-8", "replace")
        assert proc.returncode == 2, err
        no_traceback(err)
        assert err.startswith("error: ") and "--max-nodes" in err, err
        assert elapsed < 30, f"took {elapsed:.1f}s to hit the node limit"


def test_program_over_the_default_node_limit(tmp_path: Path):
    """2,000,001 nodes (1,000,001 literals and 1,000,000 adds) is over the default."""
    path = tmp_path / "big.bp"
    path.write_text("+".join(["1"] * 1_000_001) + "\n", encoding="ascii")
    proc = run_process("eval", "-f", str(path), timeout=120)
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2, err
    no_traceback(err)
    assert err.startswith("error: ") and "--max-nodes" in err, err


@pytest.mark.parametrize("how", ["argument", "stdin", "file"])
def test_byte_limit_is_exact_and_names_the_option(tmp_path: Path, how: str):
    program = "x  #abc"  # 7 bytes
    path = tmp_path / "prog.bp"
    path.write_text(program, encoding="utf-8")

    def go(limit: int) -> Run:
        options = ["x=1", "--max-bytes", str(limit), "--value"]
        if how == "argument":
            return run("eval", program, *options)
        if how == "stdin":
            return run("eval", "-", *options, stdin=program.encode("utf-8"))
        return run("eval", "-f", str(path), *options)

    ok = go(7)
    assert ok.code == 0, ok.err
    check_error(go(6), 2, "--max-bytes")


def test_defaults_admit_what_the_spec_asks_for():
    """SPEC §2: the defaults admit a 200,000-term sum and a million nodes."""
    result = run("eval", "+".join(["x"] * 200_000), "x=1", "--value")
    assert (result.code, result.out.strip()) == (0, "200000"), result.err[:500]
    help_text = run("eval", "--help").out
    nodes = re.search(r"default:\s*([\d_,]+)", help_text[help_text.index("--max-nodes"):])
    assert nodes and int(re.sub(r"[_,]", "", nodes.group(1))) >= 1_000_000, help_text


# --------------------------------------------------------------------------------------
# numbers are floats: no huge integers, no hangs
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("program", "bindings"),
    [
        ("9^9^9^9", []),
        ("9**9**9**9", []),
        ("-(9^9^9^9)", []),
        ("x^9^9^9", ["x=9"]),
        ("(9^9)^(9^9)^9", []),
        ("10^10^10^10^10^10", []),
        ("2^1024", []),
        ("1e308 * 10", []),
        ("exp(exp(exp(exp(10))))", []),
        ("y = 9^9\nz = y^y\nz^z", []),
    ],
)
def test_huge_powers_overflow_at_once(program: str, bindings: list[str]):
    start = time.monotonic()
    result = run("eval", program, *bindings)
    elapsed = time.monotonic() - start
    assert elapsed < 1.0, f"{program!r} took {elapsed:.2f}s"
    check_error(result, 1)
    assert re.search(r"overflow|not finite|too large", result.err), result.err


def test_huge_powers_with_nonfinite_allowed_are_still_quick():
    start = time.monotonic()
    result = run("eval", "9^9^9^9", "--allow-nonfinite", "-F", "json")
    assert time.monotonic() - start < 1.0
    assert result.code == 0, result.err
    assert json.loads(result.out)["value"] == "inf"


@pytest.mark.parametrize("literal", ["1" + "0" * 400, "1e400", "1" * 5000, "9" * 100_000])
def test_huge_literals_are_floats_not_integers(literal: str):
    start = time.monotonic()
    result = run("eval", f"{literal} + x", "x=1")
    assert time.monotonic() - start < 1.0
    assert result.code in (1, 2), result.err
    no_traceback(result.err)
    assert result.err.startswith("error: "), result.err


@pytest.mark.parametrize(
    ("program", "bindings"),
    [
        ("log(-1)", []), ("1/0", []), ("sqrt(-1)", []), ("log(0)", []), ("asin(2)", []),
        ("0^-1", []), ("exp(1000)", []), ("x / y", ["x=1", "y=0"]),
        ("sqrt(x)", ["x=0"]),                 # the gradient is infinite
        ("acos(x)", ["x=1"]),
        ("log(x, 1)", ["x=2"]),
        ("a = x - x\nb = 1 / a\nb * 2", ["x=3"]),
    ],
)
def test_domain_errors_exit_1_and_point_at_the_node(program: str, bindings: list[str]):
    result = run("eval", program, *bindings)
    check_error(result, 1)
    assert re.search(r"<argument>:\d+:\d+", result.err), result.err
    assert "^" in result.err, result.err


# --------------------------------------------------------------------------------------
# depth and width: no recursion, no quadratic blowups
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("program", "code"),
    [
        ("(" * 100_000 + "x" + ")" * 100_000, 0),
        ("0 + " + "-" * 100_000 + "x", 0),
        ("^".join(["x"] * 50_000), 0),
        ("sin(" * 20_000 + "x" + ")" * 20_000, 0),
        ("(" * 100_000 + "x", 2),
        ("x" + ")" * 100_000, 2),
    ],
    ids=["parens", "minus", "power-chain", "calls", "unclosed", "unopened"],
)
def test_deep_programs_never_recurse(program: str, code: int):
    result = run("eval", program, "x=0.5", "--value")
    assert result.code == code, result.err[:2000]
    no_traceback(result.err)


@pytest.mark.parametrize("fn", ["max", "min"])
def test_wide_max_min_is_linear_not_quadratic(tmp_path: Path, fn: str):
    """SPEC §3: a big program is only slower in proportion. 40,000 arguments to max take
    as long as a 40,000-term sum (well under a second), not minutes."""
    path = tmp_path / "wide.bp"
    path.write_text(f"{fn}(" + ", ".join(["x"] * 40_000) + ")\n", encoding="ascii")
    try:
        proc = run_process("eval", "-f", str(path), "x=1", "--value", timeout=5)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{fn}() of 40,000 arguments did not finish in 5 s")
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    assert proc.stdout.strip() == b"1"
