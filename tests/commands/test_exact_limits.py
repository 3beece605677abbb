"""--exact is bounded: every rational it makes has at most --max-digits digits (numerator
and denominator), a power is estimated before it is computed, and a refusal names the
gate, the size and the option. Whatever fits the bound prints, whatever its length."""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from fractions import Fraction

import pytest

from backprop_cli import InputError, evaluate
from backprop_cli.core.errors import LimitError
from backprop_cli.numerics import exact_math
from tests.harness import (
    backprop_command,
    check_points_at,
    check_usage_error,
    clean,
    process_env,
    run,
)

MEMORY_LIMIT = 1024 * 2**20


def _limit_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def bounded_run(*args: str, seconds: float = 20) -> subprocess.CompletedProcess:
    """``backprop ARGS`` in a subprocess that cannot take the machine: memory and time."""
    start = time.perf_counter()
    try:
        done = subprocess.run([*backprop_command(), *args], capture_output=True,
                              env=process_env(), timeout=seconds, preexec_fn=_limit_memory,
                              check=False)
    except subprocess.TimeoutExpired:  # subprocess.run has killed it
        pytest.fail(f"backprop {' '.join(args)[:80]} ran for over {seconds} s")
    done.elapsed = time.perf_counter() - start  # type: ignore[attr-defined]
    assert b"Traceback" not in done.stderr, done.stderr[-800:]
    assert b"internal error" not in done.stderr, done.stderr[-800:]
    return done


@contextmanager
def long_ints() -> Iterator[None]:
    """The test's own conversions of long ints, not backprop's: Python's limit lifted."""
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        yield
    finally:
        sys.set_int_max_str_digits(previous)


def fraction(text: str) -> Fraction:
    with long_ints():
        return Fraction(text.strip())


def decimal(number: int | Fraction) -> str:
    with long_ints():
        return str(number)


def squarings(count: int) -> str:
    return "x0 = x\n" + "".join(f"x{k + 1} = x{k} * x{k}\n" for k in range(count))


# -- what fits prints ---------------------------------------------------------------------
def test_a_power_of_4501_digits_prints() -> None:
    """The issue's first example: Python's 4,300-digit limit on int-to-string was exit 70."""
    result = clean(run("eval", "x^15", "x=1e300", "--exact", "--value"), 0)
    assert fraction(result.out) == Fraction(10) ** 4500


def test_a_harmonic_sum_prints() -> None:
    """The issue's second example: x/1 + x/2 + ... + x/10000, a denominator of 4,300+
    digits."""
    program = " + ".join(f"x/{k}" for k in range(1, 10_001))
    done = bounded_run("eval", program, "x=1", "--exact", "--grad", "x")
    assert done.returncode == 0, done.stderr[-800:]
    printed = fraction(done.stdout.decode())
    assert len(decimal(printed.denominator)) > 4_300
    assert printed == sum((Fraction(1, k) for k in range(1, 10_001)), Fraction(0))


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "plain"])
def test_five_thousand_digits_print_in_every_format(fmt: str) -> None:
    result = clean(run("eval", "x^5000 / 7", "x=10", "--exact", "-F", fmt), 0)
    if fmt != "table":  # the table folds long cells over several lines
        assert decimal(Fraction(10**5000, 7)) in result.out
    if fmt == "json":
        assert fraction(json.loads(result.out)["value_exact"]) == Fraction(10**5000, 7)


def test_the_explanation_prints_five_thousand_digits() -> None:
    result = clean(run("eval", "x^5000", "x=10", "--exact", "--explain"), 0)
    assert f"df/dx = {decimal(5000 * 10**4999)}" in result.out


# -- what does not fit is refused, quickly ------------------------------------------------
def test_a_tower_of_powers_is_refused_before_it_is_computed() -> None:
    done = bounded_run("eval", "((x^10000)^10000)^10000", "x=2", "--exact")
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert err.startswith("error: (x^10000)^10000: too large for exact arithmetic"), err
    assert "30,103" in err and "digits" in err and "100,000" in err, err
    check_points_at(err, 1, 2)  # the caret under (x^10000)^10000
    assert "hint: raise the limit with --max-digits" in err, err
    assert done.elapsed < 10  # type: ignore[attr-defined]


def test_27_squarings_are_refused_quickly() -> None:
    done = bounded_run("eval", squarings(27), "x=3", "--exact", "--value")
    err = done.stderr.decode()
    assert done.returncode == 2, err
    # 3^(2^18) has 125,075 digits: the 18th squaring is the first over 100,000
    assert err.startswith("error: x17 * x17: too large for exact arithmetic"), err
    check_points_at(err, 19, 7)
    assert "--max-digits" in err
    assert done.elapsed < 10  # type: ignore[attr-defined]


def test_27_squarings_by_powers_are_refused_quickly() -> None:
    program = "(" * 27 + "x" + "^2)" * 27
    done = bounded_run("eval", program, "x=3", "--exact")
    assert done.returncode == 2, done.stderr
    assert b"too large for exact arithmetic" in done.stderr
    assert done.elapsed < 10  # type: ignore[attr-defined]


def test_a_huge_exponent_of_one_is_still_one() -> None:
    """The estimate, not a cap on exponents: 1^(10^300) is 1, and -1 to it is 1 too."""
    assert clean(run("eval", "x^1e300", "x=-1", "--exact", "--value"), 0).out == "1\n"


def test_the_backward_pass_is_bounded_too() -> None:
    """Every value here is 0, but d/dx sums 1/19 + 1/17 + ...: its denominator grows in
    the backward pass, and is refused there, naming the gate it flows back through."""
    program = " + ".join(f"x/{p}*y" for p in (3, 5, 7, 11, 13, 17, 19))
    result = clean(run("eval", program, "x=0", "y=1", "--exact", "--max-digits", "5"), 2,
                   "the gradient through x / 7: too large for exact arithmetic",
                   "--max-digits")
    check_points_at(result.err, 1, 17)


# -- the option and the API ---------------------------------------------------------------
def test_max_digits_lowers_and_raises_the_bound() -> None:
    refused = clean(run("eval", "x^15", "x=1e300", "--exact", "--max-digits", "4000"), 2,
                    "too large for exact arithmetic", "4,501", "4,000", "--max-digits")
    check_points_at(refused.err, 1, 1)
    assert clean(run("eval", "x^15", "x=1e300", "--exact", "--max-digits", "4501",
                     "--value"), 0).out.strip() == decimal(10**4500)
    clean(run("eval", "x^120000", "x=10", "--exact", "--value"), 2, "120,001")
    # the gradient, 120000 * 10^119999, has 120,005 digits
    raised = clean(run("eval", "x^120000", "x=10", "--exact", "--max-digits", "120005",
                       "--value"), 0)
    assert raised.out.strip() == "1" + "0" * 120_000


def test_max_digits_is_for_exact() -> None:
    check_usage_error(run("eval", "x^2", "x=3", "--max-digits", "10"), "--exact")
    check_usage_error(run("eval", "x^2", "x=3", "--exact", "--max-digits", "0"))


def test_the_python_api_takes_max_digits() -> None:
    result = evaluate("x^15", {"x": 1e300}, exact=True)
    assert result.exact is not None
    assert str(result.exact[0][-1]) == decimal(10**4500)  # prints beyond Python's 4,300 digits
    assert result.exact[0][-1] == Fraction(10) ** 4500
    with pytest.raises(LimitError) as refused:
        evaluate("x^15", {"x": 1e300}, exact=True, max_digits=4_000)
    text = str(refused.value)
    assert "too large for exact arithmetic" in text and "max_digits=" in text, text
    assert evaluate("x^15", {"x": 1e300}, exact=True, max_digits=5_000).value == float("inf")
    with pytest.raises(LimitError):
        evaluate("x^120000", {"x": 10}, exact=True)
    with pytest.raises(InputError):
        evaluate("x^2", {"x": 3}, max_digits=10)  # not exact: a misuse, said so


def test_the_bound_is_every_rational_numerator_and_denominator() -> None:
    with exact_math.bounded(10):
        small = exact_math.lift(10**9)
        assert str(small * 9) == "9000000000"
        with pytest.raises(LimitError):
            small * 10
        tiny = exact_math.lift(1) / (small * 9 + 1)
        assert tiny.denominator == 9_000_000_001
        with pytest.raises(LimitError):
            tiny / 10
        with pytest.raises(LimitError):
            tiny + small
        with pytest.raises(LimitError):
            exact_math.power(exact_math.lift(Fraction(1, 7)), 12)
    # outside an evaluation, numbers are plain fractions that print at any size
    big = exact_math.lift(10**9) ** 6000
    assert len(str(big)) == 54_001
    assert repr(exact_math.lift(Fraction(1, 3))) == "Fraction(1, 3)"


def test_exact_errors_point_at_their_gate() -> None:
    """Errors exact arithmetic raises inside a gate carry its label and a caret (division
    by zero had neither); inside a def, the call is the gate."""
    result = clean(run("eval", "y = x - x; 1/y", "x=1", "--exact"), 1,
                   "error: 1 / y: division by zero")
    check_points_at(result.err, 1, 12)
    program = "def f(a) = a*a*a\nf(f(f(x)))"
    result = clean(run("eval", program, "x=10", "--exact", "--max-digits", "20"), 2,
                   "error: f(f(f(x))): too large for exact arithmetic (28 digits")
    check_points_at(result.err, 2, 1)
