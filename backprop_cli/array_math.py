"""The array namespace for many points at once: NumPy, IEEE results, no warnings.

The same rules of ``ops.py`` run here over arrays of points (one element per row), so
the batch path has no maths of its own. Callers run under ``numpy.errstate(all="ignore")``:
a non-finite result is found afterwards and named, row and node.
"""

from __future__ import annotations

from typing import Any

import numpy as np

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
power = np.power
isfinite = np.isfinite


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
    return np.where(x > 0, x, 0.0 * x)


def step(x: Any) -> Any:
    return np.where(x > 0, 1.0, 0.0)


def maximum(*args: Any) -> Any:
    result = args[0]
    for a in args[1:]:
        result = np.maximum(result, a)
    return result


def minimum(*args: Any) -> Any:
    result = args[0]
    for a in args[1:]:
        result = np.minimum(result, a)
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
