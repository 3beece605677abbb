"""The number-system contract: what a rule of ``ops.py`` may call on ``xp``, and the flags
the engine reads.

Every rule of the table of operations runs unchanged in every number system, so each
system is one object with these members (a module, or an instance):

- ``core.scalar_math``: floats, one point;
- ``numerics.array_math``: NumPy arrays, one element per row (``batched``);
- ``numerics.exact_math``: fractions, for ``--exact`` (the functions without an exact
  rational value refuse, as ``exact_math.check_program`` does before evaluation);
- ``numerics.dual``: dual numbers, for ``hessian``;
- ``numerics.symbolic.Symbolic``: expressions, for ``diff``;
- ``numerics.ties.WithTies``: any of these, with max/min ties routed by another rule.

A number here is whatever the system computes with (a float, an array of rows, a
``Fraction``, a ``Dual``, an ``Expr``): the contract names the members, each system its
own number type, so numbers are typed ``Any``.

This module is for the type checker and the tests: the modules that name ``NumberSystem``
import it under ``TYPE_CHECKING`` only, so that a command's start-up imports nothing more.
``tests/test_number_contract.py`` checks every system against it at run time too.
"""

from __future__ import annotations

from typing import Any, Protocol

Number = Any  # a float, an ndarray of rows, a Fraction, a Dual, an Expr: the system's own


class NumberSystem(Protocol):
    """The array namespace ``xp`` that rules take first (``ops.py``, ``engine.py``)."""

    # -- flags the engine reads ---------------------------------------------------------
    @property
    def batched(self) -> bool:
        """Numbers are arrays of rows: a gradient is never skipped for comparing equal to
        0 (the comparison would be an array), and ties route row by row."""

    @property
    def masks_zero_gradients(self) -> bool:
        """Rows whose upstream gradient is exactly 0 pass nothing back (not ``0 * inf``)."""

    @property
    def ONE(self) -> Number:
        """The output's own gradient, 1, in this system's numbers (exact for fractions)."""

    # -- arithmetic beyond the operators ------------------------------------------------
    # (``+ - * /``, unary ``-``, ``==`` and ``<``/``>`` are the numbers' own operators)
    def divide(self, a: Number, b: Number, /) -> Number:
        """``a / b``, with IEEE results where floats would raise."""

    def power(self, a: Number, b: Number, /) -> Number: ...

    def where(self, condition: Any, if_true: Number, if_false: Number, /) -> Number:
        """``if_true`` where ``condition`` holds, else ``if_false`` (row by row over arrays;
        a condition a system cannot decide takes ``if_false``, the general case)."""

    # -- functions, one per gate ---------------------------------------------------------
    def exp(self, x: Number, /) -> Number: ...
    def log(self, x: Number, /) -> Number: ...
    def log2(self, x: Number, /) -> Number: ...
    def log10(self, x: Number, /) -> Number: ...
    def sqrt(self, x: Number, /) -> Number: ...
    def fabs(self, x: Number, /) -> Number: ...
    def sin(self, x: Number, /) -> Number: ...
    def cos(self, x: Number, /) -> Number: ...
    def tan(self, x: Number, /) -> Number: ...
    def asin(self, x: Number, /) -> Number: ...
    def acos(self, x: Number, /) -> Number: ...
    def atan(self, x: Number, /) -> Number: ...
    def sinh(self, x: Number, /) -> Number: ...
    def cosh(self, x: Number, /) -> Number: ...
    def tanh(self, x: Number, /) -> Number: ...
    def sigmoid(self, x: Number, /) -> Number: ...
    def softplus(self, x: Number, /) -> Number: ...
    def relu(self, x: Number, /) -> Number: ...

    def sign(self, x: Number, /) -> Number:
        """-1, 0 or 1: the derivative of ``abs`` (0 at 0, SPEC §3)."""

    def step(self, x: Number, /) -> Number:
        """1 where ``x > 0``, else 0: the derivative of ``relu`` (0 at 0, SPEC §3)."""

    # -- max and min: the value, and where the gradient goes -----------------------------
    def maximum(self, *args: Number) -> Number:
        """The largest argument; of tied ones, the first."""

    def minimum(self, *args: Number) -> Number:
        """The smallest argument; of tied ones, the first."""

    def max_mask(self, out: Number, *args: Number) -> list[Number]:
        """``d max / d args[k]`` for every ``k``: 1 for the winner, 0 for the others (ties
        routed by the system's rule; ``first`` unless ``ties`` wraps it)."""

    def min_mask(self, out: Number, *args: Number) -> list[Number]:
        """As ``max_mask``, for min."""


class ArraySystem(NumberSystem, Protocol):
    """What the tensor ops' rules call besides (``numerics.tensor_math``): numbers are
    floats or arrays, and over rows every array has a batch axis last."""

    def ndim(self, v: Number, /) -> int:
        """The logical number of axes: 0 a scalar, 1 a vector, 2 a matrix."""

    def lift(self, v: Number, axis: int, /) -> Number:
        """A logical axis of size 1 inserted at ``axis`` (negative, from the end)."""

    def drop(self, v: Number, axis: int, /) -> Number: ...
    def matmul(self, a: Number, b: Number, /) -> Number: ...

    def matmul_to(self, a: Number, b: Number, like: Number, /) -> Number:
        """``a @ b`` for a gradient: summed over rows where ``like`` is shared by them."""

    def mT(self, a: Number, /) -> Number: ...
    def transpose(self, a: Number, /) -> Number: ...
    def sum(self, v: Number, /) -> Number: ...
    def size(self, v: Number, /) -> int: ...

    def spread(self, g: Number, like: Number, /) -> Number:
        """``g`` (a scalar, per row) copied to every element of ``like``."""

    def amax(self, v: Number, /) -> Number: ...
    def amin(self, v: Number, /) -> Number: ...

    def first_of(self, v: Number, out: Number, /) -> Number:
        """1 at the first element of ``v`` equal to ``out``, 0 elsewhere."""

    def last_axis_sum(self, z: Number, /) -> Number: ...
    def logsumexp_last(self, z: Number, /) -> Number: ...
    def norm(self, v: Number, /) -> Number: ...
    def isfinite(self, v: Number, /) -> Any: ...
    def stack(self, *elements: Number) -> Number: ...
    def unstack(self, g: Number, k: int, /) -> Number: ...
    def take(self, subscripts: tuple[int | slice, ...], v: Number, /) -> Number: ...
    def put(self, subscripts: tuple[int | slice, ...], g: Number, like: Number, /) -> Number: ...

    def unbroadcast(self, g: Number, like: Number, /) -> Number:
        """``g`` summed over the axes ``like`` was broadcast along, to its shape."""


FLAGS = ("batched", "masks_zero_gradients", "ONE")
"""The members that are values, not functions: the engine reads them."""
