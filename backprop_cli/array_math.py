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

from . import scalar_math

batched = True  # the engine: gradients are arrays, never skipped for being zero


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
    if np.fmin.reduce(x) < _TAIL:  # rare: e^x / (1 + e^x), as at one point, not 1/inf = 0
        tail = x < _TAIL
        z = np.exp(x[tail])
        result[tail] = z / (1.0 + z)
    return result


def _relu(x: Any) -> Any:
    return np.where((x > 0) | (x != x), x, 0.0)  # NaN stays NaN, -inf gives 0


def _sign(x: Any) -> Any:
    return np.sign(x)  # NaN stays NaN, as at one point


def _step(x: Any) -> Any:
    return np.where(x > 0, 1.0, 0.0)


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


def _rows_or_point(rows: Callable[..., Any], point: Callable[..., Any]) -> Callable[..., Any]:
    """``rows`` when some argument is an array of rows, else the one-point function."""

    def either(*args: Any) -> Any:
        for a in args:
            if a.__class__ is np.ndarray and a.ndim:
                return rows(*args)
        return point(*args)

    either.__name__ = getattr(point, "__name__", "function")
    return either


def _softplus(x: Any) -> Any:
    return np.logaddexp(0.0, x)


# name in the namespace -> its form over arrays of rows; each is exported under its name,
# falling back to scalar_math's function of the same name for plain numbers
_ROWS: dict[str, Callable[..., Any]] = {
    "exp": np.exp, "log": np.log, "log2": np.log2, "log10": np.log10, "log1p": np.log1p,
    "sqrt": np.sqrt, "sin": np.sin, "cos": np.cos, "tan": np.tan, "asin": np.arcsin,
    "acos": np.arccos, "atan": np.arctan, "sinh": np.sinh, "cosh": np.cosh, "tanh": np.tanh,
    "fabs": np.abs, "sign": _sign, "divide": np.divide, "isfinite": np.isfinite,
    "power": _power, "where": np.where, "sigmoid": _sigmoid, "softplus": _softplus,
    "relu": _relu, "step": _step, "maximum": _maximum, "minimum": _minimum,
    "max_mask": _first_match, "min_mask": _first_match,
}

for _name, _rows in _ROWS.items():
    globals()[_name] = _rows_or_point(_rows, getattr(scalar_math, _name))
