"""backprop diff: formulas that eval reads back, simplification, --program, --bare, the
formats, size and depth."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import assume, given, settings

from backprop_cli import EvaluationError, evaluate, parse_program
from backprop_cli.core.names import choose_inputs
from backprop_cli.core.ops import CONSTANTS, FUNCTIONS
from backprop_cli.diff import symbolic_gradient
from backprop_cli.render.formula import _latex_name, latex_names, to_program, to_text
from tests.harness import DEEP_PARENS, DEEP_SIN, binds, clean, eval_json, run, timed, value_of
from tests.strategies import input_points, legal_names, name_sets, programs


def derivative_texts(program: str) -> dict[str, str]:
    graph = parse_program(program)
    gradient = symbolic_gradient(graph, choose_inputs(graph, None))
    return {name: to_text(expr) for name, expr in gradient.derivatives.items()}


def test_the_first_worked_example() -> None:
    assert derivative_texts("(x+y)*z") == {"x": "z", "y": "z", "z": "x + y"}
    result = run("diff", "(x+y)*z")
    assert result.out == "d/dx = z\nd/dy = z\nd/dz = x + y\n"


@pytest.mark.parametrize(("program", "expected"), [
    ("x*x", "2 * x"),
    ("x*x*x", "3 * x^2"),
    ("--x", "1"),
    ("x - x + 2*x + 3*x", "5"),
    ("exp(x) * 0 + x", "1"),
    ("x^1", "1"),
    ("tanh(x)", "1 / cosh(x)^2"),
    ("asin(x)", "1 / sqrt((1 - x) * (x + 1))"),
    ("relu(x)", "step(x)"),
    ("abs(x)", "sign(x)"),
])
def test_simplification(program: str, expected: str) -> None:
    assert derivative_texts(program)["x"] == expected


def test_sigmoid_neuron_formula_value() -> None:
    texts = derivative_texts(Path("samples/sigmoid.bp").read_text())
    point = {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}
    value = evaluate(texts["w0"], {k: v for k, v in point.items() if k in texts["w0"]}).value
    assert round(value, 4) == -0.1966


def evaluable(program: str, point: dict) -> tuple:
    """The graph, its inputs, the point on them and eval's result; skips a point where
    the program has no finite value."""
    graph = parse_program(program)
    names = list(graph.input_names())
    point = {k: v for k, v in point.items() if k in names}
    try:
        result = evaluate(program, point)
    except EvaluationError:
        assume(False)
    return graph, names, point, result


@settings(max_examples=120)
@given(programs(), input_points)
def test_printed_derivatives_agree_with_eval(program: str, point: dict) -> None:
    graph, names, point, result = evaluable(program, point)
    texts = derivative_texts(program)
    full = {**{graph.nodes[i].name: graph.nodes[i].value for i in graph.inputs
               if graph.nodes[i].value is not None}, **point}
    for name in names:
        formula = texts[name]
        used = {k: v for k, v in full.items() if k in parse_program(formula).names}
        try:
            printed = evaluate(formula, used).value
        except EvaluationError:
            # the formula may take a branch the program avoids (0 * inf): compare elsewhere
            assume(False)
        expected = result.gradient[name]
        assert math.isclose(printed, expected, rel_tol=1e-9, abs_tol=1e-12), (
            program, point, name, formula, printed, expected)


@settings(max_examples=60)
@given(programs(), input_points)
def test_the_straight_line_program_agrees(program: str, point: dict) -> None:
    graph, names, point, result = evaluable(program, point)
    gradient = symbolic_gradient(graph, names)
    statements = to_program(list(gradient.derivatives.values()),
                            [f"d_{n}" for n in names], set(graph.names))
    text = program + "\n" + "\n".join(f"{n} = {f}" for n, f in statements)
    for name in names:
        try:
            value = evaluate(text, point, output=f"d_{name}").value
        except EvaluationError:
            assume(False)
        assert math.isclose(value, result.gradient[name], rel_tol=1e-9, abs_tol=1e-12)


def test_diff_program_round_trips_through_eval() -> None:
    program = run("diff", "-f", "samples/neuron.bp", "--program")
    assert program.code == 0
    again = run("eval", "-", "--output", "d_w0", "--value", stdin=program.out)
    assert again.code == 0, again.err
    assert round(float(again.out), 4) == -0.1966


def test_diff_program_grows_linearly() -> None:
    def size(n: int) -> int:
        lines = ["t0 = x"] + [f"t{i} = sin(t{i - 1}) * t{i - 1} + y" for i in range(1, n)]
        result = run("diff", "\n".join(lines), "--program")
        assert result.code == 0, result.err
        return len(result.out)

    small, large = size(100), size(400)
    assert large < 5 * small


def test_ten_thousand_node_program_differentiates() -> None:
    lines = ["t0 = x"]
    for i in range(1, 2600):
        lines.append(f"t{i} = tanh(t{i - 1} * w{i % 7} + t{max(0, i - 2)} * 0.5)")
    program = "\n".join(lines)
    assert len(parse_program(program).nodes) >= 10_000
    result = run("diff", program, "--program", "--wrt", "x,w1")
    assert result.code == 0, result.err
    assert result.out.splitlines()[-1].startswith("d_w1 = ")
    inline = run("diff", program, "--wrt", "x")
    assert inline.code == 2 and "--program" in inline.err


def test_diff_formats() -> None:
    bare = run("diff", "x^3 * sin(x)", "--bare")
    assert bare.out == "x^3 * cos(x) + sin(x) * (3 * x^2)\n"
    data = json.loads(run("diff", "(x+y)*z", "-F", "json").out)
    assert data["derivatives"] == {"x": "z", "y": "z", "z": "x + y"}
    latex = run("diff", "w0 * x / (1 + y^2)", "-F", "latex", "--wrt", "y").out
    assert latex.startswith(r"\frac{\partial f}{\partial y} = ")
    assert r"\frac{" in latex.split("=", 1)[1]
    assert run("diff", "x*y", "--bare").code == 2
    assert run("diff", "x*y", "x=1").code == 2
    assert "no input named 'q'" in run("diff", "x*y", "--wrt", "q").err


# --------------------------------------------------------------------------------------
# diff
# --------------------------------------------------------------------------------------
DIFF_CASES = [
    ("(x+y)*z", {"x": 1.0, "y": 3.0, "z": -3.0}),
    ("def f(a, b) = a*sin(b) + b^2\ndef g(u) = f(u, u*2) / (1 + u^2)\ng(x) * f(y, x)",
     {"x": 0.7, "y": -1.3}),
    ("max(x, y, z) * min(x, y^2, z)", {"x": 0.5, "y": -2.0, "z": 1.5}),
    ("max(x, y, z)", {"x": 1.0, "y": 1.0, "z": 1.0}),
    ("abs(x - y) + relu(x*y) + abs(z) + relu(z)", {"x": -0.4, "y": 0.9, "z": 0.0}),
    ("x^y + pow(y, x)", {"x": 1.7, "y": 2.3}),
    ("log(x, y) + log(x, 2) + log2(y) + log10(x*y) + ln(y)", {"x": 5.5, "y": 3.2}),
    ("sigmoid(w*x + b) + softplus(x) + tanh(b)", {"w": 0.3, "x": -1.2, "b": 0.4}),
    ("a = x*y; b = a + x; c = b*a; c / (1 + a^2)", {"x": 0.3, "y": 2.0}),
    ("sqrt(x^2 + y^2) * atan(y/x) + asin(x/4) + acos(y/4)", {"x": 1.1, "y": 2.2}),
]


@pytest.mark.parametrize("program, point", DIFF_CASES)
def test_diff_formulas_evaluate_to_the_gradient(program: str, point: dict) -> None:
    gradient = eval_json(program, point)["gradient"]
    derivatives = json.loads(clean(run("diff", program, "-F", "json"), 0).out)["derivatives"]
    assert list(derivatives) == list(gradient)
    for name, formula in derivatives.items():
        assert math.isclose(value_of(formula, point), gradient[name], rel_tol=1e-9,
                            abs_tol=1e-12), (name, formula)
    plain = clean(run("diff", program), 0).out.splitlines()
    assert len(plain) == len(gradient)


@pytest.mark.parametrize("program, point", DIFF_CASES)
def test_diff_program_evaluates_to_the_gradient(program: str, point: dict) -> None:
    gradient = eval_json(program, point)["gradient"]
    straight = clean(run("diff", program, "--program"), 0).out
    for name, expected in gradient.items():
        result = clean(run("eval", "-", *binds(point), "--output", f"d_{name}", "--value",
                           stdin=straight), 0)
        assert math.isclose(float(result.out), expected, rel_tol=1e-9, abs_tol=1e-12)


def test_diff_bare_and_latex() -> None:
    assert clean(run("diff", "x^3 * sin(x)", "--bare"), 0).out.count("\n") == 1
    latex = clean(run("diff", "learning_rate * w^2", "-F", "latex"), 0).out.splitlines()
    assert len(latex) == 2 and all(line.startswith("\\frac{\\partial") for line in latex)
    assert clean(run("diff", "(x+y)*z", "--wrt", "z,x,z"), 0).out.splitlines() == [
        "d/dz = x + y", "d/dx = z"]


@pytest.mark.parametrize("args, says", [
    (["(x+y)*z", "--wrt", "q"], "q"),
    (["(x+y)*z", "--wrt", "х"], "х"),  # Cyrillic ha
    (["(x+y)*z", "--bare"], "--wrt"),
    (["(x+y)*z", "--bare", "--wrt", "x,y"], "--wrt"),
    (["(x+y)*z", "x=1"], "NAME=VALUE"),
    (["(x+y)*z", "-F", "svg"], "--format"),
    (["(x+y)*z", "--output", "nope"], "nope"),
    (["foo(x)"], "foo"),
    (["x +"], "1:3"),
    (["x − 1"], "U+2212"),
    (["x × 1"], "U+00D7"),
    (["x\u00a0+ 1"], "U+00A0"),
    (["max(x)"], "max"),
    (["pi = 3; pi*x"], "pi"),
    ([""], "empty"),
    (["# nothing but a comment\n;;"], "no statements"),
])
def test_diff_bad_input_is_exit_2(args: list[str], says: str) -> None:
    clean(run("diff", *args), 2, says)


def test_diff_deep_programs_are_bounded() -> None:
    clean(timed("diff", DEEP_SIN), 2, "--program")
    straight = clean(timed("diff", DEEP_SIN, "--program"), 0).out
    assert straight.rstrip().splitlines()[-1].startswith("d_x = ")
    assert clean(timed("diff", DEEP_PARENS), 0).out.endswith("/dx = 1\n")
    chain = "def f0(a) = a*2\n" + "".join(
        f"def f{i}(a) = f{i - 1}(a) + 0\n" for i in range(1, 1500)) + "f1499(x)\n"
    assert clean(timed("diff", chain), 0).out == "d/dx = 2\n"


def test_diff_program_of_a_deep_chain_evaluates() -> None:
    program = "sin(" * 1000 + "x" + ")" * 1000
    gradient = eval_json(program, {"x": 0.5})["gradient"]["x"]
    straight = clean(run("diff", program, "--program"), 0).out
    result = clean(run("eval", "-", "x=0.5", "--output", "d_x", "--value", stdin=straight), 0)
    assert math.isclose(float(result.out), gradient, rel_tol=1e-9)


# -- LaTeX: distinct inputs stay distinct -------------------------------------------------
def _latex_heads(out: str) -> list[str]:
    """The input of each line: ``\\frac{\\partial f}{\\partial NAME} = ...``."""
    return [re.match(r"\\frac\{\\partial .*?\}\{\\partial (.*?)\} = ", line).group(1)
            for line in out.splitlines()]


def test_latex_keeps_x1_and_x_1_apart() -> None:
    out = clean(run("diff", "x1 + 2*x_1", "-F", "latex"), 0).out
    heads = _latex_heads(out)
    assert len(heads) == 2 and heads[0] != heads[1], out
    assert heads[0] == "x_{1}"  # the house style of w0, x1 is kept
    assert out.splitlines()[1].endswith("= 2")


@pytest.mark.parametrize(("names", "expected"), [
    (["w0", "x12", "lr", "x_min"], ["w_{0}", "x_{12}", r"\mathit{lr}", r"x_{\mathit{min}}"]),
    (["x1", "x_1"], ["x_{1}", r"\mathit{x\_1}"]),
    (["x", "x_"], ["x", r"\mathit{x\_}"]),
    (["_", "_x", "__"], [r"\mathit{\_}", r"\mathit{\_x}", r"\mathit{\_\_}"]),
])
def test_latex_names(names: list[str], expected: list[str]) -> None:
    assert [_latex_name(n) for n in names] == expected


@settings(max_examples=500)
@given(legal_names, legal_names)
def test_latex_name_is_injective(a: str, b: str) -> None:
    assume(a != b)
    assert _latex_name(a) != _latex_name(b)


@settings(max_examples=300)
@given(name_sets)
def test_latex_names_of_a_program_are_distinct_and_plain_where_they_can_be(
        names: list[str]) -> None:
    mapped = latex_names(names)
    assert list(mapped) == names
    assert len(set(mapped.values())) == len(names), mapped
    for name in names:  # x_1 reads x_{1} unless the program also has an x1
        alone = latex_names([name])[name]
        clash = any(latex_names([other])[other] == alone for other in names if other != name)
        assert mapped[name] == (_latex_name(name) if clash else alone), (name, mapped)


_RESERVED = set(FUNCTIONS) | set(CONSTANTS) | {"def"}


@settings(max_examples=40)
@given(legal_names.filter(lambda n: n not in _RESERVED),
       legal_names.filter(lambda n: n not in _RESERVED))
def test_diff_latex_heads_two_inputs_apart(a: str, b: str) -> None:
    assume(a != b)
    out = clean(run("diff", f"{a} + 2*{b}", "-F", "latex"), 0).out
    heads = _latex_heads(out)
    assert len(heads) == 2 and heads[0] != heads[1], out


def test_latex_of_an_unnamed_output_does_not_take_an_input_name() -> None:
    assert run("diff", "f*2", "-F", "latex").out == "\\frac{\\partial g}{\\partial f} = 2\n"
    assert run("diff", "x*2", "-F", "latex").out.startswith("\\frac{\\partial f}")


def test_latex_keeps_a_subscript_where_no_other_name_reads_the_same() -> None:
    alone = run("diff", "x_1*y", "-F", "latex").out
    assert "\\partial x_{1}}" in alone and "= x_{1}" in alone
    both = run("diff", "x1 + 2*x_1", "-F", "latex").out.splitlines()
    assert len({line.split("=")[0] for line in both}) == 2
    assert run("diff", "x_1^2", "--bare", "-F", "latex").out == "2 \\cdot x_{1}\n"
