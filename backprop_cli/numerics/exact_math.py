"""The array namespace of exact rationals (``fractions.Fraction``), for ``--exact``.

Programs made of ``+ - * /``, integer powers, rational literals and the piecewise-linear
gates (abs, relu, max, min, sign, step) evaluate exactly: ``d/dx (x/3)`` is ``1/3``.
``check_program`` refuses anything else before evaluation, naming it: which ops have an
exact value is their ``exact`` field in the table of operations.

The work is bounded: within ``bounded(max_digits)`` (what an exact evaluation runs in)
every rational made, numerator and denominator, has at most ``max_digits`` decimal
digits. Each operation is checked after it is done, which costs a few times the bound at
most (a product has the digits of its factors together), and a power is estimated before
(``digits(a) * |b|``), since ``a^b`` alone could outgrow memory. The numbers are
``Rational``, fractions that print at any size: Python's own limit on converting ints
to text (4,300 digits) is lifted for the one conversion.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from fractions import Fraction
from typing import Any, NoReturn

from ..core.errors import EvaluationError, InputError, LimitError, Remedy
from ..core.graph import Graph

DEFAULT_MAX_DIGITS = 100_000  # of a numerator or a denominator; --max-digits raises it
_LOG10_2 = math.log10(2)
_max_digits: ContextVar[int | None] = ContextVar("max_digits", default=None)


@contextmanager
def bounded(max_digits: int = DEFAULT_MAX_DIGITS) -> Iterator[None]:
    """Arithmetic on ``Rational`` within: every result has at most ``max_digits`` digits,
    else a LimitError. Outside, it is unbounded, as a plain ``Fraction``'s."""
    token = _max_digits.set(max_digits)
    try:
        yield
    finally:
        _max_digits.reset(token)


def decimal_digits(n: int) -> int:
    """The number of decimal digits of ``|n|``, exactly (from its bits, then one power
    of ten to settle the last digit: for the numbers near the bound only)."""
    n = abs(n)
    if n < 10:
        return 1
    digits = int(n.bit_length() * _LOG10_2) + 1  # an estimate, off by one at most
    while digits > 1 and n < 10 ** (digits - 1):
        digits -= 1
    while n >= 10**digits:
        digits += 1
    return digits


def _too_large(digits: int, limit: int, about: bool) -> LimitError:
    return LimitError(
        f"too large for exact arithmetic ({'about ' if about else ''}{digits:,} digits; "
        f"the limit is {limit:,})",
        remedy=Remedy("max_digits"),
    )


def _checked(x: Any) -> Any:
    """``x`` as a ``Rational``, refused if it is over the bound in force."""
    if not isinstance(x, Fraction):
        return x  # a float, from arithmetic with one: nothing exact to bound
    n, d = x.numerator, x.denominator
    limit = _max_digits.get()
    if limit is not None:
        largest = max(abs(n), d)
        if int(largest.bit_length() * _LOG10_2) + 1 > limit:  # the cheap estimate first
            digits = decimal_digits(largest)
            if digits > limit:
                raise _too_large(digits, limit, about=False)
    return _rational(n, d)


def _rational(n: int, d: int) -> Rational:
    """A ``Rational`` of a numerator and a denominator already in lowest terms (no gcd:
    for a number of 100,000 digits it would cost more than the operation)."""
    r = object.__new__(Rational)
    r._numerator = n  # type: ignore[attr-defined]  # Fraction's own slots
    r._denominator = d  # type: ignore[attr-defined]
    return r


def _text(n: int) -> str:
    """``str(n)`` at any size: Python's limit (4,300 digits, against untrusted input) is
    lifted for this one conversion of a number the bound has already let through."""
    try:
        return str(n)
    except ValueError:
        pass
    previous = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        return str(n)
    finally:
        sys.set_int_max_str_digits(previous)


class Rational(Fraction):
    """A ``Fraction`` whose arithmetic is bounded within ``bounded`` and that prints at
    any size (its repr is a ``Fraction``'s: ``Fraction(1, 3)`` reads back equal)."""

    __slots__ = ()

    def __add__(self, other: Any) -> Any:
        return _checked(Fraction.__add__(self, other))

    def __radd__(self, other: Any) -> Any:
        return _checked(Fraction.__radd__(self, other))

    def __sub__(self, other: Any) -> Any:
        return _checked(Fraction.__sub__(self, other))

    def __rsub__(self, other: Any) -> Any:
        return _checked(Fraction.__rsub__(self, other))

    def __mul__(self, other: Any) -> Any:
        return _checked(Fraction.__mul__(self, other))

    def __rmul__(self, other: Any) -> Any:
        return _checked(Fraction.__rmul__(self, other))

    def __truediv__(self, other: Any) -> Any:
        return _checked(Fraction.__truediv__(self, other))

    def __rtruediv__(self, other: Any) -> Any:
        return _checked(Fraction.__rtruediv__(self, other))

    def __pow__(self, other: Any) -> Any:
        if isinstance(other, int):
            _check_power(self, other)
        return _checked(Fraction.__pow__(self, other))

    def __neg__(self) -> Rational:
        return _rational(-self.numerator, self.denominator)

    def __pos__(self) -> Rational:
        return self

    def __abs__(self) -> Rational:
        return _rational(abs(self.numerator), self.denominator)

    def __str__(self) -> str:
        if self.denominator == 1:
            return _text(self.numerator)
        return f"{_text(self.numerator)}/{_text(self.denominator)}"

    def __repr__(self) -> str:
        return f"Fraction({_text(self.numerator)}, {_text(self.denominator)})"


ZERO = _rational(0, 1)
ONE = _rational(1, 1)  # the output's own gradient, exactly

# The other flags of the number-system contract (core/namespace.py).
batched = False
masks_zero_gradients = False


def lift(x: Any) -> Rational:
    """A rational from a number; a float becomes the decimal it prints as (0.1 -> 1/10)."""
    if isinstance(x, Rational):
        return x
    if isinstance(x, float):
        x = Fraction(repr(x))
    elif not isinstance(x, Fraction):
        x = Fraction(x)
    return _rational(x.numerator, x.denominator)


def check_program(graph: Graph) -> None:
    """Refuse a gate that has no exact rational value, naming it and where it is."""
    from ..core.blocks import Block

    stack = [graph]
    while stack:
        body = stack.pop()
        for node in body.nodes:
            op = node.op
            if isinstance(op, Block):
                stack.append(op.flat_body or op.body)
                continue
            if op.name == "pow" and body.needs_grad[node.args[1]]:
                raise InputError(
                    "--exact needs constant integer exponents: x^2, not 2^x",
                    source=graph.source if body is graph else None,
                    start=node.start if body is graph else None,
                    end=node.end if body is graph else None,
                    remedy=Remedy("exact"),
                )
            if not op.exact:
                raise InputError(
                    # with arrays the list is long: the op in the message, the list below
                    f"--exact: {op.name} has no exact rational value" if graph.arrays else
                    f"--exact works with {_exact_ops_text()}; "
                    f"{op.name} has no exact rational value",
                    notes=(f"--exact works with {_exact_ops_text(True)}",)
                    if graph.arrays else (),
                    source=graph.source if body is graph else None,
                    start=node.start if body is graph else None,
                    end=node.end if body is graph else None,
                    remedy=Remedy("exact"),
                )


def divide(a: Any, b: Any) -> Rational:
    a, b = lift(a), lift(b)
    if b == 0:
        raise EvaluationError("division by zero (in exact arithmetic)")
    return a / b


def power(a: Any, b: Any) -> Rational:
    a, b = lift(a), lift(b)
    if b.denominator != 1:
        raise InputError(f"--exact needs integer exponents, not {b}",
                         remedy=Remedy("exact"))
    if a == 0 and b < 0:
        raise EvaluationError("zero to a negative power (in exact arithmetic)")
    return a ** int(b)  # Rational.__pow__ estimates the size first


def _check_power(a: Fraction, exponent: int) -> None:
    """Refuse ``a^exponent`` before computing it when its digits would be over the bound:
    ``exponent * log10`` of the numerator and of the denominator (0, 1 and -1 to any
    power are small). Near the bound the estimate lets it through to the exact check."""
    limit = _max_digits.get()
    if limit is None or exponent in (0, 1, -1):
        return
    largest = max(abs(a.numerator), a.denominator)
    if largest <= 1:
        return
    digits = math.floor(abs(exponent) * math.log10(largest)) + 1
    if digits > limit + 1:  # the float estimate may be one off: settle that after
        raise _too_large(digits, limit, about=True)


def to_float(x: Fraction) -> float:
    """The nearest double; beyond the range of doubles, an infinity of the right sign."""
    try:
        return float(x)
    except OverflowError:
        return float("inf") if x > 0 else float("-inf")


def where(condition: bool, if_true: Any, if_false: Any) -> Fraction:
    return lift(if_true if condition else if_false)


def fabs(x: Any) -> Rational:
    return abs(lift(x))


def relu(x: Any) -> Rational:
    x = lift(x)
    return x if x > 0 else ZERO


def sign(x: Any) -> Fraction:
    x = lift(x)
    return ONE if x > 0 else (-ONE if x < 0 else ZERO)


def step(x: Any) -> Fraction:
    return ONE if lift(x) > 0 else ZERO


def maximum(*args: Any) -> Fraction:
    return max(lift(a) for a in args)


def minimum(*args: Any) -> Fraction:
    return min(lift(a) for a in args)


def max_mask(out: Any, *args: Any) -> list[Rational]:
    mask = [ZERO] * len(args)
    for k, a in enumerate(args):
        if lift(a) == out:
            mask[k] = ONE
            break
    return mask


min_mask = max_mask


def _inexact(name: str) -> Callable[..., NoReturn]:
    """A function of the contract with no exact rational value: it refuses, as
    ``check_program`` does before evaluation, so nothing rounds in silence."""

    def refuse(*_: Any) -> NoReturn:
        raise InputError(f"--exact: {name} has no exact rational value",
                         remedy=Remedy("exact"))

    refuse.__name__ = name
    return refuse


exp = _inexact("exp")
log = _inexact("log")
log2 = _inexact("log2")
log10 = _inexact("log10")
sqrt = _inexact("sqrt")
sin = _inexact("sin")
cos = _inexact("cos")
tan = _inexact("tan")
asin = _inexact("asin")
acos = _inexact("acos")
atan = _inexact("atan")
sinh = _inexact("sinh")
cosh = _inexact("cosh")
tanh = _inexact("tanh")
sigmoid = _inexact("sigmoid")
softplus = _inexact("softplus")


_ARRAY_WORDS = {"transpose": ".T", "amax": "max(x)", "amin": "min(x)",
                "stack": "array literals", "index": "indexing"}


def _exact_ops_text(arrays: bool = False) -> str:
    """The ops with an exact rational value, from the table: ``+ - * /, pow, abs, ...``;
    in a program with arrays, the tensor ops that have one too (``@, dot, sum, ...``)."""
    from ..core.ops import OPERATIONS

    shown = list(dict.fromkeys(
        "^ (integer powers)" if op.name == "pow"
        else _ARRAY_WORDS.get(op.name) or op.symbol or op.name
        for op in OPERATIONS if op.exact and not op.is_leaf and (arrays or not op.tensor)))
    return ", ".join(shown[:-1]) + " and " + shown[-1]
