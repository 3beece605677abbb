"""The array namespace for one point: IEEE-754 results, never an exception.

Derivative and forward rules in ``ops.py`` are written against a namespace (``xp``)
so the same table serves a single point (this module), a NumPy batch and a symbolic
pass. Here every function returns ``inf``/``nan`` where ``math`` would raise, so that
the engine can name the first node whose value is not finite.
"""

from __future__ import annotations

import math
from collections.abc import Callable

# The flags of the number-system contract (core/namespace.py): one point, floats.
batched = False
masks_zero_gradients = False
ONE = 1.0

INF = math.inf
NAN = math.nan
pi = math.pi
e = math.e

fabs = math.fabs
isfinite = math.isfinite
atan = math.atan
tanh = math.tanh
log1p = math.log1p
_copysign = math.copysign


def exp(x: float) -> float:
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def log(x: float) -> float:
    if x > 0.0:
        return math.log(x)
    return -INF if x == 0.0 else NAN


def log2(x: float) -> float:
    if x > 0.0:
        return math.log2(x)
    return -INF if x == 0.0 else NAN


def log10(x: float) -> float:
    if x > 0.0:
        return math.log10(x)
    return -INF if x == 0.0 else NAN


def sqrt(x: float) -> float:
    return math.sqrt(x) if x >= 0.0 else NAN


def _periodic(fn: Callable[[float], float]) -> Callable[[float], float]:
    def safe(x: float) -> float:
        try:
            return fn(x)
        except ValueError:
            return NAN

    safe.__name__ = fn.__name__
    return safe


sin = _periodic(math.sin)
cos = _periodic(math.cos)
tan = _periodic(math.tan)


def asin(x: float) -> float:
    return math.asin(x) if -1.0 <= x <= 1.0 else NAN


def acos(x: float) -> float:
    return math.acos(x) if -1.0 <= x <= 1.0 else NAN


def sinh(x: float) -> float:
    try:
        return math.sinh(x)
    except OverflowError:
        return _copysign(INF, x)


def cosh(x: float) -> float:
    try:
        return math.cosh(x)
    except OverflowError:
        return INF


def divide(a: float, b: float) -> float:
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0.0 or a != a:
            return NAN
        return _copysign(INF, a) * _copysign(1.0, b)


def power(a: float, b: float) -> float:
    # the three common powers exactly rounded, and so as NumPy takes them over arrays
    if b == 2.0:
        return a * a
    if b == 0.5:
        return INF if a == -INF else (math.sqrt(a) + 0.0 if a >= 0.0 else NAN)
    if b == -1.0:
        return divide(1.0, a)
    try:
        return math.pow(a, b)
    except OverflowError:
        odd = b == b // 1 and b % 2 == 1
        return -INF if a < 0.0 and odd else INF
    except ValueError:
        if a == 0.0 and b < 0.0:
            odd = b == b // 1 and b % 2 == 1
            return _copysign(INF, a) if odd else INF
        return NAN


def sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + exp(-x))
    z = exp(x)
    return z / (1.0 + z)


def softplus(x: float) -> float:
    return max(x, 0.0) + math.log1p(exp(-math.fabs(x)))


def relu(x: float) -> float:
    return x if x > 0.0 or x != x else 0.0  # NaN stays NaN


def sign(x: float) -> float:
    """-1, 0 or 1: the derivative of ``abs`` (0 at 0, SPEC §3); NaN stays NaN."""
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else (0.0 if x == 0.0 else x))


def step(x: float) -> float:
    """1 where ``x > 0``, else 0: the derivative of ``relu`` (0 at 0, SPEC §3)."""
    return 1.0 if x > 0.0 else 0.0


def where(condition: bool, if_true: float, if_false: float) -> float:
    return if_true if condition else if_false


def maximum(*args: float) -> float:
    return max(args)


def minimum(*args: float) -> float:
    return min(args)


def max_mask(out: float, *args: float) -> list[float]:
    """1 for the first argument equal to ``out`` (the winner of max), 0 for the others."""
    return first_match(out, *args)


def min_mask(out: float, *args: float) -> list[float]:
    """1 for the first argument equal to ``out`` (the winner of min), 0 for the others."""
    return first_match(out, *args)


def first_match(out: float, *args: float) -> list[float]:
    """1 for the first argument equal to ``out``, 0 for every other (max/min routing)."""
    partials = [0.0] * len(args)
    for j, value in enumerate(args):
        if value == out:
            partials[j] = 1.0
            break
    return partials
