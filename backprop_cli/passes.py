"""Forward and backward passes specialised to the inputs that move, for loops that rerun them.

A training loop reruns the same two passes thousands of times with only a few inputs
changing. ``Passes`` walks the graph once to keep only what a step needs: the gates that
depend on a moving input (the others keep the value they had at the start), each with
its rule from the table looked up once, and, for the backward pass, only the arguments
that lead to a moving input. Constant local derivatives that the table writes as the
literal ``1`` or ``-1`` (``add``, ``sub``, ``neg``, ``pos``), or as the name of another
argument (``mul``: ``b`` and ``a``), are taken without a call (a test holds the table's
rules to those texts). The numbers are the engine's own (``core.engine``): the same
rules, in the same order, so a step gives the same bits; what is left out is work whose
result is not used.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .core import scalar_math
from .core.engine import forward
from .core.graph import Graph

# how a gate's backward step is taken
_CALL1, _CALL2, _GENERIC = 0, 1, 2
_CONSTANT = {"1": 1.0, "-1": -1.0}


class Passes:
    """The two passes of ``graph`` at points that differ only in the ``moving`` inputs."""

    def __init__(self, graph: Graph, point: Mapping[int, Any], moving: Sequence[int],
                 xp: Any = scalar_math) -> None:
        self.graph = graph
        self.moving = list(moving)
        self.xp = xp
        nodes = graph.nodes
        varies = [False] * len(nodes)
        for i in self.moving:
            varies[i] = True
        for i, node in enumerate(nodes):
            if not varies[i] and node.args and any(varies[a] for a in node.args):
                varies[i] = True
        self.varies = varies
        # every value at the start point: the ones that never vary keep it
        self.template = forward(graph, point, xp)
        forward_plan: list[tuple[int, Any, int, int, tuple[int, ...]]] = []
        backward_plan: list[tuple[Any, ...]] = []
        for i, node in enumerate(nodes):
            if not varies[i] or not node.args:
                continue
            op, args = node.op, node.args
            a = args[0]
            b = args[1] if len(args) == 2 else -1  # -1: one argument, or more than two
            kind = 1 if len(args) == 1 else 2 if len(args) == 2 else 3
            forward_plan.append((i, op.forward, a if kind < 3 else -1, b, args))
            if i > graph.output:
                continue  # after the output: it gets no gradient
            wanted = tuple(varies[x] for x in args)
            if getattr(op, "per_argument", False) and kind <= 2:
                # per argument: (rule, constant, node): call the rule, else the value of
                # the node when there is one, else the constant
                rules: list[tuple[Any, float, int] | None] = []
                for k, x in enumerate(args):
                    text = op.partials_text[k] if k < len(op.partials_text) else ""
                    constant = _CONSTANT.get(text)
                    # g * 1.0 and g * -1.0 are g and -g exactly, as the engine adds them;
                    # a rule written as another argument's name is that argument's value
                    other = op.params.index(text) if text in op.params[:kind] else -1
                    if not varies[x]:
                        rules.append(None)
                    elif constant is not None:
                        rules.append((None, constant, -1))
                    elif other >= 0:
                        rules.append((None, 0.0, args[other]))
                    else:
                        rules.append((op.partials[k], 0.0, -1))
                if kind == 1:
                    backward_plan.append((i, _CALL1, a, -1, rules[0], None))
                else:
                    backward_plan.append((i, _CALL2, a, b, rules[0], rules[1]))
            else:
                backward_plan.append((i, _GENERIC, args, op, wanted, None))
        backward_plan.reverse()
        self._forward = forward_plan
        self._backward = backward_plan
        self._values = list(self.template)  # overwritten in place by every ``run``

    def values(self, params: Sequence[Any]) -> list[Any]:
        """Every node's value with the moving inputs at ``params`` (a new list)."""
        return list(self._forward_pass(params))

    def _forward_pass(self, params: Sequence[Any]) -> list[Any]:
        values = self._values  # the gates that vary are all computed again
        for i, p in zip(self.moving, params):
            values[i] = p
        xp = self.xp
        for i, rule, a, b, args in self._forward:
            if b >= 0:
                values[i] = rule(xp, values[a], values[b])
            elif a >= 0:
                values[i] = rule(xp, values[a])
            else:
                values[i] = rule(xp, *[values[x] for x in args])
        return values

    def run(self, params: Sequence[Any]) -> tuple[Any, list[Any]]:
        """The output and its gradient with respect to each moving input at ``params``."""
        values = self._forward_pass(params)
        return values[self.graph.output], self._backward_pass(values)

    def gradients(self, values: Sequence[Any]) -> list[Any]:
        """``d output / d p`` for each moving input ``p``, by the engine's chain rule."""
        return self._backward_pass(values)

    def _backward_pass(self, values: Sequence[Any]) -> list[Any]:
        grads: list[Any] = [0.0] * len(values)
        grads[self.graph.output] = self.xp.ONE
        xp = self.xp
        for i, kind, a, b, left, right in self._backward:
            g = grads[i]
            if g == 0.0:
                continue
            if kind == _CALL2:
                if left is not None:
                    rule, constant, node = left
                    if rule is not None:
                        c = g * rule(xp, values[i], values[a], values[b])
                    else:
                        c = g * (values[node] if node >= 0 else constant)
                    t = grads[a]
                    grads[a] = c if t == 0.0 else t + c
                if right is not None:
                    rule, constant, node = right
                    if rule is not None:
                        c = g * rule(xp, values[i], values[a], values[b])
                    else:
                        c = g * (values[node] if node >= 0 else constant)
                    t = grads[b]
                    grads[b] = c if t == 0.0 else t + c
            elif kind == _CALL1:
                rule, constant, node = left
                if rule is not None:
                    c = g * rule(xp, values[i], values[a])
                else:
                    c = g * (values[node] if node >= 0 else constant)
                t = grads[a]
                grads[a] = c if t == 0.0 else t + c
            else:  # a, b: the arguments, the op; left: which are wanted
                local = b.local_gradients(xp, values[i], tuple(values[x] for x in a), left)
                for x, d in zip(a, local):
                    if d is not None:
                        c = g * d
                        t = grads[x]
                        grads[x] = c if t == 0.0 else t + c
        return [grads[i] for i in self.moving]


class ArrayPasses:
    """The two passes of a program with arrays (the engine's array loop, ``core.engine``
    ``_forward_arrays`` and ``backward_arrays``) laid out once for points that differ only
    in the ``moving`` inputs and the ``per_step`` ones (a batch's data columns): the gates
    that depend on neither keep their first value, each gate's rule is looked up once,
    and the backward pass visits only the gates that lead to a moving input. The same
    rules in the same order as the engine: the same bits."""

    def __init__(self, graph: Graph, leaves: Mapping[int, Any], moving: Sequence[int],
                 per_step: Sequence[int], xp: Any) -> None:
        from .core.engine import forward

        self.graph = graph
        self.moving = list(moving)
        self.per_step = list(per_step)
        self.xp = xp
        nodes = graph.nodes
        leads = [False] * len(nodes)  # depends on a moving input: gets a gradient
        changes = [False] * len(nodes)  # depends on a moving input or the data
        for i in self.moving:
            leads[i] = changes[i] = True
        for i in self.per_step:
            changes[i] = True
        for i, node in enumerate(nodes):
            if node.args:
                leads[i] = leads[i] or any(leads[a] for a in node.args)
                changes[i] = changes[i] or any(changes[a] for a in node.args)
        self._values = forward(graph, leaves, xp)  # the gates that never change keep these
        steps = [(i, node.op.forward, node.value if node.op.static else _NO_VALUE, node.args)
                 for i, node in enumerate(nodes) if node.args and changes[i]]
        # the gates of the data alone are computed again only for other data (a batch)
        self._forward = [step for step in steps if leads[step[0]]]
        self._data_forward = [step for step in steps if not leads[step[0]]]
        self._data: list[Any] = [leaves.get(i) for i in self.per_step]
        plan: list[tuple[Any, ...]] = []
        for i in range(graph.output, -1, -1):
            node = nodes[i]
            if not node.args or not leads[i]:
                continue
            op = node.op
            wanted = tuple(leads[a] for a in node.args)
            if op.static:
                kind, rules = 0, (op.vjps[0],)
            elif op.vjps:
                kind, rules = (1, (op.vjps[0],)) if op.variadic else (2, tuple(
                    rule if w else None for rule, w in zip(op.vjps, wanted)))
            elif op.variadic:
                kind, rules = 3, (op.partials[0],)
            else:  # elementwise: a constant derivative of 1 or -1 is taken without a call
                kind = 4
                rules = tuple((None if not w else _CONSTANT.get(
                    op.partials_text[k] if k < len(op.partials_text) else "", op.partials[k]))
                    for k, w in enumerate(wanted))
            plan.append((i, kind, node.value, node.args, wanted, rules))
        self._backward = plan

    def run(self, params: Sequence[Any], data: Sequence[Any] = (), seed: Any = None
            ) -> tuple[list[Any], list[Any]]:
        """Every node's value, and the gradient of each moving input, at ``params`` (and
        the ``per_step`` inputs at ``data``), from ``seed`` (the output's gradient, 1 by
        default; over rows summed into shared values, ones per row)."""
        values = self._values
        for i, p in zip(self.moving, params):
            values[i] = p
        if any(new is not old for new, old in zip(data, self._data)):
            self._data = list(data)
            for i, column in zip(self.per_step, data):
                values[i] = column
            self._run(self._data_forward, values)
        self._run(self._forward, values)
        return values, self._backward_pass(values, seed)

    def _run(self, steps: list[tuple[Any, ...]], values: list[Any]) -> None:
        xp = self.xp
        for i, rule, value, args in steps:
            if value is _NO_VALUE:
                values[i] = rule(xp, *[values[a] for a in args])
            else:
                values[i] = rule(xp, value, *[values[a] for a in args])

    def _backward_pass(self, values: list[Any], seed: Any = None) -> list[Any]:
        import numpy as np

        from .core.engine import _times, _zero_like

        xp = self.xp
        unbroadcast = xp.unbroadcast
        ndarray = np.ndarray
        grads: list[Any] = [None] * len(values)
        grads[self.graph.output] = xp.ONE if seed is None else seed
        for i, kind, value, args, wanted, rules in self._backward:
            g = grads[i]
            if g is None:
                continue
            out = values[i]
            arg_values = [values[a] for a in args]
            if kind == 0:
                contributions = [rules[0](xp, value, g, out, *arg_values)]
            elif kind == 1:
                contributions = rules[0](xp, g, out, *arg_values)
            elif kind == 2:
                contributions = [None if rule is None else rule(xp, g, out, *arg_values)
                                 for rule in rules]
            elif kind == 3:
                every = rules[0](xp, out, *arg_values)
                contributions = [_times(g, d) if w else None for d, w in zip(every, wanted)]
            else:
                contributions = [None if rule is None else
                                 (g if rule == 1.0 else -g) if rule.__class__ is float else
                                 _times(g, rule(xp, out, *arg_values)) for rule in rules]
            for a, c, w, v in zip(args, contributions, wanted, arg_values):
                if c is None or not w:
                    continue
                if not (c.__class__ is ndarray and v.__class__ is ndarray
                        and c.shape == v.shape):
                    c = unbroadcast(c, v)
                total = grads[a]
                grads[a] = c if total is None else total + c
        return [_zero_like(values[i]) if grads[i] is None else grads[i] for i in self.moving]


_NO_VALUE = object()
