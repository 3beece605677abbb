"""The array namespace of dual numbers ``a + b·ε`` (ε² = 0): forward mode over any pass.

Running the backward pass with these numbers, the inputs seeded with ε in one direction,
differentiates the gradient itself: one column of the Hessian per input, exact to
rounding (forward-over-reverse), from the same table of rules.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..core import scalar_math as sm
from ..core.ops import OPS

# The flags of the number-system contract (core/namespace.py).
batched = False
masks_zero_gradients = False
ONE = 1.0


class Dual:
    __slots__ = ("du", "re")

    def __init__(self, re: float, du: float = 0.0) -> None:
        self.re = re
        self.du = du

    def __repr__(self) -> str:
        return f"Dual({self.re!r}, {self.du!r})"

    def __add__(self, other: Any) -> Dual:
        o = lift(other)
        return Dual(self.re + o.re, self.du + o.du)

    __radd__ = __add__

    def __sub__(self, other: Any) -> Dual:
        o = lift(other)
        return Dual(self.re - o.re, self.du - o.du)

    def __rsub__(self, other: Any) -> Dual:
        return lift(other) - self

    def __mul__(self, other: Any) -> Dual:
        o = lift(other)
        return Dual(self.re * o.re, self.re * o.du + self.du * o.re)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Dual:
        return divide(self, other)

    def __rtruediv__(self, other: Any) -> Dual:
        return divide(other, self)

    def __neg__(self) -> Dual:
        return Dual(-self.re, -self.du)

    def __pos__(self) -> Dual:
        return self

    # Equal to a plain number only when the number is exact: no ε part.
    def __eq__(self, other: object) -> bool:
        if isinstance(other, Dual):
            return self.re == other.re and self.du == other.du
        return self.re == other and self.du == 0.0

    __hash__ = None  # type: ignore[assignment]

    def __gt__(self, other: Any) -> bool:
        return self.re > lift(other).re

    def __lt__(self, other: Any) -> bool:
        return self.re < lift(other).re

    def __ge__(self, other: Any) -> bool:
        return self.re >= lift(other).re

    def __le__(self, other: Any) -> bool:
        return self.re <= lift(other).re


def lift(x: Any) -> Dual:
    return x if isinstance(x, Dual) else Dual(float(x), 0.0)


def _chain(x: Any, value: float, slope: float) -> Dual:
    d = lift(x)
    return Dual(value, slope * d.du if d.du else 0.0)


def _unary(op_name: str, value: Callable[[float], float]) -> Callable[[Any], Dual]:
    """The function of the op ``op_name``, its ε part by the op's own local derivative
    (from the table of operations, at one point): no second copy of the rules here."""
    slope = OPS[op_name].partials[0]

    def function(x: Any) -> Dual:
        r = lift(x).re
        v = value(r)
        return _chain(x, v, slope(sm, v, r))

    function.__name__ = op_name
    return function


exp = _unary("exp", sm.exp)
log = _unary("log", sm.log)
log2 = _unary("log2", sm.log2)
log10 = _unary("log10", sm.log10)
sqrt = _unary("sqrt", sm.sqrt)
sin = _unary("sin", sm.sin)
cos = _unary("cos", sm.cos)
tan = _unary("tan", sm.tan)
asin = _unary("asin", sm.asin)
acos = _unary("acos", sm.acos)
atan = _unary("atan", sm.atan)
sinh = _unary("sinh", sm.sinh)
cosh = _unary("cosh", sm.cosh)
tanh = _unary("tanh", sm.tanh)
sigmoid = _unary("sigmoid", sm.sigmoid)
softplus = _unary("softplus", sm.softplus)
relu = _unary("relu", sm.relu)
fabs = _unary("abs", sm.fabs)


def sign(x: Any) -> Dual:
    return Dual(sm.sign(lift(x).re), 0.0)


def step(x: Any) -> Dual:
    return Dual(sm.step(lift(x).re), 0.0)


def divide(a: Any, b: Any) -> Dual:
    a, b = lift(a), lift(b)
    q = sm.divide(a.re, b.re)
    if not (a.du or b.du):
        return Dual(q, 0.0)
    return Dual(q, sm.divide(a.du - q * b.du, b.re))


def power(a: Any, b: Any) -> Dual:
    a, b = lift(a), lift(b)
    p = sm.power(a.re, b.re)
    du = 0.0
    if a.du and b.re != 0.0:
        du += b.re * sm.power(a.re, b.re - 1.0) * a.du
    if b.du and p != 0.0:
        du += p * sm.log(a.re) * b.du
    return Dual(p, du)


def where(condition: bool, if_true: Any, if_false: Any) -> Any:
    return if_true if condition else if_false


def maximum(*args: Any) -> Dual:
    duals = [lift(a) for a in args]
    best = duals[0]
    for d in duals[1:]:
        if d.re > best.re:
            best = d
    return best


def minimum(*args: Any) -> Dual:
    duals = [lift(a) for a in args]
    best = duals[0]
    for d in duals[1:]:
        if d.re < best.re:
            best = d
    return best


def max_mask(out: Any, *args: Any) -> list[float]:
    return sm.first_match(lift(out).re, *[lift(a).re for a in args])


min_mask = max_mask
