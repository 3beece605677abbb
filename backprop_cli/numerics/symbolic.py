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
from ..core.errors import InputError
from ..core.ops import OPS
from ..core.shapes import Shape, broadcast, size_of
from ..core.shapes import index as index_shape
from ..core.shapes import matmul as matmul_shape

ELEMENT_LIMIT = 10_000  # elements of an array that diff writes out one by one


class Expr:
    """One node of an expression DAG: an op from the table, or a leaf."""

    __slots__ = ("args", "id", "name", "op", "shape", "space", "value")

    def __init__(self, op: str, args: tuple[Expr, ...], value: Any, name: str | None,
                 ident: int, space: Symbolic, shape: Shape = ()) -> None:
        self.space = space
        self.op = op
        self.args = args
        self.value = value  # a constant's number; an index node's subscripts
        self.name = name
        self.id = ident
        self.shape = shape  # () for a scalar; a constant of a shape has every element equal

    @property
    def ndim(self) -> int:
        return len(self.shape)

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
        self._table: dict[tuple[Any, ...], Expr] = {}
        self.nodes: list[Expr] = []

    # -- building ---------------------------------------------------------------------
    def _make(self, op: str, args: tuple[Expr, ...] = (), value: Any = None,
              name: str | None = None, shape: Shape | None = None) -> Expr:
        if shape is None:  # an elementwise op: its arguments broadcast
            shape = self._broadcast(args)
        key = (op, tuple(a.id for a in args), _static_key(value), name, shape)
        found = self._table.get(key)
        if found is None:
            found = Expr(op, args, value, name, len(self.nodes), self, shape)
            self._table[key] = found
            self.nodes.append(found)
        return found

    def const(self, value: float, shape: Shape = ()) -> Expr:
        """A number; with a shape, an array of that shape whose elements all equal it."""
        value = float(value)
        return self._make("const", (), 0.0 if value == 0 else value, shape=shape)

    def symbol(self, name: str, shape: Shape = ()) -> Expr:
        return self._make("input", (), None, name, shape=shape)

    def _lift(self, x: Any) -> Expr:
        if isinstance(x, Expr):
            return x
        if x.__class__ is float or isinstance(x, int | float):
            return self.const(x)
        return self._literal(x)  # an array of numbers (a gradient the output does not reach)

    def _literal(self, array: Any) -> Expr:
        import numpy as np

        array = np.asarray(array, dtype=float)
        if array.size and np.all(array == array.flat[0]):
            return self.const(float(array.flat[0]), array.shape)
        if not array.ndim:
            return self.const(float(array))
        return self.stack(*[self._literal(row) for row in array])

    @staticmethod
    def _broadcast(args: tuple[Expr, ...]) -> Shape:
        shape: Shape = ()
        for a in args:
            if a.shape:
                shape = a.shape if not shape else broadcast((shape, a.shape))
        return shape

    def _fold(self, op: str, *args: Expr) -> Expr | None:
        if all(a.op == "const" for a in args):
            forward = OPS[op].forward
            assert forward is not None  # a gate, not a leaf
            value = forward(scalar_math, *[a.value for a in args])
            if math.isfinite(value):
                return self.const(value)
        return None

    def apply(self, op: str, *args: Any) -> Expr:
        lifted = tuple(self._lift(a) for a in args)
        shape = self._broadcast(lifted)
        if shape:
            lifted = self._narrowed(lifted, shape)
            return self._fit(self._fold(op, *lifted) or self._make(op, lifted), shape)
        return self._fold(op, *lifted) or self._make(op, lifted)

    # -- shapes of elementwise results ------------------------------------------------
    # Every expression has its value's exact shape. An elementwise op first narrows each
    # operand to the smallest form that broadcasts to the same result (``[1, 1] * g``,
    # ``[s]`` or a constant array beside a full-shaped operand: ``g``, ``s``, the
    # number), simplifies as for scalars, then widens the result back to its shape.
    def _narrow(self, x: Expr, other: Shape, shape: Shape) -> Expr:
        while x.shape:
            if x.op == "const":
                inner: Expr = self.const(x.value or 0.0)
            elif _is_spread(x):
                inner = x.args[1]
            elif x.op == "stack" and len(x.args) == 1:
                inner = x.args[0]
            else:
                return x
            if broadcast((inner.shape, other)) != shape:
                return x
            x = inner
        return x

    def _narrowed(self, args: tuple[Expr, ...], shape: Shape) -> tuple[Expr, ...]:
        if len(args) == 1:
            return args
        out: list[Expr] = []
        for k, a in enumerate(args):
            other = self._broadcast(tuple(out) + args[k + 1:])
            out.append(self._narrow(a, other, shape))
        return tuple(out)

    def _fit(self, x: Expr, shape: Shape) -> Expr:
        """``x`` widened to ``shape`` (it broadcasts to it): a constant array, or
        ``ones * x``."""
        if x.shape == shape:
            return x
        if x.op == "const":
            return self.const(x.value or 0.0, shape)
        if _is_spread(x):
            x = x.args[1]
        return self._make("mul", (self.const(1.0, shape), x), shape=shape)

    def _elementwise(self, rule: Any, *args: Any) -> Expr:
        lifted = tuple(self._lift(a) for a in args)
        shape = self._broadcast(lifted)
        if not shape:
            return rule(*lifted)
        return self._fit(rule(*self._narrowed(lifted, shape)), shape)

    def add(self, a: Any, b: Any) -> Expr:
        a, b = self._lift(a), self._lift(b)
        if a.shape and a.shape == b.shape and a.op == b.op == "stack" and len(a.args) == len(
                b.args):  # literals add element by element
            return self.stack(*[self.add(p, q) for p, q in zip(a.args, b.args)])
        return self._elementwise(self._add, a, b)

    def sub(self, a: Any, b: Any) -> Expr:
        return self._elementwise(self._sub, a, b)

    def mul(self, a: Any, b: Any) -> Expr:
        return self._elementwise(self._mul, a, b)

    def divide(self, a: Any, b: Any) -> Expr:
        return self._elementwise(self._divide, a, b)

    def neg(self, a: Any) -> Expr:
        return self._elementwise(self._neg, a)

    def power(self, a: Any, b: Any) -> Expr:
        return self._elementwise(self._power, a, b)

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

    def _add(self, a: Any, b: Any) -> Expr:
        a, b = self._lift(a), self._lift(b)
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

    def _sub(self, a: Any, b: Any) -> Expr:
        a, b = self._lift(a), self._lift(b)
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

    def _mul(self, a: Any, b: Any) -> Expr:
        a, b = self._lift(a), self._lift(b)
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

    def _divide(self, a: Any, b: Any) -> Expr:
        a, b = self._lift(a), self._lift(b)
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

    def _neg(self, a: Any) -> Expr:
        a = self._lift(a)
        if a.op == "const":
            return self.const(-(a.value or 0.0))
        if a.op == "neg":
            return a.args[0]
        if a.op == "mul" and a.args[0].op == "const":
            return self.mul(-(a.args[0].value or 0.0), a.args[1])
        if a.op == "sub":
            return self.sub(a.args[1], a.args[0])
        return self._make("neg", (a,))

    def _power(self, a: Any, b: Any) -> Expr:
        a, b = self._lift(a), self._lift(b)
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
        x = self._lift(x)
        if x.op == "log" and len(x.args) == 1:
            return x.args[0]
        return self.apply("exp", x)

    def log(self, x: Any) -> Expr:
        x = self._lift(x)
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
        lifted = [self._lift(a) for a in args]
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

    # -- arrays (core/namespace.py ArraySystem) -----------------------------------------
    # A vector lifted to a one-row matrix is the literal ``[v]``, to a one-column matrix
    # ``[v].T``; ``drop`` takes them apart again, and ``matmul`` of lifted operands is
    # written as the product of vectors they stand for (``[u] @ B`` -> ``[B.T @ u]``), so
    # the matmul rule's lifts and transposes leave matrix formulas: ``A.T @ x``.
    def ndim(self, v: Any) -> int:
        return len(self._lift(v).shape)

    def size(self, v: Any) -> int:
        return size_of(self._lift(v).shape)

    def isfinite(self, v: Any) -> Any:
        return None  # not known: ``where`` takes the general case

    def _node(self, op: str, args: tuple[Expr, ...], shape: Shape, value: Any = None) -> Expr:
        return self._make(op, args, value, shape=shape)

    def stack(self, *elements: Any) -> Expr:
        lifted = [self._lift(e) for e in elements]
        inner = self._broadcast(tuple(lifted))
        lifted = [self._fit(e, inner) for e in lifted]
        first = lifted[0]
        if all(e is first for e in lifted) and first.op == "const":
            return self.const(first.value or 0.0, (len(lifted), *inner))
        source = _rows_of(lifted)
        if source is not None:
            return source
        return self._node("stack", tuple(lifted), (len(lifted), *inner))

    def unstack(self, g: Any, k: int) -> Expr:
        return self.take((k,), g)

    def take(self, subscripts: tuple[int | slice, ...], v: Any) -> Expr:
        v = self._lift(v)
        shape = index_shape(subscripts, v.shape)
        if all(s == slice(None) for s in subscripts):
            return v
        if v.op == "const":
            return self.const(v.value or 0.0, shape)
        if _is_spread(v) and not v.args[1].shape:
            return self._fit(v.args[1], shape)
        first = subscripts[0]
        if v.op == "stack" and isinstance(first, int):
            element = v.args[first]
            return self.take(subscripts[1:], element) if len(subscripts) > 1 else element
        if v.op == "transpose" and len(subscripts) == 2 and all(
                isinstance(s, int) for s in subscripts):
            return self.take(subscripts[::-1], v.args[0])
        return self._node("index", (v,), shape, tuple(subscripts))

    def put(self, subscripts: tuple[int | slice, ...], g: Any, like: Any) -> Expr:
        """Zeros shaped like ``like``, with ``g`` at ``subscripts``: a literal."""
        import numpy as np

        g, like = self._lift(g), self._lift(like)
        shape = like.shape
        if size_of(shape) > ELEMENT_LIMIT:
            raise InputError(f"diff writes the gradient of an index element by element: "
                             f"at most {ELEMENT_LIMIT:,} elements")
        chosen = np.arange(size_of(shape)).reshape(shape)[subscripts]
        where = {int(p): idx for idx, p in np.ndenumerate(chosen)}
        zero = self.const(0.0)

        def element(p: int) -> Expr:
            at = where.get(p)
            return zero if at is None else self.take(tuple(int(k) for k in at), g) if at else g

        return self._from_elements(shape, element)

    def _from_elements(self, shape: Shape, element: Any) -> Expr:
        """The literal of ``shape`` whose flat element ``p`` is ``element(p)``: nested
        stacks, built from the innermost axis out (a loop)."""
        items: list[Expr] = [element(p) for p in range(size_of(shape))]
        for n in reversed(shape):
            items = [self.stack(*items[k:k + n]) for k in range(0, len(items), n)]
        return items[0]

    def lift(self, x: Any, axis: int | None = None) -> Expr:
        """A number as an expression; with ``axis``, the matmul rule's lift of a vector
        (or a scalar) to a matrix with an axis of 1 there."""
        if axis is None:
            return self._lift(x)
        x = self._lift(x)
        if x.ndim == 0 or axis == -2:
            return self.stack(x)
        if x.ndim == 1:
            return self.transpose(self.stack(x))
        raise InputError("diff works with vectors and matrices")

    def drop(self, v: Any, axis: int) -> Expr:
        v = self._lift(v)
        if v.op == "const":
            shape = list(v.shape)
            del shape[axis]
            return self.const(v.value or 0.0, tuple(shape))
        if axis == -2 or v.ndim == 1:
            if v.op == "stack" and len(v.args) == 1:
                return v.args[0]
            return self.take((0,), v)
        if v.op == "transpose" and v.args[0].op == "stack" and len(v.args[0].args) == 1:
            return v.args[0].args[0]
        if v.op == "stack" and all(e.op == "stack" and len(e.args) == 1 for e in v.args):
            return self.stack(*[e.args[0] for e in v.args])
        return self.take((slice(None), 0), v)

    def transpose(self, a: Any) -> Expr:
        a = self._lift(a)
        if a.ndim < 2 or (a.shape == (1, 1) and a.op == "stack"):
            return a
        if a.op == "transpose":
            return a.args[0]
        if a.op == "const":
            return self.const(a.value or 0.0, a.shape[::-1])
        if a.op == "outer":
            return self._node("outer", a.args[::-1], a.shape[::-1])
        if _is_spread(a) and not a.args[1].shape:
            return self._fit(a.args[1], a.shape[::-1])
        return self._node("transpose", (a,), a.shape[::-1])

    def mT(self, a: Any) -> Expr:
        return self.transpose(a)

    def matmul_to(self, a: Any, b: Any, like: Any) -> Expr:
        return self.matmul(a, b)

    def matmul(self, a: Any, b: Any) -> Expr:
        a, b = self._lift(a), self._lift(b)
        if a.ndim == 2 and b.ndim == 2:
            row, col = _row(a), _column(b)
            one_a, one_b = _one(a), _one(b)
            if one_a is not None:
                b_row = _row(b)
                return self.stack(self.mul(one_a, b_row)) if b_row is not None else self.mul(
                    one_a, b)
            if one_b is not None:
                a_col = _column(a)
                return (self.transpose(self.stack(self.mul(a_col, one_b)))
                        if a_col is not None else self.mul(a, one_b))
            if row is not None and col is not None:
                return self.stack(self.stack(self._product(row, col)))
            if row is not None:
                return self.stack(self._product(row, b))
            if col is not None:
                return self.transpose(self.stack(self._product(a, col)))
            a_col, b_row = _column(a), _row(b)
            if a_col is not None and b_row is not None:
                return self._node("outer", (a_col, b_row), (a.shape[0], b.shape[1]))
        return self._product(a, b)

    def _product(self, a: Expr, b: Expr) -> Expr:
        """``a @ b`` as the language writes it; a vector times a matrix as ``B.T @ a``."""
        if a.ndim == 1 and b.ndim == 2:
            a, b = self.transpose(b), a
        shape = matmul_shape(None, a.shape, b.shape)
        if a.op == "const" and b.op == "const":
            return self.const((a.value or 0.0) * (b.value or 0.0) * a.shape[-1], shape)
        if a == 0.0 or b == 0.0:
            return self.const(0.0, shape)
        if a.op == "const" and b.ndim == 1:  # every row the same: c * sum(b)
            return self._fit(self.mul(a.value or 0.0, self.sum(b)), shape)
        return self._node("matmul", (a, b), shape)

    def sum(self, v: Any) -> Expr:
        v = self._lift(v)
        if not v.shape:
            return v
        if v.op == "const":
            return self.const((v.value or 0.0) * size_of(v.shape))
        if _is_spread(v) and not v.args[1].shape:
            return self.mul(float(size_of(v.shape)), v.args[1])
        return self._node("sum", (v,), ())

    def spread(self, g: Any, like: Any) -> Expr:
        return self._fit(self._lift(g), self._lift(like).shape)

    def amax(self, v: Any) -> Expr:
        return self._node("amax", (self._lift(v),), ())

    def amin(self, v: Any) -> Expr:
        return self._node("amin", (self._lift(v),), ())

    def first_of(self, v: Any, out: Any) -> Expr:
        """1 at the first largest (``out`` is ``max(v)``) or smallest element, else 0:
        the scalar max rule's mask over the elements, as a literal."""
        import numpy as np

        v, out = self._lift(v), self._lift(out)
        if size_of(v.shape) > 100:
            raise InputError("diff writes the gradient of max(x) and min(x) element by "
                             "element: at most 100 elements")
        at = list(np.ndindex(*v.shape))
        elements = [self.take(tuple(int(k) for k in idx), v) for idx in at]
        mask = self._mask(tuple(elements), largest=out.op != "amin")
        return self._from_elements(v.shape, lambda p: mask[p])

    def last_axis_sum(self, z: Any) -> Expr:
        z = self._lift(z)
        if z.ndim == 1:
            return self.stack(self.sum(z))
        return self.transpose(self.stack(self.matmul(z, self.const(1.0, z.shape[-1:]))))

    def logsumexp_last(self, z: Any) -> Expr:
        z = self._lift(z)
        if z.ndim == 1:
            return self.stack(self._node("logsumexp", (z,), ()))
        return self.stack(*[self.stack(self._node("logsumexp", (self.take((i,), z),), ()))
                            for i in range(z.shape[0])])

    def norm(self, v: Any) -> Expr:
        return self._node("norm", (self._lift(v),), ())

    def unbroadcast(self, g: Any, like: Any) -> Expr:
        """``g`` summed over the axes ``like`` was broadcast along: ``sum(g)`` to a
        scalar, ``G.T @ [1, 1]`` over the rows of a matrix, ``G @ [1, 1]`` over its
        columns."""
        g, like = self._lift(g), self._lift(like)
        target = like.shape
        if g.shape == target:
            return g
        padded = (1,) * (g.ndim - len(target)) + target
        if len(padded) != g.ndim or g.ndim > 2:
            raise InputError("diff works with vectors and matrices")
        axes = [k for k, n in enumerate(padded) if n == 1 and g.shape[k] != 1]
        if not axes:
            return self._fit(g, target)
        if len(axes) == g.ndim or all(g.shape[k] == 1 for k in range(g.ndim) if k not in axes):
            return self._fit(self.sum(g), target)
        if axes == [0]:  # over the rows of a matrix: a vector, or a one-row matrix
            column = self.matmul(self.transpose(g), self.const(1.0, g.shape[:1]))
            return column if len(target) == 1 else self.stack(column)
        row = self.matmul(g, self.const(1.0, g.shape[1:]))  # over the columns
        return self.transpose(self.stack(row))


def _static_key(value: Any) -> Any:
    """An index's subscripts as a key (slices are not hashable before Python 3.12)."""
    if isinstance(value, tuple):
        return tuple((s.start, s.stop, s.step) if isinstance(s, slice) else s for s in value)
    return value


def _is_spread(x: Expr) -> bool:
    """``ones * t``: ``t`` widened to a larger shape."""
    return (x.op == "mul" and x.args[0].op == "const" and x.args[0].value == 1.0
            and bool(x.args[0].shape))


def _row(x: Expr) -> Expr | None:
    """The vector ``v`` of a one-row matrix ``[v]``."""
    if x.ndim != 2 or x.shape[0] != 1:
        return None
    if x.op == "const":
        return x.space.const(x.value or 0.0, x.shape[1:])
    if x.op == "stack" and len(x.args) == 1:
        return x.args[0]
    return None


def _column(x: Expr) -> Expr | None:
    """The vector ``v`` of a one-column matrix ``[v].T``."""
    if x.ndim != 2 or x.shape[1] != 1:
        return None
    if x.op == "const":
        return x.space.const(x.value or 0.0, x.shape[:1])
    if x.op == "transpose":
        return _row(x.args[0])
    return None


def _one(x: Expr) -> Expr | None:
    """The scalar ``s`` of a 1x1 matrix ``[[s]]``."""
    if x.shape != (1, 1):
        return None
    if x.op == "const":
        return x.space.const(x.value or 0.0)
    if x.op == "stack" and x.args[0].op == "stack":
        return x.args[0].args[0]
    if x.op == "stack" and x.args[0].op == "const":
        return x.space.const(x.args[0].value or 0.0)
    return None


def _rows_of(elements: list[Expr]) -> Expr | None:
    """``v`` when the elements are ``v[0], v[1], ...`` of all of ``v``."""
    first = elements[0]
    if first.op != "index" or first.value != (0,):
        return None
    source = first.args[0]
    if not source.shape or source.shape[0] != len(elements):
        return None
    for k, e in enumerate(elements):
        if e.op != "index" or e.value != (k,) or e.args[0] is not source:
            return None
    return source


def namespace() -> Symbolic:
    """A fresh namespace: its expressions, and those built from them, live in it."""
    return Symbolic()
