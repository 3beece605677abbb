"""Reviewed outputs of every command (tests/golden/<command>/), and SPEC §5's worked examples.

Each golden file is one behaviour: the output of one command line over the samples,
rendered in process through the harness (COLUMNS=100, NO_COLOR=1), so it is the same on
every machine. Regenerate them all with ``pytest --regen-golden`` (or only these with
``pytest tests/commands/test_golden.py --regen-golden``) and read ``git diff tests/golden``
by eye before committing.
"""

from __future__ import annotations

import pytest

from backprop_cli import evaluate
from tests.commands.golden_arrays import ARRAY_CASES
from tests.commands.test_eval_arrays import GOLDEN_CASES as ARRAY_GOLDEN_CASES
from tests.harness import GOLDEN, ROOT, run

EXAMPLES = {
    "circuit": ("samples/circuit.bp", ()),
    "named": ("samples/named.bp", ()),
    "neuron": ("samples/neuron.bp", ()),
    "sigmoid": ("samples/sigmoid.bp", ()),
    "sigmoid-expanded": ("samples/sigmoid.bp", ("--expand",)),
    "functions": ("samples/functions.bp", ()),
}


FORMATS = ("table", "json", "csv", "plain")


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("example", list(EXAMPLES))
def test_golden_output(example: str, fmt: str, golden) -> None:
    path, extra = EXAMPLES[example]
    result = run("eval", "-f", path, "--format", fmt, *extra)
    assert result.code == 0, result.err
    golden(f"eval/{example}.{fmt}", result.out)


# SPEC §5, with the tutorials' rounding: value and gradients to four decimals.
WORKED = [
    ("(x+y)*z", {"x": 1, "y": 3, "z": -3}, -12, {"x": -3, "y": -3, "z": 4}),
    ("q = x + y; f = q * z", {"x": -2, "y": 5, "z": -4}, -12, {"x": -4, "y": -4, "z": 3}),
    ("1/(1+exp(-(w0*x0 + w1*x1 + w2)))",
     {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}, 0.7311,
     {"w0": -0.1966, "x0": 0.3932, "w1": -0.3932, "x1": -0.5898, "w2": 0.1966}),
    ("sigmoid(w0*x0 + w1*x1 + w2)",
     {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3}, 0.7311,
     {"w0": -0.1966, "x0": 0.3932, "w1": -0.3932, "x1": -0.5898, "w2": 0.1966}),
]


@pytest.mark.parametrize(("program", "point", "value", "gradient"), WORKED)
@pytest.mark.parametrize("expand", [False, True])
def test_worked_examples(program: str, point: dict, value: float, gradient: dict,
                         expand: bool) -> None:
    result = evaluate(program, point, expand=expand)
    assert round(result.value, 4) == value
    assert {k: round(v, 4) for k, v in result.gradient.items()} == gradient
    assert list(result.gradient) == list(point)


def test_named_intermediate_gradient() -> None:
    result = evaluate("q = x + y; f = q * z", {"x": -2, "y": 5, "z": -4})
    q = next(n for n in result.nodes if n.name == "q")
    assert q.grad == -4.0


def test_the_sigmoid_gate_is_exact() -> None:
    # sigma(1) = 0.7310585786300049; d/dw0 = x0 * s * (1 - s)
    result = evaluate("sigmoid(w0*x0 + w1*x1 + w2)",
                      {"w0": 2, "x0": -1, "w1": -3, "x1": -2, "w2": -3})
    s = 1 / (1 + 2.718281828459045 ** -1)
    assert result.value == pytest.approx(s, rel=1e-15)
    assert result.gradient["w0"] == pytest.approx(-1 * s * (1 - s), rel=1e-14)


def test_samples_exist() -> None:
    for path, _ in EXAMPLES.values():
        assert (ROOT / path).is_file()


@pytest.mark.parametrize(("name", "args"), [
    ("explain-circuit", ("(x+y)*z", "x=-2", "y=5", "z=-4")),
    ("explain-named", ("-f", "samples/named.bp")),
    ("explain-neuron", ("-f", "samples/neuron.bp")),
    ("explain-fanout", ("b = a + a; c = b + b", "a=3")),
])
def test_steps_read_like_the_tutorials(name: str, args: tuple, golden) -> None:
    result = run("eval", *args, "--explain")
    assert result.code == 0, result.err
    golden(f"explain/{name.removeprefix('explain-')}.txt", result.out)


# -- the other commands: one file per behaviour, named <command>/<sample>[-variant].<format>
NEURON = ("-f", "samples/neuron.bp")
CASES: dict[str, tuple[str, ...]] = {
    # check: the gradient against central differences
    "check/circuit.table": ("check", "-f", "samples/circuit.bp"),
    "check/circuit.json": ("check", "-f", "samples/circuit.bp", "-F", "json"),
    "check/neuron.table": ("check", *NEURON),
    "check/neuron.json": ("check", *NEURON, "-F", "json"),
    "check/sigmoid.table": ("check", "-f", "samples/sigmoid.bp"),
    "check/functions.table": ("check", "-f", "samples/functions.bp"),
    "check/kinks.table": ("check", "relu(x) * y + max(x, z)", "x=0", "y=2", "z=0"),
    "check/kinks.json": ("check", "relu(x) * y + max(x, z)", "x=0", "y=2", "z=0", "-F", "json"),
    # hessian: second derivatives
    "hessian/circuit.table": ("hessian", "-f", "samples/circuit.bp"),
    "hessian/circuit.json": ("hessian", "-f", "samples/circuit.bp", "-F", "json"),
    "hessian/named.table": ("hessian", "-f", "samples/named.bp"),
    "hessian/neuron.table": ("hessian", *NEURON),
    "hessian/neuron.json": ("hessian", *NEURON, "-F", "json"),
    "hessian/sigmoid.table": ("hessian", "-f", "samples/sigmoid.bp"),
    # ops: the table of operations
    "ops/ops.table": ("ops",),
    "ops/ops.json": ("ops", "-F", "json"),
    # descend: the samples' own command lines
    "descend/bowl.table": ("descend", "-f", "samples/bowl.bp"),
    "descend/bowl.json": ("descend", "-f", "samples/bowl.bp", "-F", "json"),
    "descend/linefit.table": ("descend", "-f", "samples/linefit.bp", "--wrt", "w,b",
                              "--lr", "0.05"),
    "descend/rosenbrock-adam.table": ("descend", "-f", "samples/rosenbrock.bp", "--optimizer",
                                      "adam", "--lr", "0.02", "--steps", "5000"),
    "descend/maximize.json": ("descend", "-(x - 2)^2", "x=0", "--maximize", "-F", "json"),
    "descend/bowl-chart.table": ("descend", "-f", "samples/bowl.bp", "--steps", "20",
                                 "--chart"),
    # diff: the formulas, in every format
    "diff/circuit.plain": ("diff", "-f", "samples/circuit.bp"),
    "diff/circuit.json": ("diff", "-f", "samples/circuit.bp", "-F", "json"),
    "diff/circuit.latex": ("diff", "-f", "samples/circuit.bp", "-F", "latex"),
    "diff/named.plain": ("diff", "-f", "samples/named.bp"),
    "diff/neuron.plain": ("diff", *NEURON),
    "diff/neuron.json": ("diff", *NEURON, "-F", "json"),
    "diff/neuron.latex": ("diff", *NEURON, "-F", "latex"),
    "diff/neuron-program.plain": ("diff", *NEURON, "--program"),
    "diff/neuron-program.json": ("diff", *NEURON, "--program", "-F", "json"),
    "diff/sigmoid-w0.plain": ("diff", "-f", "samples/sigmoid.bp", "--wrt", "w0"),
    "diff/sigmoid-w0-bare.plain": ("diff", "-f", "samples/sigmoid.bp", "--wrt", "w0", "--bare"),
    "diff/sigmoid-w0-bare.latex": ("diff", "-f", "samples/sigmoid.bp", "--wrt", "w0", "--bare",
                                   "-F", "latex"),
    "diff/distinct-names.latex": ("diff", "x1 + 2*x_1 + 3*x + 4*x_ + w0*lr*x_min", "-F", "latex"),
    "diff/functions.plain": ("diff", "-f", "samples/functions.bp"),
    "diff/functions-program.plain": ("diff", "-f", "samples/functions.bp", "--program"),
    # diff of array programs: matrix formulas; eval --exact of rational arrays
    "diff/layer.plain": ("diff", "-f", "samples/layer.bp"),
    "diff/layer.latex": ("diff", "-f", "samples/layer.bp", "-F", "latex"),
    "diff/layer-program.plain": ("diff", "-f", "samples/layer.bp", "--program"),
    "diff/layer-program.json": ("diff", "-f", "samples/layer.bp", "--program", "-F", "json"),
    "diff/neuron-vectors-program.plain": ("diff", "-f", "samples/neuron-vectors.bp",
                                          "--program"),
    "eval/exact-arrays.json": ("eval", "--exact", "W = [[1, 2], [3, 4]]; x = [1, -1]; "
                               "f = sum((W @ x - [1, 0]) ^ 2) / 3", "-F", "json"),
    # graph: the text formats (SVG, PNG and PDF come from Graphviz, whose version varies)
    "graph/circuit.tree": ("graph", "-f", "samples/circuit.bp", "-F", "tree"),
    "graph/circuit.dot": ("graph", "-f", "samples/circuit.bp", "-F", "dot"),
    "graph/circuit.mermaid": ("graph", "-f", "samples/circuit.bp", "-F", "mermaid"),
    "graph/circuit-structure.dot": ("graph", "(x+y)*z", "-F", "dot"),
    "graph/named.tree": ("graph", "-f", "samples/named.bp", "-F", "tree"),
    "graph/neuron.tree": ("graph", *NEURON, "-F", "tree"),
    "graph/neuron.dot": ("graph", *NEURON, "-F", "dot"),
    "graph/neuron.mermaid": ("graph", *NEURON, "-F", "mermaid"),
    "graph/sigmoid.tree": ("graph", "-f", "samples/sigmoid.bp", "-F", "tree"),
    "graph/sigmoid-expanded.tree": ("graph", "-f", "samples/sigmoid.bp", "--expand", "-F",
                                    "tree"),
    "graph/sigmoid-expanded.dot": ("graph", "-f", "samples/sigmoid.bp", "--expand", "-F", "dot"),
    "graph/functions.tree": ("graph", "-f", "samples/functions.bp", "-F", "tree"),
    "graph/functions.mermaid": ("graph", "-f", "samples/functions.bp", "-F", "mermaid"),
}
CASES.update(ARRAY_CASES)  # vectors and matrices: tests/commands/golden_arrays.py


@pytest.mark.parametrize("name", list(CASES))
def test_golden_command_output(name: str, golden) -> None:
    result = run(*CASES[name])
    assert result.code == 0, result.err
    assert result.err == ""
    golden(name, result.out)


def test_every_golden_file_has_a_case() -> None:
    """A golden file no case writes is stale: it would never be checked again."""
    cases = {f"eval/{e}.{f}" for e in EXAMPLES for f in FORMATS}
    cases |= {f"explain/{n}.txt" for n in ("circuit", "named", "neuron", "fanout")}
    cases |= set(CASES)
    cases |= {f"eval/{e}.{f}" for e, f in ARRAY_GOLDEN_CASES}  # tests/commands/test_eval_arrays.py
    files = {str(p.relative_to(GOLDEN)) for p in GOLDEN.rglob("*") if p.is_file()}
    assert files == cases
