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
