"""Exact rational arrays, for ``--exact`` on programs with vectors and matrices.

NumPy object arrays of ``exact_math.Rational``: ``+ - *`` and ``@``, ``sum`` and the
reductions run as NumPy does them, each element's arithmetic the bounded rationals' own
(``exact_math.bounded``). This is ``TensorMath`` at one point with every place that
would make a float (a zero array, a literal, a 0-d result, the elementwise functions)
made rational instead. The functions with no rational value refuse, as
``exact_math.check_program`` does before evaluation.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

import numpy as np

from . import exact_math
from .tensor_math import TensorMath


def exact(v: Any) -> Any:
    """A number or an array as rationals (a float becomes the decimal it prints as)."""
    if isinstance(v, np.ndarray):
        if v.dtype == object and all(isinstance(x, exact_math.Rational) for x in v.flat):
            return v
        out = np.empty(v.shape, dtype=object)
        for idx, x in np.ndenumerate(v):
            out[idx] = _rational(x)
        return out
    return _rational(v)


def _rational(x: Any) -> Any:
    if isinstance(x, np.ndarray) and not x.ndim:
        x = x.item()
    if isinstance(x, np.floating):
        x = float(x)
    elif isinstance(x, np.integer | np.bool_):
        x = int(x)
    return exact_math.lift(x)


def _elementwise(fn: Any, nargs: int) -> Any:
    ufunc = np.frompyfunc(fn, nargs, 1)

    def apply(*args: Any) -> Any:
        if all(not isinstance(a, np.ndarray) for a in args):
            return fn(*args)
        return exact(ufunc(*[exact(a) for a in args]))

    apply.__name__ = getattr(fn, "__name__", "elementwise")
    return apply


_ONES: Any = np.array(exact_math.ONE, dtype=object)
_ZEROS: Any = np.array(exact_math.ZERO, dtype=object)


class ExactTensor(TensorMath):
    """The number system of ``--exact`` for array programs (one point)."""

    ONE: Any = exact_math.ONE

    fabs = staticmethod(_elementwise(exact_math.fabs, 1))
    relu = staticmethod(_elementwise(exact_math.relu, 1))
    sign = staticmethod(_elementwise(exact_math.sign, 1))
    step = staticmethod(_elementwise(exact_math.step, 1))
    divide = staticmethod(_elementwise(exact_math.divide, 2))
    power = staticmethod(_elementwise(exact_math.power, 2))
    exp = staticmethod(exact_math.exp)
    log = staticmethod(exact_math.log)
    log2 = staticmethod(exact_math.log2)
    log10 = staticmethod(exact_math.log10)
    sqrt = staticmethod(exact_math.sqrt)
    sin = staticmethod(exact_math.sin)
    cos = staticmethod(exact_math.cos)
    tan = staticmethod(exact_math.tan)
    asin = staticmethod(exact_math.asin)
    acos = staticmethod(exact_math.acos)
    atan = staticmethod(exact_math.atan)
    sinh = staticmethod(exact_math.sinh)
    cosh = staticmethod(exact_math.cosh)
    tanh = staticmethod(exact_math.tanh)
    sigmoid = staticmethod(exact_math.sigmoid)
    softplus = staticmethod(exact_math.softplus)

    def __init__(self) -> None:
        super().__init__(rows=False)

    def __repr__(self) -> str:
        return "ExactTensor()"

    @staticmethod
    def where(condition: Any, if_true: Any, if_false: Any) -> Any:
        if condition.__class__ is np.ndarray:
            return exact(np.where(condition, exact(if_true), exact(if_false)))
        return exact(if_true if condition else if_false)

    @staticmethod
    def maximum(*args: Any) -> Any:
        return _elementwise(exact_math.maximum, len(args))(*args)

    @staticmethod
    def minimum(*args: Any) -> Any:
        return _elementwise(exact_math.minimum, len(args))(*args)

    @staticmethod
    def max_mask(out: Any, *args: Any) -> list[Any]:
        """1 where an argument is the first equal to the result, element by element."""
        if all(not isinstance(a, np.ndarray) for a in (out, *args)):
            return exact_math.max_mask(out, *args)
        arrays = np.broadcast_arrays(*[exact(a) for a in args])
        taken = np.zeros(np.shape(arrays[0]), dtype=bool)
        masks = []
        for a in arrays:
            hit = (a == out) & ~taken
            taken |= hit
            masks.append(exact(np.where(hit, _ONES, _ZEROS)))
        return masks

    min_mask = max_mask

    @staticmethod
    def isfinite(v: Any) -> Any:
        return True

    def _array(self, v: Any) -> Any:
        if isinstance(v, np.ndarray):
            return v
        return np.array(exact(v), dtype=object)

    def _scalar(self, v: Any) -> Any:
        if isinstance(v, np.ndarray) and v.ndim == 0:
            return exact(v.item())
        return exact(v) if isinstance(v, Fraction | float | int) else v

    def stack(self, *elements: Any) -> Any:
        parts = [self._array(exact(e)) for e in elements]
        return exact(np.stack(parts))

    def put(self, subscripts: tuple[int | slice, ...], g: Any, like: Any) -> Any:
        result = np.full(np.shape(like), exact_math.ZERO, dtype=object)
        result[subscripts] = exact(g)
        return result

    def first_of(self, v: Any, out: Any) -> Any:
        flat = np.ravel(v)
        mask = np.full(flat.shape, exact_math.ZERO, dtype=object)
        hits = np.flatnonzero(flat == out)
        if hits.size:
            mask[hits[0]] = exact_math.ONE
        return mask.reshape(np.shape(v))

    def sum(self, v: Any) -> Any:
        if v.__class__ is not np.ndarray:
            return v
        return self._scalar(np.sum(v, initial=_ZEROS))

    def spread(self, g: Any, like: Any) -> Any:
        shape = np.shape(like)
        return np.full(shape, exact(g), dtype=object) if shape else exact(g)

    def matmul(self, a: Any, b: Any) -> Any:
        return exact(np.matmul(exact(a), exact(b)))

    def unbroadcast(self, g: Any, like: Any) -> Any:
        """As ``TensorMath.unbroadcast`` at one point, in rationals."""
        g = exact(g)
        target = np.shape(like)
        if g.__class__ is not np.ndarray:
            return g if not target else np.full(target, g, dtype=object)
        if g.shape == target:
            return g
        extra = g.ndim - len(target)
        if extra < 0:
            return np.broadcast_to(g, target).copy()
        axes = tuple(range(extra)) + tuple(
            extra + k for k, n in enumerate(target) if n == 1 and g.shape[extra + k] != 1)
        summed = np.sum(g, axis=axes, keepdims=True) if axes else g
        summed = np.asarray(summed, dtype=object).reshape(target)
        return exact(summed.item()) if not target else exact(summed)


def to_floats(v: Any) -> Any:
    """The nearest doubles of a rational or an array of them."""
    if isinstance(v, np.ndarray):
        out = np.empty(v.shape)
        for idx, x in np.ndenumerate(v):
            out[idx] = exact_math.to_float(_rational(x))
        return out
    return exact_math.to_float(_rational(v))


def texts(v: Any) -> Any:
    """``"1/3"``, or nested lists of such strings for an array (its JSON)."""
    if isinstance(v, np.ndarray):
        return np.vectorize(str, otypes=[object])(v).tolist() if v.size else v.tolist()
    return str(v)


class ExactArray(np.ndarray):
    """An array of rationals that prints as nested lists of fractions: ``[1/3, 2]``."""

    def __str__(self) -> str:
        return _nested(texts(np.asarray(self)))

    __repr__ = __str__


def _nested(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_nested(v) for v in value) + "]"
    return str(value)


def shown(v: Any) -> Any:
    """A value as ``Result.exact`` keeps it: a Rational, or an ``ExactArray``."""
    if isinstance(v, np.ndarray):
        return exact(v).view(ExactArray)
    return _rational(v)


POINT = ExactTensor()
