"""The backward pass, step by step, in the tutorials' notation.

For every gate on a path to the output, in the order the backward pass visits them:
the upstream gradient, the gate's local derivative as a formula and as a number, and
their product, ``df/dq = df/df * df/dq = 1 * z = 1 * (-4) = -4``. Where a node feeds
several gates, the contributions are listed and then summed. Gates are named by their
pattern (add distributes, mul swaps, max routes: each op's ``pattern`` in the table of
operations), and kinks and ties are flagged (``kinks.kink_at``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from .core.graph import Graph
from .core.kinks import kink_at
from .core.labels import all_labels
from .core.ops import CONST


class Contribution(NamedTuple):
    gate: int  # the node whose step this is
    target: int  # the argument receiving the gradient
    upstream: Any
    local: Any
    formula: str  # the local derivative as a formula over the gate's operands
    value: Any  # upstream * local
    # arrays: "vjp" where the table's vector-Jacobian product gives the contribution
    # (``formula`` is then the whole rule, ``dW = upstream @ x^T``), "elementwise" where
    # the upstream gradient is multiplied element by element; and whether the product
    # was summed back to the argument's shape (it was broadcast)
    rule: str = "chain"
    summed: bool = False


class GateStep(NamedTuple):
    node: int
    upstream: Any
    pattern: str | None
    kink: str | None
    contributions: list[Contribution]


def _ancestors(graph: Graph) -> set[int]:
    reached = {graph.output}
    for i in range(graph.output, -1, -1):
        if i in reached:
            reached.update(graph.nodes[i].args)
    return reached


def steps(graph: Graph, values: Sequence[Any], grads: Sequence[Any], xp: Any) -> list[GateStep]:
    """Every gate on a path to the output, output first, with what it sends back."""
    on_path = _ancestors(graph)
    labels = all_labels(graph)
    needs = graph.needs_grad
    result: list[GateStep] = []
    if graph.arrays:
        return _array_steps(graph, values, grads, xp, on_path, labels)
    for i in range(graph.output, -1, -1):
        node = graph.nodes[i]
        if i not in on_path or node.op.is_leaf:
            continue
        args = node.args
        wanted = tuple(needs[a] for a in args)
        local = node.op.local_gradients(xp, values[i], tuple(values[a] for a in args), wanted)
        operand_names = [_operand(graph, labels, a) for a in args]
        contributions = []
        for k, a in enumerate(args):
            if local[k] is None:
                continue
            contributions.append(Contribution(
                i, a, grads[i], local[k], _local_formula(node.op, k, operand_names),
                grads[i] * local[k]))
        kink = kink_at(graph, i, values)
        result.append(GateStep(i, grads[i], _pattern(graph, i),
                               kink.reason if kink is not None else None, contributions))
    return result


def _array_steps(graph: Graph, values: Sequence[Any], grads: Sequence[Any], xp: Any,
                 on_path: set[int], labels: Sequence[str]) -> list[GateStep]:
    """The steps of a program with arrays: each contribution is what the engine adds
    into the argument's gradient, from the table's rules (a tensor op's vector-Jacobian
    product, or an elementwise op's local derivative times the upstream gradient,
    summed back to the argument's shape where it was broadcast)."""
    from .check import element_kink

    needs = graph.needs_grad
    result: list[GateStep] = []
    for i in range(graph.output, -1, -1):
        node = graph.nodes[i]
        if i not in on_path or node.op.is_leaf:
            continue
        op, args, g, out = node.op, node.args, grads[i], values[i]
        wanted = tuple(needs[a] for a in args)
        arg_values = [values[a] for a in args]
        operand_names = [_operand(graph, labels, a) for a in args]
        contributions: list[Contribution] = []
        scalar = (not op.tensor and getattr(op, "body", None) is None
                  and not any(_shape(v) for v in (out, *arg_values)))
        if any(wanted) and scalar:  # a scalar gate: the chain rule as without arrays
            local = op.local_gradients(xp, out, tuple(arg_values), wanted)
            contributions = [
                Contribution(i, a, g, local[k], _local_formula(op, k, operand_names),
                             g * local[k])
                for k, a in enumerate(args) if local[k] is not None]
        elif any(wanted):
            if op.static:
                parts: list[Any] = [op.vjps[0](xp, node.value, g, out, *arg_values)]
                rule = "vjp"
            elif op.vjps:
                parts = (op.vjps[0](xp, g, out, *arg_values) if op.variadic else
                         [r(xp, g, out, *arg_values) if w else None
                          for r, w in zip(op.vjps, wanted)])
                rule = "vjp"
            elif getattr(op, "body", None) is not None:
                parts = op.vjp(xp, g, tuple(arg_values), wanted)
                rule = "vjp"
            else:
                local = op.local_gradients(xp, out, tuple(arg_values), wanted)
                parts = [None if d is None else g * d for d in local]
                rule = "elementwise"
            for k, (a, part, w) in enumerate(zip(args, parts, wanted)):
                if part is None or not w:
                    continue
                summed = _shape(part) != _shape(values[a])
                value = xp.unbroadcast(part, values[a])
                if rule == "elementwise":
                    d = local[k]
                    formula = _local_formula(op, k, operand_names)
                else:
                    d = None
                    formula = _vjp_formula(op, k, operand_names)
                contributions.append(Contribution(i, a, g, d, formula, value, rule, summed))
        kink = element_kink(graph, i, values)
        result.append(GateStep(i, g, _pattern(graph, i), kink, contributions))
    return result


def _shape(value: Any) -> tuple[int, ...]:
    return () if value.__class__ is float else tuple(getattr(value, "shape", ()))


def _vjp_formula(op: Any, k: int, operands: Sequence[str]) -> str:
    """A tensor op's rule for argument ``k`` in the words of the table
    (``partials_text``), over the gate's operands: ``upstream @ x^T``."""
    texts = getattr(op, "partials_text", ())
    if not texts:
        return ""
    formula = texts[0] if getattr(op, "variadic", False) or len(texts) == 1 else texts[k]
    params = getattr(op, "params", ())
    mapping = dict(zip(params, operands)) if not getattr(op, "variadic", False) else {}
    text = re.sub(r"\b[A-Za-z_]+\b", lambda m: mapping.get(m.group(), m.group()), formula)
    return re.sub(r"\(\(([^()]*)\)\)", r"(\1)", text)


def contributions_by_target(gate_steps: Sequence[GateStep]) -> dict[int, list[Contribution]]:
    into: dict[int, list[Contribution]] = {}
    for step in gate_steps:
        for c in step.contributions:
            into.setdefault(c.target, []).append(c)
    return into


SHORT = 24  # longer labels are referred to by their step number: #12


def short_label(graph: Graph, labels: Sequence[str], node_id: int) -> str:
    node = graph.nodes[node_id]
    if node.name is not None:
        return node.name
    return labels[node_id] if len(labels[node_id]) <= SHORT else f"#{node_id}"


def _operand(graph: Graph, labels: Sequence[str], node_id: int) -> str:
    node = graph.nodes[node_id]
    text = short_label(graph, labels, node_id)
    simple = node.name is not None or node.op.is_leaf or node.op.form == "call"
    return text if simple or text.startswith("#") else f"({text})"




def _local_formula(op: Any, k: int, operands: Sequence[str]) -> str:
    texts = getattr(op, "partials_text", ())
    if getattr(op, "variadic", False) or not texts:
        return ""  # max/min route by value: the number says it all
    if op.name == "log" and len(operands) == 1:
        return f"1/{operands[0]}"
    formula = texts[k]
    mapping = dict(zip(op.params, operands))
    text = re.sub(r"\b[A-Za-z_]+\b", lambda m: mapping.get(m.group(), m.group()), formula)
    return re.sub(r"\(\(([^()]*)\)\)", r"(\1)", text)


def _pattern(graph: Graph, node_id: int) -> str | None:
    """The gate's pattern, from its op (``pattern``, ``pattern_with_constant``)."""
    node = graph.nodes[node_id]
    op = node.op
    if op.pattern_with_constant is not None:
        constants = [a for a in node.args
                     if graph.nodes[a].op is CONST and graph.nodes[a].name is None]
        if len(constants) == 1:
            return op.pattern_with_constant
    if op.__class__.__name__ == "Block":
        return f"{op.name}: one gate; its local gradients come from a backward pass over its body"
    return op.pattern

