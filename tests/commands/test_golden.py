"""The worked examples of SPEC §5, in every format, against reviewed golden files.

Regenerate with ``pytest tests/test_golden.py --regen-golden`` and read the diff.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from backprop_cli import evaluate
from tests.harness import ROOT, run

GOLDEN = Path(__file__).parents[1] / "golden"


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
def test_golden_output(example: str, fmt: str, request: pytest.FixtureRequest) -> None:
    path, extra = EXAMPLES[example]
    result = run("eval", "-f", path, "--format", fmt, *extra)
    assert result.code == 0, result.err
    golden = GOLDEN / f"{example}.{fmt}"
    if request.config.getoption("--regen-golden"):
        GOLDEN.mkdir(exist_ok=True)
        golden.write_text(result.out, "utf-8")
    assert result.out == golden.read_text("utf-8")


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
def test_steps_read_like_the_tutorials(name: str, args: tuple, request: pytest.FixtureRequest
                                       ) -> None:
    result = run("eval", *args, "--explain")
    assert result.code == 0, result.err
    golden = GOLDEN / f"{name}.txt"
    if request.config.getoption("--regen-golden"):
        golden.write_text(result.out, "utf-8")
    assert result.out == golden.read_text("utf-8")
