"""``backprop graph -F html``: one page to step through the forward and backward passes.

The page is one file that works offline: the circuit is Graphviz's SVG (the same layout
and colours as ``-F svg``/``png``), inlined; the data of every step (the words of
``--explain``, the labels, where each error points) is JSON, inlined; the page's own code
and style are read from ``page/`` beside this module and inlined; and the numbers come
from the program's generated JavaScript (``codegen``), inlined too, so that changing an
input recomputes every value and gradient with the program's own forward and backward
passes and nothing here or in the page repeats an operation's maths.

Domain errors and kinks are worded by the table of operations' own rules: each rule is
asked here, in Python, at one representative point of every class of arguments (below
-1, -1, between -1 and 0, 0, ..., integer or not; for a kink, which arguments equal the
gate's output too), and the page looks up the class of the live arguments. Every rule
of the table is constant on those classes (``x < 0``, ``x == 0``, ``b != int(b)``,
``-1 <= x <= 1``, ties); a ``def`` is not (its rules run its body), so a ``def``'s kink
is shown at the first point only and its domain error without a reason.

The bytes are a function of the program and the point: no time, no random ids.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Sequence
from importlib import resources
from typing import Any, NamedTuple

from ..core.blocks import Block
from ..core.graph import Graph
from ..core.labels import INLINE_LIMIT, all_labels
from ..core.numbers import format_number, json_value
from ..core.ops import CONST, INPUT
from ..explain import contributions_by_target, short_label, steps
from .drawing import Picture, gates, node_shape
from .explain import grad_name, local_name_of, output_symbol, step_title
from .graph_dot import GRAD_COLOR, VALUE_COLOR, layout_of, render_svg
from .registry import RenderOptions


class View(NamedTuple):
    """One drawing of the program: its blocks as gates, or expanded into their bodies."""

    key: str  # "blocks" or "expanded"
    picture: Picture
    # the generated ES module of this graph's forward and backward passes (None: the
    # page shows the numbers of its first point only)
    module: str | None
    # an array program's: the module of each array gate (``array_gate_modules``)
    gates: dict[str, str] = {}  # noqa: RUF012 - never mutated


class Page(NamedTuple):
    """What ``graph -F html`` shows: one view, or two when the program has blocks."""

    views: tuple[View, ...]
    title: str


# Representatives of the classes of a number (page/page.js `numberClass` gives the class
# of a live number: the same order): below -1 (not an integer, an integer), -1, between
# -1 and 0, 0, between 0 and 1, 1, above 1 (an integer, not an integer).
CLASS_POINTS = (-2.5, -2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0, 2.5)
# a second representative of each class, for an argument in the class of an argument
# equal to the output but not equal to it (the single-point classes have none)
OTHER_POINTS = (-3.5, -3.0, None, -0.25, None, 0.25, None, 3.0, 3.5)
PROBED_ARGS = 2  # arguments classified one by one; more: only which equal the output
APART = 1000.5  # the output when no argument equals it


def _probe_domain(op: Any, arity: int) -> dict[str, str]:
    """The op's domain reason at every class of its finite arguments (where there is one)."""
    table: dict[str, str] = {}
    if getattr(op, "domain", None) is None or arity > PROBED_ARGS:
        return table
    for classes in itertools.product(range(len(CLASS_POINTS)), repeat=arity):
        reason = op.explain_domain(*[CLASS_POINTS[c] for c in classes])
        if reason is not None:
            table[",".join(map(str, classes))] = reason
    return table


def _probe_kink(op: Any, arity: int) -> dict[str, str]:
    """The op's kink or tie at every class of its arguments and pattern of equality with
    its output: key ``c,c`` with ``=`` after an argument equal to the output, or, past
    ``PROBED_ARGS`` arguments, only the pattern (``=`` or ``.`` per argument)."""
    rule = op.kink
    table: dict[str, str] = {}
    if arity > PROBED_ARGS:
        for pattern in itertools.product((False, True), repeat=arity):
            args = [0.0 if equal else -1000.0 - k for k, equal in enumerate(pattern)]
            kink = rule.at(0.0, *args)
            if kink is not None:
                table["".join("=" if e else "." for e in pattern)] = kink.reason
        return table
    for classes in itertools.product(range(len(CLASS_POINTS)), repeat=arity):
        for pattern in itertools.product((False, True), repeat=arity):
            equal = [c for c, e in zip(classes, pattern) if e]
            if len(set(equal)) > 1:
                continue  # arguments equal to one output are in one class
            out = CLASS_POINTS[equal[0]] if equal else APART
            args: list[float] = []
            for c, e in zip(classes, pattern):
                point = CLASS_POINTS[c]
                if not e and point == out:
                    other = OTHER_POINTS[c]
                    if other is None:
                        break  # a single-point class: equal to the output after all
                    point = other
                args.append(out if e else point)
            else:
                kink = rule.at(out, *args)
                if kink is not None:
                    key = ",".join(f"{c}{'=' if e else ''}" for c, e in zip(classes, pattern))
                    table[key] = kink.reason
    return table


def _forward_text(graph: Graph, labels: Sequence[str], node_id: int) -> dict[str, Any]:
    node = graph.nodes[node_id]
    if node.op is INPUT:
        return {"title": f"{node.name} (an input)", "operands": []}
    if node.op is CONST:
        return {"title": f"{labels[node_id]} (a constant)", "operands": []}
    title = step_title(graph, labels, node_id)
    operands = [
        [graph.nodes[a].name or (labels[a] if len(labels[a]) <= INLINE_LIMIT else f"#{a}"), a]
        for a in node.args
        if not (graph.nodes[a].op is CONST and graph.nodes[a].name is None)
    ]
    return {"title": title, "operands": operands}


def _location(graph: Graph, node_id: int) -> list[str]:
    """Where an error at this node points, as the CLI prints it: ``--> file:1:5``, the
    line, the carets (nothing for a gate with no text of its own)."""
    node = graph.nodes[node_id]
    if node.end <= node.start:
        return []
    lines = [f"  --> {graph.source.location(node.start)}"]
    lines += [f"  {text}" for text in graph.source.snippet(node.start, node.end)]
    return lines


def view_data(view: View, precision: int) -> dict[str, Any]:
    """Everything the page's script needs about one view, as JSON-ready data."""
    picture = view.picture
    graph = picture.graph
    values, grads = picture.values, picture.grads
    assert values is not None and grads is not None
    labels = all_labels(graph)
    out_name = output_symbol(graph)
    arrays = graph.arrays
    xp = number_system(graph)
    gate_steps = steps(graph, values, grads, xp)
    into = contributions_by_target(gate_steps)
    drawn = gates(graph)
    drawn_ids = {gate.node for gate in drawn}
    step_of = {step.node: k for k, step in enumerate(gate_steps)}
    nodes = []
    domains: dict[str, dict[str, str]] = {}  # by kind of gate: the probed rules
    kinks: dict[str, dict[str, str]] = {}
    for i, node in enumerate(graph.nodes):
        parts = into.get(i, [])
        # the backward step after which the gradient is complete: the output's at the
        # first step, a node's at the step of the last gate that sends it a contribution
        complete = -1 if i == graph.output else max(
            (step_of[c.gate] for c in parts), default=len(gate_steps))
        block = isinstance(node.op, Block)
        nodes.append({
            "id": i,
            "label": labels[i],
            "short": short_label(graph, labels, i),
            "d": grad_name(graph, labels, out_name, i),
            "op": node.op.name,
            "args": list(node.args),
            "drawn": i in drawn_ids,
            "input": node.op is INPUT,
            "name": node.name,
            "complete": complete,
            "paths": len(parts),
            "forward": _forward_text(graph, labels, i),
            "location": _location(graph, i),
            "block": block,
            "gate": None if node.op.is_leaf else gate_key(node.op, len(node.args)),
            "shape": list(node_shape(graph, i)),
            # an array gate's modules (the page's live contributions and local derivatives)
            "modules": array_gate_keys(view.key, graph, i) if arrays else None,
        })
        key = nodes[-1]["gate"]
        if key is not None and not block and key not in domains:
            domains[key] = _probe_domain(node.op, len(node.args))
            if node.op.kink is not None:
                kinks[key] = _probe_kink(node.op, len(node.args))
    # which operand each contribution is sent to, by position: max(x, x, 0.25) sends
    # two to x (the contributions come in the operands' order, those with none left out)
    position: dict[int, int] = {}
    for step in gate_steps:
        args = graph.nodes[step.node].args
        k = 0
        for c in step.contributions:
            while args[k] != c.target:
                k += 1
            position[id(c)] = k
            k += 1
    backward = []
    for step in gate_steps:
        backward.append({
            "node": step.node,
            "title": step_title(graph, labels, step.node),
            "pattern": step.pattern,
            "kink": step.kink,  # at the first point (a def's is shown only there)
            "contributions": [
                {"to": c.target, "arg": position[id(c)],
                 "local_name": local_name_of(c, graph, labels, out_name),
                 "formula": c.formula,
                 **({"rule": c.rule, "summed": c.summed,
                     "numbers": rule_in_numbers(graph, c),
                     # the shape --explain shows the local derivative in (its rule's)
                     "local_shape": None if c.local is None else list(_shape(c.local))}
                    if arrays else {})}
                for c in step.contributions
            ],
        })
    fan_in = {str(t): [[c.gate, position[id(c)]] for c in parts]
              for t, parts in into.items() if len(parts) > 1}
    return {
        "key": view.key,
        "output": graph.output,
        "out_name": out_name,
        "output_label": graph.output_name,
        "precision": precision,
        "layout": layout_of(picture),
        "nodes": nodes,
        "inputs": [{"id": i, "name": graph.nodes[i].name, "value": _json(values[i]),
                    "shape": list(node_shape(graph, i))}
                   for i in graph.inputs],
        "arrays": arrays,
        # whether the page recomputes at a point changed (the generated code's), or
        # shows the numbers of the first point only
        "live": view.module is not None,
        "forward": [gate.node for gate in drawn],
        "backward": backward,
        "fan_in": fan_in,
        "domains": domains,
        "kinks": kinks,
        # the numbers of the first point, as `eval -F json` gives them (for reading the
        # page's data without running it; the page shows what the generated code computes)
        "first": {
            "values": [_json(v) for v in values], "grads": [_json(g) for g in grads],
            # every step's local derivatives and contributions (a rule that is a
            # vector-Jacobian product has no local derivative: null)
            "locals": [[None if c.local is None else _json(c.local) for c in step.contributions]
                       for step in gate_steps],
            "contributions": [[_json(c.value) for c in step.contributions]
                              for step in gate_steps],
        },
    }


def _shape(value: Any) -> tuple[int, ...]:
    return () if value.__class__ is float else tuple(getattr(value, "shape", ()))


def number_system(graph: Graph) -> Any:
    """The numbers of one point: floats, or NumPy's arrays for a program with arrays."""
    if graph.arrays:
        from ..numerics.tensor_math import POINT

        return POINT
    from ..core import scalar_math

    return scalar_math


def _json(value: Any) -> Any:
    """A number for the page's data: a float, ``"nan"``/``"inf"``/``"-inf"``, or an
    array as nested lists of them."""
    if value.__class__ is float or isinstance(value, int | float):
        return value if math.isfinite(value) else format_number(value)
    return json_value(value)


_MARK = "\x00"


def rule_in_numbers(graph: Graph, c: Any) -> list[Any] | None:
    """A tensor op's rule with its numbers put in (``--explain``'s ``upstream @ x^T =
    [1, 1] @ [1, -1]^T``), as pieces for the page to fill in at the live point: text, and
    ``-1`` for the upstream gradient or a node id for an operand's value; None where
    ``--explain`` words the rule without numbers."""
    from .explain import _in_numbers

    if getattr(c, "rule", "chain") != "vjp" or not c.formula:
        return None
    marked = [f"{_MARK}{i}{_MARK}" for i in range(len(graph.nodes))]
    text = _in_numbers(c._replace(upstream=f"{_MARK}-1{_MARK}"), str, graph, marked)
    if not text:
        return None
    parts = text.split(_MARK)
    return [int(part) if k % 2 else part for k, part in enumerate(parts)]


def _asset(name: str) -> str:
    return resources.files(__package__).joinpath("page", name).read_text(encoding="utf-8")


def _script_safe(text: str) -> str:
    """JavaScript that cannot end the <script> it sits in: ``</script`` as ``<\\/script``
    (the same in a string, a regular expression or a comment)."""
    return re.sub(r"</(script)", r"<\\/\1", text, flags=re.I)


def _json_in_script(data: Any) -> str:
    """JSON for a <script type="application/json">: every ``<`` as ``\\u003c``."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=True, allow_nan=False)
    return text.replace("<", "\\u003c")


def _svg_body(svg: str) -> str:
    """Graphviz's SVG from ``<svg`` on: no XML declaration, doctype or comments."""
    svg = svg[svg.index("<svg"):]
    return re.sub(r"<!--.*?-->\n?", "", svg, flags=re.S)


_EXPORT = re.compile(r"^export\s+(?:(?:async\s+)?function\*?|const|let|var|class)\s+"
                     r"([A-Za-z_$][\w$]*)", re.M)
_EXPORT_LIST = re.compile(r"^export\s*\{([^}]*)\}\s*;?[ \t]*$", re.M)


def unexported(source: str) -> tuple[str, dict[str, str]]:
    """An ES module as the body of a function: its ``export`` keywords taken away, and the
    names it exported (exported name -> local name). A page opened from a file cannot
    import another file, and two views' modules export the same names, so each module
    becomes a function's scope in one classic script."""
    if re.search(r"^\s*import\b|^export\s+default\b|^export\s*\*", source, re.M):
        raise ValueError("the generated module imports or has a default export")
    names: dict[str, str] = {}
    for match in _EXPORT.finditer(source):
        names[match.group(1)] = match.group(1)
    for match in _EXPORT_LIST.finditer(source):
        for item in match.group(1).split(","):
            local, _, exported = item.strip().partition(" as ")
            if local:
                names[(exported or local).strip()] = local.strip()
    body = _EXPORT_LIST.sub("", source)
    body = re.sub(r"^export\s+", "", body, flags=re.M)
    return body, names


def modules_script(modules: dict[str, str]) -> str:
    """``window.BACKPROP_MODULES``: each generated module, by its key (a view's, a gate's)."""
    parts = []
    for key, source in modules.items():
        body, names = unexported(source)
        exports = ", ".join(f"{json.dumps(name)}: {local}" for name, local in sorted(names.items()))
        parts.append(f"{json.dumps(key)}: (function () {{\n{body}\nreturn {{{exports}}};\n}})()")
    return "window.BACKPROP_MODULES = {\n" + ",\n".join(parts) + "\n};"


def render_html(page: Page, options: RenderOptions) -> str:
    from html import escape

    data = {
        "title": page.title,
        "colors": {"value": VALUE_COLOR, "grad": GRAD_COLOR},
        "views": [view_data(view, options.precision) for view in page.views],
    }
    svgs = "\n".join(
        f'<div class="circuit" data-view="{view.key}" hidden>'
        f"{_svg_body(render_svg(view.picture, options))}</div>"
        for view in page.views)
    modules = {view.key: view.module for view in page.views if view.module is not None}
    for view in page.views:
        modules.update(view.gates)
    modules.update({f"gate:{key}": source for key, source in
                    gate_modules([view.picture.graph for view in page.views]).items()})
    script = "<script>\n" + _script_safe(modules_script(modules)) + "\n</script>"
    text = (
        _asset("page.html")
        .replace("/*STYLE*/", _asset("page.css"))
        .replace("<!--TITLE-->", escape(page.title))
        .replace("<!--CIRCUITS-->", svgs)
        .replace("<!--MODULES-->", script)
        .replace("/*DATA*/", _json_in_script(data))
        .replace("/*SCRIPT*/", _script_safe(_asset("page.js")))
    )
    return text


def has_blocks(graph: Graph) -> bool:
    """Whether some gate is a block (a ``def``, ``sigmoid``...) that ``--expand`` opens."""
    return any(isinstance(node.op, Block) or getattr(node.op, "expansion", None) is not None
               for node in graph.nodes)


def make_page(pictures: Sequence[Picture]) -> Page:
    """The page of evaluated pictures: the program as given, then (when it has blocks)
    expanded; each with the generated JavaScript of its passes."""
    keys = ("blocks", "expanded")
    views = tuple(live_view(key, picture) for key, picture in zip(keys, pictures))
    graph = pictures[0].graph
    title = step_title(graph, all_labels(graph), graph.output)
    return Page(views, title)


def live_view(key: str, picture: Picture) -> View:
    """A view with the generated modules of its live numbers, or with none where the
    generated code cannot compute the program (arrays, before JavaScript has them): the
    page then shows the numbers of the point it was made at, its inputs read-only."""
    from ..core.errors import InputError

    graph = picture.graph
    try:
        module = javascript_module(graph, trace=True)
        gates = array_gate_modules(key, graph) if graph.arrays else {}
    except InputError:
        if not graph.arrays:
            raise
        return View(key, picture, None)
    return View(key, picture, module, gates)


def javascript_module(graph: Graph, **options: Any) -> str:
    """The ES module of the graph's forward and backward passes, from ``codegen``."""
    from ..codegen.js import javascript_module as generate

    return generate(graph, **options)


GATE_FUNCTION = "contribution"


def gate_key(op: Any, arity: int) -> str:
    return f"{'def ' if isinstance(op, Block) else ''}{op.name}/{arity}"


def gate_graph(op: Any, arity: int) -> Graph:
    """``g * op(a0, a1, ...)`` with every operand an input: its gradient by ``a_k`` at
    ``g = 1`` is the gate's local derivative, and at ``g`` = the upstream gradient, the
    contribution the backward pass adds into the operand's gradient (upstream x local).
    So the page's explanation gets those numbers from generated code too."""
    from ..core.graph import Node
    from ..core.ops import OPS
    from ..core.source import Source

    names = ["g", *[f"a{k}" for k in range(arity)]]
    nodes = [Node(INPUT, (), 0, 0, name) for name in names]
    nodes.append(Node(op, tuple(range(1, arity + 1)), 0, 0))
    nodes.append(Node(OPS["mul"], (0, arity + 1), 0, 0))
    text = f"g * {op.name}({', '.join(names[1:])})"
    return Graph(tuple(nodes), len(nodes) - 1, GATE_FUNCTION, Source(text, "<gate>"),
                 (True,) * len(nodes), {name: k for k, name in enumerate(names)})


def scalar_gate(graph: Graph, node_id: int) -> bool:
    """Whether a gate of an array program works on numbers alone (the chain rule as
    without arrays: ``explain``'s rule "chain"), so the scalar gate's module serves."""
    node = graph.nodes[node_id]
    return (not getattr(node.op, "tensor", False) and getattr(node.op, "body", None) is None
            and not node_shape(graph, node_id)
            and not any(node_shape(graph, a) for a in node.args))


def array_gate_graph(graph: Graph, node_id: int, spread: bool = False) -> Graph:
    """``g * op(a0, a1, ...)`` for one gate of an array program, each operand an input
    of the operand's shape and ``g`` of the gate's: its gradient (seeded with ones, as
    an array output's is) by ``a_k`` is what the backward pass adds into the operand's
    gradient, the table's vector-Jacobian product or the elementwise product summed
    back to the operand's shape. With ``spread``, every operand has the gate's shape:
    at ``g`` = ones the gradient by ``a_k`` is the local derivative element by element
    (an elementwise op's), which the page takes back to the shape ``--explain`` shows."""
    from ..core.graph import Node
    from ..core.ops import OPS
    from ..core.source import Source

    node = graph.nodes[node_id]
    arity = len(node.args)
    out = node_shape(graph, node_id)
    shapes = [out if spread else node_shape(graph, a) for a in node.args]
    names = ["g", *[f"a{k}" for k in range(arity)]]
    nodes = [Node(INPUT, (), 0, 0, "g", None, out)]
    nodes += [Node(INPUT, (), 0, 0, names[k + 1], None, shape) for k, shape in enumerate(shapes)]
    nodes.append(Node(node.op, tuple(range(1, arity + 1)), 0, 0, None, node.value, out))
    nodes.append(Node(OPS["mul"], (0, arity + 1), 0, 0, None, None, out))
    text = f"g * {node.op.name}({', '.join(names[1:])})"
    # an operand the program's gradient does not reach (a constant) gets none here either
    needs = (True, *[graph.needs_grad[a] for a in node.args], True, True)
    return Graph(tuple(nodes), len(nodes) - 1, GATE_FUNCTION, Source(text, "<gate>"),
                 needs, {name: k for k, name in enumerate(names)}, arrays=True)


def array_gate_keys(view_key: str, graph: Graph, node_id: int) -> dict[str, str] | None:
    """The modules of one gate of an array program: ``contribution`` (operands at their
    shapes) and, for an elementwise op (no rule of its own over arrays: no
    vector-Jacobian product, no body), ``local`` (operands spread to the gate's shape);
    None for a gate of numbers alone (the scalar gate's module, by ``gate_key``)."""
    op = graph.nodes[node_id].op
    if op.is_leaf or scalar_gate(graph, node_id):
        return None
    keys = {"contribution": f"array:{view_key}:{node_id}"}
    if not (getattr(op, "static", False) or getattr(op, "vjps", None)
            or getattr(op, "body", None) is not None):
        keys["local"] = f"array:{view_key}:{node_id}:spread"
    return keys


def array_gate_modules(view_key: str, graph: Graph) -> dict[str, str]:
    """The generated module of every array gate of a view (``array_gate_keys``)."""
    modules: dict[str, str] = {}
    for i in range(len(graph.nodes)):
        keys = array_gate_keys(view_key, graph, i)
        if keys is None:
            continue
        wrt = [f"a{k}" for k, a in enumerate(graph.nodes[i].args) if graph.needs_grad[a]]
        for kind, key in keys.items():
            modules[key] = javascript_module(array_gate_graph(graph, i, kind == "local"),
                                             name=GATE_FUNCTION, wrt=wrt)
    return modules


def gate_modules(graphs: Sequence[Graph]) -> dict[str, str]:
    """One generated module per kind of gate of these graphs (op and number of operands)."""
    modules: dict[str, str] = {}
    for graph in graphs:
        for i, node in enumerate(graph.nodes):
            if node.op.is_leaf or (graph.arrays and not scalar_gate(graph, i)):
                continue
            key = gate_key(node.op, len(node.args))
            if key not in modules:
                arity = len(node.args)
                modules[key] = javascript_module(
                    gate_graph(node.op, arity), name=GATE_FUNCTION,
                    wrt=[f"a{k}" for k in range(arity)])
    return modules
