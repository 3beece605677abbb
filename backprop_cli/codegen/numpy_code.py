"""The NumPy target: the Python layout, element by element over arrays that broadcast.

Each input may be a number or an array; the inputs broadcast together (``x`` of shape
``(n,)`` and ``y`` of shape ``(m, 1)`` give ``(m, n)`` points), and the value and every
gradient come back in that shape. The body runs under ``numpy.errstate(all="ignore")``:
a domain error gives NaN or an infinity, with no warning, as ``backprop eval
--allow-nonfinite`` (and ``eval --at``) does. Where NumPy's own answer differs from the
pass at one point (``core/scalar_math.py``: max/min ties and NaN, ``relu(nan)``, the
logistic tail, ``(-0.0) ** 0.5``), a helper follows the one-point rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from ..core.graph import Graph
from .emit import ATOM, Printed, _at
from .expr import Expr
from .program import Function, Module, Target, build_module
from .python import TARGET, Python, _signature, render_with

HELPERS: dict[str, str] = {
    "_pow": '''\
def _pow(a, b):
    """a ** b as C's pow; a lone exponent 0.5 as NumPy takes it (a square root), but +0 at
    -0 and inf at -inf, as pow gives."""
    if np.ndim(b) == 0 and b == 0.5:
        return np.where(a == -np.inf, np.inf, np.sqrt(a) + 0.0)
    return np.power(a, b)''',
    "_sigmoid": '''\
def _sigmoid(x):
    """1 / (1 + e^-x), as e^x / (1 + e^x) below 0 (no overflow, the tail kept)."""
    z = np.exp(-np.abs(x))
    return np.where(x >= 0.0, 1.0 / (1.0 + z), z / (1.0 + z))''',
    "_softplus": '''\
def _softplus(x):
    """log(1 + e^x) without overflow: max(x, 0) + log1p(e^-|x|)."""
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))''',
    "_relu": '''\
def _relu(x):
    """max(x, 0); NaN stays NaN."""
    return np.where((x > 0.0) | (x != x), x, 0.0)''',
    "_step": '''\
def _step(x):
    """1 where x > 0, else 0."""
    return np.where(x > 0.0, 1.0, 0.0)''',
    "_maximum": '''\
def _maximum(*args):
    """The largest, the first on a tie (NaN only when it comes first), as eval's max."""
    result = args[0]
    for a in args[1:]:
        result = np.where(a > result, a, result)
    return result''',
    "_minimum": '''\
def _minimum(*args):
    """The smallest, the first on a tie (NaN only when it comes first), as eval's min."""
    result = args[0]
    for a in args[1:]:
        result = np.where(a < result, a, result)
    return result''',
}


class NumPy(Python):
    and_word = "&"
    nan = "np.nan"
    inf = "np.inf"
    functions: ClassVar[dict[str, str]] = {
        "exp": "np.exp", "log": "np.log", "log2": "np.log2", "log10": "np.log10",
        "sqrt": "np.sqrt", "fabs": "np.abs", "sin": "np.sin", "cos": "np.cos",
        "tan": "np.tan", "asin": "np.arcsin", "acos": "np.arccos", "atan": "np.arctan",
        "sinh": "np.sinh", "cosh": "np.cosh", "tanh": "np.tanh", "sigmoid": "_sigmoid",
        "softplus": "_softplus", "relu": "_relu", "sign": "np.sign", "step": "_step",
        "power": "_pow", "maximum": "_maximum", "minimum": "_minimum"}
    helper_sources: ClassVar[dict[str, str]] = HELPERS
    helper_needs: ClassVar[dict[str, tuple[str, ...]]] = {}
    library = "import numpy as np"
    number_type = "np.ndarray"

    def divide(self, a: Printed, b: Printed, left: Expr, right: Expr) -> Printed:
        if left.kind == "const" and right.kind == "const":  # two floats: IEEE, not raise
            return f"np.divide({a[0]}, {b[0]})", ATOM
        return super(Python, self).divide(a, b, left, right)

    def where(self, condition: Printed, if_true: Printed, if_false: Printed) -> Printed:
        return f"np.where({condition[0]}, {if_true[0]}, {if_false[0]})", ATOM

    def both(self, a: Printed, b: Printed) -> Printed:
        return f"{_at(a, ATOM)} & {_at(b, ATOM)}", 2

    # -- layout ------------------------------------------------------------------------
    def signature(self, fn: Function, returns: str) -> str:
        return _signature(fn.name, list(fn.params), "")

    def prologue(self, fn: Function, helper: bool) -> list[str]:
        lines = [] if helper else [f"    {p} = np.asarray({p}, dtype=float)" for p in fn.params]
        if fn.forward or fn.backward:
            lines.append('    with np.errstate(all="ignore"):')
        return lines

    def body_indent(self) -> str:
        return "        "

    def return_indent(self, helper: bool) -> str:
        return "    "

    def results(self, fn: Function, value: str, grads: list[str], helper: bool
                ) -> tuple[str, list[str]]:
        if helper:
            return value, grads
        # every result in the shape of the inputs broadcast together
        return f"{value} + zero", [f"{g} + zero" for g in grads]

    def epilogue(self, fn: Function, helper: bool) -> list[str]:
        if helper:
            return []
        shapes = ", ".join(f"{p}.shape" for p in fn.params)
        return [f"    zero = np.zeros(np.broadcast_shapes({shapes}))"]


NUMPY_TARGET = Target(TARGET.reserved | {"zero"})  # the results' shape


def numpy_module(graph: Graph, *, name: str = "value_and_grad",
                 wrt: Sequence[str] | None = None) -> str:
    """A NumPy module whose ``name(x, y, ...)`` returns ``(value, gradient)`` over arrays."""
    module: Module = build_module(graph, NUMPY_TARGET, name=name, wrt=wrt)
    return render_with(NumPy(), module,
                       "in NumPy, element by element over arrays that broadcast together")
