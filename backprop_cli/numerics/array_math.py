"""The array namespace for many points at once: NumPy, IEEE results, no warnings.

The same rules of ``ops.py`` run here over arrays of points (one element per row), so
the batch path has no maths of its own. Callers run under ``numpy.errstate(all="ignore")``:
a non-finite result is found afterwards and named, row and node.

Every row gets what the pass at one point (``scalar_math``) gives, edge cases included:
where NumPy's own answer differs (``max(0.0, -0.0)``, ``relu(nan)``, ``(-0.0) ^ 0.5``,
the logistic function's subnormal tail) the functions here follow ``scalar_math``. A call
with no array among its arguments (a gate over constants and fixed inputs only) is handed
to ``scalar_math`` itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..core import scalar_math

# The flags of the number-system contract (core/namespace.py).
batched = True  # the engine: gradients are arrays, never skipped for being zero
masks_zero_gradients = False
ONE = 1.0


def _power(a: Any, b: Any) -> Any:
    if b.__class__ is not np.ndarray and b == 0.5:
        # NumPy takes the square root for a lone exponent of 1/2, fast, but gives -0 at -0
        # and NaN at -inf, where pow gives +0 and +inf
        result = np.sqrt(a)
        result += 0.0
        result[a == -np.inf] = np.inf
        return result
    return np.power(a, b)


_TAIL = -700.0  # below this, exp(-x) overflows or nearly: the value is e^x, subnormal


def _sigmoid(x: Any) -> Any:
    result = np.negative(x)  # one new array, the other three steps in place
    np.exp(result, out=result)
    result += 1.0
    np.reciprocal(result, out=result)  # 1/(1 + e^-x): one division, accurate above the tail
    # rare: e^x / (1 + e^x), as at one point, not 1/inf = 0 (any shape: over every axis)
    if np.fmin.reduce(x, axis=None) < _TAIL:
        tail = x < _TAIL
        z = np.exp(x[tail])
        result[tail] = z / (1.0 + z)
    return result


def _relu(x: Any) -> Any:
    return np.where((x > 0) | (x != x), x, 0.0)  # NaN stays NaN, -inf gives 0


def _step(x: Any) -> Any:
    return (x > 0).astype(float)  # NaN > 0 is False: 0, as at one point; one pass, no where


def _maximum(*args: Any) -> Any:
    # as Python's max, which the pass at one point uses: the first of tied arguments
    # wins (max(0.0, -0.0) is 0.0), and NaN only when it comes first
    result = args[0]
    for a in args[1:]:
        result = np.where(a > result, a, result)
    return result


def _minimum(*args: Any) -> Any:
    result = args[0]
    for a in args[1:]:
        result = np.where(a < result, a, result)
    return result


def _first_match(out: Any, *args: Any) -> list[Any]:
    """Per row: 1 for the first argument equal to ``out``, 0 for the others."""
    taken = np.zeros(np.shape(out), dtype=bool)
    masks = []
    for a in args:
        hit = (a == out) & ~taken
        taken = taken | hit
        masks.append(hit.astype(float))
    return masks


def _softplus(x: Any) -> Any:
    return np.logaddexp(0.0, x)


def _rows_or_point(rows: Callable[..., Any], point: Callable[..., Any]) -> Callable[..., Any]:
    """``rows`` when some argument is an array of rows, else the one-point function."""

    def either(*args: Any) -> Any:
        for a in args:
            if a.__class__ is np.ndarray and a.ndim:
                return rows(*args)
        return point(*args)

    either.__name__ = getattr(point, "__name__", "function")
    either.__wrapped__ = point  # type: ignore[attr-defined]  # its signature: the point's
    return either


exp = _rows_or_point(np.exp, scalar_math.exp)
log = _rows_or_point(np.log, scalar_math.log)
log2 = _rows_or_point(np.log2, scalar_math.log2)
log10 = _rows_or_point(np.log10, scalar_math.log10)
log1p = _rows_or_point(np.log1p, scalar_math.log1p)
sqrt = _rows_or_point(np.sqrt, scalar_math.sqrt)
sin = _rows_or_point(np.sin, scalar_math.sin)
cos = _rows_or_point(np.cos, scalar_math.cos)
tan = _rows_or_point(np.tan, scalar_math.tan)
asin = _rows_or_point(np.arcsin, scalar_math.asin)
acos = _rows_or_point(np.arccos, scalar_math.acos)
atan = _rows_or_point(np.arctan, scalar_math.atan)
sinh = _rows_or_point(np.sinh, scalar_math.sinh)
cosh = _rows_or_point(np.cosh, scalar_math.cosh)
tanh = _rows_or_point(np.tanh, scalar_math.tanh)
fabs = _rows_or_point(np.abs, scalar_math.fabs)
sign = _rows_or_point(np.sign, scalar_math.sign)
divide = _rows_or_point(np.divide, scalar_math.divide)
isfinite = _rows_or_point(np.isfinite, scalar_math.isfinite)
power = _rows_or_point(_power, scalar_math.power)
where = _rows_or_point(np.where, scalar_math.where)
sigmoid = _rows_or_point(_sigmoid, scalar_math.sigmoid)
softplus = _rows_or_point(_softplus, scalar_math.softplus)
relu = _rows_or_point(_relu, scalar_math.relu)
step = _rows_or_point(_step, scalar_math.step)
maximum = _rows_or_point(_maximum, scalar_math.maximum)
minimum = _rows_or_point(_minimum, scalar_math.minimum)
max_mask = _rows_or_point(_first_match, scalar_math.max_mask)
min_mask = _rows_or_point(_first_match, scalar_math.min_mask)
