"""``eval --explain``: the backward pass step by step, as text or as JSON."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from ..core.graph import Graph
from ..core.labels import all_labels
from ..core.names import short_name
from ..core.numbers import format_number, shown
from ..explain import Contribution, contributions_by_target, short_label, steps
from .registry import RenderOptions


def output_symbol(graph: Graph) -> str:
    """The output's name in ``df/dx``: its own when it is a plain name, else ``f``."""
    return graph.output_name if re.fullmatch(r"[A-Za-z_]\w*", graph.output_name) else "f"


def grad_name(graph: Graph, labels: Sequence[str], out_name: str, node_id: int) -> str:
    """``df/dx``, ``df/d(w0 * x0)`` or ``df/d#12``: the gradient of one node, in words."""
    if node_id == graph.output:
        return f"d{out_name}/d{out_name}"
    name = short_label(graph, labels, node_id)
    plain = graph.nodes[node_id].name is not None or name.startswith("#")
    return f"d{out_name}/d{name}" if plain else f"d{out_name}/d({name})"


def step_title(graph: Graph, labels: Sequence[str], node_id: int) -> str:
    """``[14] f = 1 / den``'s text after the id: the gate's label, its name first."""
    title = labels[node_id] if len(labels[node_id]) <= 60 else f"#{node_id}"
    name = graph.nodes[node_id].name
    return f"{name} = {title}" if name is not None else title


def render_text(graph: Graph, values: Sequence[Any], grads: Sequence[Any], xp: Any,
                number: Callable[[Any], str] = format_number) -> str:
    labels = all_labels(graph)
    out_name = output_symbol(graph)

    def d(node_id: int) -> str:
        return grad_name(graph, labels, out_name, node_id)

    def num(value: Any) -> str:
        text = number(value)
        return f"({text})" if text.startswith("-") else text

    gate_steps = steps(graph, values, grads, xp)
    into = contributions_by_target(gate_steps)
    lines = [f"backward pass of {short_name(graph.output_name)}, "
             "from the output back to the inputs",
             "", f"{d(graph.output)} = 1"]

    def sums(node_id: int) -> None:
        parts = into.get(node_id, [])
        if len(parts) > 1:
            terms = " + ".join(num(c.value) for c in parts)
            lines.append(f"    {d(node_id)} = {terms} = {number(grads[node_id])}   "
                         f"({len(parts)} paths: the gradients add up)")

    for step in gate_steps:
        sums(step.node)
        title = step_title(graph, labels, step.node)
        lines.append("")
        lines.append(f"[{step.node}] {title}" + (f"   ({step.pattern})" if step.pattern else ""))
        if step.kink:
            lines.append(f"    ! {step.kink}")
        for c in step.contributions:
            if c.rule != "chain":
                lines.append("    " + _array_line(c, d(c.target), num, number, graph, values))
                continue
            upstream, local = num(c.upstream), num(c.local)
            local_name = local_name_of(c, graph, labels, out_name)
            chain = [d(c.target), f"{d(step.node)} * {local_name}"]
            if c.formula and c.formula not in (number(c.local), local):
                chain.append(f"{upstream} * {c.formula}")
            chain += [f"{upstream} * {local}", number(c.value)]
            lines.append("    " + " = ".join(chain))
    inputs = [i for i in graph.inputs if len(into.get(i, [])) > 1]
    if inputs:
        lines.append("")
        lines.append("inputs that feed several gates")
        for i in inputs:
            sums(i)
    lines.append("")
    lines.append("gradients: " + ", ".join(
        f"{d(i)} = {number(grads[i])}" for i in graph.inputs))
    return "\n".join(lines) + "\n"


def _array_line(c: Contribution, target: str, num: Callable[[Any], str],
                number: Callable[[Any], str], graph: Graph, values: Sequence[Any]) -> str:
    """One contribution over arrays: ``df/dW = upstream @ x^T = [1, 1] @ [1, -1]^T =
    [[1, -1], [1, -1]]`` (a tensor op's rule, in words then in numbers), or the local
    derivative times the upstream gradient element by element; then the sum back to
    the argument's shape."""
    summed = "   (summed back to its shape: it was broadcast)" if c.summed else ""
    if c.rule == "vjp":
        chain = [target]
        if c.formula:
            chain.append(c.formula)
            numbers = _in_numbers(c, num, graph, values)
            if numbers:
                chain.append(numbers)
        chain.append(number(c.value))
        return " = ".join(chain) + summed
    chain = [target, "upstream * local"]
    if c.formula and c.formula not in (number(c.local), num(c.local)):
        formula = f"({c.formula})" if " " in c.formula else c.formula
        chain.append(f"upstream * {formula}")
    chain += [f"{num(c.upstream)} * {num(c.local)}", number(c.value)]
    return " = ".join(chain) + ("   (element by element)" if not c.summed else summed)


def _in_numbers(c: Contribution, num: Callable[[Any], str], graph: Graph,
                values: Sequence[Any]) -> str:
    """A tensor op's rule with the numbers put in: ``upstream`` and each operand by its
    value (the parenthesised words of the rule left out); '' for a rule in words only."""
    op = graph.nodes[c.gate].op
    texts = getattr(op, "partials_text", ())
    if not texts or getattr(op, "variadic", False) or getattr(op, "static", False):
        return ""
    formula = re.sub(r"\s+\((?:a|an|the) [^()]*\)$", "", texts[0] if len(texts) == 1 else
                     texts[graph.nodes[c.gate].args.index(c.target)])
    mapping = {"upstream": num(c.upstream)}
    for name, a in zip(op.params, graph.nodes[c.gate].args):
        mapping[name] = num(values[a])
    words = re.findall(r"\b[A-Za-z_]+\b", formula)
    if not any(w in mapping for w in words) or any(
            w not in mapping and w not in _FUNCTION_WORDS for w in words):
        return ""
    return re.sub(r"\b[A-Za-z_]+\b", lambda m: mapping.get(m.group(), m.group()), formula)


_FUNCTION_WORDS = frozenset({"T", "norm", "sum", "softmax", "exp"})


def local_name_of(c: Contribution, graph: Graph, labels: Sequence[str], out_name: str) -> str:
    def part(node_id: int) -> str:
        if node_id == graph.output:
            return out_name
        text = short_label(graph, labels, node_id)
        plain = graph.nodes[node_id].name is not None or text.startswith("#")
        return text if plain else f"({text})"

    return f"d{part(c.gate)}/d{part(c.target)}"


def explain_json(result: Any, values: Sequence[Any], grads: Sequence[Any], xp: Any,
                 exact: bool) -> str:
    """SPEC §4's document with the steps of the backward pass, for notebooks and pages."""
    import json

    from ..core.numbers import json_number, json_value
    from .eval_json import document

    graph = result.graph

    def num(value: Any) -> Any:
        if exact:
            return str(value)
        if value is None:
            return None
        return json_value(value) if graph.arrays else json_number(value)
    data = document(result)
    gate_steps = steps(graph, values, grads, xp)
    data["steps"] = [
        {
            "node": step.node,
            "upstream": num(step.upstream),
            "pattern": step.pattern,
            "kink": step.kink,
            "contributions": [
                {"to": c.target, "local": num(c.local), "local_formula": c.formula,
                 "contribution": num(c.value),
                 **({"rule": c.rule, "summed": c.summed} if graph.arrays else {})}
                for c in step.contributions
            ],
        }
        for step in gate_steps
    ]
    into = contributions_by_target(gate_steps)
    for node in data["nodes"]:
        node["contributions"] = len(into.get(node["id"], []))
    return json.dumps(data, indent=1) + "\n"


def render(result: Any, options: RenderOptions) -> str:
    """The steps as text: rationals as fractions, floats to ``options.precision`` digits."""
    values, grads = result.numbers
    if result.exact is not None:
        return render_text(result.graph, values, grads, result.xp, number=str)
    precision = options.precision
    if result.graph.arrays:
        return render_text(result.graph, values, grads, result.xp,
                           number=lambda v: _small_array(v, precision))
    return render_text(result.graph, values, grads, result.xp,
                       number=lambda v: shown(v, precision))


SMALL_ARRAY = 6  # larger arrays are written by their shape: eval shows their numbers


def _small_array(value: Any, precision: int) -> str:
    """A number, or an array of up to ``SMALL_ARRAY`` elements, to ``precision`` digits;
    a larger array by its shape, ``<a 3x3 array>``."""
    shape = getattr(value, "shape", ())
    size = 1
    for n in shape:
        size *= n
    if size <= SMALL_ARRAY:
        return shown(value, precision)
    return f"<{'x'.join(map(str, shape))} array>"


def render_json(result: Any, options: RenderOptions) -> str:
    values, grads = result.numbers
    return explain_json(result, values, grads, result.xp, result.exact is not None)
