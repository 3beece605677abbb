"""Shapes of values, known when the graph is built: inference rules and their words.

A shape is a tuple of sizes as NumPy gives it: ``()`` for a scalar, ``(3,)`` for a vector
of 3, ``(2, 3)`` for a 2x3 matrix. Each rule takes the shapes of an op's arguments (and,
for indexing, the node's static index) and returns the shape of its value, or raises
``ShapeError`` with a sentence that names both shapes; the builder adds the caret.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

Shape = tuple[int, ...]
SCALAR: Shape = ()
# Arrays have at most this many axes (NumPy's bound is 64; over rows the batch adds one).
MAX_AXES = 32


class ShapeError(Exception):
    """Shapes that do not fit an op; the message names them in words."""


def describe(shape: Shape) -> str:
    """``a scalar``, ``a vector of 3``, ``a matrix 2x3``, ``an array 2x3x4``."""
    if not shape:
        return "a scalar"
    if len(shape) == 1:
        return f"a vector of {shape[0]}"
    sizes = "x".join(str(n) for n in shape)
    return f"a matrix {sizes}" if len(shape) == 2 else f"an array {sizes}"


def _bare(shape: Shape) -> str:
    """``matrix 16x2``, ``vector of 3``: a shape without its article, as in ``A @ B``."""
    return describe(shape).split(" ", 1)[1]


def size_of(shape: Shape) -> int:
    total = 1
    for n in shape:
        total *= n
    return total


def broadcast(shapes: Sequence[Shape], phrase: str = "cannot combine {0} with {1}") -> Shape:
    """NumPy's broadcasting: sizes align from the end, and 1 stretches to any size."""
    result: Shape = ()
    for k, shape in enumerate(shapes):
        if not shape:
            continue
        if not result:
            result = shape
            continue
        merged = []
        for a, b in zip(_padded(result, len(shape)), _padded(shape, len(result))):
            if a != b and a != 1 and b != 1:
                first = shapes[0] if k == 1 else result
                raise ShapeError(phrase.format(describe(first), describe(shape)))
            merged.append(max(a, b) if a != 1 and b != 1 else a * b)
        result = tuple(merged)
    return result


def _padded(shape: Shape, ndim: int) -> Shape:
    return (1,) * (ndim - len(shape)) + shape


def matmul(static: object, a: Shape, b: Shape) -> Shape:
    if not a or not b:
        raise ShapeError(f"{describe(a)} @ {describe(b)}: @ takes vectors and matrices; "
                         "use * to scale by a scalar")
    if len(a) > 2 or len(b) > 2:
        raise ShapeError(f"{describe(a)} @ {describe(b)}: @ takes vectors and matrices")
    inner_a = a[-1]
    inner_b = b[0]
    if inner_a != inner_b:
        raise ShapeError(f"{_bare(a)} @ {_bare(b)}: the inner sizes differ "
                         f"({inner_a} and {inner_b})")
    return a[:-1] + b[1:]


def dot(static: object, a: Shape, b: Shape) -> Shape:
    if len(a) != 1 or len(b) != 1:
        raise ShapeError(f"dot of {describe(a)} and {describe(b)}: dot takes two vectors "
                         "(use @ for matrices)")
    if a != b:
        raise ShapeError(f"dot of {describe(a)} and {describe(b)}: the sizes differ")
    return SCALAR


def outer(static: object, a: Shape, b: Shape) -> Shape:
    if len(a) != 1 or len(b) != 1:
        raise ShapeError(f"outer of {describe(a)} and {describe(b)}: outer takes two vectors")
    return (a[0], b[0])


def transpose(static: object, a: Shape) -> Shape:
    return a[::-1]


def reduction(static: object, a: Shape) -> Shape:
    return SCALAR


def nonempty_reduction(name: str) -> Callable[..., Shape]:
    def rule(static: object, a: Shape) -> Shape:
        if not a:
            raise ShapeError(f"{name} of {describe(a)}: {name} takes an array")
        return SCALAR

    return rule


def same_vector(name: str) -> Callable[..., Shape]:
    """softmax and log_softmax: over a vector, or over the last axis of a matrix."""

    def rule(static: object, a: Shape) -> Shape:
        if not a:
            raise ShapeError(f"{name} of {describe(a)}: {name} takes a vector")
        return a

    return rule


def stack(static: object, *shapes: Shape) -> Shape:
    """An array literal: its elements share one shape, and it adds an axis in front."""
    first = shapes[0]
    for k, shape in enumerate(shapes[1:], start=1):
        if shape != first:
            raise ShapeError(f"the elements of an array literal differ in shape: element 0 "
                             f"is {describe(first)}, element {k} is {describe(shape)}")
    if len(first) >= MAX_AXES:
        raise ShapeError(f"an array literal nested more than {MAX_AXES} deep: arrays have at "
                         f"most {MAX_AXES} axes (vectors and matrices have 1 and 2)")
    return (len(shapes), *first)


def index(static: object, a: Shape) -> Shape:
    """The shape of ``a[static]``: a tuple of ints (dropping an axis) and slices."""
    subscripts: tuple[int | slice, ...] = static  # type: ignore[assignment]
    if len(subscripts) > len(a):
        plural = "s" if len(subscripts) > 1 else ""
        raise ShapeError(f"{len(subscripts)} subscript{plural} for {describe(a)}")
    result: list[int] = []
    for axis, subscript in enumerate(subscripts):
        size = a[axis]
        if isinstance(subscript, slice):
            for bound in (subscript.start, subscript.stop):
                if bound is not None and not -size <= bound <= size:
                    raise ShapeError(f"index {bound} is out of range for an axis of {size}")
            result.append(len(range(*subscript.indices(size))))
        elif not -size <= subscript < size:
            raise ShapeError(f"index {subscript} is out of range for an axis of {size}")
    result.extend(a[len(subscripts):])
    return tuple(result)
