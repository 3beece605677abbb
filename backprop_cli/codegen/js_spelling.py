"""How JavaScript spells numbers and the primitives of the number system: shared by the
scalar module (``js``) and the array one (``js_arrays``)."""

from __future__ import annotations

from typing import ClassVar

from .emit import Language
from .program import Target

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
