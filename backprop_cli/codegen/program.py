"""A graph as a straight-line function of code expressions, before any language spells it.

The forward pass is one statement per gate, in the program's order, each the gate's
``forward`` rule run over placeholders (``expr.CodeSpace``); the backward pass one
statement per node that needs a gradient, in reverse order, each the sum of what its
users pass back: upstream gradient times the user's ``partials`` rule, added in the order
the engine adds them (``core/engine.py``), so the arithmetic is the same. A contribution
whose local derivative may not be finite is taken only where the upstream gradient is not
0, as the engine skips such a node. A user ``def`` is a helper function of its own that
returns its value and its local derivatives; sigmoid and softplus are single gates as in
``eval``. A subexpression used more than once is computed once, in a temporary.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from ..core.blocks import Block
from ..core.errors import InputError
from ..core.graph import Graph
from ..core.labels import all_labels
from ..core.ops import CONST
from .expr import COMPARISONS, REF, CodeSpace, Expr, is_bounded
from .expr import CONST as CONST_EXPR
from .names import Namer

COMMENT_LIMIT = 72


class Assign(NamedTuple):
    """``target = expr``; ``comment`` is the source formula it computes."""

    target: str
    expr: Expr
    comment: str | None = None


class Accumulate(NamedTuple):
    """``target = terms[0] + terms[1] + ...``: a node's gradient, the sum of what each of
    its users passes back, in the engine's order."""

    target: str
    terms: tuple[Expr, ...]
    comment: str | None = None


class CallHelper(NamedTuple):
    """``value, partial_0, ... = helper(args)``: a user function's gate."""

    targets: tuple[str, ...]  # the value, then d value / d parameter for each parameter
    helper: str
    args: tuple[Expr, ...]
    comment: str | None = None


Statement = Assign | Accumulate | CallHelper


class Function(NamedTuple):
    """One generated function: parameters in, the value and the gradients out."""

    name: str
    params: tuple[str, ...]  # generated names of the inputs (or a def's parameters)
    source_params: tuple[str, ...]  # the program's own names for them
    defaults: tuple[float | None, ...]  # each input's default value in the program
    forward: tuple[Statement, ...]
    backward: tuple[Statement, ...]
    value: Expr
    wrt: tuple[str, ...]  # the program's names of the inputs differentiated
    grads: tuple[Expr, ...]  # d value / d input, for each of wrt
    values: tuple[Expr, ...] = ()  # with trace: every node's value, by node id
    node_grads: tuple[Expr, ...] = ()  # with trace: every node's gradient
    locals: tuple[str, ...] = ()  # every local variable assigned, in order
    comment: str = ""


class Module(NamedTuple):
    """The helpers for the user functions, then the main function(s)."""

    helpers: tuple[Function, ...]
    main: Function
    trace: Function | None
    source: str


class Target(NamedTuple):
    """What a language says about names."""

    reserved: frozenset[str]
    legal: Any = str  # a wanted name -> a name the language may use


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= COMMENT_LIMIT else text[: COMMENT_LIMIT - 3] + "..."


def build_module(graph: Graph, target: Target, *, name: str, wrt: Sequence[str] | None = None,
                 trace: bool = False, trace_name: str = "trace") -> Module:
    """The functions that compute ``graph``'s value and gradient, names chosen for
    ``target``: one helper per user function called, the main function and, with
    ``trace``, a function giving every node's value and gradient."""
    top = Namer(target.reserved, target.legal)
    main_name = top.claim(name)
    trace_fn = top.claim(trace_name) if trace else None
    helpers: list[Function] = []
    helper_names: dict[int, str] = {}
    for node in graph.nodes:
        op = node.op
        if isinstance(op, Block) and id(op) not in helper_names:
            helper_names[id(op)] = top.claim(op.name)
            body = op.flat_body or op.body
            helpers.append(_function(body, top.child(), helper_names[id(op)], op.params,
                                     helper_names, for_helper=True))
    inputs = graph.input_names()
    chosen = tuple(inputs if wrt is None else wrt)
    main = _function(graph, top.child(), main_name, chosen, helper_names)
    traced = (_function(graph, top.child(), trace_fn, inputs, helper_names, trace=True)
              if trace_fn is not None else None)
    return Module(tuple(helpers), main, traced, graph.source.text)


def _function(graph: Graph, scope: Namer, name: str, wrt: Sequence[str],
              helper_names: dict[int, str], *, for_helper: bool = False,
              trace: bool = False) -> Function:
    nodes = graph.nodes
    labels = all_labels(graph)
    space = CodeSpace()
    leaf_ids = graph.params if for_helper else graph.inputs
    by_name = {nodes[i].name: i for i in leaf_ids}
    wrt_ids = {by_name[n] for n in wrt}

    live = _ancestors(graph, graph.output) if not trace else set(range(len(nodes)))
    # names: the inputs, then the program's named nodes, then temporaries
    var: dict[int, str] = {}
    for i in leaf_ids:
        var[i] = scope.claim(nodes[i].name or f"p{i}")
    for i in sorted(live):
        if i not in var and nodes[i].op is not CONST and nodes[i].name is not None:
            var[i] = scope.claim(nodes[i].name)
    for i in sorted(live):
        if i not in var and nodes[i].op is not CONST:
            var[i] = scope.claim(f"t{i}")

    # which nodes carry a gradient: those that need one and depend on a wrt input
    depends = _descendants(graph, wrt_ids)
    needs = [graph.needs_grad[i] and i in depends and i in live for i in range(len(nodes))]

    values: list[Expr] = []
    forward: list[Statement] = []
    partial_vars: dict[int, tuple[Expr, ...]] = {}
    for i, node in enumerate(nodes):
        op = node.op
        if op is CONST:
            values.append(space.const(node.value if node.value is not None else float("nan")))
            continue
        if i not in live:
            values.append(space.const(0.0))  # never printed: nothing live reads it
            continue
        ref = space.ref(var[i])
        values.append(ref)
        if op.is_leaf:
            continue
        args = tuple(values[a] for a in node.args)
        if isinstance(op, Block):
            wanted = any(needs[a] for a in node.args)
            targets: tuple[str, ...] = (var[i],)
            if wanted:
                partials = tuple(scope.claim(f"d{var[i]}_d{p}") for p in op.params)
                partial_vars[i] = tuple(space.ref(p) for p in partials)
                targets += partials
            forward.append(CallHelper(targets, helper_names[id(op)], args,
                                      _short(labels[i])))
        else:
            try:
                value = space.lift(op.forward(space, *args))
            except (AttributeError, TypeError):  # an op of arrays: no scalar code for it
                raise InputError(f"codegen cannot write {op.name} as scalar code",
                                 source=graph.source, start=node.start, end=node.end) from None
            forward.append(Assign(var[i], value, _short(_statement_label(node.name, labels[i]))))

    grads: list[Expr | None] = [None] * len(nodes)
    backward: list[Statement] = []
    contributions: list[list[Expr]] = [[] for _ in nodes]
    output = graph.output
    for i in range(output, -1, -1):
        if not needs[i]:
            continue
        if i == output:
            g: Expr = space.const(1.0)
        elif not contributions[i]:
            continue
        else:
            terms = contributions[i]
            if nodes[i].op.is_leaf or len(terms) > 1 or not _is_plain(terms[0]):
                gname = scope.claim(f"d_{var[i]}")
                comment = _short(_gradient_label(nodes[i].name, labels[i]))
                backward.append(Accumulate(gname, tuple(terms), comment))
                g = space.ref(gname)
            else:
                g = terms[0]
        grads[i] = g
        node = nodes[i]
        op = node.op
        if op.is_leaf:
            continue
        args = tuple(values[a] for a in node.args)
        wanted = tuple(needs[a] for a in node.args)
        if not any(wanted):
            continue
        if isinstance(op, Block):
            locals_ = list(partial_vars[i])
            bounded = False
        else:
            locals_ = op.local_gradients(space, values[i], args, wanted)
            bounded = True
        for a, w, d in zip(node.args, wanted, locals_):
            if not w or d is None:
                continue
            contribution = _contribution(space, g, space.lift(d), bounded)
            if contribution is not None:
                contributions[a].append(contribution)

    zero = space.const(0.0)
    out_grads = tuple(_or(grads[by_name[n]], zero) for n in wrt)
    forward_list, backward_list = _share(space, forward, backward, scope,
                                         [values[output], *out_grads]
                                         + ([*values, *[_or(g, zero) for g in grads]]
                                            if trace else []))
    statements = [*forward_list, *backward_list]
    assigned = tuple(t for s in statements
                     for t in (s.targets if isinstance(s, CallHelper) else (s.target,)))
    params = tuple(var[i] for i in leaf_ids)
    return Function(
        name=name, params=params,
        source_params=tuple(nodes[i].name or "" for i in leaf_ids),
        defaults=tuple(nodes[i].value for i in leaf_ids),
        forward=tuple(forward_list), backward=tuple(backward_list),
        value=values[output], wrt=tuple(wrt), grads=out_grads,
        values=tuple(values) if trace else (),
        node_grads=tuple(_or(g, zero) for g in grads) if trace else (),
        locals=assigned,
        comment=_short(_statement_label(nodes[output].name, labels[output])),
    )


def _or(expr: Expr | None, default: Expr) -> Expr:
    return default if expr is None else expr


def _gradient_label(name: str | None, label: str) -> str:
    return f"d/d{name}" if name is not None else f"d/d({label})"


def _statement_label(name: str | None, label: str) -> str:
    return f"{name} = {label}" if name is not None and name != label else label


def _is_plain(expr: Expr) -> bool:
    """A placeholder or a constant, or its negation: nothing to compute."""
    if expr.kind == "neg":
        expr = expr.args[0]
    return expr.kind in (REF, CONST_EXPR)


def _contribution(space: CodeSpace, g: Expr, d: Expr, bounded: bool) -> Expr | None:
    """``g * d`` as the engine adds it (``core/engine._accumulate``): ``g`` for a local
    derivative of 1, ``-g`` for -1, nothing for 0; guarded by ``g != 0`` where ``d``
    may not be finite (the engine skips a node whose gradient is 0)."""
    if d.kind == CONST_EXPR:
        if d.value == 0.0:
            return None
        if d.value == 1.0:
            return g
        if d.value == -1.0:
            return -g
    product = g * d
    if g.kind == CONST_EXPR or (bounded and is_bounded(d)):
        return product
    return space.where(g == 0.0, 0.0, product)


def _ancestors(graph: Graph, node: int) -> set[int]:
    seen = {node}
    stack = [node]
    while stack:
        for a in graph.nodes[stack.pop()].args:
            if a not in seen:
                seen.add(a)
                stack.append(a)
    return seen


def _descendants(graph: Graph, roots: set[int]) -> set[int]:
    reached = set(roots)
    for i, node in enumerate(graph.nodes):
        if i not in reached and any(a in reached for a in node.args):
            reached.add(i)
    return reached


def _share(space: CodeSpace, forward: list[Statement], backward: list[Statement],
           scope: Namer, results: list[Expr]) -> tuple[list[Statement], list[Statement]]:
    """Subexpressions used more than once (a function call, a quotient, a product...)
    get a temporary, assigned just before the first statement that reads it."""
    statements = [*forward, *backward]
    roots: list[list[Expr]] = []
    for s in statements:
        roots.append(_roots(s))
    roots.append(results)
    uses: dict[int, int] = {}
    seen: set[int] = set()
    for group in roots:
        for root in group:
            stack = [root]
            while stack:
                e = stack.pop()
                if id(e) in seen:
                    continue
                seen.add(id(e))
                for a in e.args:
                    uses[id(a)] = uses.get(id(a), 0) + 1
                    stack.append(a)
        for root in group:
            uses[id(root)] = uses.get(id(root), 0) + 1
    shared: dict[int, Expr] = {}
    out_forward: list[Statement] = []
    out_backward: list[Statement] = []
    counter = 0
    for k, s in enumerate(statements):
        target = out_forward if k < len(forward) else out_backward
        exprs = _roots(s)
        hoisted: list[tuple[Expr, str]] = []
        for root in exprs:
            for e in postorder(root):
                if (id(e) not in shared and uses.get(id(e), 0) > 1 and e is not root
                        and _worth_sharing(e)):
                    counter += 1
                    temp = scope.claim(f"c{counter}")
                    shared[id(e)] = space.ref(temp)
                    hoisted.append((e, temp))
        for e, temp in hoisted:
            target.append(Assign(temp, substitute(space, e, shared, top=True)))
        if isinstance(s, Assign):
            target.append(s._replace(expr=substitute(space, s.expr, shared)))
            if s.expr.kind not in (REF, CONST_EXPR):  # later uses read the variable
                shared[id(s.expr)] = space.ref(s.target)
        elif isinstance(s, Accumulate):
            target.append(s._replace(terms=tuple(substitute(space, t, shared)
                                                 for t in s.terms)))
        else:
            target.append(s._replace(args=tuple(substitute(space, a, shared) for a in s.args)))
    return out_forward, out_backward


def _roots(s: Statement) -> list[Expr]:
    if isinstance(s, Assign):
        return [s.expr]
    if isinstance(s, Accumulate):
        return list(s.terms)
    return list(s.args)


def _worth_sharing(e: Expr) -> bool:
    return e.kind not in (REF, CONST_EXPR, "neg", "where") and e.kind not in COMPARISONS


def postorder(root: Expr) -> list[Expr]:
    """Every node under ``root`` once, arguments before their users (an explicit stack)."""
    order: list[Expr] = []
    seen: set[int] = set()
    stack: list[tuple[Expr, bool]] = [(root, False)]
    while stack:
        e, done = stack.pop()
        if done:
            order.append(e)
            continue
        if id(e) in seen:
            continue
        seen.add(id(e))
        stack.append((e, True))
        stack.extend((a, False) for a in reversed(e.args))
    return order


def substitute(space: CodeSpace, root: Expr, shared: dict[int, Expr], top: bool = False
                ) -> Expr:
    """``root`` with every shared subexpression replaced by its temporary."""
    if not top and id(root) in shared:
        return shared[id(root)]
    memo: dict[int, Expr] = {}
    for e in postorder(root):
        if e is not root and id(e) in shared:
            memo[id(e)] = shared[id(e)]
            continue
        if not e.args:
            memo[id(e)] = e
            continue
        args = tuple(memo[id(a)] for a in e.args)
        memo[id(e)] = e if all(x is y for x, y in zip(args, e.args)) else space.rebuild(e, args)
    return memo[id(root)]


