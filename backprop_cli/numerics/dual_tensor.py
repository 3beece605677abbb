"""Dual numbers over arrays, ``a + b·ε`` with ``a`` and ``b`` of one shape: forward mode
through the array engine.

The array counterpart of ``numerics/dual.py``. Running the array backward pass with
these values, one input element seeded with ε, differentiates the gradient in that
direction: one column of the Hessian per input element, exact to rounding
(forward-over-reverse), from the table's own rules. ``DUAL_POINT`` is a namespace like
``tensor_math.POINT`` (one point, no rows): the linear tensor ops (sums, transposes,
indexing, stacking, unbroadcasting) act on both parts alike, ``matmul`` by the product
rule, and every elementwise function takes its ε part from the op's own local derivative
in the table of operations (``core/ops.py``), evaluated by ``POINT``: no second copy of
the rules here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core.ops import OPS
from .tensor_math import POINT


def _zeros_like(v: Any) -> Any:
    return 0.0 if v.__class__ is float else np.zeros(np.shape(v))


class DualArray:
    """``re + du·ε``: ``re`` a float or an ndarray, ``du`` of the same shape."""

    __slots__ = ("du", "re")
    __array_ufunc__ = None  # ndarray <op> DualArray: NumPy defers to the methods here

    def __init__(self, re: Any, du: Any = None) -> None:
        if re.__class__ is not float and not isinstance(re, np.ndarray):
            re = float(re) if np.ndim(re) == 0 else np.asarray(re, dtype=float)
        self.re = re
        if du is None:
            du = _zeros_like(re)
        elif du.__class__ is not float and np.shape(du) != np.shape(re):
            du = np.broadcast_to(du, np.shape(re)).copy() if np.shape(re) else float(du)
        elif du.__class__ is not float and not np.shape(re):
            du = float(du)
        self.du = du

    def __repr__(self) -> str:
        return f"DualArray({self.re!r}, {self.du!r})"

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(np.shape(self.re))

    def __add__(self, other: Any) -> DualArray:
        o = lift(other)
        return DualArray(self.re + o.re, self.du + o.du)

    __radd__ = __add__

    def __sub__(self, other: Any) -> DualArray:
        o = lift(other)
        return DualArray(self.re - o.re, self.du - o.du)

    def __rsub__(self, other: Any) -> DualArray:
        return lift(other) - self

    def __mul__(self, other: Any) -> DualArray:
        o = lift(other)
        return DualArray(self.re * o.re, self.re * o.du + self.du * o.re)

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> DualArray:
        return divide(self, other)

    def __rtruediv__(self, other: Any) -> DualArray:
        return divide(other, self)

    def __neg__(self) -> DualArray:
        return DualArray(-self.re, -self.du)

    def __pos__(self) -> DualArray:
        return self

    def __getitem__(self, at: Any) -> DualArray:
        return DualArray(_plain(self.re[at]), _plain(self.du[at]))

    # Equal to a plain number only where the number is exact: no ε part (as dual.Dual).
    def __eq__(self, other: object) -> Any:
        o = lift(other)
        return _truth((self.re == o.re) & (self.du == o.du))

    def __ne__(self, other: object) -> Any:
        o = lift(other)
        return _truth((self.re != o.re) | (self.du != o.du))

    __hash__ = None  # type: ignore[assignment]

    def __gt__(self, other: Any) -> Any:
        return _truth(self.re > lift(other).re)

    def __lt__(self, other: Any) -> Any:
        return _truth(self.re < lift(other).re)

    def __ge__(self, other: Any) -> Any:
        return _truth(self.re >= lift(other).re)

    def __le__(self, other: Any) -> Any:
        return _truth(self.re <= lift(other).re)


def _truth(mask: Any) -> Any:
    return bool(mask) if np.ndim(mask) == 0 else mask


def _plain(v: Any) -> Any:
    return float(v) if np.ndim(v) == 0 else v


def lift(x: Any) -> DualArray:
    return x if isinstance(x, DualArray) else DualArray(x)


def real(x: Any) -> Any:
    return x.re if isinstance(x, DualArray) else x


def _both(function: Callable[..., Any]) -> Callable[..., DualArray]:
    """A linear function of one value (its first argument), on both parts alike."""

    def linear(v: Any, *rest: Any) -> DualArray:
        d = lift(v)
        return DualArray(function(d.re, *rest), function(d.du, *rest))

    return linear


def _unary(op_name: str, value: Callable[[Any], Any]) -> Callable[[Any], DualArray]:
    """The function of the op ``op_name``; its ε part by the op's own local derivative
    in the table, at the real part."""
    slope = OPS[op_name].partials[0]

    def function(x: Any) -> DualArray:
        d = lift(x)
        v = value(d.re)
        return DualArray(v, slope(POINT, v, d.re) * d.du)

    function.__name__ = op_name
    return function


def _constant(value: Callable[[Any], Any]) -> Callable[[Any], DualArray]:
    """A piecewise constant function (sign, step): no ε part."""

    def function(x: Any) -> DualArray:
        return DualArray(value(lift(x).re))

    return function


def divide(a: Any, b: Any) -> DualArray:
    a, b = lift(a), lift(b)
    q = POINT.divide(a.re, b.re)
    return DualArray(q, POINT.divide(a.du - q * b.du, b.re))


def power(a: Any, b: Any) -> DualArray:
    """``a^b``; its ε part by ``pow``'s two local derivatives in the table."""
    a, b = lift(a), lift(b)
    rules = OPS["pow"].partials
    p = POINT.power(a.re, b.re)
    du = rules[0](POINT, p, a.re, b.re) * a.du
    if np.any(b.du != 0.0):
        du = du + rules[1](POINT, p, a.re, b.re) * b.du
    return DualArray(p, du)


def where(condition: Any, if_true: Any, if_false: Any) -> Any:
    if np.ndim(condition) == 0:
        return if_true if bool(condition) else if_false
    t, f = lift(if_true), lift(if_false)
    return DualArray(np.where(condition, t.re, f.re), np.where(condition, t.du, f.du))


def _pick(better: Callable[[Any, Any], Any], args: tuple[Any, ...]) -> DualArray:
    """Elementwise, the first argument that is ``better`` than all before it wins."""
    duals = [lift(a) for a in args]
    best = duals[0]
    for d in duals[1:]:
        wins = better(d.re, best.re)
        best = where(wins, d, best) if np.ndim(wins) else (d if wins else best)
    return lift(best)


def maximum(*args: Any) -> DualArray:
    return _pick(lambda a, b: a > b, args)


def minimum(*args: Any) -> DualArray:
    return _pick(lambda a, b: a < b, args)


def max_mask(out: Any, *args: Any) -> list[Any]:
    return POINT.max_mask(real(out), *[real(a) for a in args])


min_mask = max_mask


class DualTensorMath:
    """The namespace of the array rules over ``DualArray`` values, at one point."""

    batched = True
    masks_zero_gradients = False
    ONE = 1.0
    rows = False
    keep_rows = True

    exp = staticmethod(_unary("exp", POINT.exp))
    log = staticmethod(_unary("ln", POINT.log))
    log2 = staticmethod(_unary("log2", POINT.log2))
    log10 = staticmethod(_unary("log10", POINT.log10))
    sqrt = staticmethod(_unary("sqrt", POINT.sqrt))
    sin = staticmethod(_unary("sin", POINT.sin))
    cos = staticmethod(_unary("cos", POINT.cos))
    tan = staticmethod(_unary("tan", POINT.tan))
    asin = staticmethod(_unary("asin", POINT.asin))
    acos = staticmethod(_unary("acos", POINT.acos))
    atan = staticmethod(_unary("atan", POINT.atan))
    sinh = staticmethod(_unary("sinh", POINT.sinh))
    cosh = staticmethod(_unary("cosh", POINT.cosh))
    tanh = staticmethod(_unary("tanh", POINT.tanh))
    sigmoid = staticmethod(_unary("sigmoid", POINT.sigmoid))
    softplus = staticmethod(_unary("softplus", POINT.softplus))
    relu = staticmethod(_unary("relu", POINT.relu))
    fabs = staticmethod(_unary("abs", POINT.fabs))
    sign = staticmethod(_constant(POINT.sign))
    step = staticmethod(_constant(POINT.step))
    divide = staticmethod(divide)
    power = staticmethod(power)
    where = staticmethod(where)
    maximum = staticmethod(maximum)
    minimum = staticmethod(minimum)
    max_mask = staticmethod(max_mask)
    min_mask = staticmethod(min_mask)

    def __repr__(self) -> str:
        return "DualTensorMath()"

    @staticmethod
    def isfinite(v: Any) -> Any:
        return POINT.isfinite(real(v))

    # -- shapes: of the real part ----------------------------------------------------
    @staticmethod
    def ndim(v: Any) -> int:
        return POINT.ndim(real(v))

    @staticmethod
    def size(v: Any) -> int:
        return POINT.size(real(v))

    lift = staticmethod(_both(POINT.lift))
    drop = staticmethod(_both(POINT.drop))
    mT = staticmethod(_both(POINT.mT))
    transpose = staticmethod(_both(POINT.transpose))
    sum = staticmethod(_both(POINT.sum))
    last_axis_sum = staticmethod(_both(POINT.last_axis_sum))
    squeeze_last = staticmethod(_both(POINT.squeeze_last))

    @staticmethod
    def unstack(g: Any, k: int) -> DualArray:
        d = lift(g)
        return DualArray(POINT.unstack(d.re, k), POINT.unstack(d.du, k))

    @staticmethod
    def take(subscripts: Any, v: Any) -> DualArray:
        d = lift(v)
        return DualArray(POINT.take(subscripts, d.re), POINT.take(subscripts, d.du))

    @staticmethod
    def put(subscripts: Any, g: Any, like: Any) -> DualArray:
        d, shape = lift(g), real(like)
        return DualArray(POINT.put(subscripts, d.re, shape), POINT.put(subscripts, d.du, shape))

    @staticmethod
    def stack(*elements: Any) -> DualArray:
        duals = [lift(e) for e in elements]
        return DualArray(POINT.stack(*[d.re for d in duals]),
                         POINT.stack(*[d.du for d in duals]))

    @staticmethod
    def spread(g: Any, like: Any) -> DualArray:
        d, shape = lift(g), real(like)
        return DualArray(POINT.spread(d.re, shape), POINT.spread(d.du, shape))

    @staticmethod
    def unbroadcast(g: Any, like: Any) -> DualArray:
        d, shape = lift(g), real(like)
        return DualArray(POINT.unbroadcast(d.re, shape), POINT.unbroadcast(d.du, shape))

    @staticmethod
    def matmul(a: Any, b: Any) -> DualArray:
        a, b = lift(a), lift(b)
        return DualArray(POINT.matmul(a.re, b.re),
                         POINT.matmul(a.re, b.du) + POINT.matmul(a.du, b.re))

    @staticmethod
    def matmul_to(a: Any, b: Any, like: Any) -> DualArray:
        return DualTensorMath.matmul(a, b)

    # -- reductions: their ε part through the functions above ------------------------
    @staticmethod
    def first_of(v: Any, out: Any) -> Any:
        return POINT.first_of(real(v), real(out))

    @staticmethod
    def amax(v: Any) -> DualArray:
        d = lift(v)
        out = POINT.amax(d.re)
        return DualArray(out, POINT.sum(POINT.first_of(d.re, out) * d.du))

    @staticmethod
    def amin(v: Any) -> DualArray:
        d = lift(v)
        out = POINT.amin(d.re)
        return DualArray(out, POINT.sum(POINT.first_of(d.re, out) * d.du))

    @staticmethod
    def last_axis_max(z: Any) -> DualArray:
        """The shift of a logsumexp: a constant (the result does not depend on it)."""
        return DualArray(POINT.last_axis_max(real(z)))

    @classmethod
    def logsumexp_last(cls, z: Any) -> DualArray:
        top = cls.last_axis_max(z)
        top = DualArray(np.where(np.isfinite(top.re), top.re, 0.0))
        return cls.log(cls.last_axis_sum(cls.exp(lift(z) - top))) + top

    @classmethod
    def norm(cls, v: Any) -> DualArray:
        d = lift(v)
        return cls.sqrt(cls.sum(d * d))


DUAL_POINT = DualTensorMath()
