"""The C target for array programs: C99 with ``math.h``, flat row-major double arrays.

``int NAME(const double W[6], const double b[3], double s, ..., double *value,
double grad[N])``: a scalar input is a ``double``, an array input a pointer to its
elements in row-major order (a matrix 3x2: ``W[i * 2 + j]``), its size in the declared
bound. ``value`` receives the output's elements (one for a number); ``grad`` receives
``d value / d input`` for each input in order (with ``--wrt``, those only), each
flattened row-major and placed one after the other (the offsets are in the comment
above the function; N is the sum of their sizes). It returns 0, or 1 where an input, a
value or a gradient is not finite (eval's domain error; the outputs are written all the
same). An elementwise gate is a loop; the tensor ops' primitives are small ``static``
helpers over flat arrays, emitted only when used. Temporaries live on the stack.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from ..core.graph import Graph
from .c import HELPERS as SCALAR_HELPERS
from .c import RESERVED, TARGET, C, mentions, wrap_conjunction
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
    take_plan,
    view_plan,
)
from .tensor import PRIM, VIEWS, ArrayFunction, build_array_module

_WALK = """\
    int index[8] = {0};
    int k, d, at = offset, count = 1;
    for (d = 0; d < rank; d++) count *= shape[d];
    for (k = 0; k < count; k++) {
        %s
        for (d = rank - 1; d >= 0; d--) {
            index[d]++;
            at += strides[d];
            if (index[d] < shape[d]) break;
            at -= strides[d] * shape[d];
            index[d] = 0;
        }
    }"""

ARRAY_HELPERS: dict[str, str] = {
    "bp_matmul": """\
/* out = a (m x k) @ b (k x n), flat row-major */
static void bp_matmul(double *out, const double *a, const double *b, int m, int k, int n) {
    int i, j, p;
    for (i = 0; i < m; i++) {
        for (j = 0; j < n; j++) {
            double s = a[i * k] * b[j];
            for (p = 1; p < k; p++) s += a[i * k + p] * b[p * n + j];
            out[i * n + j] = s;
        }
    }
}""",
    "bp_gather": """\
/* out = the elements of a at offset + sum(index[d] * strides[d]), every index of shape */
static void bp_gather(double *out, const double *a, int offset, int rank, const int *shape,
                      const int *strides) {
%s
}""" % (_WALK % "out[k] = a[at];"),
    "bp_scatter": """\
/* out = n zeros, with each element of g (of shape) added at offset + sum(index * strides) */
static void bp_scatter(double *out, int n, const double *g, int offset, int rank,
                       const int *shape, const int *strides) {
    int i;
    for (i = 0; i < n; i++) out[i] = 0.0;
    {
%s
    }
}""" % (_WALK % "out[at] += g[k];"),
    "bp_sum": """\
/* the sum of n elements */
static double bp_sum(const double *a, int n) {
    double s = 0.0;
    int i;
    for (i = 0; i < n; i++) s += a[i];
    return s;
}""",
    "bp_amax": """\
/* the largest of n elements (NaN if one is NaN, as NumPy's max) */
static double bp_amax(const double *a, int n) {
    double m = a[0];
    int i;
    for (i = 1; i < n && m == m; i++) if (a[i] > m || a[i] != a[i]) m = a[i];
    return m;
}""",
    "bp_amin": """\
/* the smallest of n elements (NaN if one is NaN, as NumPy's min) */
static double bp_amin(const double *a, int n) {
    double m = a[0];
    int i;
    for (i = 1; i < n && m == m; i++) if (a[i] < m || a[i] != a[i]) m = a[i];
    return m;
}""",
    "bp_first_of": """\
/* out = 1 at the first of n elements equal to x, 0 elsewhere */
static void bp_first_of(double *out, const double *a, int n, double x) {
    int i, found = 0;
    for (i = 0; i < n; i++) {
        out[i] = !found && a[i] == x ? 1.0 : 0.0;
        if (a[i] == x) found = 1;
    }
}""",
    "bp_fill": """\
/* out = n copies of g */
static void bp_fill(double *out, double g, int n) {
    int i;
    for (i = 0; i < n; i++) out[i] = g;
}""",
    "bp_copy": """\
/* out = the n elements of a */
static void bp_copy(double *out, const double *a, int n) {
    int i;
    for (i = 0; i < n; i++) out[i] = a[i];
}""",
    "bp_last_max": """\
/* out[r] = the largest of each run of n elements (of total) along the last axis */
static void bp_last_max(double *out, const double *a, int total, int n) {
    int r;
    for (r = 0; r < total / n; r++) out[r] = bp_amax(a + r * n, n);
}""",
    "bp_last_sum": """\
/* out[r] = the sum of each run of n elements (of total) along the last axis */
static void bp_last_sum(double *out, const double *a, int total, int n) {
    int r;
    for (r = 0; r < total / n; r++) out[r] = bp_sum(a + r * n, n);
}""",
    "bp_finite": """\
/* whether all n elements are finite */
static int bp_finite(const double *a, int n) {
    int i;
    for (i = 0; i < n; i++) if (!isfinite(a[i])) return 0;
    return 1;
}""",
}
ARRAY_NEEDS = {"bp_last_max": ("bp_amax",), "bp_last_sum": ("bp_sum",)}


def _ints(values: Sequence[int]) -> str:
    return "(const int[]){" + ", ".join(map(str, values)) + "}" if values else "NULL"


class CArrays(FlatElements, C):
    helper_sources: ClassVar[dict[str, str]] = {**SCALAR_HELPERS, **ARRAY_HELPERS}
    helper_needs: ClassVar[dict[str, tuple[str, ...]]] = ARRAY_NEEDS
    finite = "isfinite"
    one_number_format = "(const double[]){{{}}}"

    def address(self, name: str) -> str:
        return f"&{name}"

    def pointer(self, e: Expr) -> str:
        """An argument of a helper that takes an array (a number as one element)."""
        var, shape = leaf(e)
        text = self.storage(e)
        if shape:
            return text
        return self.one_number(text) if var.kind != REF else self.address(text)

    def primitive(self, target: str, e: Expr) -> list[str]:
        """The lines that compute primitive ``e`` into ``target`` (declared here)."""
        f = e.function
        a = e.args[0] if e.args else None
        x = self.storage(a) if a is not None else ""
        if a is not None and f == "put":  # g may be a number: one element
            x = self.pointer(a)
        shape_a = a.shape if a is not None else ()
        n = size(e.shape)
        declare = f"double {target}[{n}];"
        if f in ("sum", "amax", "amin"):
            name = f"bp_{f}"
            self.use(name)
            return [f"const double {target} = {name}({x}, {size(shape_a)});"]
        if f == "unbroadcast" and not e.shape:
            self.use("bp_sum")
            return [f"const double {target} = bp_sum({x}, {size(shape_a)});"]
        if f in ("mT", "transpose", "take"):
            offset, shape, steps = view_plan(f, e.data, shape_a)
            if not shape:
                return [f"const double {target} = {x}[{offset}];"]
            self.use("bp_gather")
            return [declare, f"bp_gather({target}, {x}, {offset}, {len(shape)}, "
                             f"{_ints(shape)}, {_ints(steps)});"]
        if f == "matmul":
            self.use("bp_matmul")
            m, k = e.args[0].shape
            cols = e.args[1].shape[-1]
            return [declare,
                    f"bp_matmul({target}, {x}, {self.storage(e.args[1])}, {m}, {k}, {cols});"]
        if f == "put":
            self.use("bp_scatter")
            offset, shape, steps = take_plan(e.data, e.shape)
            return [declare, f"bp_scatter({target}, {n}, {x}, {offset}, {len(shape)}, "
                             f"{_ints(shape)}, {_ints(steps)});"]
        if f == "unbroadcast":
            target_shape = e.shape
            padded = (1,) * (len(shape_a) - len(target_shape)) + tuple(target_shape)
            if len(padded) == len(shape_a) and all(t <= s for t, s in zip(padded, shape_a)):
                self.use("bp_scatter")
                steps = broadcast_strides(target_shape, shape_a)
                return [declare, f"bp_scatter({target}, {n}, {x}, 0, {len(shape_a)}, "
                                 f"{_ints(shape_a)}, {_ints(steps)});"]
            if not shape_a:
                self.use("bp_fill")
                return [declare, f"bp_fill({target}, {x}, {n});"]
            self.use("bp_gather")
            steps = broadcast_strides(shape_a, target_shape)
            return [declare, f"bp_gather({target}, {x}, 0, {len(target_shape)}, "
                             f"{_ints(target_shape)}, {_ints(steps)});"]
        if f == "spread":
            self.use("bp_fill")
            return [declare, f"bp_fill({target}, {x}, {n});"]
        if f == "first_of":
            self.use("bp_first_of")
            return [declare, f"bp_first_of({target}, {x}, {n}, {self.storage(e.args[1])});"]
        if f in ("last_axis_max", "last_axis_sum"):
            name = "bp_last_max" if f == "last_axis_max" else "bp_last_sum"
            self.use(name)
            return [declare, f"{name}({target}, {x}, {size(shape_a)}, {shape_a[-1]});"]
        if f == "stack":
            m = size(e.shape[1:])
            lines = [declare]
            for k, part in enumerate(e.args):
                if not leaf(part)[1]:
                    lines.append(f"{target}[{k}] = {self.element(part, (), [])};")
                else:
                    self.use("bp_copy")
                    lines.append(f"bp_copy({target} + {k * m}, {self.storage(part)}, {m});")
            return lines
        if f == "zeros":
            return [f"double {target}[{n}] = {{0.0}};"]
        if f == "literal":
            values = ", ".join(self.number(v) for v in e.data)
            return [f"const double {target}[{n}] = {{{values}}};"]
        raise ValueError(f"no C spelling of {f}")


def _statements(fn: ArrayFunction, lang: CArrays) -> tuple[list[str], list[tuple[str, int]]]:
    """The body, and the variables (with their sizes, 0 for a number) the result checks."""
    lines: list[str] = []
    checked = [(p, size(s) if s else 0) for p, s in zip(fn.params, fn.shapes)]
    if fn.statements:
        lines.append("    /* forward pass, then the backward pass: one statement per gate */")
    for s in fn.statements:
        comment = f"  /* {comment_text(s.comment)} */" if s.comment else ""
        e = s.expr
        if e.kind == PRIM and e.function not in VIEWS:
            body = lang.primitive(s.target, e)
            lines += [f"    {line}" for line in body[:-1]]
            lines.append(f"    {body[-1]}{comment}")
        elif e.kind == REF or e.kind == PRIM:  # a view: the same storage
            if e.shape:
                lines.append(f"    const double *{s.target} = {lang.storage(e)};{comment}")
            else:
                lines.append(f"    const double {s.target} = {lang.storage(e)};{comment}")
        elif not e.shape:
            lines.append(f"    const double {s.target} = {lang.element(e, (), [])};{comment}")
        else:
            counters = counters_for(e.shape, [leaf(x)[1] for x in operands(e)])
            lines.append(f"    double {s.target}[{size(e.shape)}];{comment}")
            body = (f"{s.target}[{index_text(e.shape, e.shape, counters)}] = "
                    f"{lang.element(e, e.shape, counters)};")
            if counters == ["i"]:
                lines.append(f"    for (i = 0; i < {size(e.shape)}; i++) {body}")
            else:
                loops = " ".join(f"for ({c} = 0; {c} < {n}; {c}++)"
                                 for c, n in zip(counters, e.shape))
                lines.append(f"    {loops} {body}")
        if s.comment is not None:
            checked.append((s.target, size(e.shape) if e.shape else 0))
    return lines, checked


def _write(lang: CArrays, e: Expr, out: str, at: int = 0) -> str:
    """``out`` (a pointer) receives the elements of ``e`` from ``at`` on."""
    if not e.shape:
        return f"    {out}[{at}] = {lang.element(e, (), [])};"
    lang.use("bp_copy")
    return f"    bp_copy({f'{out} + {at}' if at else out}, {lang.storage(e)}, {size(e.shape)});"


def _free(wanted: str, taken: set[str]) -> str:
    name = wanted
    while name in taken or name in RESERVED:
        name += "_"
    return name


def _main(fn: ArrayFunction, lang: CArrays) -> list[str]:
    taken = {*fn.params, *fn.locals, fn.name, "i", *(f"i{k}" for k in range(8))}
    value = _free("value", taken)
    grad = _free("grad", taken)
    shapes = dict(zip(fn.source_params, fn.shapes))
    offsets, at = [], 0
    for n in fn.wrt:
        offsets.append(at)
        at += size(shapes[n]) if shapes[n] else 1
    params = [f"const double {p}[{size(s)}]" if s else f"double {p}"
              for p, s in zip(fn.params, fn.shapes)]
    params += [f"double *{value}", f"double {grad}[{at}]" if at else f"double *{grad}"]
    lines, checked = _statements(fn, lang)
    used = " ".join(lines) + " ".join(lang.element(g, (), []) if not g.shape else
                                      lang.storage(g) for g in (fn.value, *fn.grads))
    unused = [p for p in fn.params if not mentions(used, p)]
    out_size = size(fn.value.shape) if fn.value.shape else 1
    doc = [f"/* {comment_text(fn.comment)}: its value in {value}[0.."
           f"{out_size - 1}], and d value / d input in {grad}[] (row-major):"]
    for n, o in zip(fn.wrt, offsets):
        length = size(shapes[n]) if shapes[n] else 1
        what = "x".join(map(str, shapes[n])) if shapes[n] else "a number"
        doc.append(f"     {grad}[{o}..{o + length - 1}] = d/d{n} ({what})")
    doc += [f"   The parameter {p} is the program's {s}." for p, s in
            zip(fn.params, fn.source_params) if p != s]
    doc.append("   Returns 0, or 1 where a value or a gradient is not finite (eval's domain "
               "error). */")
    loops = " ".join(lines)
    counters = ["i"] if "(i = 0;" in loops else []
    counters += [f"i{k}" for k in range(8) if f"(i{k} = 0;" in loops]
    out = [*doc, f"int {fn.name}({', '.join(params)}) {{"]
    if counters:
        out.append(f"    int {', '.join(counters)};")
    out += [f"    (void){p};  /* the output does not depend on it */" for p in unused]
    if not at:
        out.append(f"    (void){grad};")
    out += lines
    out.append(_write(lang, fn.value, value))
    for g, o in zip(fn.grads, offsets):
        out.append(_write(lang, g, grad, o))
    tests = []
    for name, n in checked:
        if n:
            lang.use("bp_finite")
            tests.append(f"bp_finite({name}, {n})")
        else:
            tests.append(f"isfinite({name})")
    checks = wrap_conjunction(" && ".join(tests) or "1", "             ")
    out.append(f"    return !({checks});")
    out.append("}")
    return out


def c_array_source(graph: Graph, *, name: str = "value_and_grad",
                   wrt: Sequence[str] | None = None) -> str:
    reserved = TARGET.reserved | frozenset(ARRAY_HELPERS) | {"i", *(f"i{k}" for k in range(8))}
    module = build_array_module(graph, TARGET._replace(reserved=reserved), name=name, wrt=wrt)
    lang = CArrays()
    body = _main(module.main, lang)
    header = [
        "/* Generated by backprop codegen: the value and the gradient of a program with",
        "   arrays, in C99 (flat row-major double arrays). Compile with -lm. The program:",
        *[f"     {line.replace('*/', '* /')}" for line in source_lines(module.source)],
        "*/",
        "#include <math.h>",
        "#include <stddef.h>",
    ]
    blocks = [header, *[h.splitlines() for h in lang.helpers()], body]
    return "\n\n".join("\n".join(b) for b in blocks) + "\n"
