"""The JavaScript target for array programs: an ES module with no dependencies.

The module exports what the scalar one does, with arrays:

- ``valueAndGrad(W, b, x, ...)``: a scalar input is a number; an array input is nested
  arrays (``[[1, 2], [3, 4]]``, as ``backprop eval -F json`` writes it) or a flat array of
  its elements in row-major order (an ``Array`` or a ``Float64Array``). It returns
  ``{value, gradient: {name: ...}}``, each array as nested arrays;
- ``INPUTS`` (names), ``SHAPES`` (each input's shape, ``[]`` for a number),
  ``DEFAULTS`` (the program's values of its inputs, arrays nested);
- with ``trace=True``, ``trace(inputs)``: ``inputs`` by name (one left out takes its
  default, else NaN everywhere) to ``{values, grads}`` indexed by node id (the ids of
  ``backprop eval -F json``); an array node's entry is nested arrays, a scalar's a number.

Inside, an array is a flat ``Float64Array`` in row-major order: an elementwise gate is a
loop over its elements (an operand that broadcasts read with strides of 0), the tensor
ops' primitives are small helper functions over flat arrays, emitted only when used.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, ClassVar

from ..core.graph import Graph
from .emit import comment_text, source_lines
from .expr import REF, Expr
from .flat import (
    FlatElements,
    broadcast_strides,
    counters_for,
    index_text,
    leaf,
    operands,
    size,
    strides,
    take_plan,
    view_plan,
)
from .js_spelling import HELPERS as SCALAR_HELPERS
from .js_spelling import TARGET, JavaScript
from .tensor import PRIM, VIEWS, ArrayFunction, build_array_module

ARRAY_HELPERS = {
    "bpFlat": """\
// an input as a flat Float64Array of n elements: nested arrays (row-major) or flat ones
function bpFlat(x, n, name) {
  const out = new Float64Array(n);
  let k = 0;
  const walk = (v) => {
    if (typeof v === "number" || typeof v === "string") {
      if (k < n) out[k] = Number(v);
      k++;
    } else for (const e of v) walk(e);
  };
  walk(x);
  if (k !== n) throw new RangeError(`${name} needs ${n} numbers, not ${k}`);
  return out;
}""",
    "bpNest": """\
// flat row-major elements as nested arrays of the shape (a number for the shape [])
function bpNest(a, shape) {
  if (typeof a === "number") a = [a];
  if (shape.length === 0) return a[0];
  let k = 0;
  const build = (d) => {
    const row = new Array(shape[d]);
    for (let i = 0; i < shape[d]; i++) row[i] = d + 1 === shape.length ? a[k++] : build(d + 1);
    return row;
  };
  return build(0);
}""",
    "bpTraceInput": """\
// an input of trace(): the value given, else the program's default, else NaN
function bpTraceInput(inputs, name, n, fallback) {
  const v = Object.hasOwn(inputs, name) ? inputs[name] : fallback;
  if (n === 0) return v === undefined ? NaN : Number(v);
  return v === undefined ? new Float64Array(n).fill(NaN) : bpFlat(v, n, name);
}""",
    "bpMatmul": """\
// (m x k) @ (k x n), flat row-major
function bpMatmul(a, b, m, k, n) {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = a[i * k] * b[j];
      for (let p = 1; p < k; p++) s += a[i * k + p] * b[p * n + j];
      out[i * n + j] = s;
    }
  }
  return out;
}""",
    "bpGather": """\
// the elements of a at offset + sum(index[d] * strides[d]), for every index of shape
function bpGather(a, offset, shape, strides) {
  const n = shape.reduce((p, s) => p * s, 1);
  const out = new Float64Array(n);
  const index = new Array(shape.length).fill(0);
  let at = offset;
  for (let k = 0; k < n; k++) {
    out[k] = a[at];
    for (let d = shape.length - 1; d >= 0; d--) {
      index[d]++;
      at += strides[d];
      if (index[d] < shape[d]) break;
      at -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
  return out;
}""",
    "bpScatter": """\
// n zeros, with every element of g (of shape) added at offset + sum(index[d] * strides[d])
function bpScatter(g, n, offset, shape, strides) {
  const out = new Float64Array(n);
  const count = shape.reduce((p, s) => p * s, 1);
  const index = new Array(shape.length).fill(0);
  let at = offset;
  for (let k = 0; k < count; k++) {
    out[at] += typeof g === "number" ? g : g[k];
    for (let d = shape.length - 1; d >= 0; d--) {
      index[d]++;
      at += strides[d];
      if (index[d] < shape[d]) break;
      at -= strides[d] * shape[d];
      index[d] = 0;
    }
  }
  return out;
}""",
    "bpSum": """\
// the sum of the elements
function bpSum(a) {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i];
  return s;
}""",
    "bpAmax": """\
// the largest element (NaN if one is NaN, as NumPy's max)
function bpAmax(a) {
  let m = a[0];
  for (let i = 1; i < a.length && m === m; i++) if (a[i] > m || a[i] !== a[i]) m = a[i];
  return m;
}""",
    "bpAmin": """\
// the smallest element (NaN if one is NaN, as NumPy's min)
function bpAmin(a) {
  let m = a[0];
  for (let i = 1; i < a.length && m === m; i++) if (a[i] < m || a[i] !== a[i]) m = a[i];
  return m;
}""",
    "bpFirstOf": """\
// 1 at the first element equal to out, 0 elsewhere
function bpFirstOf(a, out) {
  const mask = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) if (a[i] === out) { mask[i] = 1; break; }
  return mask;
}""",
    "bpFill": """\
// n copies of the number g
function bpFill(g, n) {
  return new Float64Array(n).fill(g);
}""",
    "bpLastMax": """\
// the largest element of each run of n along the last axis (NaN if one is NaN)
function bpLastMax(a, n) {
  const out = new Float64Array(a.length / n);
  for (let r = 0; r < out.length; r++) out[r] = bpAmax(a.subarray(r * n, r * n + n));
  return out;
}""",
    "bpLastSum": """\
// the sum of each run of n along the last axis
function bpLastSum(a, n) {
  const out = new Float64Array(a.length / n);
  for (let r = 0; r < out.length; r++) out[r] = bpSum(a.subarray(r * n, r * n + n));
  return out;
}""",
    "bpStack": """\
// the parts (numbers, or flat arrays of m elements each) one after the other
function bpStack(parts, m) {
  const out = new Float64Array(parts.length * m);
  parts.forEach((p, k) => {
    if (typeof p === "number") out.fill(p, k * m, k * m + m);
    else out.set(p, k * m);
  });
  return out;
}""",
}
ARRAY_NEEDS = {"bpLastMax": ("bpAmax",), "bpLastSum": ("bpSum",), "bpTraceInput": ("bpFlat",)}


def _contiguous(shape: tuple[int, ...], steps: tuple[int, ...]) -> bool:
    own = strides(shape)
    return all(n == 1 or s == t for n, s, t in zip(shape, steps, own))


def _list(values: Sequence[int]) -> str:
    return "[" + ", ".join(map(str, values)) + "]"


class JavaScriptArrays(FlatElements, JavaScript):
    helper_sources: ClassVar[dict[str, str]] = {**SCALAR_HELPERS, **ARRAY_HELPERS}
    helper_needs: ClassVar[dict[str, tuple[str, ...]]] = ARRAY_NEEDS

    finite = "Number.isFinite"

    # -- the primitives, each a helper call ----------------------------------------------
    def primitive(self, e: Expr) -> str:
        f = e.function
        a = e.args[0] if e.args else None
        x = self.storage(a) if a is not None else ""
        shape_a = a.shape if a is not None else ()
        if f == "matmul":
            self.use("bpMatmul")
            m, k = e.args[0].shape
            n = e.args[1].shape[-1]
            return f"bpMatmul({x}, {self.storage(e.args[1])}, {m}, {k}, {n})"
        if f in ("mT", "transpose", "take"):
            offset, shape, steps = view_plan(f, e.data, shape_a)
            if not shape:
                return f"{x}[{offset}]"
            if _contiguous(shape, steps):  # a run of the storage: a copy of it
                return f"{x}.slice({offset}, {offset + size(shape)})"
            self.use("bpGather")
            return f"bpGather({x}, {offset}, {_list(shape)}, {_list(steps)})"
        if f == "put":
            self.use("bpScatter")
            offset, shape, steps = take_plan(e.data, e.shape)
            return (f"bpScatter({x}, {size(e.shape)}, {offset}, {_list(shape)}, "
                    f"{_list(steps)})")
        if f == "unbroadcast":
            return self.unbroadcast(x, shape_a, e.shape)
        if f in ("sum", "amax", "amin"):
            name = {"sum": "bpSum", "amax": "bpAmax", "amin": "bpAmin"}[f]
            self.use(name)
            return f"{name}({x})"
        if f == "spread":
            self.use("bpFill")
            return f"bpFill({x}, {size(e.shape)})"
        if f == "first_of":
            self.use("bpFirstOf")
            return f"bpFirstOf({x}, {self.storage(e.args[1])})"
        if f in ("last_axis_max", "last_axis_sum"):
            name = "bpLastMax" if f == "last_axis_max" else "bpLastSum"
            self.use(name)
            return f"{name}({x}, {shape_a[-1]})"
        if f == "stack":
            self.use("bpStack")
            parts = ", ".join(self.storage(p) for p in e.args)
            return f"bpStack([{parts}], {size(e.shape[1:])})"
        if f == "zeros":
            return f"new Float64Array({size(e.shape)})"
        if f == "literal":
            return f"Float64Array.of({', '.join(self.number(v) for v in e.data)})"
        raise ValueError(f"no JavaScript spelling of {f}")

    def unbroadcast(self, x: str, own: tuple[int, ...], target: tuple[int, ...]) -> str:
        if not target:
            self.use("bpSum")
            return f"bpSum({x})"
        padded = (1,) * (len(own) - len(target)) + tuple(target)
        if len(padded) == len(own) and all(t <= s for t, s in zip(padded, own)):
            self.use("bpScatter")  # summed over the broadcast axes
            steps = broadcast_strides(target, own)
            return f"bpScatter({x}, {size(target)}, 0, {_list(own)}, {_list(steps)})"
        self.use("bpGather")  # a smaller gradient copied out to the shape
        steps = broadcast_strides(own, target)
        if not own:
            self.use("bpFill")
            return f"bpFill({x}, {size(target)})"
        return f"bpGather({x}, 0, {_list(target)}, {_list(steps)})"

    def result(self, e: Expr) -> str:
        """A result as the caller sees it: a number, or nested arrays."""
        if not e.shape:
            return self.element(e, (), [])
        self.use("bpNest")
        return f"bpNest({self.storage(e)}, {_list(e.shape)})"


def _statements(fn: ArrayFunction, lang: JavaScriptArrays, indent: str = "  ") -> list[str]:
    lines = [f"{indent}// forward pass, then the backward pass: one statement per gate"] \
        if fn.statements else []
    for s in fn.statements:
        comment = f" // {comment_text(s.comment)}" if s.comment else ""
        e = s.expr
        if e.kind == PRIM and e.function not in VIEWS:
            lines.append(f"{indent}const {s.target} = {lang.primitive(e)};{comment}")
        elif e.kind == REF or e.kind == PRIM:  # a view: the same storage
            lines.append(f"{indent}const {s.target} = {lang.storage(e)};{comment}")
        elif not e.shape:
            lines.append(f"{indent}const {s.target} = {lang.element(e, (), [])};{comment}")
        else:
            shapes = [leaf(x)[1] for x in operands(e)]
            counters = counters_for(e.shape, shapes)
            lines.append(f"{indent}const {s.target} = new Float64Array({size(e.shape)});"
                         f"{comment}")
            body = f"{s.target}[{index_text(e.shape, e.shape, counters)}] = " \
                   f"{lang.element(e, e.shape, counters)};"
            if counters == ["i"]:
                lines.append(f"{indent}for (let i = 0; i < {size(e.shape)}; i++) {body}")
            else:
                loops = " ".join(f"for (let {c} = 0; {c} < {n}; {c}++)"
                                 for c, n in zip(counters, e.shape))
                lines.append(f"{indent}{loops} {body}")
    return lines


def _default(value: Any, lang: JavaScriptArrays) -> str:
    if value is None:
        return "undefined"
    if hasattr(value, "tolist"):
        return json.dumps(value.tolist()).replace("NaN", "NaN")
    return lang.number(float(value))


def _key(name: str) -> str:
    return f"[{json.dumps(name)}]" if name == "__proto__" else json.dumps(name)


def _object(pairs: Sequence[tuple[str, str]]) -> str:
    return "{" + ", ".join(f"{_key(k)}: {v}" for k, v in pairs) + "}"


def _main(fn: ArrayFunction, lang: JavaScriptArrays) -> list[str]:
    lang.use("bpFlat")
    doc = ["/**", f" * {comment_text(fn.comment)}: its value and its gradient."]
    for p, s, shape in zip(fn.params, fn.source_params, fn.shapes):
        kind = "number" if not shape else "number[]"
        what = f" an array {'x'.join(map(str, shape))} (nested, or flat row-major)" \
            if shape else ""
        doc.append(f" * @param {{{kind}}} {p}" + (f" the program's {s}" if p != s else "")
                   + what)
    doc += [" * @returns {{value, gradient}} d value / d input for "
            + (", ".join(fn.wrt) if fn.wrt else "no input") + ", arrays nested", " */"]
    out = [*doc, f"export function {fn.name}({', '.join(fn.params)}) {{"]
    for p, s, shape in zip(fn.params, fn.source_params, fn.shapes):
        if shape:
            out.append(f"  {p} = bpFlat({p}, {size(shape)}, {json.dumps(s)});")
    out += _statements(fn, lang)
    gradient = _object([(n, lang.result(g)) for n, g in zip(fn.wrt, fn.grads)])
    out += [f"  return {{value: {lang.result(fn.value)}, gradient: {gradient}}};", "}"]
    return out


def _trace(fn: ArrayFunction, lang: JavaScriptArrays) -> list[str]:
    lang.use("bpTraceInput")
    out = [
        "/**",
        " * Every node's value and gradient, indexed by node id (backprop eval -F json):",
        " * a number, or nested arrays for an array node.",
        " * @param {Object} inputs by the program's names; one left out takes its default,",
        " *   else NaN",
        " * @returns {{values: Array, grads: Array}}",
        " */",
        f"export function {fn.name}(inputs) {{",
    ]
    for p, s, shape in zip(fn.params, fn.source_params, fn.shapes):
        n = size(shape) if shape else 0
        out.append(f"  const {p} = bpTraceInput(inputs, {json.dumps(s)}, {n}, "
                   f"DEFAULTS[{json.dumps(s)}]);")
    out += _statements(fn, lang)
    values = ", ".join(lang.result(v) for v in fn.values)
    grads = ", ".join(lang.result(g) for g in fn.node_grads)
    out += [f"  return {{values: [{values}], grads: [{grads}]}};", "}"]
    return out


def javascript_array_module(graph: Graph, *, trace: bool = False,
                            name: str = "valueAndGrad",
                            wrt: Sequence[str] | None = None) -> str:
    reserved = TARGET.reserved | frozenset(ARRAY_HELPERS) | {"SHAPES", "Float64Array"}
    module = build_array_module(graph, TARGET._replace(reserved=reserved), name=name,
                                wrt=wrt, trace=trace)
    lang = JavaScriptArrays()
    parts = [_main(module.main, lang)]
    if module.trace is not None:
        parts.append(_trace(module.trace, lang))
    main = module.main
    defaults = _object([(s, _default(d, lang)) for s, d in zip(main.source_params, main.defaults)
                        if d is not None])
    shapes = _object([(s, _list(shape)) for s, shape in zip(main.source_params, main.shapes)])
    header = [
        "// Generated by backprop codegen: the value and the gradient of this program, with",
        "// arrays (nested arrays in and out; flat Float64Arrays, row-major, inside).",
        *[f"//   {line}" for line in source_lines(module.source)],
        "// Domain errors give NaN or an infinity, as backprop eval --allow-nonfinite does.",
        "",
        f"export const INPUTS = {json.dumps(list(main.source_params))};",
        f"export const SHAPES = {shapes};",
        f"export const DEFAULTS = {defaults};",
    ]
    blocks = [header, *[[h] for h in lang.helpers()], *parts]
    return "\n\n".join("\n".join(b) for b in blocks) + "\n"
