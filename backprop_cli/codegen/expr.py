"""Code expressions: a number system whose numbers are expression trees, for ``codegen``.

The rules of the table of operations (``core/ops.py``) run unchanged over this namespace:
a node's ``forward`` rule, given placeholders for its arguments, returns the expression
that computes its value; a ``partials`` rule, given placeholders for the output and the
arguments, the expression of a local derivative. A target language then only spells the
primitives of the number-system contract (``exp``, ``divide``, ``where``, ``max_mask``...),
so no op's maths is written twice.

Nothing here simplifies algebraically (``x*x`` stays ``x*x``): a generated statement does
the floating-point operations that ``backprop eval`` does, in the same order. Only what
is exact is done: constants are folded by ``scalar_math`` itself (finite results only),
a product with the constant 1 is its other factor, and a comparison of two constants is
a Python bool, so ``where`` takes its branch at generation time (``x ^ 2`` needs no test
of its exponent). Expressions are hash-consed: an equal expression is the same object,
so a subexpression used twice is seen to be shared and is computed once.
"""

from __future__ import annotations

import math
from typing import Any

from ..core import scalar_math

# Expression kinds: leaves, arithmetic, comparisons, and calls of contract primitives.
REF, CONST = "ref", "const"
ADD, SUB, MUL, DIV, NEG = "add", "sub", "mul", "div", "neg"
EQ, NE, GT, LT, GE, AND = "eq", "ne", "gt", "lt", "ge", "and"
WHERE, CALL = "where", "call"
COMPARISONS = frozenset({EQ, NE, GT, LT, GE, AND})

# The primitives of the contract that are plain one-argument functions of a number.
FUNCTIONS = ("exp", "log", "log2", "log10", "sqrt", "fabs", "sin", "cos", "tan", "asin",
             "acos", "atan", "sinh", "cosh", "tanh", "sigmoid", "softplus", "sign", "step",
             "relu")
# ... and those of several: the power, and max/min's value (first-wins ties).
MANY = ("power", "maximum", "minimum")

# Functions whose result is finite wherever their arguments are: a gradient contribution
# g * d whose d is built of these from finite values needs no guard against 0 * inf.
_BOUNDED = frozenset({"fabs", "sin", "cos", "atan", "tanh", "sigmoid", "sign", "step",
                      "maximum", "minimum", "relu"})


class Expr:
    """One node of a code expression: ``kind`` with ``args``; a constant's ``value``, a
    placeholder's ``name``, a call's ``function``."""

    __slots__ = ("args", "data", "function", "kind", "name", "shape", "space", "value")

    def __init__(self, space: CodeSpace, kind: str, args: tuple[Expr, ...],
                 value: float | None, name: str | None, function: str | None) -> None:
        self.space = space
        self.kind = kind
        self.args = args
        self.value = value
        self.name = name
        self.function = function
        self.shape: tuple[int, ...] = ()  # arrays (``tensor.ArraySpace``): the value's shape
        self.data: Any = None  # an array primitive's fixed data (an axis, subscripts...)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        if self.kind == REF:
            return f"Expr({self.name})"
        if self.kind == CONST:
            return f"Expr({self.value!r})"
        return f"Expr({self.function or self.kind}/{len(self.args)})"

    __hash__ = object.__hash__

    # The rules compare numbers (``b == 0.0``): the comparison is an expression, or a
    # bool where both sides are constants.
    def __eq__(self, other: object) -> Any:  # type: ignore[override]
        return self.space.compare(EQ, self, other)

    def __ne__(self, other: object) -> Any:  # type: ignore[override]
        return self.space.compare(NE, self, other)

    def __gt__(self, other: Any) -> Any:
        return self.space.compare(GT, self, other)

    def __lt__(self, other: Any) -> Any:
        return self.space.compare(LT, self, other)

    def __ge__(self, other: Any) -> Any:
        return self.space.compare(GE, self, other)

    def __bool__(self) -> bool:
        raise TypeError("a code expression has no truth value at generation time")

    def __add__(self, other: Any) -> Expr:
        return self.space.arith(ADD, self, other)

    def __radd__(self, other: Any) -> Expr:
        return self.space.arith(ADD, other, self)

    def __sub__(self, other: Any) -> Expr:
        return self.space.arith(SUB, self, other)

    def __rsub__(self, other: Any) -> Expr:
        return self.space.arith(SUB, other, self)

    def __mul__(self, other: Any) -> Expr:
        return self.space.arith(MUL, self, other)

    def __rmul__(self, other: Any) -> Expr:
        return self.space.arith(MUL, other, self)

    def __truediv__(self, other: Any) -> Expr:
        return self.space.divide(self, other)

    def __rtruediv__(self, other: Any) -> Expr:
        return self.space.divide(other, self)

    def __neg__(self) -> Expr:
        return self.space.neg(self)

    def __pos__(self) -> Expr:
        return self

    @property
    def is_const(self) -> bool:
        return self.kind == CONST


_SCALAR_OPERATORS = {
    ADD: lambda a, b: a + b, SUB: lambda a, b: a - b, MUL: lambda a, b: a * b,
    EQ: lambda a, b: a == b, NE: lambda a, b: a != b, GT: lambda a, b: a > b,
    LT: lambda a, b: a < b, GE: lambda a, b: a >= b,
}


class CodeSpace:
    """The ``xp`` namespace of code expressions (the contract of ``core/namespace.py``)."""

    batched = False
    masks_zero_gradients = False
    ONE = 1.0

    def __init__(self) -> None:
        self._table: dict[tuple[Any, ...], Expr] = {}

    # -- building ---------------------------------------------------------------------
    def _make(self, kind: str, args: tuple[Expr, ...] = (), value: float | None = None,
              name: str | None = None, function: str | None = None) -> Expr:
        # a constant's key tells 0.0 from -0.0 (they print apart)
        key = (kind, tuple(map(id, args)), None if value is None else repr(value), name,
               function)
        found = self._table.get(key)
        if found is None:
            found = self._table[key] = Expr(self, kind, args, value, name, function)
        return found

    def const(self, value: float) -> Expr:
        return self._make(CONST, value=float(value))

    def ref(self, name: str) -> Expr:
        """A placeholder: a variable of the generated code."""
        return self._make(REF, name=name)

    def lift(self, x: Any) -> Expr:
        if isinstance(x, Expr):
            return x
        if isinstance(x, bool):
            raise TypeError("a truth value is not a number")
        return self.const(x)

    @staticmethod
    def _folded(value: Any) -> bool:
        return isinstance(value, float) and math.isfinite(value)

    def arith(self, kind: str, a: Any, b: Any) -> Expr:
        a, b = self.lift(a), self.lift(b)
        if a.kind == CONST and b.kind == CONST:
            value = _SCALAR_OPERATORS[kind](a.value, b.value)
            if self._folded(value):
                return self.const(value)
        if kind == MUL:  # exact: 1 * x is x, NaN and signed zeros included
            if a.kind == CONST and a.value == 1.0:
                return b
            if b.kind == CONST and b.value == 1.0:
                return a
        return self._make(kind, (a, b))

    def compare(self, kind: str, a: Any, b: Any) -> Any:
        a, b = self.lift(a), self.lift(b)
        if a.kind == CONST and b.kind == CONST:
            return bool(_SCALAR_OPERATORS[kind](a.value, b.value))
        return self._make(kind, (a, b))

    def both(self, a: Any, b: Any) -> Any:
        """``a and b`` of two conditions (bools or comparison expressions)."""
        if a is False or b is False:
            return False
        if a is True:
            return b
        if b is True:
            return a
        return self._make(AND, (a, b))

    def rebuild(self, e: Expr, args: tuple[Expr, ...]) -> Expr:
        """``e`` over other arguments, as it is (no folding)."""
        return self._make(e.kind, args, e.value, e.name, e.function)

    def call(self, function: str, *args: Any) -> Expr:
        lifted = tuple(self.lift(a) for a in args)
        if all(a.kind == CONST for a in lifted):
            value = getattr(scalar_math, function)(*[a.value for a in lifted])
            if self._folded(value):
                return self.const(value)
        return self._make(CALL, lifted, function=function)

    # -- the contract ---------------------------------------------------------------------
    def divide(self, a: Any, b: Any) -> Expr:
        a, b = self.lift(a), self.lift(b)
        if a.kind == CONST and b.kind == CONST:
            value = scalar_math.divide(a.value or 0.0, b.value or 0.0)
            if self._folded(value):
                return self.const(value)
        return self._make(DIV, (a, b))

    def neg(self, a: Any) -> Expr:
        a = self.lift(a)
        if a.kind == CONST:
            value = a.value
            assert value is not None
            return self.const(-value)
        return self._make(NEG, (a,))

    def power(self, a: Any, b: Any) -> Expr:
        return self.call("power", a, b)

    def where(self, condition: Any, if_true: Any, if_false: Any) -> Any:
        if condition is True:
            return if_true
        if condition is False:
            return if_false
        return self._make(WHERE, (condition, self.lift(if_true), self.lift(if_false)))

    def maximum(self, *args: Any) -> Expr:
        return self.call("maximum", *args)

    def minimum(self, *args: Any) -> Expr:
        return self.call("minimum", *args)

    def max_mask(self, out: Any, *args: Any) -> list[Any]:
        return self._first_match(out, args)

    def min_mask(self, out: Any, *args: Any) -> list[Any]:
        return self._first_match(out, args)

    def _first_match(self, out: Any, args: tuple[Any, ...]) -> list[Any]:
        """1 for the first argument equal to ``out``, 0 for the others (``scalar_math``'s
        rule): argument k wins where it equals ``out`` and no earlier one does."""
        masks = []
        for k, a in enumerate(args):
            condition: Any = self.compare(EQ, a, out)
            for earlier in args[:k]:
                condition = self.both(condition, self.compare(NE, earlier, out))
            masks.append(self.where(condition, 1.0, 0.0))
        return masks

    def __getattr__(self, function: str) -> Any:
        if function in FUNCTIONS:
            return lambda x: self.call(function, x)
        raise AttributeError(function)


def is_bounded(expr: Expr) -> bool:
    """Whether ``expr`` is finite wherever its placeholders are: constants, placeholders
    and bounded functions of them. Sums and products may overflow, quotients, powers and
    logarithms may not be finite: a contribution ``g * expr`` is then guarded, as the
    backward pass skips a node whose gradient is 0 (``0 * inf`` would be NaN)."""
    stack = [expr]
    while stack:
        e = stack.pop()
        if e.kind in (REF, CONST):
            continue
        if e.kind == NEG or e.kind in COMPARISONS:
            stack.extend(e.args)
        elif e.kind == WHERE:
            stack.extend(e.args[1:])
        elif e.kind == CALL and e.function in _BOUNDED:
            stack.extend(e.args)
        else:
            return False
    return True
