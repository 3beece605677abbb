"""The array namespace for many points at once: NumPy, IEEE results, no warnings.

The same rules of ``ops.py`` run here over arrays of points (one element per row), so
the batch path has no maths of its own. Callers run under ``numpy.errstate(all="ignore")``:
a non-finite result is found afterwards and named, row and node.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import scalar_math

batched = True  # the engine: gradients are arrays, never skipped for being zero

exp = np.exp
log = np.log
log2 = np.log2
log10 = np.log10
log1p = np.log1p
sqrt = np.sqrt
sin = np.sin
cos = np.cos
tan = np.tan
asin = np.arcsin
acos = np.arccos
atan = np.arctan
sinh = np.sinh
cosh = np.cosh
tanh = np.tanh
fabs = np.abs
sign = np.sign
divide = np.divide
isfinite = np.isfinite


def power(a: Any, b: Any) -> Any:
    """Row by row as the pass at one point takes it (C's ``pow``)."""
    if a.__class__ is not np.ndarray and b.__class__ is not np.ndarray:
        return scalar_math.power(float(a), float(b))
    if b.__class__ is not np.ndarray and b == 0.5:
        # NumPy takes the square root for a lone exponent of 1/2, fast, but gives -0 at -0
        # and NaN at -inf, where pow gives +0 and +inf
        result = np.sqrt(a)
        result += 0.0
        result[a == -np.inf] = np.inf
        return result
    return np.power(a, b)


def where(condition: Any, if_true: Any, if_false: Any) -> Any:
    return np.where(condition, if_true, if_false)


def sigmoid(x: Any) -> Any:
    # 1/(1+e^-x) is accurate everywhere; where e^-x overflows (x < -709) it gives 0, the
    # true value rounded (below the smallest normal double) - and one division, not two.
    if x.__class__ is not np.ndarray:
        return 1.0 / (1.0 + np.exp(-x))
    result = np.negative(x)  # one new array, the other three steps in place
    np.exp(result, out=result)
    result += 1.0
    np.reciprocal(result, out=result)
    return result


def softplus(x: Any) -> Any:
    return np.logaddexp(0.0, x)


def relu(x: Any) -> Any:
    return np.where((x > 0) | (x != x), x, 0.0)  # NaN stays NaN, -inf gives 0


def step(x: Any) -> Any:
    return np.where(x > 0, 1.0, 0.0)


def maximum(*args: Any) -> Any:
    """Row by row as Python's ``max``, which the pass at one point uses: the first of
    tied arguments wins (``max(0.0, -0.0)`` is 0.0), and NaN only when it comes first."""
    if not any(a.__class__ is np.ndarray for a in args):
        return max(args)
    result = args[0]
    for a in args[1:]:
        result = np.where(a > result, a, result)
    return result


def minimum(*args: Any) -> Any:
    """Row by row as Python's ``min`` (see ``maximum``)."""
    if not any(a.__class__ is np.ndarray for a in args):
        return min(args)
    result = args[0]
    for a in args[1:]:
        result = np.where(a < result, a, result)
    return result


def max_mask(out: Any, *args: Any) -> list[Any]:
    """Per row: 1 for the first argument equal to ``out``, 0 for the others."""
    taken = np.zeros(np.shape(out), dtype=bool)
    masks = []
    for a in args:
        hit = (a == out) & ~taken
        taken = taken | hit
        masks.append(hit.astype(float))
    return masks


min_mask = max_mask
