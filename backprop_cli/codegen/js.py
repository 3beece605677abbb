"""The JavaScript target: an ES module with no dependencies.

``javascript_module(graph, *, trace=False, name="valueAndGrad", wrt=None) -> str`` is the
Python API; the module it returns exports:

- ``valueAndGrad(x, y, ...)`` (or ``name``): the inputs as numbers, in the order
  ``INPUTS`` lists them, to ``{value: number, gradient: {x: number, ...}}`` (the keys
  are the program's input names; with ``wrt``, those inputs only);
- ``INPUTS``: the program's input names, in order (``string[]``);
- ``DEFAULTS``: the values the program assigns its inputs (``{name: number}``);
- with ``trace=True``, ``trace(inputs)``: ``inputs`` an object ``{name: number}`` (an
  input left out takes its default, else NaN) to ``{values: number[], grads: number[]}``,
  every node's value and gradient indexed by node id, the ids of ``backprop eval -F json``
  (``graph.nodes`` order; a constant's gradient is 0, as in eval).

Numbers follow IEEE arithmetic, as ``backprop eval --allow-nonfinite``: a domain error
gives NaN or an infinity, never an exception (test with ``Number.isFinite``). Where
``Math`` differs from the C library that ``eval`` uses (``Math.pow(1, NaN)``, ``Math.max``
with NaN or signed zeros, ``Math.sign(-0)``), a small helper keeps eval's results.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import ClassVar

from ..core.graph import Graph
from .emit import Language, comment_text, source_lines, statements_with_markers
from .program import Accumulate, Assign, CallHelper, Function, Module, Target, build_module

RESERVED_TEXT = """
break case catch class const continue debugger default delete do else enum export extends
false finally for function if import in instanceof new null return super switch this throw
true try typeof var void while with yield let static implements interface package private
protected public await eval arguments undefined NaN Infinity Math Number Object Array JSON
String Boolean Symbol Error globalThis window document console isFinite isNaN parseFloat
parseInt Date RegExp Map Set Promise Reflect Proxy BigInt of get set async INPUTS DEFAULTS
"""
RESERVED = frozenset(RESERVED_TEXT.split())

HELPERS = {
    "bpPow": """\
// a ** b as C's pow, which backprop eval uses: 1 ** NaN and (-1) ** Infinity are 1, and
// the powers 2, 0.5 and -1 are exactly rounded (x * x, sqrt, 1 / x)
function bpPow(a, b) {
  if (b === 2) return a * a;
  if (b === 0.5) return a === -Infinity ? Infinity : (a >= 0 ? Math.sqrt(a) + 0 : NaN);
  if (b === -1) return 1 / a;
  if (a === 1 || b === 0) return 1;
  if (a === -1 && (b === Infinity || b === -Infinity)) return 1;
  return Math.pow(a, b);
}""",
    "bpSigmoid": """\
// 1 / (1 + e^-x), as e^x / (1 + e^x) below 0 (no overflow, the tail kept)
function bpSigmoid(x) {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const z = Math.exp(x);
  return z / (1 + z);
}""",
    "bpSoftplus": """\
// log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|)
function bpSoftplus(x) {
  return (0 > x ? 0 : x) + Math.log1p(Math.exp(-Math.abs(x)));
}""",
    "bpRelu": """\
// max(x, 0); NaN stays NaN
function bpRelu(x) {
  return x > 0 || x !== x ? x : 0;
}""",
    "bpSign": """\
// -1, 0 or 1 (0 at 0, either zero); NaN stays NaN
function bpSign(x) {
  return x > 0 ? 1 : x < 0 ? -1 : x === 0 ? 0 : x;
}""",
    "bpStep": """\
// 1 where x > 0, else 0
function bpStep(x) {
  return x > 0 ? 1 : 0;
}""",
    "bpMax": """\
// the larger, the first on a tie (NaN only when it comes first), as eval's max
function bpMax(a, b) {
  return b > a ? b : a;
}""",
    "bpMin": """\
// the smaller, the first on a tie (NaN only when it comes first), as eval's min
function bpMin(a, b) {
  return b < a ? b : a;
}""",
    "bpInput": """\
// an input of trace(): the value given, else the program's default, else NaN
function bpInput(inputs, name, fallback) {
  return Object.hasOwn(inputs, name) ? Number(inputs[name]) : fallback;
}""",
}

_MATH = {"exp": "Math.exp", "log": "Math.log", "log2": "Math.log2", "log10": "Math.log10",
         "sqrt": "Math.sqrt", "fabs": "Math.abs", "sin": "Math.sin", "cos": "Math.cos",
         "tan": "Math.tan", "asin": "Math.asin", "acos": "Math.acos", "atan": "Math.atan",
         "sinh": "Math.sinh", "cosh": "Math.cosh", "tanh": "Math.tanh"}


class JavaScript(Language):
    comparisons: ClassVar[dict[str, str]] = {"eq": "===", "ne": "!==", "gt": ">", "lt": "<",
                                             "ge": ">="}
    nan = "NaN"
    inf = "Infinity"
    functions: ClassVar[dict[str, str]] = {**_MATH, "power": "bpPow", "sigmoid": "bpSigmoid",
                 "softplus": "bpSoftplus", "relu": "bpRelu", "sign": "bpSign",
                 "step": "bpStep", "maximum": "bpMax", "minimum": "bpMin"}
    helper_sources: ClassVar[dict[str, str]] = HELPERS

    def number(self, value: float) -> str:
        text = super().number(value)
        return text[:-2] if text.endswith(".0") else text


TARGET = Target(RESERVED | frozenset(HELPERS))


def _key(name: str) -> str:
    """An object key that is always an own property (``__proto__`` is not, written plain)."""
    return f"[{json.dumps(name)}]" if name == "__proto__" else json.dumps(name)


def _object(pairs: Sequence[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{_key(k)}: {v}" for k, v in pairs) + "}"


def _body(fn: Function, lang: Language, indent: str = "  ") -> list[str]:
    lines = []
    for marker, s in statements_with_markers(fn):
        if s is None:
            lines.append(f"{indent}// {marker}")
            continue
        comment = f" // {comment_text(s.comment)}" if s.comment else ""
        if isinstance(s, CallHelper):
            args = ", ".join(lang.expression(a) for a in s.args)
            if len(s.targets) == 1:
                lines.append(f"{indent}const {s.targets[0]} = {s.helper}({args})[0];{comment}")
            else:
                lines.append(f"{indent}const [{', '.join(s.targets)}] = "
                             f"{s.helper}({args});{comment}")
        elif isinstance(s, Assign | Accumulate):
            lines.append(f"{indent}const {s.target} = {lang.right_side(s)};{comment}")
    return lines


def _helper_function(fn: Function, lang: Language) -> list[str]:
    out = [f"// {fn.name}({', '.join(fn.source_params)}) = {comment_text(fn.comment)}: "
           "its value and its derivative by each parameter",
           f"function {fn.name}({', '.join(fn.params)}) {{", *_body(fn, lang)]
    results = [lang.expression(fn.value), *(lang.expression(g) for g in fn.grads)]
    out += [f"  return [{', '.join(results)}];", "}"]
    return out


def _main_function(fn: Function, lang: Language) -> list[str]:
    doc = [
        "/**",
        f" * {comment_text(fn.comment)}: its value and its gradient.",
        *[f" * @param {{number}} {p}" + (f" the program's {s}" if p != s else "")
          for p, s in zip(fn.params, fn.source_params)],
        " * @returns {{value: number, gradient: Object<string, number>}} d value / d input "
        "for " + (", ".join(fn.wrt) if fn.wrt else "no input"),
        " */",
    ]
    out = [*doc, f"export function {fn.name}({', '.join(fn.params)}) {{", *_body(fn, lang)]
    gradient = _object([(n, lang.expression(g)) for n, g in zip(fn.wrt, fn.grads)])
    out += [f"  return {{value: {lang.expression(fn.value)}, gradient: {gradient}}};", "}"]
    return out


def _trace_function(fn: Function, lang: Language) -> list[str]:
    lang.use("bpInput")
    out = [
        "/**",
        " * Every node's value and gradient, indexed by node id (backprop eval -F json).",
        " * @param {Object<string, number>} inputs by the program's names; one left out "
        "takes its default, else NaN",
        " * @returns {{values: number[], grads: number[]}}",
        " */",
        f"export function {fn.name}(inputs) {{",
    ]
    for p, s, default in zip(fn.params, fn.source_params, fn.defaults):
        fallback = "NaN" if default is None else lang.number(default)
        out.append(f"  const {p} = bpInput(inputs, {json.dumps(s)}, {fallback});")
    out += _body(fn, lang)
    values = ", ".join(lang.expression(v) for v in fn.values)
    grads = ", ".join(lang.expression(g) for g in fn.node_grads)
    out += [f"  return {{values: [{values}], grads: [{grads}]}};", "}"]
    return out


def render(module: Module) -> str:
    lang = JavaScript()
    parts: list[list[str]] = [_helper_function(h, lang) for h in module.helpers]
    parts.append(_main_function(module.main, lang))
    if module.trace is not None:
        parts.append(_trace_function(module.trace, lang))
    main = module.main
    inputs = json.dumps(list(main.source_params))
    defaults = _object([(s, lang.number(d)) for s, d in zip(main.source_params, main.defaults)
                        if d is not None])
    header = [
        "// Generated by backprop codegen: the value and the gradient of this program.",
        *[f"//   {line}" for line in source_lines(module.source)],
        "// Domain errors give NaN or an infinity, as backprop eval --allow-nonfinite does.",
        "",
        f"export const INPUTS = {inputs};",
        f"export const DEFAULTS = {defaults};",
    ]
    blocks = [header, *[[h] for h in lang.helpers()], *parts]
    return "\n\n".join("\n".join(b) for b in blocks) + "\n"


def javascript_module(graph: Graph, *, trace: bool = False, name: str = "valueAndGrad",
                      wrt: Sequence[str] | None = None) -> str:
    """The ES module of ``graph``'s value and gradient (see the module's docstring; an
    array program's module is ``js_arrays``')."""
    if getattr(graph, "arrays", False):
        from .js_arrays import javascript_array_module

        return javascript_array_module(graph, trace=trace, name=name, wrt=wrt)
    return render(build_module(graph, TARGET, name=name, wrt=wrt, trace=trace))
