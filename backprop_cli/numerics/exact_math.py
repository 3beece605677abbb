"""The array namespace of exact rationals (``fractions.Fraction``), for ``--exact``.

Programs made of ``+ - * /``, integer powers, rational literals and the piecewise-linear
gates (abs, relu, max, min, sign, step) evaluate exactly: ``d/dx (x/3)`` is ``1/3``.
``check_program`` refuses anything else before evaluation, naming it: which ops have an
exact value is their ``exact`` field in the table of operations.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any, NoReturn

from ..core.errors import EvaluationError, InputError, Remedy
from ..core.graph import Graph

MAX_EXPONENT = 10_000  # a^(2^60) would never finish: its digits do not fit in memory
ZERO = Fraction(0)
ONE = Fraction(1)  # the output's own gradient, exactly

# The other flags of the number-system contract (core/namespace.py).
batched = False
masks_zero_gradients = False


def lift(x: Any) -> Fraction:
    """A rational from a number; a float becomes the decimal it prints as (0.1 -> 1/10)."""
    if isinstance(x, Fraction):
        return x
    if isinstance(x, float):
        return Fraction(repr(x))
    return Fraction(x)


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
                    f"--exact works with {_exact_ops_text()}; "
                    f"{op.name} has no exact rational value",
                    source=graph.source if body is graph else None,
                    start=node.start if body is graph else None,
                    end=node.end if body is graph else None,
                    remedy=Remedy("exact"),
                )


def divide(a: Any, b: Any) -> Fraction:
    a, b = lift(a), lift(b)
    if b == 0:
        raise EvaluationError("division by zero (in exact arithmetic)")
    return a / b


def power(a: Any, b: Any) -> Fraction:
    a, b = lift(a), lift(b)
    if b.denominator != 1:
        raise InputError(f"--exact needs integer exponents, not {b}",
                         remedy=Remedy("exact"))
    if a == 0 and b < 0:
        raise EvaluationError("zero to a negative power (in exact arithmetic)")
    if abs(b) > MAX_EXPONENT:
        raise InputError(f"--exact takes exponents up to {MAX_EXPONENT:,}, not {b}",
                         remedy=Remedy("exact"))
    return a ** int(b)


def to_float(x: Fraction) -> float:
    """The nearest double; beyond the range of doubles, an infinity of the right sign."""
    try:
        return float(x)
    except OverflowError:
        return float("inf") if x > 0 else float("-inf")


def where(condition: bool, if_true: Any, if_false: Any) -> Fraction:
    return lift(if_true if condition else if_false)


def fabs(x: Any) -> Fraction:
    return abs(lift(x))


def relu(x: Any) -> Fraction:
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


def max_mask(out: Any, *args: Any) -> list[Fraction]:
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


def _exact_ops_text() -> str:
    """The ops with an exact rational value, from the table: ``+ - * /, pow, abs, ...``."""
    from ..core.ops import OPERATIONS

    shown = list(dict.fromkeys(
        "^ (integer powers)" if op.name == "pow" else op.symbol or op.name
        for op in OPERATIONS if op.exact and not op.is_leaf))
    return ", ".join(shown[:-1]) + " and " + shown[-1]
