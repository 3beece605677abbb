"""Arrays as flat row-major storage, for the JavaScript and C targets: what is known of
each primitive's indexing at generation time (every shape is static).

An elementwise statement over an array is a loop over the target's elements; an operand
that broadcasts is read through strides of 0 on the axes it lacks. Indexing, ``mT``,
``transpose`` and ``unstack`` are strided gathers (an offset, the result's shape, a stride
per axis); ``put`` and ``unbroadcast`` (a sum over broadcast axes) are strided scatters
that add into zeros. A view (``lift``, ``drop``) is the same storage with another shape.
"""

from __future__ import annotations

import math

from .expr import CONST, REF, Expr
from .tensor import PRIM, VIEWS, Shape


def strides(shape: Shape) -> tuple[int, ...]:
    out = []
    step = 1
    for size in reversed(shape):
        out.append(step)
        step *= size
    return tuple(reversed(out))


def size(shape: Shape) -> int:
    return math.prod(shape)


def broadcast_strides(own: Shape, out: Shape) -> tuple[int, ...]:
    """The stride in ``own``'s storage of each axis of ``out`` (0 where it broadcasts)."""
    padded = (1,) * (len(out) - len(own)) + tuple(own)
    steps = (0,) * (len(out) - len(own)) + strides(own)
    return tuple(0 if p == 1 else s for p, s in zip(padded, steps))


def take_plan(subscripts: tuple[int | slice, ...], shape: Shape
              ) -> tuple[int, Shape, tuple[int, ...]]:
    """(offset, shape, strides) of ``a[subscripts]`` in ``a``'s storage."""
    steps = strides(shape)
    offset = 0
    out_shape: list[int] = []
    out_strides: list[int] = []
    for k, sub in enumerate(subscripts):
        if isinstance(sub, slice):
            start, _stop, step = sub.indices(shape[k])
            out_shape.append(len(range(*sub.indices(shape[k]))))
            offset += start * steps[k]
            out_strides.append(step * steps[k])
        else:
            index = sub + shape[k] if sub < 0 else sub
            offset += index * steps[k]
    rest = len(subscripts)
    return offset, (*out_shape, *shape[rest:]), (*out_strides, *steps[rest:])


def permute_plan(shape: Shape, order: tuple[int, ...]) -> tuple[int, Shape, tuple[int, ...]]:
    steps = strides(shape)
    return 0, tuple(shape[k] for k in order), tuple(steps[k] for k in order)


def leaf(e: Expr) -> tuple[Expr, Shape]:
    """The variable (or constant) an operand reads, and the shape it is read as."""
    shape = e.shape
    while e.kind == PRIM and e.function in VIEWS:
        e = e.args[0]
    if e.kind not in (REF, CONST):
        raise ValueError("an operand of flat array code is a variable or a constant")
    return e, shape


def index_text(own: Shape, out: Shape, counters: list[str]) -> str:
    """The storage index of an operand of shape ``own`` at the loop counters of ``out``."""
    if tuple(own) == tuple(out):
        return counters[0] if len(counters) == 1 else _sum(zip(counters, strides(out)))
    terms = [(c, s) for c, s in zip(_full_counters(counters, out), broadcast_strides(own, out))
             if s]
    return _sum(terms) if terms else "0"


def _full_counters(counters: list[str], out: Shape) -> list[str]:
    return counters if len(counters) == len(out) else [f"i{k}" for k in range(len(out))]


def _sum(terms: object) -> str:
    parts = [c if s == 1 else f"{c} * {s}" for c, s in terms]  # type: ignore[attr-defined]
    return " + ".join(parts) if parts else "0"


def counters_for(out: Shape, operands: list[Shape]) -> list[str]:
    """One flat counter ``i`` where every operand is a whole array or a number, else one
    counter per axis."""
    if all(not s or tuple(s) == tuple(out) for s in operands):
        return ["i"]
    return [f"i{k}" for k in range(len(out))]
