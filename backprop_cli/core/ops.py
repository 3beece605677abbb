"""The table of operations: the only module that knows the maths.

Each ``Op`` declares, side by side: its name (also the grammar alias or the function
name), how it is written, its precedence, arity, forward rule, one local-derivative rule
per argument (``d out / d argument``, given the node's output and its inputs), the same
rule as a formula for people, and a domain check that explains a non-finite result.
What an op supports is a field of it too: its kinks and ties (``kink``, asked by
``kinks.kink_at`` only), exact arithmetic (``exact``), the pattern ``--explain`` teaches
(``pattern``), its display symbol (``symbol``).

Rules take an array namespace ``xp`` first (``scalar_math`` for a point; what a rule
may call on it is the contract ``namespace.NumberSystem``), then the node's output, then
the argument values. A rule is only called for an argument that needs a gradient, so
``x^2`` never evaluates ``log(x)`` for the exponent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

from . import shapes as _shapes

if TYPE_CHECKING:  # the contract costs start-up (typing.Protocol): for the checker only
    from .namespace import NumberSystem

# (xp, *args) -> the value, or (xp, out, *args) -> a partial. The lambdas of the table are
# not typed by the checker (it cannot infer a lambda against rules of every arity), so
# tests/test_number_contract.py checks that every xp.<name> a rule uses is in the contract.
Rule = Callable[..., Any]

# Precedence levels of the printed language (see grammar/backprop.lark).
SUM, PRODUCT, UNARY, POWER, ATOM = 1, 2, 3, 4, 5

LEAF, INFIX, PREFIX, CALL = "leaf", "infix", "prefix", "call"


class Kink(NamedTuple):
    """A gate at a point where it has no derivative, so SPEC §3's choice is taken."""

    kind: str  # "kink" (abs, relu, sign, step at 0) or "tie" (equal arguments of max, min)
    reason: str


class KinkRule(NamedTuple):
    """Where an op has no derivative, and the choice made there (SPEC §3)."""

    note: str  # for `backprop ops`
    at: Callable[..., Kink | None]  # (out, *args) at one point -> the kink there, if any


def _at_zero(name: str, note: str) -> KinkRule:
    """A kink (or a jump) where the argument is 0; the derivative there is taken as 0."""

    def at(out: Any, x: Any) -> Kink | None:
        if x == 0:
            return Kink("kink", f"{name} at 0 is a kink: its derivative is taken as 0")
        return None

    return KinkRule(note, at)


def _tie(name: str) -> KinkRule:
    """Arguments equal to the result: the gradient goes where ``--ties`` sends it."""

    def at(out: Any, *args: Any) -> Kink | None:
        tied = sum(1 for a in args if a == out)
        if tied > 1:
            return Kink("tie", f"a tie in {name}: {tied} inputs are equal; "
                               "the gradient follows --ties")
        return None

    return KinkRule("a tie routes the gradient to the first tied argument", at)


_KINK = "kink at 0, where the derivative is taken as 0"
_JUMP = "a jump at 0, where the derivative is taken as 0"


class Op(NamedTuple):
    """One operation: every pass (forward, backward, printing, docs) reads these fields."""

    name: str
    summary: str
    form: str = CALL
    symbol: str = ""
    precedence: int = ATOM
    min_args: int = 1
    max_args: int | None = 1
    params: tuple[str, ...] = ("x",)
    forward: Rule | None = None
    partials: tuple[Rule, ...] = ()
    partials_text: tuple[str, ...] = ()
    domain: Callable[..., str | None] | None = None
    variadic: bool = False  # partials[0](xp, out, *args) gives every argument's partial
    right_assoc: bool = False
    expansion: str | None = None
    is_leaf: bool = False
    # where the op has no derivative, the choice SPEC §3 makes there, and the test at a
    # point (core/kinks.kink_at, the one place that asks it)
    kink: KinkRule | None = None
    # --exact: whether the op has an exact rational value (numerics/exact_math)
    exact: bool = False
    # --explain: the gate's pattern, as the tutorials teach it ("mul swaps"), and the
    # pattern when exactly one operand is a literal constant ("scaling by a constant")
    pattern: str | None = None
    pattern_with_constant: str | None = None
    # a non-finite argument (inf or NaN) always gives a non-finite value: the batch
    # engine need not test the finiteness of this op's arguments, only of its value
    keeps_nonfinite: bool = False
    # arrays: the shape of the value from the arguments' shapes (core/shapes.py; None for
    # an elementwise op, whose arguments broadcast), the words of a broadcast error, and
    # vector-Jacobian products for the ops that are not elementwise: ``vjps[k](xp, g,
    # out, *args)`` is the gradient reaching argument k (one rule giving the list of all,
    # for a variadic op). ``static`` ops take the node's fixed data (an index) first.
    shape_rule: Callable[..., tuple[int, ...]] | None = None
    broadcast_words: str = "cannot combine {0} with {1}"
    vjps: tuple[Rule, ...] = ()
    static: bool = False
    tensor: bool = False  # only for arrays: the program runs on the array engine

    def __repr__(self) -> str:
        return f"Op({self.name})"

    @property
    def per_argument(self) -> bool:
        """Whether each argument has a rule of its own (all but max and min)."""
        return not self.variadic

    @property
    def display(self) -> str:
        return self.symbol or self.name

    @property
    def kinks(self) -> str | None:
        """What ``backprop ops`` says of the op's kinks and ties."""
        return self.kink.note if self.kink is not None else None

    def arity_text(self) -> str:
        if self.max_args is None:
            return f"{self.min_args} or more"
        if self.max_args == self.min_args:
            return str(self.min_args)
        return f"{self.min_args} or {self.max_args}"

    def local_gradients(self, xp: NumberSystem, out: Any, args: tuple[Any, ...],
                        wanted: tuple[bool, ...]) -> list[Any]:
        """``d out / d args[k]`` for every wanted ``k`` (``None`` for the others)."""
        if self.variadic:
            every = self.partials[0](xp, out, *args)
            return [d if w else None for d, w in zip(every, wanted)]
        return [rule(xp, out, *args) if w else None for rule, w in zip(self.partials, wanted)]

    def explain_domain(self, *args: float) -> str | None:
        return self.domain(*args) if self.domain is not None else None


def _positive(what: str) -> Callable[[float], str | None]:
    def check(x: float, *_: float) -> str | None:
        if x < 0:
            return f"{what} of a negative number"
        if x == 0:
            return f"{what} of zero"
        return None

    return check


def _log_domain(x: float, base: float | None = None) -> str | None:
    message = _positive("log")(x)
    if message is None and base is not None:
        if base <= 0:
            return "log with a base that is not positive"
        if base == 1:
            return "log with base 1"
    return message


def _pow_domain(a: float, b: float) -> str | None:
    if a < 0 and b != int(b):
        return "a negative number to a non-integer power"
    if a == 0 and b < 0:
        return "zero to a negative power"
    return None


def _one_minus_square(x: Any) -> Any:
    """1 - x^2 as (1 - x)(1 + x): near |x| = 1 the product keeps every digit, where
    x*x would already have rounded them away."""
    return (1.0 - x) * (1.0 + x)


def _sech_squared(xp: NumberSystem, x: Any) -> Any:
    """1 - tanh(x)^2 as 1/cosh(x)^2: accurate where tanh(x) is within rounding of 1."""
    c = xp.cosh(x)
    return xp.divide(1.0, c * c)


def _unit_interval(name: str) -> Callable[[float], str | None]:
    def check(x: float) -> str | None:
        return f"{name} is defined on [-1, 1]" if not -1 <= x <= 1 else None

    return check


def _log_forward(xp: NumberSystem, x: Any, base: Any = None) -> Any:
    if base is None:
        return xp.log(x)
    return xp.divide(xp.log(x), xp.log(base))


def _log_partial_x(xp: NumberSystem, out: Any, x: Any, base: Any = None) -> Any:
    if base is None:
        return xp.divide(1.0, x)
    return xp.divide(1.0, x * xp.log(base))


def _log_partial_base(xp: NumberSystem, out: Any, x: Any, base: Any = None) -> Any:
    return xp.divide(-out, base * xp.log(base))


def _max_partials(xp: NumberSystem, out: Any, *args: Any) -> list[Any]:
    """max: 1 for the first argument equal to the result, 0 for the others."""
    return xp.max_mask(out, *args)


def _min_partials(xp: NumberSystem, out: Any, *args: Any) -> list[Any]:
    """min: 1 for the first argument equal to the result, 0 for the others."""
    return xp.min_mask(out, *args)


BINARY = ("a", "b")

OPERATIONS: tuple[Op, ...] = (
    Op("input", "an input: a name read and never computed", form=LEAF, min_args=0,
       max_args=0, params=(), is_leaf=True, exact=True),
    Op("const", "a number or a named constant (pi, e)", form=LEAF, min_args=0, max_args=0,
       params=(), is_leaf=True, exact=True),
    Op("param", "a parameter inside a def body", form=LEAF, min_args=0, max_args=0,
       params=(), is_leaf=True, exact=True),
    Op("add", "a + b", form=INFIX,
       broadcast_words="cannot add {0} to {1}", symbol="+", precedence=SUM, min_args=2,
       max_args=2, keeps_nonfinite=True, exact=True,
       pattern="add distributes: every input gets the upstream gradient unchanged",
       pattern_with_constant="adding a constant passes the gradient through",
       params=BINARY, forward=lambda xp, a, b: a + b,
       partials=(lambda xp, out, a, b: 1.0, lambda xp, out, a, b: 1.0),
       partials_text=("1", "1")),
    Op("sub", "a - b", form=INFIX,
       broadcast_words="cannot subtract {1} from {0}", symbol="-", precedence=SUM, min_args=2,
       max_args=2, keeps_nonfinite=True, exact=True,
       pattern="sub distributes: the first input gets the upstream gradient, "
               "the second its negative",
       pattern_with_constant="adding a constant passes the gradient through",
       params=BINARY, forward=lambda xp, a, b: a - b,
       partials=(lambda xp, out, a, b: 1.0, lambda xp, out, a, b: -1.0),
       partials_text=("1", "-1")),
    Op("mul", "a * b", form=INFIX,
       broadcast_words="cannot multiply {0} by {1}", symbol="*", precedence=PRODUCT, min_args=2,
       max_args=2, keeps_nonfinite=True, exact=True,
       pattern="mul swaps: each input gets the upstream gradient times the other input",
       pattern_with_constant="scaling by a constant scales the gradient",
       params=BINARY, forward=lambda xp, a, b: a * b,
       partials=(lambda xp, out, a, b: b, lambda xp, out, a, b: a),
       partials_text=("b", "a")),
    Op("div", "a / b", form=INFIX,
       broadcast_words="cannot divide {0} by {1}", symbol="/", precedence=PRODUCT,
       min_args=2, max_args=2,
       exact=True, pattern="div: 1/b to the numerator, -a/b^2 to the denominator",
       params=BINARY, forward=lambda xp, a, b: xp.divide(a, b),
       partials=(lambda xp, out, a, b: xp.divide(1.0, b),
                 lambda xp, out, a, b: xp.divide(-out, b)),
       partials_text=("1/b", "-a/b^2"),
       domain=lambda a, b: "division by zero" if b == 0 else None),
    Op("neg", "-a", keeps_nonfinite=True, exact=True,
       pattern="negation flips the sign of the gradient",
       form=PREFIX, symbol="-", precedence=UNARY, params=("a",),
       forward=lambda xp, a: -a, partials=(lambda xp, out, a: -1.0,), partials_text=("-1",)),
    Op("pos", "+a", keeps_nonfinite=True, exact=True,
       pattern="unary plus passes the gradient through",
       form=PREFIX, symbol="+", precedence=UNARY, params=("a",),
       forward=lambda xp, a: a, partials=(lambda xp, out, a: 1.0,), partials_text=("1",)),
    Op("pow", "a ^ b, a ** b, pow(a, b)", form=INFIX,
       broadcast_words="cannot raise {0} to the power {1}", symbol="^", precedence=POWER,
       min_args=2, max_args=2, params=BINARY, right_assoc=True,
       exact=True,  # with a constant integer exponent (exact_math.check_program)
       pattern="power rule",
       forward=lambda xp, a, b: xp.power(a, b),
       partials=(
           # where b is 0 the power a^(b-1) is never formed (0^-1 would be a pole)
           lambda xp, out, a, b: xp.where(
               b == 0.0, 0.0, b * xp.power(a, xp.where(b == 0.0, 1.0, b - 1.0))),
           lambda xp, out, a, b: xp.where(out == 0.0, 0.0, out * xp.log(a)),
       ),
       partials_text=("b * a^(b - 1)", "a^b * log(a)"), domain=_pow_domain),
    Op("exp", "e to the power x", forward=lambda xp, x: xp.exp(x),
       pattern="exp: the local gradient is the gate's own output",
       partials=(lambda xp, out, x: out,), partials_text=("exp(x)",)),
    Op("log", "natural logarithm; log(x, base) for another base", max_args=2,
       params=("x", "base"), forward=_log_forward,
       partials=(_log_partial_x, _log_partial_base),
       partials_text=("1/(x * log(base))", "-log(x, base)/(base * log(base))"),
       domain=_log_domain),
    Op("ln", "natural logarithm", forward=lambda xp, x: xp.log(x),
       partials=(lambda xp, out, x: xp.divide(1.0, x),), partials_text=("1/x",),
       domain=_positive("ln")),
    Op("log2", "base-2 logarithm", forward=lambda xp, x: xp.log2(x),
       partials=(lambda xp, out, x: xp.divide(1.0, x * 0.6931471805599453),),
       partials_text=("1/(x * ln(2))",), domain=_positive("log2")),
    Op("log10", "base-10 logarithm", forward=lambda xp, x: xp.log10(x),
       partials=(lambda xp, out, x: xp.divide(1.0, x * 2.302585092994046),),
       partials_text=("1/(x * ln(10))",), domain=_positive("log10")),
    Op("sqrt", "square root", keeps_nonfinite=True, forward=lambda xp, x: xp.sqrt(x),
       partials=(lambda xp, out, x: xp.divide(0.5, out),), partials_text=("1/(2 * sqrt(x))",),
       # at 0 the derivative is infinite, not a choice: a non-finite gradient (SPEC §3)
       domain=lambda x: "square root of a negative number" if x < 0 else None),
    Op("abs", "absolute value", keeps_nonfinite=True, forward=lambda xp, x: xp.fabs(x),
       partials=(lambda xp, out, x: xp.sign(x),), partials_text=("sign(x), 0 at x = 0",),
       kink=_at_zero("abs", _KINK), exact=True),
    Op("sin", "sine", keeps_nonfinite=True, forward=lambda xp, x: xp.sin(x),
       partials=(lambda xp, out, x: xp.cos(x),), partials_text=("cos(x)",)),
    Op("cos", "cosine", keeps_nonfinite=True, forward=lambda xp, x: xp.cos(x),
       partials=(lambda xp, out, x: -xp.sin(x),), partials_text=("-sin(x)",)),
    Op("tan", "tangent", keeps_nonfinite=True, forward=lambda xp, x: xp.tan(x),
       partials=(lambda xp, out, x: 1.0 + out * out,), partials_text=("1 + tan(x)^2",)),
    Op("asin", "inverse sine", forward=lambda xp, x: xp.asin(x),
       partials=(lambda xp, out, x: xp.divide(1.0, xp.sqrt(_one_minus_square(x))),),
       partials_text=("1/sqrt(1 - x^2)",), domain=_unit_interval("asin")),
    Op("acos", "inverse cosine", forward=lambda xp, x: xp.acos(x),
       partials=(lambda xp, out, x: xp.divide(-1.0, xp.sqrt(_one_minus_square(x))),),
       partials_text=("-1/sqrt(1 - x^2)",), domain=_unit_interval("acos")),
    Op("atan", "inverse tangent", forward=lambda xp, x: xp.atan(x),
       partials=(lambda xp, out, x: xp.divide(1.0, 1.0 + x * x),),
       partials_text=("1/(1 + x^2)",)),
    Op("sinh", "hyperbolic sine", keeps_nonfinite=True, forward=lambda xp, x: xp.sinh(x),
       partials=(lambda xp, out, x: xp.cosh(x),), partials_text=("cosh(x)",)),
    Op("cosh", "hyperbolic cosine", keeps_nonfinite=True, forward=lambda xp, x: xp.cosh(x),
       partials=(lambda xp, out, x: xp.sinh(x),), partials_text=("sinh(x)",)),
    Op("tanh", "hyperbolic tangent", forward=lambda xp, x: xp.tanh(x),
       partials=(lambda xp, out, x: _sech_squared(xp, x),), partials_text=("1 - tanh(x)^2",),
       pattern="tanh: the local gradient is 1 - t^2"),
    Op("sigmoid", "logistic function 1/(1 + exp(-x)): one gate",
       forward=lambda xp, x: xp.sigmoid(x),
       partials=(lambda xp, out, x: out * xp.sigmoid(-x),),
       partials_text=("sigmoid(x) * sigmoid(-x)",), expansion="1 / (1 + exp(-x))",
       pattern="sigmoid gate: the local gradient is s * (1 - s)"),
    Op("relu", "max(x, 0)", forward=lambda xp, x: xp.relu(x),
       partials=(lambda xp, out, x: xp.step(x),), partials_text=("1 if x > 0, else 0",),
       kink=_at_zero("relu", _KINK), exact=True,
       pattern="relu passes the gradient where its input is positive and blocks it elsewhere"),
    Op("softplus", "log(1 + exp(x)): one gate", forward=lambda xp, x: xp.softplus(x),
       partials=(lambda xp, out, x: xp.sigmoid(x),), partials_text=("sigmoid(x)",),
       expansion="log(1 + exp(x))"),
    Op("max", "the largest argument", min_args=2, max_args=None, params=("a", "b", "..."),
       forward=lambda xp, *args: xp.maximum(*args), partials=(_max_partials,),
       partials_text=("1 for the winner (the first on a tie), else 0",), variadic=True,
       kink=_tie("max"), exact=True,
       pattern="max routes: the whole gradient goes to the winning input"),
    Op("min", "the smallest argument", min_args=2, max_args=None, params=("a", "b", "..."),
       forward=lambda xp, *args: xp.minimum(*args), partials=(_min_partials,),
       partials_text=("1 for the winner (the first on a tie), else 0",), variadic=True,
       kink=_tie("min"), exact=True,
       pattern="min routes: the whole gradient goes to the winning input"),
    Op("sign", "-1, 0 or 1: the derivative of abs", forward=lambda xp, x: xp.sign(x),
       partials=(lambda xp, out, x: 0.0,), partials_text=("0",),
       kink=_at_zero("sign", _JUMP), exact=True),
    Op("step", "1 where x > 0, else 0: the derivative of relu", forward=lambda xp, x: xp.step(x),
       partials=(lambda xp, out, x: 0.0,), partials_text=("0",),
       kink=_at_zero("step", _JUMP), exact=True),
)

# -- arrays: the tensor ops, each one gate with its vector-Jacobian products ----------------
# (cs231n's dimension analysis: for out = A @ B, dA = g B^T and dB = A^T g; a vector
# operand is lifted to a one-row or one-column matrix and dropped back afterwards)


def _as_matrices(xp: Any, a: Any, b: Any) -> tuple[Any, Any, bool, bool]:
    a_vector, b_vector = xp.ndim(a) == 1, xp.ndim(b) == 1
    return (xp.lift(a, -2) if a_vector else a, xp.lift(b, -1) if b_vector else b,
            a_vector, b_vector)


def _matmul_forward(xp: Any, a: Any, b: Any) -> Any:
    left, right, a_vector, b_vector = _as_matrices(xp, a, b)
    out = xp.matmul(left, right)
    if b_vector:
        out = xp.drop(out, -1)
    if a_vector:
        out = xp.drop(out, -1 if b_vector else -2)
    return out


def _lift_gradient(xp: Any, g: Any, a_vector: bool, b_vector: bool) -> Any:
    if b_vector:
        g = xp.lift(g, -1)
    if a_vector:
        g = xp.lift(g, -2)
    return g


def _matmul_grad_a(xp: Any, g: Any, out: Any, a: Any, b: Any) -> Any:
    """dA = g B^T."""
    _left, right, a_vector, b_vector = _as_matrices(xp, a, b)
    grad = xp.matmul_to(_lift_gradient(xp, g, a_vector, b_vector), xp.mT(right), a)
    return xp.drop(grad, -2) if a_vector else grad


def _matmul_grad_b(xp: Any, g: Any, out: Any, a: Any, b: Any) -> Any:
    """dB = A^T g."""
    left, _right, a_vector, b_vector = _as_matrices(xp, a, b)
    grad = xp.matmul_to(xp.mT(left), _lift_gradient(xp, g, a_vector, b_vector), b)
    return xp.drop(grad, -1) if b_vector else grad


def _outer_forward(xp: Any, a: Any, b: Any) -> Any:
    return xp.matmul(xp.lift(a, -1), xp.lift(b, -2))


def _outer_grad_a(xp: Any, g: Any, out: Any, a: Any, b: Any) -> Any:
    """da = g b."""
    return xp.drop(xp.matmul_to(g, xp.lift(b, -1), a), -1)


def _outer_grad_b(xp: Any, g: Any, out: Any, a: Any, b: Any) -> Any:
    """db = g^T a."""
    return xp.drop(xp.matmul_to(xp.mT(g), xp.lift(a, -1), b), -1)


def _stack_grads(xp: Any, g: Any, out: Any, *args: Any) -> list[Any]:
    return [xp.unstack(g, k) for k in range(len(args))]


def _softmax(xp: Any, z: Any) -> Any:
    return xp.exp(z - xp.logsumexp_last(z))


def _logsumexp(xp: Any, z: Any) -> Any:
    top = xp.amax(z)
    top = xp.where(xp.isfinite(top), top, 0.0)
    return xp.log(xp.sum(xp.exp(z - top))) + top


_MATRIX_TEXT = ("upstream @ B^T (a vector operand as a one-row matrix)",
                "A^T @ upstream (a vector operand as a one-column matrix)")

TENSOR_OPERATIONS: tuple[Op, ...] = (
    Op("matmul", "A @ B: matrix-matrix, matrix-vector or vector-vector product",
       form=INFIX, symbol="@", precedence=PRODUCT, min_args=2, max_args=2, params=("A", "B"),
       tensor=True, exact=True, forward=_matmul_forward, vjps=(_matmul_grad_a, _matmul_grad_b),
       partials_text=_MATRIX_TEXT, shape_rule=_shapes.matmul,
       pattern="matmul: dA = upstream @ B^T, dB = A^T @ upstream"),
    Op("dot", "the dot product of two vectors", min_args=2, max_args=2, params=BINARY,
       tensor=True, exact=True, forward=_matmul_forward, vjps=(_matmul_grad_a, _matmul_grad_b),
       partials_text=("upstream * b", "upstream * a"), shape_rule=_shapes.dot,
       pattern="dot: each vector gets the upstream gradient times the other vector"),
    Op("outer", "the outer product a b^T of two vectors", min_args=2, max_args=2,
       params=BINARY, tensor=True, exact=True, forward=_outer_forward,
       vjps=(_outer_grad_a, _outer_grad_b),
       partials_text=("upstream @ b", "upstream^T @ a"), shape_rule=_shapes.outer,
       pattern="outer: da = upstream @ b, db = upstream^T @ a"),
    Op("transpose", "A.T: the axes reversed (a vector stays as it is)", params=("A",),
       tensor=True, exact=True, forward=lambda xp, a: xp.transpose(a),
       vjps=(lambda xp, g, out, a: xp.transpose(g),), partials_text=("upstream^T",),
       shape_rule=_shapes.transpose, keeps_nonfinite=True,
       pattern="transpose: the upstream gradient, transposed back"),
    Op("sum", "the sum of an array's elements", tensor=True, exact=True,
       forward=lambda xp, x: xp.sum(x), vjps=(lambda xp, g, out, x: xp.spread(g, x),),
       partials_text=("upstream, for every element",), shape_rule=_shapes.reduction,
       keeps_nonfinite=True,
       pattern="sum distributes: every element gets the upstream gradient"),
    Op("mean", "the mean of an array's elements", tensor=True, exact=True,
       forward=lambda xp, x: xp.divide(xp.sum(x), float(xp.size(x))),
       vjps=(lambda xp, g, out, x: xp.divide(xp.spread(g, x), float(xp.size(x))),),
       partials_text=("upstream / n, for every element",), shape_rule=_shapes.reduction,
       keeps_nonfinite=True,
       pattern="mean distributes: every element gets the upstream gradient over n"),
    Op("amax", "max(x) of one array: its largest element", tensor=True, exact=True,
       forward=lambda xp, x: xp.amax(x),
       vjps=(lambda xp, g, out, x: xp.spread(g, x) * xp.first_of(x, out),),
       partials_text=("upstream at the largest element (the first on a tie), 0 elsewhere",),
       shape_rule=_shapes.nonempty_reduction("max"),
       pattern="max routes: the whole gradient goes to the largest element"),
    Op("amin", "min(x) of one array: its smallest element", tensor=True, exact=True,
       forward=lambda xp, x: xp.amin(x),
       vjps=(lambda xp, g, out, x: xp.spread(g, x) * xp.first_of(x, out),),
       partials_text=("upstream at the smallest element (the first on a tie), 0 elsewhere",),
       shape_rule=_shapes.nonempty_reduction("min"),
       pattern="min routes: the whole gradient goes to the smallest element"),
    Op("norm", "the Euclidean norm sqrt(sum(x^2))", tensor=True,
       forward=lambda xp, x: xp.norm(x),
       vjps=(lambda xp, g, out, x: xp.spread(g, x) * xp.divide(x, out),),
       partials_text=("upstream * x / norm(x)",), shape_rule=_shapes.nonempty_reduction("norm")),
    Op("softmax", "exp(z) / sum(exp(z)) over the last axis", params=("z",), tensor=True,
       forward=_softmax,
       vjps=(lambda xp, g, out, z: out * (g - xp.last_axis_sum(g * out)),),
       partials_text=("s * (upstream - sum(upstream * s))",),
       shape_rule=_shapes.same_vector("softmax"),
       pattern="softmax: s * (upstream - sum(upstream * s))"),
    Op("log_softmax", "z - logsumexp(z) over the last axis", params=("z",), tensor=True,
       forward=lambda xp, z: z - xp.logsumexp_last(z),
       vjps=(lambda xp, g, out, z: g - xp.exp(out) * xp.last_axis_sum(g),),
       partials_text=("upstream - softmax(z) * sum(upstream)",),
       shape_rule=_shapes.same_vector("log_softmax")),
    Op("logsumexp", "log(sum(exp(z))), computed without overflow", params=("z",),
       tensor=True, forward=_logsumexp,
       vjps=(lambda xp, g, out, z: xp.spread(g, z) * xp.exp(z - out),),
       partials_text=("upstream * softmax(z)",),
       shape_rule=_shapes.nonempty_reduction("logsumexp")),
    Op("stack", "[a, b, ...]: an array of its elements (an array literal)", min_args=1,
       max_args=None, params=("a", "b", "..."), tensor=True, exact=True, variadic=True,
       forward=lambda xp, *args: xp.stack(*args), vjps=(_stack_grads,),
       partials_text=("element k of the upstream gradient",), shape_rule=_shapes.stack,
       keeps_nonfinite=True,
       pattern="an array literal hands each element its part of the upstream gradient"),
    Op("index", "a[i], A[i, j], a[0:2]: elements of an array", params=("a",), tensor=True,
       exact=True, static=True, forward=lambda xp, at, a: xp.take(at, a),
       vjps=(lambda xp, at, g, out, a: xp.put(at, g, a),),
       partials_text=("the upstream gradient at the chosen elements, 0 elsewhere",),
       shape_rule=_shapes.index, keeps_nonfinite=True,
       pattern="indexing routes the gradient to the chosen elements"),
)

OPERATIONS = OPERATIONS + TENSOR_OPERATIONS

OPS: dict[str, Op] = {op.name: op for op in OPERATIONS}
INPUT, CONST, PARAM = OPS["input"], OPS["const"], OPS["param"]

# Operators of the grammar, by the alias the grammar gives them.
OPERATORS: dict[str, Op] = {
    name: OPS[name] for name in ("add", "sub", "mul", "div", "neg", "pos", "pow", "matmul")
}

# Functions callable by name: every op written in call form, plus pow(a, b).
FUNCTIONS: dict[str, Op] = {
    op.name: op for op in OPERATIONS
    if op.form == CALL and op.name not in ("amax", "amin", "stack", "index", "transpose")
}
FUNCTIONS["pow"] = OPS["pow"]
# max(x) and min(x) of one array are the reductions amax and amin; A.T is transpose
ONE_ARRAY: dict[str, Op] = {"max": OPS["amax"], "min": OPS["amin"]}

CONSTANTS: dict[str, float] = {"pi": 3.141592653589793, "e": 2.718281828459045}
