"""backprop eval at one point: the formats, single numbers, --output, --expand,
--allow-nonfinite, the program from a file or stdin; --ties and --exact (against
``fractions.Fraction``)."""

from __future__ import annotations

import json
import subprocess
from fractions import Fraction

import pytest

from tests.harness import backprop_command, clean, eval_json, process_env, run

EXAMPLE = ("(x+y)*z", "x=1", "y=3", "z=-3")


def test_table_is_the_default() -> None:
    result = run("eval", *EXAMPLE)
    assert result.code == 0, result.err
    assert "(x+y)*z = -12" in result.out
    for column in ("id", "node", "op", "inputs", "value", "grad"):
        assert column in result.out
    assert "\x1b[" not in result.out


def test_json_is_spec_shaped() -> None:
    result = run("eval", *EXAMPLE, "--format", "json")
    data = json.loads(result.out)
    assert data["value"] == -12.0
    assert data["gradient"] == {"x": -3.0, "y": -3.0, "z": 4.0}
    assert [n["op"] for n in data["nodes"]] == ["input", "input", "add", "input", "mul"]
    assert data["nodes"][2]["inputs"] == [0, 1]
    assert data["nodes"][4]["label"] == "(x + y) * z"


def test_csv_and_plain() -> None:
    csv_out = run("eval", *EXAMPLE, "-F", "csv").out.splitlines()
    assert csv_out[0] == "id,name,op,label,inputs,value,grad"
    assert csv_out[3] == "2,,add,x + y,0 1,4.0,-3.0"  # numbers as batch CSV writes them
    plain = run("eval", *EXAMPLE, "-F", "plain").out
    assert plain == "output (x+y)*z\nvalue -12\ngrad x -3\ngrad y -3\ngrad z 4\n"


def test_single_numbers_for_command_substitution() -> None:
    assert run("eval", *EXAMPLE, "--value").out == "-12\n"
    assert run("eval", *EXAMPLE, "--grad", "z").out == "4\n"
    missing = run("eval", *EXAMPLE, "--grad", "w")
    assert missing.code == 2 and "no node named 'w'" in missing.err
    named = run("eval", "q = x + y; f = q * z", "x=-2", "y=5", "z=-4", "--grad", "q")
    assert named.out == "-4\n"


def test_formula_starting_with_minus() -> None:
    result = run("eval", "-x^2", "x=3", "--value")
    assert result.code == 0, result.err
    assert result.out == "-9\n"
    assert run("eval", "--format", "plain", "-x*y", "x=2", "y=5").out.startswith("output -x*y")


def test_full_precision_round_trips() -> None:
    data = json.loads(run("eval", "x / 3", "x=1", "-F", "json").out)
    assert data["value"] == 1 / 3
    assert run("eval", "x / 3", "x=1", "--value").out == "0.3333333333333333\n"


def test_output_option() -> None:
    result = run("eval", "q = x + y; f = q * z", "x=-2", "y=5", "z=-4", "--output", "q",
                 "-F", "json")
    assert json.loads(result.out)["value"] == 3.0
    bad = run("eval", "q = x + y; f = q * z", "x=-2", "y=5", "z=-4", "--output", "qq")
    assert bad.code == 2 and "did you mean 'q'" in bad.err


def test_expand_and_allow_nonfinite() -> None:
    collapsed = json.loads(run("eval", "sigmoid(x)", "x=0.5", "-F", "json").out)
    expanded = json.loads(run("eval", "sigmoid(x)", "x=0.5", "-F", "json", "--expand").out)
    assert [n["op"] for n in collapsed["nodes"]] == ["input", "sigmoid"]
    assert [n["op"] for n in expanded["nodes"]] == [
        "input", "const", "const", "neg", "exp", "add", "div"]
    assert collapsed["gradient"]["x"] == pytest.approx(expanded["gradient"]["x"], rel=1e-12)
    result = run("eval", "log(x)", "x=0", "-F", "json", "--allow-nonfinite")
    assert result.code == 0
    assert json.loads(result.out)["value"] == "-inf"


def test_program_from_file_and_stdin() -> None:
    assert run("eval", "-f", "samples/circuit.bp", "--value").out == "-12\n"
    assert run("eval", "-", "x=2", "--value", stdin="y = x * x\n").out == "4\n"
    assert run("eval", "-f", "-", "x=2", "--value", stdin="x ^ 3").out == "8\n"


# --------------------------------------------------------------------------------------
# --ties, --exact, --explain
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize("op", ["max", "min"])
@pytest.mark.parametrize("rule, expected", [
    ("first", [1.0, 0.0, 0.0]), ("split", [1 / 3] * 3), ("all", [1.0, 1.0, 1.0]),
])
def test_ties_with_three_tied_arguments(op: str, rule: str, expected: list[float]) -> None:
    data = eval_json(f"{op}(x, y, z) * 3", {"x": 2.0, "y": 2.0, "z": 2.0}, "--ties", rule)
    assert list(data["gradient"].values()) == pytest.approx([3 * e for e in expected],
                                                            rel=1e-15)
    # the loser of a non-tie never gets anything, whatever the rule
    data = eval_json(f"{op}(x, y, z)", {"x": 2.0, "y": 2.0, "z": 1.0 if op == "max" else 3.0},
                     "--ties", rule)
    assert data["gradient"]["z"] == 0.0
    shared = eval_json(f"{op}(x, x, x)", {"x": 1.0}, "--ties", rule)["gradient"]["x"]
    assert shared == {"first": 1.0, "split": 1.0, "all": 3.0}[rule]


def test_ties_bad_rule() -> None:
    clean(run("eval", "max(x, y)", "x=1", "y=1", "--ties", "bogus"), 2, "--ties")
    clean(run("eval", "max(x, y)", "x=1", "y=1", "--ties", "ｆirst"), 2, "--ties")


class Dual:
    """Forward-mode derivatives over Fractions: the reference for --exact."""

    def __init__(self, value, grads=None):
        self.v = Fraction(value)
        self.g = grads or {}

    @staticmethod
    def lift(x):
        return x if isinstance(x, Dual) else Dual(x)

    def _combine(self, other, dv, ds, do):
        other = Dual.lift(other)
        names = set(self.g) | set(other.g)
        return Dual(dv, {n: ds * self.g.get(n, 0) + do * other.g.get(n, 0) for n in names})

    def __add__(self, o):
        o = Dual.lift(o)
        return self._combine(o, self.v + o.v, 1, 1)

    __radd__ = __add__

    def __sub__(self, o):
        o = Dual.lift(o)
        return self._combine(o, self.v - o.v, 1, -1)

    def __rsub__(self, o):
        return Dual.lift(o) - self

    def __mul__(self, o):
        o = Dual.lift(o)
        return self._combine(o, self.v * o.v, o.v, self.v)

    __rmul__ = __mul__

    def __truediv__(self, o):
        o = Dual.lift(o)
        return self._combine(o, self.v / o.v, 1 / o.v, -self.v / o.v ** 2)

    def __rtruediv__(self, o):
        return Dual.lift(o) / self

    def __pow__(self, n: int):
        return Dual(self.v ** n, {k: n * self.v ** (n - 1) * d for k, d in self.g.items()})

    def __neg__(self):
        return Dual(-self.v, {k: -d for k, d in self.g.items()})

    def __abs__(self):
        s = (self.v > 0) - (self.v < 0)
        return Dual(abs(self.v), {k: s * d for k, d in self.g.items()})


def _relu(a):
    return a if a.v > 0 else Dual(0, {k: 0 for k in a.g})


def _max(*args):
    winner = max(a.v for a in args)
    return next(a for a in args if a.v == winner)  # the first tied argument


EXACT_CASES = [
    ("(x/3 + y)*(x - y/7)^2 - x/(y + 1)", {"x": "0.1", "y": "2.5"},
     lambda x, y: (x / 3 + y) * (x - y / 7) ** 2 - x / (y + 1)),
    ("x^-2 * y^3 - 0.1*x*y + (x - y)^4 / 9", {"x": "3", "y": "-0.7"},
     lambda x, y: x ** -2 * y ** 3 - Fraction("0.1") * x * y + (x - y) ** 4 / 9),
    ("abs(x - y)/7 + relu(y - x)/3 - (x*y)/11", {"x": "0.3", "y": "1e-3"},
     lambda x, y: abs(x - y) / 7 + _relu(y - x) / 3 - (x * y) / 11),
    ("max(x, y)/3 + min(x, 2*y)/7", {"x": "0.25", "y": "0.2"},
     lambda x, y: _max(x, y) / 3 - _max(-x, -(2 * y)) / 7),
    ("def f(a, b) = a/b - b/3\nf(x, y) * f(y, x)", {"x": "0.5", "y": "1.25"},
     lambda x, y: (x / y - y / 3) * (y / x - x / 3)),
]


@pytest.mark.parametrize("program, point, reference", EXACT_CASES)
def test_exact_equals_fraction_arithmetic(program: str, point: dict, reference) -> None:
    """BUG among these: through max/min and user defs the exact gradient is rounded
    through a float (0.0 + Fraction is a float), e.g. 3333333333333333/10**16, not 1/3."""
    names = list(point)
    leaves = [Dual(Fraction(point[n]), {n: Fraction(1)}) for n in names]
    expected = reference(*leaves)
    data = json.loads(clean(run("eval", program, *[f"{n}={v}" for n, v in point.items()],
                                "--exact", "-F", "json"), 0).out)
    assert Fraction(data["value_exact"]) == expected.v
    for n in names:
        assert Fraction(data["gradient_exact"][n]) == expected.g.get(n, 0), n


def test_exact_grad_through_max_is_one_third() -> None:
    """BUG: the minimal case of the float leak in --exact."""
    assert clean(run("eval", "max(x, 0)/3", "x=1", "--exact", "--grad", "x"), 0).out == "1/3\n"


def test_exact_split_tie_is_one_third() -> None:
    """BUG: --exact --ties split on three tied arguments gives 3333333333333333/10**16."""
    data = json.loads(clean(run("eval", "max(x, y, z)", "x=1", "y=1", "z=1", "--exact",
                                "--ties", "split", "-F", "json"), 0).out)
    assert data["gradient_exact"] == {"x": "1/3", "y": "1/3", "z": "1/3"}


def test_exact_power_with_exponent_zero() -> None:
    """BUG: d/dx x^0 at x = 0 is 0 in floating point, but --exact evaluates b*a^(b-1)
    eagerly and stops with 'zero to a negative power' (exit 1)."""
    assert clean(run("eval", "x^0", "x=0", "--grad", "x"), 0).out == "0\n"
    assert clean(run("eval", "x^0", "x=0", "--exact", "--grad", "x"), 0).out == "0\n"


@pytest.mark.parametrize("program", ["x^y", "2^x", "pow(x, y)"])
def test_exact_variable_exponent_is_not_an_internal_error(program: str) -> None:
    """BUG: a variable exponent needs log for its gradient: AttributeError, exit 70."""
    result = run("eval", program, "x=2", "y=3", "--exact") if "y" in program else \
        run("eval", program, "x=3", "--exact")
    clean(result, 2, "--exact")


@pytest.mark.parametrize("program", ["x^700", "1e308*x*10"])
def test_exact_beyond_the_double_range_is_not_an_internal_error(program: str) -> None:
    """BUG: an exact result over 1.8e308 overflows float(Fraction): exit 70."""
    result = run("eval", program, "x=3", "--exact", "--value")
    assert result.code in (0, 1), result.err
    clean(result, result.code)
    if result.code == 0:
        assert Fraction(result.out.strip()) == (Fraction(3) ** 700 if "700" in program
                                                else Fraction(10) ** 309 * 3)


def test_exact_huge_integer_exponent_does_not_hang() -> None:
    """BUG: SPEC §2 makes 9^9^9^9 a quick error, not a hang on a huge integer; with --exact
    x^2^60 computes 3**(2**60) in Fraction arithmetic and never ends."""
    command = [*backprop_command(), "eval", "x^2^60", "x=3", "--exact", "--value"]
    try:
        result = subprocess.run(command, capture_output=True, timeout=8, check=False,
                                env=process_env())
    except subprocess.TimeoutExpired:  # subprocess.run has killed it
        pytest.fail("backprop eval 'x^2^60' x=3 --exact ran for over 8 s")
    assert result.returncode in (1, 2), result.stderr[:300]
    assert result.stderr.startswith(b"error:")


@pytest.mark.parametrize("program, says", [
    ("exp(x)", "exp"), ("sigmoid(x)", "sigmoid"), ("sqrt(x)", "sqrt"), ("log(x, 2)", "log"),
    ("def f(a) = sin(a)\nf(x)", "sin"), ("x^0.5", "integer"),
])
def test_exact_refuses_what_it_cannot_do(program: str, says: str) -> None:
    clean(run("eval", program, "x=4", "--exact"), 2, says, "--exact")


def test_exact_domain_errors() -> None:
    clean(run("eval", "x/y", "x=1", "y=0", "--exact"), 1, "division by zero")
    clean(run("eval", "x^-2", "x=0", "--exact"), 1, "zero")
    assert clean(run("eval", "x/3", "x=0.1", "--exact", "--value"), 0).out == "1/30\n"


def test_the_python_api_takes_every_option_of_eval() -> None:
    import json
    from fractions import Fraction

    from backprop_cli import evaluate, evaluate_at, parse_program

    assert evaluate("x/3", {"x": 1}, exact=True).exact[1][0] == Fraction(1, 3)
    assert evaluate("max(x, y)", {"x": 2, "y": 2}, ties="split").gradient == {"x": 0.5, "y": 0.5}
    assert evaluate("max(x, y)", {"x": 2, "y": 2}, ties="all").gradient == {"x": 1.0, "y": 1.0}
    assert evaluate("max(x, y)", {"x": 2, "y": 2}).gradient == {"x": 1.0, "y": 0.0}
    assert evaluate("log(x)", {"x": 0}, allow_nonfinite=True).value == float("-inf")
    graph = parse_program("q = x + y; f = q * z")
    for z in (-4.0, 2.5):
        api = evaluate_at(graph, {"x": -2, "y": 5, "z": z}, ties="split")
        cli = json.loads(run("eval", "q = x + y; f = q * z", "x=-2", "y=5", f"z={z}",
                             "--ties", "split", "-F", "json").out)
        assert api.gradient == cli["gradient"] and api.value == cli["value"]


def test_the_python_api_words_hints_as_arguments_and_the_cli_as_options() -> None:
    import pytest

    from backprop_cli import EvaluationError, evaluate

    with pytest.raises(EvaluationError) as caught:
        evaluate("log(x)", {"x": 0})
    assert "hint: pass allow_nonfinite=True" in str(caught.value)
    assert "hint: use --allow-nonfinite" in run("eval", "log(x)", "x=0").err
    # a command without the option does not suggest it
    assert "allow-nonfinite" not in run("hessian", "log(x)", "x=0").err
    assert "hint: try a smaller learning rate, such as --lr 0.15" in run(
        "descend", "x^2", "x=1", "--lr", "1.5", "--steps", "2000").err


def test_an_unknown_tie_rule_from_python_is_an_input_error() -> None:
    import pytest

    from backprop_cli import InputError, evaluate

    with pytest.raises(InputError, match="unknown tie rule"):
        evaluate("max(x, 1)", {"x": 1}, ties="last")
