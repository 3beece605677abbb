"""Code expressions with shapes: the array number system of ``codegen``, and the layout of
an array program as straight-line statements.

``ArraySpace`` is ``expr.CodeSpace`` with the members of the array contract
(``core/namespace.py`` ``ArraySystem``): every expression has the static shape of the
value it computes, elementwise expressions broadcast as NumPy does, and each primitive
of the contract (``matmul``, ``mT``, ``transpose``, ``sum``, ``spread``, ``take``,
``put``, ``stack``, ``unbroadcast``, ``first_of``...) is a ``PRIM`` expression that a
target spells (NumPy directly, JavaScript and C as small helpers over flat row-major
arrays). ``lift`` and ``drop`` only change the shape, never the elements: a ``reshape``.

The forward and backward passes are the engine's own (``core/engine.forward`` and
``backward_arrays``) run over this space, so the tensor ops' forward rules and ``vjps``
(``core/ops.py``) write the code, a ``def`` is inlined (its body's forward and backward
run over the call's expressions), and gradients are added in the engine's order.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

from ..core.errors import InputError
from ..core.graph import Graph
from ..core.labels import all_labels
from .expr import AND, CALL, COMPARISONS, REF, CodeSpace, Expr
from .expr import CONST as CONST_EXPR
from .names import Namer
from .program import COMMENT_LIMIT, Target, postorder, substitute

PRIM = "prim"
Shape = tuple[int, ...]
# primitives whose value is one of their arguments' elements, reshaped
VIEWS = frozenset({"reshape"})
CONDITIONS = COMPARISONS | {AND}


def broadcast(*shapes: Shape) -> Shape:
    """NumPy's broadcast of static shapes (the builder has checked they combine)."""
    n = max((len(s) for s in shapes), default=0)
    out = [1] * n
    for s in shapes:
        for k, size in enumerate(s, start=n - len(s)):
            if size != 1:
                out[k] = size
    return tuple(out)


def _take_shape(subscripts: tuple[int | slice, ...], shape: Shape) -> Shape:
    out: list[int] = []
    for sub, size in zip(subscripts, shape):
        if isinstance(sub, slice):
            out.append(len(range(*sub.indices(size))))
    return (*out, *shape[len(subscripts):])


class ArraySpace(CodeSpace):
    """The ``xp`` of array code: expressions with shapes (the ``ArraySystem`` contract)."""

    batched = True
    masks_zero_gradients = False

    def _make(self, kind: str, args: tuple[Expr, ...] = (), value: float | None = None,
              name: str | None = None, function: str | None = None, data: Any = None,
              shape: Shape | None = None) -> Expr:
        key = (kind, tuple(map(id, args)), None if value is None else repr(value), name,
               function, repr(data), shape)
        found = self._table.get(key)
        if found is None:
            found = self._table[key] = Expr(self, kind, args, value, name, function)
            found.data = data
            found.shape = shape if shape is not None else broadcast(*(a.shape for a in args))
        return found

    def ref(self, name: str, shape: Shape = ()) -> Expr:
        return self._make(REF, name=name, shape=tuple(shape))

    def rebuild(self, e: Expr, args: tuple[Expr, ...]) -> Expr:
        return self._make(e.kind, args, e.value, e.name, e.function, e.data, e.shape)

    def prim(self, function: str, *args: Any, data: Any = None, shape: Shape) -> Expr:
        return self._make(PRIM, tuple(self.lift(a) for a in args), function=function,
                          data=data, shape=tuple(shape))

    def lift(self, x: Any, axis: int | None = None) -> Any:
        if axis is not None:  # the contract's lift: an axis of size 1 inserted
            v = self.lift(x)
            at = len(v.shape) + 1 + axis if axis < 0 else axis
            return self.reshape(v, (*v.shape[:at], 1, *v.shape[at:]))
        if isinstance(x, Expr):
            return x
        if x.__class__.__module__ == "numpy" and getattr(x, "ndim", 0):
            return self._literal(x)
        if isinstance(x, bool):
            raise TypeError("a truth value is not a number")
        return self.const(float(x))

    def _literal(self, array: Any) -> Expr:
        values = tuple(float(v) for v in array.ravel())
        if all(v == 0.0 and math.copysign(1.0, v) > 0 for v in values):
            return self.zeros(tuple(array.shape))
        return self.prim("literal", data=values, shape=tuple(array.shape))

    def zeros(self, shape: Shape) -> Expr:
        return self.const(0.0) if not shape else self.prim("zeros", shape=shape)

    def reshape(self, v: Expr, shape: Shape) -> Expr:
        if v.shape == shape:
            return v
        if v.kind == PRIM and v.function == "reshape":
            v = v.args[0]
        return v if v.shape == shape else self.prim("reshape", v, shape=shape)

    # -- the array contract -----------------------------------------------------------------
    def ndim(self, v: Any) -> int:
        return len(self.lift(v).shape)

    def drop(self, v: Any, axis: int) -> Expr:
        v = self.lift(v)
        at = len(v.shape) + axis if axis < 0 else axis
        return self.reshape(v, (*v.shape[:at], *v.shape[at + 1:]))

    def size(self, v: Any) -> int:
        return math.prod(self.lift(v).shape)

    def isfinite(self, v: Any) -> Any:
        v = self.lift(v)
        if v.kind == CONST_EXPR:
            return math.isfinite(v.value or 0.0)
        return self._make(CALL, (v,), function="isfinite")

    def matmul(self, a: Any, b: Any) -> Expr:
        a, b = self.lift(a), self.lift(b)
        return self.prim("matmul", a, b, shape=(a.shape[-2], b.shape[-1]))

    def matmul_to(self, a: Any, b: Any, like: Any) -> Expr:
        return self.matmul(a, b)  # at one point: nothing to sum over rows

    def mT(self, a: Any) -> Expr:
        a = self.lift(a)
        return self.prim("mT", a, shape=(*a.shape[:-2], a.shape[-1], a.shape[-2]))

    def transpose(self, a: Any) -> Expr:
        a = self.lift(a)
        if len(a.shape) < 2:
            return a
        return self.prim("transpose", a, shape=a.shape[::-1])

    def sum(self, v: Any) -> Expr:
        v = self.lift(v)
        return v if not v.shape else self.prim("sum", v, shape=())

    def spread(self, g: Any, like: Any) -> Expr:
        g, like = self.lift(g), self.lift(like)
        return g if not like.shape else self.prim("spread", g, shape=like.shape)

    def amax(self, v: Any) -> Expr:
        v = self.lift(v)
        return v if not v.shape else self.prim("amax", v, shape=())

    def amin(self, v: Any) -> Expr:
        v = self.lift(v)
        return v if not v.shape else self.prim("amin", v, shape=())

    def first_of(self, v: Any, out: Any) -> Expr:
        v = self.lift(v)
        return self.prim("first_of", v, out, shape=v.shape)

    def last_axis_max(self, z: Any) -> Expr:
        z = self.lift(z)
        return self.prim("last_axis_max", z, shape=(*z.shape[:-1], 1))

    def last_axis_sum(self, z: Any) -> Expr:
        z = self.lift(z)
        return self.prim("last_axis_sum", z, shape=(*z.shape[:-1], 1))

    def logsumexp_last(self, z: Any) -> Expr:
        """As ``tensor_math``: shifted by the largest element (0 where it is not finite)."""
        top = self.last_axis_max(z)
        top = self.where(self.isfinite(top), top, 0.0)
        return self.log(self.last_axis_sum(self.exp(self.lift(z) - top))) + top

    def norm(self, v: Any) -> Expr:
        v = self.lift(v)
        return self.sqrt(self.sum(v * v))

    def stack(self, *elements: Any) -> Expr:
        parts = [self.lift(e) for e in elements]
        shape = broadcast(*(p.shape for p in parts))
        return self.prim("stack", *parts, shape=(len(parts), *shape))

    def unstack(self, g: Any, k: int) -> Expr:
        return self.take((k,), g)

    def take(self, subscripts: tuple[int | slice, ...], v: Any) -> Expr:
        v = self.lift(v)
        return self.prim("take", v, data=tuple(subscripts),
                         shape=_take_shape(tuple(subscripts), v.shape))

    def put(self, subscripts: tuple[int | slice, ...], g: Any, like: Any) -> Expr:
        like = self.lift(like)
        return self.prim("put", g, data=tuple(subscripts), shape=like.shape)

    def unbroadcast(self, g: Any, like: Any) -> Expr:
        g, target = self.lift(g), self.lift(like).shape
        if g.shape == target:
            return g
        return self.prim("unbroadcast", g, shape=target)


# -- the layout -----------------------------------------------------------------------------
class Assign(NamedTuple):
    """``target = expr`` (an array or a number, of ``expr.shape``)."""

    target: str
    expr: Expr
    comment: str | None = None


class ArrayFunction(NamedTuple):
    name: str
    params: tuple[str, ...]  # generated names of the inputs
    source_params: tuple[str, ...]  # the program's names
    shapes: tuple[Shape, ...]  # each input's shape
    defaults: tuple[Any, ...]  # each input's default (a float, an ndarray or None)
    statements: tuple[Assign, ...]
    value: Expr
    wrt: tuple[str, ...]
    grads: tuple[Expr, ...]
    values: tuple[Expr, ...] = ()  # with trace: every node's value, by node id
    node_grads: tuple[Expr, ...] = ()
    locals: tuple[str, ...] = ()
    comment: str = ""


class ArrayModule(NamedTuple):
    main: ArrayFunction
    trace: ArrayFunction | None
    source: str


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= COMMENT_LIMIT else text[: COMMENT_LIMIT - 3] + "..."


def build_array_module(graph: Graph, target: Target, *, name: str,
                       wrt: Sequence[str] | None = None, trace: bool = False,
                       trace_name: str = "trace") -> ArrayModule:
    top = Namer(target.reserved, target.legal)
    main_name = top.claim(name)
    trace_fn = top.claim(trace_name) if trace else None
    inputs = graph.input_names()
    main = _array_function(graph, top.child(), main_name, tuple(inputs if wrt is None else wrt))
    traced = (_array_function(graph, top.child(), trace_fn, tuple(inputs), trace=True)
              if trace_fn is not None else None)
    return ArrayModule(main, traced, graph.source.text)


def _array_function(graph: Graph, scope: Namer, name: str, wrt: tuple[str, ...],
                    trace: bool = False) -> ArrayFunction:
    from ..core.engine import backward_arrays, forward
    from ..core.errors import BackpropError

    nodes = graph.nodes
    labels = all_labels(graph)
    space = ArraySpace()
    var: dict[int, str] = {i: scope.claim(nodes[i].name or f"p{i}") for i in graph.inputs}
    leaves = {i: space.ref(var[i], tuple(nodes[i].shape or ())) for i in graph.inputs}
    try:
        values = [space.lift(v) for v in forward(graph, leaves, space)]
        grads = [space.lift(g) for g in backward_arrays(graph, values, space)]
    except (BackpropError, TypeError, AttributeError, ValueError) as error:
        raise InputError(f"codegen cannot write this program as array code ({error})",
                         source=graph.source) from None
    by_name = {nodes[i].name: i for i in graph.inputs}
    value = values[graph.output]
    out_grads = tuple(grads[by_name[n]] for n in wrt)
    results = [value, *out_grads] + ([*values, *grads] if trace else [])

    # the statements: one per gate's value, then one per gradient, where the results need them
    reached = _reachable(results)
    named: list[tuple[Expr, str, str]] = []
    claimed: set[int] = {id(e) for e in leaves.values()}
    for i, node in enumerate(nodes):
        e = values[i]
        if node.op.is_leaf or id(e) in claimed or id(e) not in reached or _trivial(e):
            continue
        claimed.add(id(e))
        var[i] = scope.claim(node.name or f"t{i}")
        named.append((e, var[i], _short(_statement_label(node.name, labels[i]))))
    for i in range(len(nodes) - 1, -1, -1):
        e = grads[i]
        if id(e) in claimed or id(e) not in reached or _trivial(e):
            continue
        claimed.add(id(e))
        base = var.get(i) or f"t{i}"
        label = f"d/d{nodes[i].name}" if nodes[i].name else f"d/d({labels[i]})"
        named.append((e, scope.claim(f"d_{base}"), _short(label)))
    statements = _linear(space, named, results, scope)
    shared = {id(s.source): space.ref(s.target, s.expr.shape) for s in statements}

    def final(e: Expr) -> Expr:
        return substitute(space, e, shared)

    body = tuple(Assign(s.target, s.expr, s.comment) for s in statements)
    return ArrayFunction(
        name=name, params=tuple(var[i] for i in graph.inputs),
        source_params=tuple(nodes[i].name or "" for i in graph.inputs),
        shapes=tuple(tuple(nodes[i].shape or ()) for i in graph.inputs),
        defaults=tuple(nodes[i].value for i in graph.inputs),
        statements=body, value=final(value), wrt=wrt,
        grads=tuple(final(g) for g in out_grads),
        values=tuple(final(v) for v in values) if trace else (),
        node_grads=tuple(final(g) for g in grads) if trace else (),
        locals=tuple(s.target for s in body),
        comment=_short(_statement_label(nodes[graph.output].name, labels[graph.output])),
    )


def _statement_label(name: str | None, label: str) -> str:
    return f"{name} = {label}" if name is not None and name != label else label


def _trivial(e: Expr) -> bool:
    return e.kind in (REF, CONST_EXPR) or (e.kind == PRIM and e.function in VIEWS
                                            and _trivial(e.args[0]))


def _reachable(roots: Sequence[Expr]) -> set[int]:
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        e = stack.pop()
        if id(e) not in seen:
            seen.add(id(e))
            stack.extend(e.args)
    return seen


class _Statement(NamedTuple):
    target: str
    expr: Expr  # with earlier statements' expressions replaced by their variables
    comment: str | None
    source: Expr  # the expression as the rules built it


def _linear(space: ArraySpace, named: list[tuple[Expr, str, str]], results: list[Expr],
            scope: Namer) -> list[_Statement]:
    """The named expressions in order, each preceded by the temporaries it needs: every
    primitive (and what it reads) in a variable of its own, and every other expression
    used more than once."""
    uses: dict[int, int] = {}
    seen: set[int] = set()
    for root in [*(e for e, _, _ in named), *results]:
        uses[id(root)] = uses.get(id(root), 0) + 1
        for e in postorder(root):
            if id(e) in seen:
                continue
            seen.add(id(e))
            for a in e.args:
                uses[id(a)] = uses.get(id(a), 0) + 1
    must: set[int] = set()  # the arguments of primitives (through views)
    for root in [*(e for e, _, _ in named), *results]:
        for e in postorder(root):
            if e.kind == PRIM:  # its arguments, and what a view reshapes, are variables
                for a in e.args:
                    while a.kind == PRIM and a.function in VIEWS:
                        a = a.args[0]
                    must.add(id(a))
    shared: dict[int, Expr] = {}
    out: list[_Statement] = []
    counter = 0
    for root, target, comment in named:
        for e in postorder(root):
            if e is root or id(e) in shared or _trivial(e) or e.kind in CONDITIONS:
                continue
            if e.kind == CALL and e.function == "isfinite":
                continue
            if e.kind == PRIM and e.function in VIEWS:
                continue
            if (e.kind == PRIM or id(e) in must
                    or (uses.get(id(e), 0) > 1 and e.kind != "neg")):
                counter += 1
                temp = scope.claim(f"c{counter}")
                out.append(_Statement(temp, substitute(space, e, shared, top=True), None, e))
                shared[id(e)] = space.ref(temp, e.shape)
        out.append(_Statement(target, substitute(space, root, shared, top=True), comment,
                              root))
        shared[id(root)] = space.ref(target, root.shape)
    # what the results read that no statement computes yet (a primitive of the output)
    for root in results:
        for e in postorder(root):
            if id(e) in shared or _trivial(e) or e.kind in CONDITIONS:
                continue
            if (e.kind == PRIM and e.function not in VIEWS) or id(e) in must:
                counter += 1
                temp = scope.claim(f"c{counter}")
                out.append(_Statement(temp, substitute(space, e, shared, top=True), None, e))
                shared[id(e)] = space.ref(temp, e.shape)
    return out



def element_count(shape: Shape) -> int:
    return math.prod(shape)
