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


def view_plan(function: str, data: object, shape: Shape) -> tuple[int, Shape, tuple[int, ...]]:
    """(offset, shape, strides) of a view of an array of ``shape``: ``take`` (its
    subscripts in ``data``), ``mT`` (the last two axes swapped) or ``transpose``."""
    if function == "take":
        return take_plan(data, shape)  # type: ignore[arg-type]
    r = len(shape)
    order = (*range(r - 2), r - 1, r - 2) if function == "mT" else tuple(range(r))[::-1]
    return permute_plan(shape, order)


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


class FlatElements:
    """The printing of elementwise expressions over flat storage, for a ``Language``
    (mixed in before it): an operand is its variable at the loop's index."""

    finite = "isfinite"  # the spelling of isfinite(x)
    one_number_format = "[{}]"  # a number as an array of one element
    def __init__(self) -> None:
        super().__init__()
        self.out_shape: Shape = ()
        self.counters: list[str] = []

    def one_number(self, text: str) -> str:
        """A number as an array of one element."""
        return self.one_number_format.format(text)

    def address(self, name: str) -> str:
        """A scalar variable as an array of one element."""
        return self.one_number(name)

    def _one(self, e: Expr, args: list[tuple[str, int]]) -> tuple[str, int]:
        if e.kind == REF or (e.kind == PRIM and e.function in VIEWS):
            var, shape = leaf(e)
            if var.kind == CONST:
                return super()._one(var, [])  # type: ignore[misc]
            if not var.shape:
                return var.name or "", 7
            if not shape or size(shape) == 1:
                return f"{var.name}[0]", 7
            return f"{var.name}[{index_text(shape, self.out_shape, self.counters)}]", 7
        if e.kind == PRIM:
            raise ValueError("a primitive inside an elementwise expression")
        if e.kind == "call" and e.function == "isfinite":
            return f"{self.finite}({args[0][0]})", 7
        return super()._one(e, args)  # type: ignore[misc]

    def element(self, e: Expr, out: Shape, counters: list[str]) -> str:
        self.out_shape, self.counters = out, counters
        try:
            return self.expression(e)  # type: ignore[attr-defined,no-any-return]
        finally:
            self.out_shape, self.counters = (), []

    def storage(self, e: Expr) -> str:
        """The variable (or number) an argument of a primitive reads."""
        var, shape = leaf(e)
        if var.kind == CONST:
            value = var.value if var.value is not None else float("nan")
            text: str = self.number(value)  # type: ignore[attr-defined]
            return self.one_number(text) if shape else text
        if not var.shape and shape:  # a number read as an array of one element
            return self.address(var.name or "")
        if var.shape and not shape:  # an array of one element read as a number
            return f"{var.name}[0]"
        return var.name or ""


def operands(e: Expr) -> list[Expr]:
    """The operands an elementwise expression reads (variables, views of them)."""
    out: list[Expr] = []
    stack = [e]
    seen: set[int] = set()
    while stack:
        x = stack.pop()
        if id(x) in seen:
            continue
        seen.add(id(x))
        if x.kind == REF or (x.kind == PRIM and x.function in VIEWS):
            out.append(x)
        else:
            stack.extend(x.args)
    return out
