"""The array namespace for programs with vectors and matrices: NumPy, IEEE results.

A value is a float (a scalar) or an ndarray of the node's shape. Over many points at once
(``rows=True``) every value also has a batch axis, the LAST one: a value per row has
``shape + (rows,)``, a value shared by all rows ``shape + (1,)`` (a shared scalar stays a
float). With the batch axis last, NumPy's broadcasting of the elementwise ops is already
right (sizes align from the end) and indexing ``w[0]`` picks the same element of every
row, so the table's elementwise rules run unchanged; only the tensor ops (``matmul``,
``transpose``, the reductions) move the batch axis out of the way. This is what JAX's
``vmap`` does with a batch dimension per value.

The gradient of a value that broadcast is summed back to its shape (``unbroadcast``).
Over rows, ``keep_rows`` keeps a shared input's gradient per row (``eval --at`` shows
every row's gradient); without it the rows are summed (training, where a parameter's
gradient is the sum over the examples).

The elementwise functions are ``array_math``'s, which hand a call on plain floats to
``scalar_math``: a program on scalars taken out of arrays (``w[0]*x[0]``) gives the same
bits as the same program written with scalars.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import array_math


def _relu(x: np.ndarray) -> np.ndarray:
    """``array_math.relu`` in two passes instead of four: NaN stays NaN (``maximum``
    propagates it), -inf and -0 give +0 (``-0 + 0`` is ``+0``)."""
    result = np.maximum(x, 0.0)
    result += 0.0
    return result


class TensorMath:
    """The number system of array programs, at one point or over rows."""

    batched = True  # gradients are arrays: the engine never compares them with 0
    masks_zero_gradients = False
    ONE = 1.0

    # elementwise: the batch path's functions (floats go to the one-point functions)
    exp = staticmethod(array_math.exp)
    log = staticmethod(array_math.log)
    log2 = staticmethod(array_math.log2)
    log10 = staticmethod(array_math.log10)
    sqrt = staticmethod(array_math.sqrt)
    fabs = staticmethod(array_math.fabs)
    sin = staticmethod(array_math.sin)
    cos = staticmethod(array_math.cos)
    tan = staticmethod(array_math.tan)
    asin = staticmethod(array_math.asin)
    acos = staticmethod(array_math.acos)
    atan = staticmethod(array_math.atan)
    sinh = staticmethod(array_math.sinh)
    cosh = staticmethod(array_math.cosh)
    tanh = staticmethod(array_math.tanh)
    sigmoid = staticmethod(array_math.sigmoid)
    softplus = staticmethod(array_math.softplus)
    relu = staticmethod(lambda x: _relu(x) if x.__class__ is np.ndarray and x.ndim
                        else array_math.relu(x))
    sign = staticmethod(array_math.sign)
    step = staticmethod(array_math.step)
    divide = staticmethod(array_math.divide)
    power = staticmethod(array_math.power)
    where = staticmethod(array_math.where)
    maximum = staticmethod(array_math.maximum)
    minimum = staticmethod(array_math.minimum)
    max_mask = staticmethod(array_math.max_mask)
    min_mask = staticmethod(array_math.min_mask)
    isfinite = staticmethod(array_math.isfinite)

    def __init__(self, rows: bool = False, keep_rows: bool = True) -> None:
        self.rows = rows
        self.keep_rows = keep_rows
        self._b = 1 if rows else 0  # batch axes at the end of every array value

    def __repr__(self) -> str:
        return f"TensorMath(rows={self.rows}, keep_rows={self.keep_rows})"

    # -- shapes ---------------------------------------------------------------------------
    def ndim(self, v: Any) -> int:
        """The logical number of axes (a vector 1, a matrix 2), without the batch axis."""
        if v.__class__ is not np.ndarray:
            return 0
        return max(v.ndim - self._b, 0)

    def lift(self, v: Any, axis: int) -> Any:
        """Insert a logical axis of size 1 at ``axis`` (negative, from the end)."""
        v = self._array(v)
        shape = v.shape
        at = len(shape) + 1 + axis - self._b if axis < 0 else axis
        return v.reshape((*shape[:at], 1, *shape[at:]))  # a view, as expand_dims gives

    def drop(self, v: Any, axis: int) -> Any:
        """Remove the logical axis ``axis`` (negative, from the end), of size 1."""
        shape = v.shape
        at = len(shape) + axis - self._b if axis < 0 else axis
        if shape[at] != 1:
            raise ValueError("cannot drop an axis whose size is not 1")
        return self._scalar(v.reshape((*shape[:at], *shape[at + 1:])))

    def _array(self, v: Any) -> Any:
        if v.__class__ is np.ndarray:
            return v
        return np.full((1,) * self._b, v) if self._b else np.asarray(v, dtype=float)

    def _scalar(self, v: Any) -> Any:
        """A value of logical shape () as a float at one point (bit-equal to scalars)."""
        if not self._b and ((v.__class__ is np.ndarray and v.ndim == 0)
                            or isinstance(v, np.generic)):
            return float(v)
        return v

    def _front(self, v: Any) -> Any:
        """The batch axis moved to the front, for NumPy's stacked matrix routines."""
        return np.moveaxis(v, -1, 0) if self._b else v

    def _back(self, v: Any) -> Any:
        return np.moveaxis(v, 0, -1) if self._b else v

    # -- tensor ops -----------------------------------------------------------------------
    def stack(self, *elements: Any) -> Any:
        if self._b:
            arrays = [self._array(e) for e in elements]
            return np.stack(np.broadcast_arrays(*arrays), axis=0)
        return np.array(elements, dtype=float) if all(
            e.__class__ is float for e in elements) else np.stack(
            [np.asarray(e, dtype=float) for e in elements])

    def unstack(self, g: Any, k: int) -> Any:
        """Element ``k`` of the first logical axis: the gradient of a stacked element."""
        return self._scalar(self._array(g)[k])

    def take(self, subscripts: tuple[int | slice, ...], v: Any) -> Any:
        return self._scalar(v[subscripts])

    def put(self, subscripts: tuple[int | slice, ...], g: Any, like: Any) -> Any:
        """Zeros shaped like ``like`` (rows as in ``g``), with ``g`` at ``subscripts``."""
        shape = like.shape
        if self._b:
            rows = np.shape(g)[-1] if np.ndim(g) else 1
            shape = (*shape[:-1], max(rows, 1))
        result = np.zeros(shape)
        result[subscripts] = g
        return result

    def matmul(self, a: Any, b: Any) -> Any:
        """``a @ b`` of two logical matrices (vectors are lifted by the rules)."""
        if np.shape(a)[-1 - self._b] == 1:  # an outer product: no sums, one broadcast
            return a * b
        if not self._b:
            return np.matmul(a, b)
        if a.ndim == 3 and b.ndim == 3:
            m, k, ra = a.shape
            n, rb = b.shape[1:]
            if ra == 1:  # a shared matrix times each row's: one product, no moved axes
                return (a.reshape(m, k) @ b.reshape(k, n * rb)).reshape(m, n, rb)
            if rb == 1 and n == 1:  # each row's matrix times a shared column
                return (b.reshape(1, k) @ a.transpose(1, 0, 2).reshape(k, m * ra)
                        ).reshape(m, 1, ra)
            if rb == 1 and ra > 1:  # each row's matrix times a shared matrix
                return np.einsum("mkr,kn->mnr", a, b[..., 0])
        return self._back(np.matmul(self._front(a), self._front(b)))

    def matmul_to(self, a: Any, b: Any, like: Any) -> Any:
        """``a @ b`` for a gradient: over rows, summed over them where ``like`` is shared
        and rows are not kept (one contraction, not a product per row then a sum)."""
        if (self._b and not self.keep_rows and np.shape(like)[-1:] == (1,)
                and (np.shape(a)[-1] > 1 or np.shape(b)[-1] > 1)):
            rows = max(np.shape(a)[-1], np.shape(b)[-1])
            if a.ndim == 3 and b.ndim == 3 and a.shape[-1] == b.shape[-1] == rows:
                m, k = a.shape[:2]
                n = b.shape[1]
                if k == 1:  # an outer product per row, summed: one product over the rows
                    return (a.reshape(m, rows) @ b.reshape(n, rows).T).reshape(m, n, 1)
                # sum over k and the rows: one product over (k, rows) together
                return (a.reshape(m, k * rows) @ b.transpose(0, 2, 1).reshape(k * rows, n)
                        ).reshape(m, n, 1)
            a = np.broadcast_to(a, (*np.shape(a)[:-1], rows))
            b = np.broadcast_to(b, (*np.shape(b)[:-1], rows))
            return np.einsum("mkr,knr->mn", a, b, optimize=True)[..., None]
        return self.matmul(a, b)

    def mT(self, a: Any) -> Any:
        """Swap the last two logical axes."""
        return np.swapaxes(a, -1 - self._b, -2 - self._b)

    def transpose(self, a: Any) -> Any:
        """Reverse the logical axes (a vector stays as it is)."""
        n = self.ndim(a)
        if n < 2:
            return a
        axes = tuple(range(n))[::-1] + tuple(range(n, n + self._b))
        return np.transpose(a, axes)

    def _logical_axes(self, v: Any) -> tuple[int, ...]:
        return tuple(range(self.ndim(v)))

    def sum(self, v: Any) -> Any:
        if v.__class__ is not np.ndarray:
            return v
        return self._scalar(v.sum(axis=self._logical_axes(v)))  # the method: less overhead

    def size(self, v: Any) -> int:
        n = 1
        for k in np.shape(v)[: self.ndim(v)]:
            n *= k
        return n

    def spread(self, g: Any, like: Any) -> Any:
        """A per-element copy of ``g`` (a scalar per row) in the shape of ``like``."""
        if not self._b:
            return np.broadcast_to(g, np.shape(like)).copy()
        g = self._array(g)
        shape = (*np.shape(like)[:-1], max(np.shape(like)[-1], g.shape[-1]))
        return np.broadcast_to(g, shape).copy()

    def amax(self, v: Any) -> Any:
        return self._scalar(np.max(v, axis=self._logical_axes(v)))

    def amin(self, v: Any) -> Any:
        return self._scalar(np.min(v, axis=self._logical_axes(v)))

    def first_of(self, v: Any, out: Any) -> Any:
        """1 at the first element equal to ``out`` (row by row), 0 elsewhere."""
        n = self.ndim(v)
        if not self._b:
            flat = np.ravel(v)
            mask = np.zeros(flat.shape)
            hits = np.flatnonzero(flat == out)
            if hits.size:
                mask[hits[0]] = 1.0
            return mask.reshape(np.shape(v))
        rows = np.broadcast_to(self._array(out), (np.shape(v)[-1],))
        flat = np.reshape(v, (-1, np.shape(v)[-1]))
        hit = flat == rows
        first = np.argmax(hit, axis=0)
        mask = np.zeros(flat.shape)
        mask[first, np.arange(flat.shape[1])] = hit[first, np.arange(flat.shape[1])]
        return mask.reshape((*np.shape(v)[:n], flat.shape[1]))

    def last_axis_max(self, z: Any) -> Any:
        """The largest element along the last logical axis, kept as an axis of 1."""
        return np.max(z, axis=-1 - self._b, keepdims=True)

    def last_axis_sum(self, z: Any) -> Any:
        return np.sum(z, axis=-1 - self._b, keepdims=True)

    def logsumexp_last(self, z: Any) -> Any:
        """log(sum(exp(z))) along the last logical axis, kept, shifted by the maximum."""
        top = self.last_axis_max(z)
        top = np.where(np.isfinite(top), top, 0.0)
        return np.log(np.sum(np.exp(z - top), axis=-1 - self._b, keepdims=True)) + top

    def squeeze_last(self, v: Any) -> Any:
        return self._scalar(np.squeeze(v, axis=-1 - self._b))

    def norm(self, v: Any) -> Any:
        return self._scalar(np.sqrt(np.sum(v * v, axis=self._logical_axes(v))))

    # -- gradients of broadcast values ----------------------------------------------------
    def unbroadcast(self, g: Any, like: Any) -> Any:
        """``g`` summed over the axes that ``like`` was broadcast along, to its shape.

        Over rows with ``keep_rows``, the batch axis stays as ``g`` has it (a shared
        input's gradient per row); otherwise a shared value's rows are summed too.
        """
        target = np.shape(like)
        if g.__class__ is not np.ndarray:
            if not target or not self._b:
                return g if not target else np.full(target, g)
            return g
        if self._b and self.keep_rows:
            rows = g.shape[-1] if g.ndim else 1
            if target:
                target = (*target[:-1], rows)
            elif like.__class__ is not np.ndarray:
                target = (rows,) if g.ndim else ()
        if g.shape == target:
            return g
        extra = g.ndim - len(target)
        if extra < 0:
            return np.broadcast_to(g, target).copy()
        axes = tuple(range(extra)) + tuple(
            extra + k for k, n in enumerate(target) if n == 1 and g.shape[extra + k] != 1)
        summed = np.sum(g, axis=axes, keepdims=True) if axes else g
        summed = summed.reshape(target) if target or summed.ndim else summed
        if not target:
            return float(summed)
        return summed


POINT = TensorMath(rows=False)
