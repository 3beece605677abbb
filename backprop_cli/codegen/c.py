"""The C target: C99 with ``math.h`` (link with ``-lm``), one function with pointer outputs.

``int NAME(double x, double y, ..., double *value, double grad[N])`` writes the output's
value to ``*value`` and ``d value / d input`` to ``grad[k]``, the inputs in the order of
the parameters (with ``--wrt``, those inputs only). It returns 0, or 1 where a value or
a gradient it computed is not finite: where ``backprop eval`` stops with a domain error
(the outputs are written all the same, NaN or an infinity as IEEE arithmetic gives them,
as ``eval --allow-nonfinite`` shows). A user ``def`` is a ``static`` helper that returns
its value and writes its derivatives to an array. ``math.h`` gives every function but a
few, written as small ``static`` helpers that keep eval's results (sigmoid's tail,
softplus, relu and sign at NaN, max/min's first-wins ties, pow's exact squares).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from ..core.graph import Graph
from .emit import Language, comment_text, source_lines
from .emit import statements_with_markers as marked
from .program import Accumulate, Assign, CallHelper, Function, Module, Target, build_module

KEYWORDS_TEXT = """
auto break case char const continue default do double else enum extern float for goto if
inline int long register restrict return short signed sizeof static struct switch typedef
union unsigned void volatile while _Bool _Complex _Imaginary main errno NAN INFINITY
HUGE_VAL HUGE_VALF HUGE_VALL isfinite isnan isinf signbit fpclassify isgreater isless
math_errhandling FP_NAN FP_INFINITE FP_ZERO FP_NORMAL FP_SUBNORMAL FP_FAST_FMA FP_ILOGB0
FP_ILOGBNAN MATH_ERRNO MATH_ERREXCEPT float_t double_t NULL y0 y1 yn j0 j1 jn gamma
"""
KEYWORDS = KEYWORDS_TEXT.split()
MATH_FUNCTIONS_TEXT = """
acos asin atan atan2 cos sin tan acosh asinh atanh cosh sinh tanh exp exp2 expm1 frexp
ilogb ldexp log log10 log1p log2 logb modf scalbn scalbln cbrt fabs hypot pow sqrt erf
erfc lgamma tgamma ceil floor nearbyint rint lrint llrint round lround llround trunc fmod
remainder remquo copysign nan nextafter nexttoward fdim fmax fmin fma
"""
MATH_FUNCTIONS = MATH_FUNCTIONS_TEXT.split()
RESERVED = frozenset(KEYWORDS) | frozenset(
    f"{f}{suffix}" for f in MATH_FUNCTIONS for suffix in ("", "f", "l"))

HELPERS: dict[str, str] = {
    "bp_pow": """\
/* a^b as pow, with the powers 2, 0.5 and -1 exactly rounded (a * a, sqrt, 1 / a) */
static double bp_pow(double a, double b) {
    if (b == 2.0) return a * a;
    if (b == 0.5) return a == -INFINITY ? INFINITY : (a >= 0.0 ? sqrt(a) + 0.0 : NAN);
    if (b == -1.0) return 1.0 / a;
    return pow(a, b);
}""",
    "bp_sigmoid": """\
/* 1 / (1 + e^-x), as e^x / (1 + e^x) below 0 (no overflow, the tail kept) */
static double bp_sigmoid(double x) {
    double z;
    if (x >= 0.0) return 1.0 / (1.0 + exp(-x));
    z = exp(x);
    return z / (1.0 + z);
}""",
    "bp_softplus": """\
/* log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|) */
static double bp_softplus(double x) {
    return (0.0 > x ? 0.0 : x) + log1p(exp(-fabs(x)));
}""",
    "bp_relu": """\
/* max(x, 0); NaN stays NaN */
static double bp_relu(double x) {
    return x > 0.0 || x != x ? x : 0.0;
}""",
    "bp_sign": """\
/* -1, 0 or 1 (0 at 0); NaN stays NaN */
static double bp_sign(double x) {
    return x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : (x == 0.0 ? 0.0 : x));
}""",
    "bp_step": """\
/* 1 where x > 0, else 0 */
static double bp_step(double x) {
    return x > 0.0 ? 1.0 : 0.0;
}""",
    "bp_max": """\
/* the larger, the first on a tie (NaN only when it comes first), as eval's max */
static double bp_max(double a, double b) {
    return b > a ? b : a;
}""",
    "bp_min": """\
/* the smaller, the first on a tie (NaN only when it comes first), as eval's min */
static double bp_min(double a, double b) {
    return b < a ? b : a;
}""",
}


class C(Language):
    functions: ClassVar[dict[str, str]] = {
        **{f: f for f in ("exp", "log", "log2", "log10", "sqrt", "fabs", "sin", "cos",
                          "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh")},
        "power": "bp_pow", "sigmoid": "bp_sigmoid", "softplus": "bp_softplus",
        "relu": "bp_relu", "sign": "bp_sign", "step": "bp_step", "maximum": "bp_max",
        "minimum": "bp_min"}
    helper_sources: ClassVar[dict[str, str]] = HELPERS

    def __init__(self) -> None:
        super().__init__()
        self.aliases: dict[str, str] = {}  # a helper's derivative -> its array element
        self.globals: set[str] = set()  # the functions: no local may take their names

    def _one(self, e, args):  # type: ignore[no-untyped-def]
        if e.kind == "ref" and e.name in self.aliases:
            return self.aliases[e.name], 7
        return super()._one(e, args)


def _legal(name: str) -> str:
    """C reserves names that start with two underscores or one and a capital."""
    return f"v{name}" if name.startswith("__") or (name[:1] == "_" and name[1:2].isupper()) \
        else name


TARGET = Target(RESERVED | frozenset(HELPERS), _legal)


def _free(wanted: str, fn: Function, lang: C) -> str:
    taken = {*fn.params, *fn.locals, *lang.globals}
    name = wanted
    while name in taken or name in RESERVED:
        name += "_"
    return name


def _body(fn: Function, lang: C) -> tuple[list[str], list[str]]:
    """The statements, and the variables whose finiteness the result reports."""
    lines: list[str] = []
    lang.aliases = {}
    checked = list(fn.params)
    for marker, s in marked(fn):
        if s is None:
            lines.append(f"    /* {marker} */")
            continue
        comment = f"  // {comment_text(s.comment)}" if s.comment else ""
        if isinstance(s, CallHelper):
            args = [lang.expression(a) for a in s.args]
            if len(s.targets) > 1:
                array = _free(f"d{s.targets[0]}", fn, lang)
                for k, t in enumerate(s.targets[1:]):
                    lang.aliases[t] = f"{array}[{k}]"
                lines.append(f"    double {array}[{len(s.targets) - 1}];")
            else:
                array = _free(f"d{s.targets[0]}", fn, lang)
                lines.append(f"    double {array}[{len(_helper_params(s))}];")
            lines.append(f"    const double {s.targets[0]} = "
                         f"{s.helper}({', '.join([*args, array])});{comment}")
            checked.append(s.targets[0])
        elif isinstance(s, Assign | Accumulate):
            lines.append(f"    const double {s.target} = {lang.right_side(s)};{comment}")
            if s.comment is not None:  # a node's value or gradient, not a shared temporary
                checked.append(s.target)
    return lines, checked


def _helper_params(s: CallHelper) -> tuple[str, ...]:
    return s.args  # type: ignore[return-value]  # one derivative per argument


def _helper(fn: Function, lang: C) -> list[str]:
    grad = _free("grad", fn, lang)
    params = ", ".join([*(f"double {p}" for p in fn.params), f"double {grad}[{len(fn.params)}]"])
    lines, _ = _body(fn, lang)
    out = [f"/* {fn.name}({', '.join(fn.source_params)}) = {comment_text(fn.comment)}: its "
           f"value, and its derivative by each parameter in {grad}[] */",
           f"static double {fn.name}({params}) {{", *lines]
    out += [f"    {grad}[{k}] = {lang.expression(g)};" for k, g in enumerate(fn.grads)]
    out += [f"    return {lang.expression(fn.value)};", "}"]
    return out


def _main(fn: Function, lang: C) -> list[str]:
    value = _free("value", fn, lang)
    grad = _free("grad", fn, lang)
    n = len(fn.wrt)
    params = [*(f"double {p}" for p in fn.params), f"double *{value}",
              f"double {grad}[{n}]" if n else f"double *{grad}"]
    lines, checked = _body(fn, lang)
    used = " ".join(lines) + lang.expression(fn.value) + " ".join(
        lang.expression(g) for g in fn.grads)
    unused = [p for p in fn.params if not mentions(used, p)]
    doc = [f"/* {comment_text(fn.comment)}: its value in *{value}, and d value / d input in "
           f"{grad}[]" + (":" if n else " (no input asked)."),
           *[f"     {grad}[{k}] = d/d{name}" for k, name in enumerate(fn.wrt)],
           *[f"   The parameter {p} is the program's {s}." for p, s in
             zip(fn.params, fn.source_params) if p != s],
           "   Returns 0, or 1 where a value or a gradient is not finite (eval's domain "
           "error). */"]
    out = [*doc, f"int {fn.name}({', '.join(params)}) {{"]
    out += [f"    (void){p};  /* the output does not depend on it */" for p in unused]
    if not n:
        out.append(f"    (void){grad};")
    out += lines
    out.append(f"    *{value} = {lang.expression(fn.value)};")
    out += [f"    {grad}[{k}] = {lang.expression(g)};" for k, g in enumerate(fn.grads)]
    finite = [f"isfinite({v})" for v in checked]
    out.append("    return !(" + wrap_conjunction(" && ".join(finite), "             ") + ");")
    out.append("}")
    return out


def mentions(text: str, name: str) -> bool:
    """Whether ``name`` occurs in ``text`` as a whole identifier."""
    import re

    return re.search(rf"(?<![A-Za-z0-9_]){re.escape(name)}(?![A-Za-z0-9_])", text) is not None


def wrap_conjunction(text: str, indent: str, width: int = 88) -> str:
    """``a && b && ...`` folded into lines of at most ``width``."""
    words = text.split(" && ")
    lines, line = [], ""
    for w in words:
        if line and len(line) + len(w) + 4 > width:
            lines.append(line + " &&")
            line = w
        else:
            line = f"{line} && {w}" if line else w
    lines.append(line)
    return ("\n" + indent).join(lines)


def render(module: Module) -> str:
    lang = C()
    lang.globals = {module.main.name, *(h.name for h in module.helpers)}
    parts = [_helper(h, lang) for h in module.helpers]
    parts.append(_main(module.main, lang))
    header = [
        "/* Generated by backprop codegen: the value and the gradient of a program, in C99.",
        "   Compile with -lm. The program:",
        *[f"     {line.replace('*/', '* /')}" for line in source_lines(module.source)],
        "*/",
        "#include <math.h>",
    ]
    blocks = [header, *[h.splitlines() for h in lang.helpers()], *parts]
    return "\n\n".join("\n".join(b) for b in blocks) + "\n"


def c_source(graph: Graph, *, name: str = "value_and_grad",
             wrt: Sequence[str] | None = None) -> str:
    """C99 source of ``int name(double x, ..., double *value, double grad[N])``."""
    return render(build_module(graph, TARGET, name=name, wrt=wrt))
