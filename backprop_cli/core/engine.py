"""Forward and backward passes over a Graph: two loops, no recursion.

``forward`` gives every node a value; ``backward`` gives every node
``d output / d node``, visiting nodes in reverse and adding each contribution into its
argument's gradient (so a node that feeds several others sums what flows back).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import partial
from typing import TYPE_CHECKING, Any, NamedTuple

from . import scalar_math
from .errors import BackpropError, EvaluationError, Remedy
from .graph import Graph
from .numbers import format_number
from .ops import CONST

if TYPE_CHECKING:
    from .namespace import NumberSystem


class Evaluation(NamedTuple):
    """A graph with a value and a gradient for every node."""

    graph: Graph
    values: Sequence[float]
    grads: Sequence[float]

    @property
    def value(self) -> float:
        return self.values[self.graph.output]

    @property
    def gradient(self) -> dict[str, float]:
        """d output / d input for every input, in order of first appearance."""
        nodes = self.graph.nodes
        return {nodes[i].name or "": self.grads[i] for i in self.graph.inputs}


def forward(graph: Graph, leaves: Mapping[int, Any],
            xp: NumberSystem = scalar_math) -> list[Any]:
    """Values of every node. ``leaves`` maps input (or param) node ids to values, and may
    give constants in another number type (exact rationals) too."""
    if graph.arrays:
        return _forward_arrays(graph, leaves, xp)
    nodes = graph.nodes
    values: list[Any] = [0.0] * len(nodes)
    i = 0
    try:
        for i, (op, args, _start, _end, _name, constant, _shape) in enumerate(nodes):
            if op.is_leaf:
                values[i] = leaves.get(i, constant) if op is CONST else leaves[i]
            elif len(args) == 1:
                values[i] = op.forward(xp, values[args[0]])
            elif len(args) == 2:
                values[i] = op.forward(xp, values[args[0]], values[args[1]])
            else:
                values[i] = op.forward(xp, *[values[a] for a in args])
    except BackpropError as error:
        raise _at_node(error, graph, i, "") from None
    return values


def backward(graph: Graph, values: Sequence[Any],
             xp: NumberSystem = scalar_math) -> list[Any]:
    """``d output / d node`` for every node, by the chain rule from the output back."""
    if graph.arrays:
        return backward_arrays(graph, values, xp)
    nodes = graph.nodes
    needs = graph.needs_grad
    grads: list[Any] = [0.0] * len(nodes)
    grads[graph.output] = xp.ONE  # an exact 1 for rational arithmetic
    batched = xp.batched  # arrays of points: no zero test on a whole array
    accumulate = partial(_accumulate_masked, xp) if xp.masks_zero_gradients else _accumulate
    i = graph.output
    try:
        for i in range(graph.output, -1, -1):
            g = grads[i]
            if (g.__class__ is float or not batched) and g == 0.0:
                continue
            op, args = nodes[i][0], nodes[i][1]
            if not args:
                continue
            if len(args) == 1 and op.per_argument:
                a = args[0]
                if needs[a]:
                    grads[a] = accumulate(grads[a], g, op.partials[0](xp, values[i], values[a]))
            elif len(args) == 2 and op.per_argument:
                a, b = args
                va, vb = values[a], values[b]
                if needs[a]:
                    grads[a] = accumulate(grads[a], g, op.partials[0](xp, values[i], va, vb))
                if needs[b]:
                    grads[b] = accumulate(grads[b], g, op.partials[1](xp, values[i], va, vb))
            else:
                wanted = tuple(needs[a] for a in args)
                local = op.local_gradients(xp, values[i], tuple(values[a] for a in args), wanted)
                for a, d in zip(args, local):
                    if d is not None:
                        grads[a] = accumulate(grads[a], g, d)
    except BackpropError as error:
        raise _at_node(error, graph, i, "the gradient through ") from None
    return grads


def _forward_arrays(graph: Graph, leaves: Mapping[int, Any], xp: Any) -> list[Any]:
    """The forward loop of a program with arrays: ops with fixed data (an index) take it
    first, and a def runs its body in the array engine."""
    nodes = graph.nodes
    values: list[Any] = [0.0] * len(nodes)
    i = 0
    try:
        for i, node in enumerate(nodes):
            op = node.op
            if op.is_leaf:
                values[i] = leaves.get(i, node.value) if op is CONST else leaves[i]
            elif op.static:
                values[i] = op.forward(xp, node.value, *[values[a] for a in node.args])
            else:
                values[i] = op.forward(xp, *[values[a] for a in node.args])
    except BackpropError as error:
        raise _at_node(error, graph, i, "") from None
    return values


def backward_arrays(graph: Graph, values: Sequence[Any], xp: Any,
                    seed: Any = None) -> list[Any]:
    """The backward loop over arrays: vector-Jacobian products, from ``seed`` (the
    output's gradient, 1 by default) back.

    An op with ``vjps`` gives the gradient reaching each argument itself (``matmul``:
    ``g B^T`` and ``A^T g``); an elementwise op gives its local derivative, multiplied by
    the upstream gradient; either way the contribution is summed back to the shape of
    the argument where the argument was broadcast (``xp.unbroadcast``). A def runs this
    loop over its body, seeded with the upstream gradient.
    """
    nodes = graph.nodes
    needs = graph.needs_grad
    grads: list[Any] = [None] * len(nodes)
    if seed is None:  # an array output: the gradient of the sum of its elements
        out = values[graph.output]
        seed = xp.ONE if out.__class__ is float or not getattr(out, "ndim", 0) else (
            xp.spread(xp.ONE, out))
    grads[graph.output] = seed
    unbroadcast = xp.unbroadcast
    i = graph.output
    try:
        for i in range(graph.output, -1, -1):
            g = grads[i]
            node = nodes[i]
            args = node.args
            if g is None or not args:
                continue
            op = node.op
            wanted = tuple(needs[a] for a in args)
            if not any(wanted):
                continue
            arg_values = [values[a] for a in args]
            out = values[i]
            if op.static:
                contributions = [op.vjps[0](xp, node.value, g, out, *arg_values)]
            elif op.vjps:
                if op.variadic:
                    contributions = op.vjps[0](xp, g, out, *arg_values)
                else:
                    contributions = [rule(xp, g, out, *arg_values) if w else None
                                     for rule, w in zip(op.vjps, wanted)]
            elif getattr(op, "body", None) is not None:  # a def: its body's backward loop
                contributions = op.vjp(xp, g, tuple(arg_values), wanted)
            else:
                local = op.local_gradients(xp, out, tuple(arg_values), wanted)
                contributions = [None if d is None else _times(g, d) for d in local]
            for a, c, w in zip(args, contributions, wanted):
                if c is None or not w:
                    continue
                c = unbroadcast(c, values[a])
                total = grads[a]
                grads[a] = c if total is None else total + c
    except BackpropError as error:
        raise _at_node(error, graph, i, "the gradient through ") from None
    return [_zero_like(values[k]) if g is None else g for k, g in enumerate(grads)]


def _times(g: Any, local: Any) -> Any:
    if local.__class__ is float:
        if local == 1.0:
            return g
        if local == -1.0:
            return -g
    return g * local


def _zero_like(value: Any) -> Any:
    """The gradient of a node the output does not depend on: 0 in its shape."""
    if value.__class__ is float:
        return 0.0
    import numpy as np

    return np.zeros(np.shape(value))


def _at_node(error: BackpropError, graph: Graph, node_id: int, what: str) -> BackpropError:
    """An error a number system raised in a gate (exact arithmetic's division by zero, a
    number over its size bound), located at that gate: its label first, and the caret.
    A gate with no span of text (in the copied body of a def) leaves it to the call."""
    node = graph.nodes[node_id] if node_id < len(graph.nodes) else None
    if error.source is None and node is not None and node.end > node.start:
        from .labels import node_label

        error.message = f"{what}{node_label(graph, node_id)}: {error.message}"
        error.source, error.start, error.end = graph.source, node.start, node.end
    return error


def _accumulate(total: Any, g: Any, local: Any) -> Any:
    """``total + g * local``, without the passes over arrays that add nothing."""
    if local.__class__ is float:
        if local == 1.0:
            contribution = g
        elif local == -1.0:
            contribution = -g
        else:
            contribution = g * local
    elif g.__class__ is float and g == 1.0:  # the output's own gradient: no pass over arrays
        contribution = local
    else:
        contribution = g * local
    if total.__class__ is float and total == 0.0:
        return contribution
    return total + contribution


def _accumulate_masked(xp: NumberSystem, total: Any, g: Any, local: Any) -> Any:
    """As ``_accumulate``, but the rows where ``g`` is exactly 0 pass nothing on (not
    ``0 * inf``, NaN): at one point, a node whose gradient is 0 is skipped."""
    return _accumulate(total, g, xp.where(g == 0.0, 0.0, local))


def evaluate_graph(
    graph: Graph, inputs: Mapping[int, float], *, allow_nonfinite: bool = False,
    xp: NumberSystem = scalar_math,
) -> Evaluation:
    """Forward and backward at one point; non-finite numbers are errors unless allowed."""
    if graph.arrays:
        return _evaluate_arrays(graph, inputs, allow_nonfinite, xp)
    values = forward(graph, inputs, xp)
    if not allow_nonfinite and not _all_finite(values):
        raise _value_error(graph, values)
    grads = backward(graph, values, xp)
    if not allow_nonfinite and not _all_finite(grads):
        raise _gradient_error(graph, values, grads)
    return Evaluation(graph, values, grads)


def _evaluate_arrays(graph: Graph, inputs: Mapping[int, Any], allow_nonfinite: bool,
                     xp: Any) -> Evaluation:
    import numpy as np

    with np.errstate(all="ignore"):
        values = forward(graph, inputs, xp)
        if not allow_nonfinite:
            bad = _first_nonfinite(values)
            if bad is not None:
                raise _array_value_error(graph, values, *bad)
        grads = backward(graph, values, xp)
        if not allow_nonfinite:
            bad = _first_nonfinite(grads)
            if bad is not None:
                raise _array_gradient_error(graph, values, grads, *bad)
    return Evaluation(graph, values, grads)


def _first_nonfinite(numbers: Sequence[Any]) -> tuple[int, tuple[int, ...]] | None:
    """The first node with a number that is not finite, and the element's index."""
    import numpy as np

    for i, v in enumerate(numbers):
        if v.__class__ is float:
            if not math.isfinite(v):
                return i, ()
        elif not np.isfinite(np.sum(v)) and not np.all(np.isfinite(v)):  # sum: no mask
            where = np.argwhere(~np.isfinite(np.asarray(v)))[0]
            return i, tuple(int(k) for k in where)
    return None


def _element(value: Any, index: tuple[int, ...]) -> float:
    import numpy as np

    array = np.asarray(value)
    if not array.ndim:
        return float(array)
    index = tuple(min(k, n - 1) if n > 1 else 0
                  for k, n in zip(index[-array.ndim:], array.shape))
    return float(array[index])


def _element_text(index: tuple[int, ...]) -> str:
    return f" at [{', '.join(map(str, index))}]" if index else ""


def _array_value_error(graph: Graph, values: Sequence[Any], i: int,
                       index: tuple[int, ...]) -> EvaluationError:
    from .labels import node_label

    node = graph.nodes[i]
    label = node_label(graph, i)
    value = _element(values[i], index)
    if node.op.is_leaf:
        return EvaluationError(
            f"the value of {label}{_element_text(index)} is not finite "
            f"({format_number(value)})",
            source=graph.source, start=node.start, end=node.end,
        )
    reason = None
    if node.op.shape_rule is None and not node.op.variadic:  # elementwise: its operands there
        operands = [_element(values[a], index) for a in node.args]
        if all(map(math.isfinite, operands)):
            reason = node.op.explain_domain(*operands)
    if reason is None:
        reason = "overflow" if math.isinf(value) else "not a number"
    return EvaluationError(
        f"{label}{_element_text(index)} is not finite ({format_number(value)}): {reason}",
        source=graph.source, start=node.start, end=node.end,
        remedy=Remedy("allow_nonfinite"),
    )


def _array_gradient_error(graph: Graph, values: Sequence[Any], grads: Sequence[Any],
                          i: int, index: tuple[int, ...]) -> EvaluationError:
    """The gate whose contribution made the first non-finite gradient: the node itself,
    reached from the output; named by the node whose gradient it is."""
    from .labels import node_label

    users = [k for k in range(i + 1, len(graph.nodes)) if i in graph.nodes[k].args]
    at = users[0] if users else i
    gate = graph.nodes[at]
    return EvaluationError(
        f"the gradient of {node_label(graph, i)}{_element_text(index)} is not finite "
        f"({format_number(_element(grads[i], index))}), through {node_label(graph, at)}",
        source=graph.source, start=gate.start, end=gate.end,
        remedy=Remedy("allow_nonfinite"),
    )


def _all_finite(numbers: Sequence[float]) -> bool:
    # A sum is nan or infinite if any term is; a finite overflow is rechecked term by term.
    return math.isfinite(sum(numbers)) or all(map(math.isfinite, numbers))


def _describe_inputs(graph: Graph, node_id: int, values: Sequence[float]) -> str:
    from .labels import operand_texts

    node = graph.nodes[node_id]
    texts = operand_texts(graph, node_id)
    parts = [f"{text} = {format_number(values[a])}" for text, a in zip(texts, node.args)
             if not (graph.nodes[a].op is CONST and graph.nodes[a].name is None)]
    return ", ".join(parts)


def _where(graph: Graph, node_id: int, values: Sequence[float]) -> tuple[str, ...]:
    described = _describe_inputs(graph, node_id, values)
    return (f"where {described}",) if described else ()


def _value_error(graph: Graph, values: Sequence[float]) -> EvaluationError:
    from .labels import node_label

    for i, value in enumerate(values):
        if math.isfinite(value):
            continue
        node = graph.nodes[i]
        label = node_label(graph, i)
        if node.op.is_leaf:
            return EvaluationError(
                f"the value of {label} is not finite ({format_number(value)})",
                source=graph.source, start=node.start, end=node.end,
            )
        arg_values = [values[a] for a in node.args]
        finite_args = all(map(math.isfinite, arg_values))
        reason = node.op.explain_domain(*arg_values) if finite_args else None
        if reason is None:
            reason = "overflow" if math.isinf(value) else "not a number"
        return EvaluationError(
            f"{label} is not finite ({format_number(value)}): {reason}",
            source=graph.source, start=node.start, end=node.end,
            notes=_where(graph, i, values),
            remedy=Remedy("allow_nonfinite"),
        )
    return EvaluationError("a value is not finite")


def _gradient_error(
    graph: Graph, values: Sequence[float], grads: Sequence[float]
) -> EvaluationError:
    """Replay the backward pass, checking each contribution, to name the gate at fault."""
    from .labels import node_label

    nodes = graph.nodes
    needs = graph.needs_grad
    replay: list[float] = [0.0] * len(nodes)
    replay[graph.output] = 1.0
    for i in range(graph.output, -1, -1):
        g = replay[i]
        node = nodes[i]
        if g == 0.0 or not node.args:
            continue
        wanted = tuple(needs[a] for a in node.args)
        local = node.op.local_gradients(
            scalar_math, values[i], tuple(values[a] for a in node.args), wanted
        )
        for k, (a, d) in enumerate(zip(node.args, local)):
            if d is None:
                continue
            contribution = g * d
            replay[a] += contribution
            if not math.isfinite(replay[a]):
                from .labels import operand_texts

                label = node_label(graph, i)
                what = operand_texts(graph, i)[k]
                if not math.isfinite(d):
                    reason = f"its local derivative with respect to {what} is {format_number(d)}"
                else:
                    reason = "the gradient overflows"
                return EvaluationError(
                    f"the gradient through {label} is not finite: {reason}",
                    source=graph.source, start=node.start, end=node.end,
                    notes=_where(graph, i, values),
                    remedy=Remedy("allow_nonfinite"),
                )
    return EvaluationError("a gradient is not finite")
