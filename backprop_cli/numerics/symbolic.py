"""Expressions as values: the namespace that turns the backward pass into ``diff``.

Running the engine's forward and backward loops with this namespace instead of
``scalar_math`` gives, for every node, its value and its gradient as expressions over
the inputs: symbolic reverse mode, from the same table of rules. Expressions are
hash-consed (an equal expression is the same object), so shared subexpressions stay
shared and the result is a DAG whose size grows linearly with the program.

Each constructor simplifies as it builds: constants are folded, 0 and 1 identities
removed, ``x*x`` becomes ``x^2``, double negation cancels, and ``a*x + b*x`` becomes
``(a + b)*x``. Nothing here recurses: every rule looks one or two levels down.
"""

from __future__ import annotations

import math
from typing import Any

from ..core import scalar_math
from ..core.ops import OPS


class Expr:
    """One node of an expression DAG: an op from the table, or a leaf."""

    __slots__ = ("args", "id", "name", "op", "space", "value")

    def __init__(self, op: str, args: tuple[Expr, ...], value: float | None, name: str | None,
                 ident: int, space: Symbolic) -> None:
        self.space = space
        self.op = op
        self.args = args
        self.value = value
        self.name = name
        self.id = ident

    def __repr__(self) -> str:  # flat: render.formula prints whole formulas
        if self.op == "input":
            return f"Expr({self.name})"
        if self.op == "const":
            return f"Expr({self.value!r})"
        return f"Expr(#{self.id} = {self.op}({', '.join(f'#{a.id}' for a in self.args)}))"

    @property
    def is_const(self) -> bool:
        return self.op == "const"

    # The rules compare against numbers (``b == 0.0``); an expression equals a number only
    # when it is that constant, so a rule's guarded special case applies only when known.
    def __eq__(self, other: object) -> bool:
        if isinstance(other, Expr):
            return other is self
        return self.op == "const" and self.value == other

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = object.__hash__

    def __gt__(self, other: object) -> bool:
        value = self.value
        return (self.op == "const" and value is not None and isinstance(other, int | float)
                and value > other)

    def __lt__(self, other: object) -> bool:
        value = self.value
        return (self.op == "const" and value is not None and isinstance(other, int | float)
                and value < other)

    def __bool__(self) -> bool:
        return not (self.op == "const" and self.value == 0.0)

    def __add__(self, other: Any) -> Expr:
        return self.space.add(self, other)

    def __radd__(self, other: Any) -> Expr:
        return self.space.add(other, self)

    def __sub__(self, other: Any) -> Expr:
        return self.space.sub(self, other)

    def __rsub__(self, other: Any) -> Expr:
        return self.space.sub(other, self)

    def __mul__(self, other: Any) -> Expr:
        return self.space.mul(self, other)

    def __rmul__(self, other: Any) -> Expr:
        return self.space.mul(other, self)

    def __truediv__(self, other: Any) -> Expr:
        return self.space.divide(self, other)

    def __rtruediv__(self, other: Any) -> Expr:
        return self.space.divide(other, self)

    def __neg__(self) -> Expr:
        return self.space.neg(self)

    def __pos__(self) -> Expr:
        return self


class Symbolic:
    """An ``xp`` namespace whose numbers are expressions (see ``ops.py``)."""

    # The flags of the number-system contract (core/namespace.py).
    batched = False
    masks_zero_gradients = False
    ONE = 1.0

    def __init__(self) -> None:
        self._table: dict[tuple[str, tuple[int, ...], float | None, str | None], Expr] = {}
        self.nodes: list[Expr] = []

    # -- building ---------------------------------------------------------------------
    def _make(self, op: str, args: tuple[Expr, ...] = (), value: float | None = None,
              name: str | None = None) -> Expr:
        key = (op, tuple(a.id for a in args), value, name)
        found = self._table.get(key)
        if found is None:
            found = Expr(op, args, value, name, len(self.nodes), self)
            self._table[key] = found
            self.nodes.append(found)
        return found

    def const(self, value: float) -> Expr:
        value = float(value)
        return self._make("const", (), 0.0 if value == 0 else value)

    def symbol(self, name: str) -> Expr:
        return self._make("input", (), None, name)

    def lift(self, x: Any) -> Expr:
        return x if isinstance(x, Expr) else self.const(x)

    def _fold(self, op: str, *args: Expr) -> Expr | None:
        if all(a.op == "const" for a in args):
            forward = OPS[op].forward
            assert forward is not None  # a gate, not a leaf
            value = forward(scalar_math, *[a.value for a in args])
            if math.isfinite(value):
                return self.const(value)
        return None

    def apply(self, op: str, *args: Any) -> Expr:
        lifted = tuple(self.lift(a) for a in args)
        return self._fold(op, *lifted) or self._make(op, lifted)

    # -- arithmetic with simplification -----------------------------------------------
    @staticmethod
    def _split(x: Expr) -> tuple[float, Expr | None]:
        """``c * t`` -> (c, t); a constant -> (c, None); anything else -> (1, x)."""
        if x.op == "const":
            return x.value or 0.0, None
        if x.op == "mul" and x.args[0].op == "const":
            return x.args[0].value or 0.0, x.args[1]
        if x.op == "neg":
            inner = x.args[0]
            if inner.op == "mul" and inner.args[0].op == "const":
                return -(inner.args[0].value or 0.0), inner.args[1]
            return -1.0, inner
        return 1.0, x

    def add(self, a: Any, b: Any) -> Expr:
        a, b = self.lift(a), self.lift(b)
        if a == 0.0:
            return b
        if b == 0.0:
            return a
        folded = self._fold("add", a, b)
        if folded is not None:
            return folded
        ca, ta = self._split(a)
        cb, tb = self._split(b)
        if ta is not None and ta is tb:
            return self.mul(ca + cb, ta)  # like terms
        if b.op == "neg":
            return self.sub(a, b.args[0])
        if b.op == "const" and (b.value or 0.0) < 0:
            return self.sub(a, -(b.value or 0.0))
        if a.op == "const":
            a, b = b, a  # constants last: x + 1
        return self._make("add", (a, b))

    def sub(self, a: Any, b: Any) -> Expr:
        a, b = self.lift(a), self.lift(b)
        if b == 0.0:
            return a
        if a == 0.0:
            return self.neg(b)
        if a is b:
            return self.const(0.0)
        folded = self._fold("sub", a, b)
        if folded is not None:
            return folded
        ca, ta = self._split(a)
        cb, tb = self._split(b)
        if ta is not None and ta is tb:
            return self.mul(ca - cb, ta)
        if b.op == "neg":
            return self.add(a, b.args[0])
        if b.op == "const" and (b.value or 0.0) < 0:
            return self.add(a, -(b.value or 0.0))
        return self._make("sub", (a, b))

    def mul(self, a: Any, b: Any) -> Expr:
        a, b = self.lift(a), self.lift(b)
        if a == 0.0 or b == 0.0:
            return self.const(0.0)
        if a == 1.0:
            return b
        if b == 1.0:
            return a
        if a == -1.0:
            return self.neg(b)
        if b == -1.0:
            return self.neg(a)
        folded = self._fold("mul", a, b)
        if folded is not None:
            return folded
        if b.op == "const":
            a, b = b, a  # constants first: 2*x
        if a.op == "neg" and b.op == "neg":
            return self.mul(a.args[0], b.args[0])
        if a.op == "neg":
            return self.neg(self.mul(a.args[0], b))
        if b.op == "neg":
            return self.neg(self.mul(a, b.args[0]))
        if a.op == "const" and b.op == "mul" and b.args[0].op == "const":
            return self.mul((a.value or 0.0) * (b.args[0].value or 0.0), b.args[1])
        if a.op == "mul" and a.args[0].op == "const":
            return self.mul(a.args[0], self.mul(a.args[1], b))  # (c*t)*u -> c*(t*u)
        if a is b:
            return self.power(a, 2.0)
        if a.op == "pow" and a.args[0] is b and a.args[1].op == "const":
            return self.power(b, (a.args[1].value or 0.0) + 1.0)
        return self._make("mul", (a, b))

    def divide(self, a: Any, b: Any) -> Expr:
        a, b = self.lift(a), self.lift(b)
        if a == 0.0:
            return self.const(0.0)
        if b == 1.0:
            return a
        if b == -1.0:
            return self.neg(a)
        if a is b:
            return self.const(1.0)
        folded = self._fold("div", a, b)
        if folded is not None:
            return folded
        if a.op == "neg":
            return self.neg(self.divide(a.args[0], b))
        if b.op == "neg":
            return self.neg(self.divide(a, b.args[0]))
        if a.op == "div":
            return self.divide(a.args[0], self.mul(a.args[1], b))  # (p/q)/b -> p/(q*b)
        return self._make("div", (a, b))

    def neg(self, a: Any) -> Expr:
        a = self.lift(a)
        if a.op == "const":
            return self.const(-(a.value or 0.0))
        if a.op == "neg":
            return a.args[0]
        if a.op == "mul" and a.args[0].op == "const":
            return self.mul(-(a.args[0].value or 0.0), a.args[1])
        if a.op == "sub":
            return self.sub(a.args[1], a.args[0])
        return self._make("neg", (a,))

    def power(self, a: Any, b: Any) -> Expr:
        a, b = self.lift(a), self.lift(b)
        if b == 1.0:
            return a
        if b == 0.0:
            return self.const(1.0)
        if a == 1.0:
            return self.const(1.0)
        return self._fold("pow", a, b) or self._make("pow", (a, b))

    def where(self, condition: Any, if_true: Any, if_false: Any) -> Any:
        # A condition that is not known (not a plain bool) takes the general case.
        return if_true if condition is True else if_false

    # -- functions --------------------------------------------------------------------
    def exp(self, x: Any) -> Expr:
        x = self.lift(x)
        if x.op == "log" and len(x.args) == 1:
            return x.args[0]
        return self.apply("exp", x)

    def log(self, x: Any) -> Expr:
        x = self.lift(x)
        if x.op == "exp":
            return x.args[0]
        return self.apply("log", x)

    def fabs(self, x: Any) -> Expr:
        return self.apply("abs", x)

    def maximum(self, *args: Any) -> Expr:
        return self.apply("max", *args)

    def minimum(self, *args: Any) -> Expr:
        return self.apply("min", *args)

    def max_mask(self, out: Any, *args: Any) -> list[Expr]:
        """d max / d a_k: a_k beats every earlier argument and is not beaten by a later one."""
        return self._mask(args, largest=True)

    def min_mask(self, out: Any, *args: Any) -> list[Expr]:
        return self._mask(args, largest=False)

    def _mask(self, args: tuple[Any, ...], largest: bool) -> list[Expr]:
        lifted = [self.lift(a) for a in args]
        mask = []
        for k, ak in enumerate(lifted):
            factor: Expr = self.const(1.0)
            for j, aj in enumerate(lifted):
                if j == k:
                    continue
                ahead, behind = (ak, aj) if largest else (aj, ak)
                if j < k:  # strictly ahead of an earlier argument
                    term = self.apply("step", self.sub(ahead, behind))
                else:  # not strictly behind a later one
                    term = self.sub(1.0, self.apply("step", self.sub(behind, ahead)))
                factor = self.mul(factor, term)
            mask.append(factor)
        return mask

    # sin, cos, tanh, sigmoid, sqrt, sign, step, ...: one gate each
    def log2(self, x: Any) -> Expr:
        return self.apply("log2", x)

    def log10(self, x: Any) -> Expr:
        return self.apply("log10", x)

    def sqrt(self, x: Any) -> Expr:
        return self.apply("sqrt", x)

    def sin(self, x: Any) -> Expr:
        return self.apply("sin", x)

    def cos(self, x: Any) -> Expr:
        return self.apply("cos", x)

    def tan(self, x: Any) -> Expr:
        return self.apply("tan", x)

    def asin(self, x: Any) -> Expr:
        return self.apply("asin", x)

    def acos(self, x: Any) -> Expr:
        return self.apply("acos", x)

    def atan(self, x: Any) -> Expr:
        return self.apply("atan", x)

    def sinh(self, x: Any) -> Expr:
        return self.apply("sinh", x)

    def cosh(self, x: Any) -> Expr:
        return self.apply("cosh", x)

    def tanh(self, x: Any) -> Expr:
        return self.apply("tanh", x)

    def sigmoid(self, x: Any) -> Expr:
        return self.apply("sigmoid", x)

    def softplus(self, x: Any) -> Expr:
        return self.apply("softplus", x)

    def relu(self, x: Any) -> Expr:
        return self.apply("relu", x)

    def sign(self, x: Any) -> Expr:
        return self.apply("sign", x)

    def step(self, x: Any) -> Expr:
        return self.apply("step", x)


def namespace() -> Symbolic:
    """A fresh namespace: its expressions, and those built from them, live in it."""
    return Symbolic()
