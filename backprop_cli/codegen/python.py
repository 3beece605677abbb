"""The Python targets: ``python`` (the standard library's ``math`` only, one point) and,
sharing the layout, ``numpy`` (``numpy_code``: element by element over arrays).

The generated function returns ``(value, {input name: d value / d input})``. Numbers
follow IEEE arithmetic, as ``backprop eval --allow-nonfinite``: a domain error gives NaN
or an infinity, never an exception (test with ``math.isfinite``). Where ``math`` raises
instead (``math.log(0)``, ``1 / 0``, ``math.exp(1000)``), a small helper returns what
``core/scalar_math.py`` returns; the other functions are ``math``'s own.
"""

from __future__ import annotations

import builtins
import json
import keyword
import textwrap
from collections.abc import Sequence
from typing import ClassVar

from ..core.graph import Graph
from .emit import PRODUCT, Language, Printed, _at, comment_text, source_lines
from .emit import statements_with_markers as marked
from .expr import CONST, Expr
from .program import Accumulate, Assign, CallHelper, Function, Module, Target, build_module

LINE_LIMIT = 100  # the line length ruff checks (pyproject.toml)

HELPERS: dict[str, str] = {
    "_div": '''\
def _div(a: float, b: float) -> float:
    """a / b, an infinity or NaN where Python raises ZeroDivisionError."""
    if b == 0.0:
        if a == 0.0 or a != a:
            return math.nan
        return math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b''',
    "_pow": '''\
def _pow(a: float, b: float) -> float:
    """a ** b as C's pow: an infinity or NaN where math.pow raises; the powers 2, 0.5
    and -1 exactly rounded (a * a, sqrt, 1 / a)."""
    if b == 2.0:
        return a * a
    if b == 0.5:
        return math.inf if a == -math.inf else (math.sqrt(a) + 0.0 if a >= 0.0 else math.nan)
    if b == -1.0:
        return _div(1.0, a)
    odd = b == b // 1 and b % 2 == 1
    try:
        return math.pow(a, b)
    except OverflowError:
        return -math.inf if a < 0.0 and odd else math.inf
    except ValueError:
        if a == 0.0 and b < 0.0:
            return math.copysign(math.inf, a) if odd else math.inf
        return math.nan''',
    "_exp": '''\
def _exp(x: float) -> float:
    """math.exp, an infinity where it overflows."""
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf''',
    "_log": '''\
def _log(x: float) -> float:
    """math.log, -inf at 0 and NaN below."""
    if x > 0.0:
        return math.log(x)
    return -math.inf if x == 0.0 else math.nan''',
    "_log2": '''\
def _log2(x: float) -> float:
    """math.log2, -inf at 0 and NaN below."""
    if x > 0.0:
        return math.log2(x)
    return -math.inf if x == 0.0 else math.nan''',
    "_log10": '''\
def _log10(x: float) -> float:
    """math.log10, -inf at 0 and NaN below."""
    if x > 0.0:
        return math.log10(x)
    return -math.inf if x == 0.0 else math.nan''',
    "_sqrt": '''\
def _sqrt(x: float) -> float:
    """math.sqrt, NaN below 0."""
    return math.sqrt(x) if x >= 0.0 else math.nan''',
    "_sin": '''\
def _sin(x: float) -> float:
    """math.sin, NaN at an infinity."""
    return math.sin(x) if math.isfinite(x) else math.nan''',
    "_cos": '''\
def _cos(x: float) -> float:
    """math.cos, NaN at an infinity."""
    return math.cos(x) if math.isfinite(x) else math.nan''',
    "_tan": '''\
def _tan(x: float) -> float:
    """math.tan, NaN at an infinity."""
    return math.tan(x) if math.isfinite(x) else math.nan''',
    "_asin": '''\
def _asin(x: float) -> float:
    """math.asin, NaN outside [-1, 1]."""
    return math.asin(x) if -1.0 <= x <= 1.0 else math.nan''',
    "_acos": '''\
def _acos(x: float) -> float:
    """math.acos, NaN outside [-1, 1]."""
    return math.acos(x) if -1.0 <= x <= 1.0 else math.nan''',
    "_sinh": '''\
def _sinh(x: float) -> float:
    """math.sinh, an infinity where it overflows."""
    try:
        return math.sinh(x)
    except OverflowError:
        return math.copysign(math.inf, x)''',
    "_cosh": '''\
def _cosh(x: float) -> float:
    """math.cosh, an infinity where it overflows."""
    try:
        return math.cosh(x)
    except OverflowError:
        return math.inf''',
    "_sigmoid": '''\
def _sigmoid(x: float) -> float:
    """1 / (1 + e^-x), as e^x / (1 + e^x) below 0 (no overflow, the tail kept)."""
    if x >= 0.0:
        return 1.0 / (1.0 + _exp(-x))
    z = _exp(x)
    return z / (1.0 + z)''',
    "_softplus": '''\
def _softplus(x: float) -> float:
    """log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|)."""
    return max(x, 0.0) + math.log1p(_exp(-abs(x)))''',
    "_relu": '''\
def _relu(x: float) -> float:
    """max(x, 0); NaN stays NaN."""
    return x if x > 0.0 or x != x else 0.0''',
    "_sign": '''\
def _sign(x: float) -> float:
    """-1, 0 or 1 (0 at 0); NaN stays NaN."""
    return 1.0 if x > 0.0 else (-1.0 if x < 0.0 else (0.0 if x == 0.0 else x))''',
    "_step": '''\
def _step(x: float) -> float:
    """1 where x > 0, else 0."""
    return 1.0 if x > 0.0 else 0.0''',
}
NEEDS = {"_pow": ("_div",), "_sigmoid": ("_exp",), "_softplus": ("_exp",)}

PYTHON_RESERVED = frozenset(keyword.kwlist) | frozenset(dir(builtins)) | frozenset(
    {"math", "np", "numpy", "l", "O", "I"})  # l, O, I: ruff's ambiguous names (E741)


class Python(Language):
    comparisons: ClassVar[dict[str, str]] = {"eq": "==", "ne": "!=", "gt": ">", "lt": "<",
                                             "ge": ">="}
    and_word = "and"
    nan = "math.nan"
    inf = "math.inf"
    pairwise = False
    functions: ClassVar[dict[str, str]] = {
        "exp": "_exp", "log": "_log", "log2": "_log2", "log10": "_log10", "sqrt": "_sqrt",
        "fabs": "abs", "sin": "_sin", "cos": "_cos", "tan": "_tan", "asin": "_asin",
        "acos": "_acos", "atan": "math.atan", "sinh": "_sinh", "cosh": "_cosh",
        "tanh": "math.tanh", "sigmoid": "_sigmoid", "softplus": "_softplus", "relu": "_relu",
        "sign": "_sign", "step": "_step", "power": "_pow", "maximum": "max",
        "minimum": "min"}
    helper_sources: ClassVar[dict[str, str]] = HELPERS
    helper_needs: ClassVar[dict[str, tuple[str, ...]]] = NEEDS
    library = "import math"
    number_type = "float"

    def divide(self, a: Printed, b: Printed, left: Expr, right: Expr) -> Printed:
        if right.kind == CONST and right.value:  # never 0: Python's own division
            return super().divide(a, b, left, right)
        self.use("_div")
        return f"_div({a[0]}, {b[0]})", 7

    def where(self, condition: Printed, if_true: Printed, if_false: Printed) -> Printed:
        return f"{_at(if_true, 2)} if {_at(condition, 2)} else {_at(if_false, 1)}", 1

    # -- layout ------------------------------------------------------------------------
    def prologue(self, fn: Function, helper: bool) -> list[str]:
        return []

    def epilogue(self, fn: Function, helper: bool) -> list[str]:
        return []

    def results(self, fn: Function, value: str, grads: list[str], helper: bool
                ) -> tuple[str, list[str]]:
        return value, grads

    def signature(self, fn: Function, returns: str) -> str:
        params = [f"{p}: {self.number_type}" for p in fn.params]
        return _signature(fn.name, params, f" -> {returns}")

    def body_indent(self) -> str:
        return "    "

    def return_indent(self, helper: bool) -> str:
        return "    "


TARGET = Target(PYTHON_RESERVED | frozenset(HELPERS) | frozenset({"_maximum", "_minimum"}))


def _signature(name: str, params: list[str], returns: str) -> str:
    """``def name(params) -> returns:``, one parameter a line where it is too long."""
    line = f"def {name}({', '.join(params)}){returns}:"
    if len(line) <= LINE_LIMIT:
        return line
    return "\n".join([f"def {name}(", *(f"    {p}," for p in params), f"){returns}:"])


def _statement(lang: Python, s: Assign | Accumulate | CallHelper, indent: str) -> list[str]:
    if isinstance(s, CallHelper):
        args = ", ".join(lang.expression(a) for a in s.args)
        left = ", ".join(s.targets) if len(s.targets) > 1 else s.targets[0]
        right = f"{s.helper}({args})" + ("" if len(s.targets) > 1 else "[0]")
        return _line(indent, left, right, s.comment)
    if isinstance(s, Accumulate) and len(s.terms) > 1:
        terms = lang.sum_of(s.terms)
        single = _line(indent, s.target, " + ".join(terms), s.comment)
        if all(len(line) <= LINE_LIMIT for line in single):
            return single
        lines = [f"{indent}# {s.comment}"] if s.comment else []
        lines.append(f"{indent}{s.target} = (")
        lines += [_fit(f"{indent}    {'+ ' if k else ''}{t}") for k, t in enumerate(terms)]
        return [*lines, f"{indent})"]
    return _line(indent, s.target, lang.right_side(s), s.comment)


def _line(indent: str, left: str, right: str, comment: str | None) -> list[str]:
    code = f"{indent}{left} = {right}"
    if comment:
        text = f"{code}  # {comment_text(comment)}"
        if len(text) <= LINE_LIMIT:
            return [text]
        room = LINE_LIMIT - len(indent) - 2
        note = comment_text(comment)
        note = note if len(note) <= room else note[: room - 3] + "..."
        return [f"{indent}# {note}", _fit(code)]
    return [_fit(code)]


def _fit(line: str) -> str:
    """A line too long to be wrapped (a name of a hundred letters) is marked so for ruff."""
    if len(line) <= LINE_LIMIT or " " not in line.strip() or line.endswith("# noqa: E501"):
        return line
    return f"{line}  # noqa: E501"


def _function_lines(lang: Python, fn: Function, *, helper: bool) -> list[str]:
    value = lang.expression(fn.value)
    grads = [lang.expression(g) for g in fn.grads]
    indent = lang.body_indent()
    body: list[str] = []
    for marker, s in marked(fn):
        if s is None:
            body.append(f"{indent}# {marker}")
        else:
            body += _statement(lang, s, indent)
    value, grads = lang.results(fn, value, grads, helper)
    t = lang.number_type
    if helper:
        returns = f"tuple[{', '.join([t] * (1 + len(grads)))}]"
        doc = (f"{fn.name}({', '.join(fn.source_params)}) = {comment_text(fn.comment)}: "
               "the value and its derivative by each parameter.")
        result = f"{lang.return_indent(helper)}return {', '.join([value, *grads])}"
    else:
        returns = f"tuple[{t}, dict[str, {t}]]"
        doc = (f"{comment_text(fn.comment)}: the value, and d value / d input for "
               + (", ".join(fn.wrt) if fn.wrt else "no input") + ".")
        gradient = ", ".join(f"{json.dumps(n)}: {g}" for n, g in zip(fn.wrt, grads))
        result = f"{lang.return_indent(helper)}return {value}, {{{gradient}}}"
    head = [*lang.signature(fn, returns).split("\n"), *_docstring(doc, fn, lang)]
    lines = [*head, *lang.prologue(fn, helper), *body, *lang.epilogue(fn, helper)]
    lines.append(result)
    return [_fit(line) for line in lines]


def _docstring(doc: str, fn: Function, lang: Python) -> list[str]:
    text = doc.replace("\\", "/").replace('"""', "'''")
    renamed = [f"{p} is the program's {s}" for p, s in zip(fn.params, fn.source_params)
               if p != s]
    if renamed:
        text += " (" + "; ".join(renamed) + ")"
    one = f'    """{text}"""'
    if len(one) <= LINE_LIMIT:
        return [one]
    lines = textwrap.wrap(text, LINE_LIMIT - 7)
    return [f'    """{lines[0]}', *[f"    {line}" for line in lines[1:]], '    """']


def render_with(lang: Python, module: Module, what: str) -> str:
    parts = [_function_lines(lang, h, helper=True) for h in module.helpers]
    parts.append(_function_lines(lang, module.main, helper=False))
    header = [
        '"""Generated by backprop codegen: the value and the gradient of a program,',
        f"{what}.",
        "",
        "Domain errors give NaN or an infinity, as backprop eval --allow-nonfinite does.",
        '"""',
        "# The program:",
        *[_fit(f"#   {line}".rstrip()) for line in source_lines(module.source)],
    ]
    helpers = lang.helpers()
    code = "\n".join("\n".join(p) for p in parts) + "\n".join(helpers)
    imports = [lang.library] if lang.library.split()[-1] + "." in code else []
    blocks = [header + (["", *imports] if imports else []), *[h.splitlines() for h in helpers],
              *parts]
    return "\n\n\n".join("\n".join(b) for b in blocks) + "\n"


def python_module(graph: Graph, *, name: str = "value_and_grad",
                  wrt: Sequence[str] | None = None) -> str:
    """A Python module whose function ``name(x, y, ...)`` returns ``(value, gradient)``."""
    return render_with(Python(), build_module(graph, TARGET, name=name, wrt=wrt),
                       "in Python with the standard library's math only")


__all__ = ["PRODUCT", "Python", "python_module"]
