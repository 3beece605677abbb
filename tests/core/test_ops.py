"""The table of operations: every local derivative against a central finite difference."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from backprop_cli import evaluate
from backprop_cli.core import scalar_math
from backprop_cli.core.ops import CONSTANTS, FUNCTIONS, LEAF, OPERATIONS, OPS, Op
from tests.harness import central_difference
from tests.strategies import OP_DOMAINS

# the tensor ops have vector-Jacobian products instead: tests/core/test_tensor_ops.py
GATES = [op for op in OPERATIONS if op.form != LEAF and not op.tensor]

def test_every_gate_has_a_domain_for_its_test() -> None:
    assert {op.name for op in GATES} == set(OP_DOMAINS)


@pytest.mark.parametrize("op", GATES, ids=lambda op: op.name)
def test_one_rule_per_argument(op: Op) -> None:
    assert op.forward is not None
    if op.variadic:
        assert len(op.partials) == 1 and op.max_args is None
    else:
        assert len(op.partials) == op.max_args == len(op.params)
    assert len(op.partials_text) == len(op.partials)


def _check_partials(op: Op, args: tuple[float, ...], in_hypothesis: bool = True) -> None:
    out = op.forward(scalar_math, *args)
    if in_hypothesis:
        assume(math.isfinite(out))
    assert math.isfinite(out)
    local = op.local_gradients(scalar_math, out, args, (True,) * len(args))
    for k, analytic in enumerate(local):
        def f(v: float, k: int = k) -> float:
            moved = list(args)
            moved[k] = v
            return op.forward(scalar_math, *moved)

        numeric = central_difference(f, args[k])
        assert math.isclose(analytic, numeric, rel_tol=1e-5, abs_tol=1e-6 * max(1, abs(out))), (
            f"{op.name}{args}: d/d{op.params[min(k, len(op.params) - 1)]} "
            f"analytic {analytic} numeric {numeric}"
        )


@pytest.mark.parametrize("op", GATES, ids=lambda op: op.name)
@settings(max_examples=60)
@given(data=st.data())
def test_local_derivatives_match_finite_differences(op: Op, data: st.DataObject) -> None:
    args = tuple(data.draw(s) for s in OP_DOMAINS[op.name])
    if op.variadic:
        # keep the arguments apart so no tie is within the finite-difference step
        values = sorted(args)
        assume(all(b - a > 1e-3 for a, b in itertools.pairwise(values)))
    _check_partials(op, args)


@pytest.mark.parametrize("name", ["add", "sub", "mul", "neg", "pos", "sin", "cos", "atan",
                                  "tanh", "sigmoid", "softplus", "sinh", "cosh", "exp"])
def test_rules_at_zero(name: str) -> None:
    op = OPS[name]
    _check_partials(op, (0.0,) * len(OP_DOMAINS[name]), in_hypothesis=False)


def test_log_with_one_argument_is_the_natural_log() -> None:
    op = OPS["log"]
    assert op.forward(scalar_math, math.e) == 1.0
    _check_partials(op, (3.0,), in_hypothesis=False)


@pytest.mark.parametrize(
    ("program", "point", "grads"),
    [
        ("abs(x)", {"x": 0.0}, {"x": 0.0}),
        ("relu(x)", {"x": 0.0}, {"x": 0.0}),
        ("max(x, y)", {"x": 2.0, "y": 2.0}, {"x": 1.0, "y": 0.0}),
        ("min(x, y, z)", {"x": 3.0, "y": 1.0, "z": 1.0}, {"x": 0.0, "y": 1.0, "z": 0.0}),
        ("max(x, y, z)", {"x": 1.0, "y": 5.0, "z": 2.0}, {"x": 0.0, "y": 1.0, "z": 0.0}),
        ("x^2", {"x": -3.0}, {"x": -6.0}),
        ("x^0", {"x": 0.0}, {"x": 0.0}),
        ("0^y", {"y": 2.0}, {"y": 0.0}),
    ],
)
def test_kinks_ties_and_special_points(program: str, point: dict, grads: dict) -> None:
    assert evaluate(program, point).gradient == grads


def test_exponent_rule_is_not_evaluated_for_a_constant_exponent() -> None:
    # log(-3) for the exponent's rule would be nan; it must never be computed.
    result = evaluate("x^2", {"x": -3.0})
    assert result.value == 9.0 and result.gradient == {"x": -6.0}


# Rules written in the language itself are checked by evaluating them with backprop.
PIECEWISE = {"abs", "relu", "max", "min", "sign", "step"}


@pytest.mark.parametrize(
    "op", [op for op in GATES if op.name not in PIECEWISE], ids=lambda op: op.name
)
@settings(max_examples=15)
@given(data=st.data())
def test_printed_rules_agree_with_the_rules(op: Op, data: st.DataObject) -> None:
    args = tuple(data.draw(s) for s in OP_DOMAINS[op.name])
    out = op.forward(scalar_math, *args)
    assume(math.isfinite(out))
    local = op.local_gradients(scalar_math, out, args, (True,) * len(args))
    names = {"a": "a", "b": "b", "x": "x", "base": "base"}
    point = {names[p]: v for p, v in zip(op.params, args)}
    for k, text in enumerate(op.partials_text):
        printed = evaluate(text, {n: v for n, v in point.items() if n in _names_in(text)}).value
        assert math.isclose(printed, local[k], rel_tol=1e-9, abs_tol=1e-12), (op.name, text)


def _names_in(text: str) -> set[str]:
    import re

    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", text)) - set(FUNCTIONS) - set(CONSTANTS)


def test_composite_expansions_agree_with_their_gates() -> None:
    for op in OPERATIONS:
        if op.expansion is None:
            continue
        for x in (-3.0, -0.5, 0.0, 0.7, 4.0):
            one = evaluate(f"{op.name}(x)", {"x": x})
            expanded = evaluate(f"{op.name}(x)", {"x": x}, expand=True)
            assert math.isclose(one.value, expanded.value, rel_tol=1e-12)
            assert math.isclose(one.gradient["x"], expanded.gradient["x"], rel_tol=1e-9)


def test_derivatives_where_the_textbook_formula_cancels() -> None:
    """tanh' as 1/cosh^2 and asin' with (1 - x)(1 + x): every digit, near the edges too."""
    from backprop_cli import evaluate

    # references from exact decimal arithmetic (50 digits) at these doubles
    assert evaluate("tanh(x)", {"x": 12.0}).gradient["x"] == pytest.approx(
        1.5100538175976259740e-10, rel=1e-15)
    assert evaluate("asin(x)", {"x": 0.999999999999}).gradient["x"] == pytest.approx(
        707114.60252564535450, rel=1e-14)
    assert evaluate("acos(x)", {"x": -0.9999999}).gradient["x"] == pytest.approx(
        -2236.0680339899749437, rel=1e-14)


@pytest.mark.parametrize("op", [op for op in OPS.values() if op.keeps_nonfinite and not op.tensor],
                         ids=lambda op: op.name)
def test_ops_that_keep_non_finite_numbers_do(op) -> None:
    """The batch engine leaves these ops' arguments untested, on this promise."""
    import itertools

    import numpy as np

    from backprop_cli.core import scalar_math
    from backprop_cli.numerics import array_math

    specials = [math.inf, -math.inf, math.nan]
    ordinary = [0.0, -0.0, 1.0, -2.5, 1e308, 5e-324]
    for args in itertools.product(specials + ordinary, repeat=op.min_args):
        if not any(a in specials or math.isnan(a) for a in args):
            continue
        assert not math.isfinite(op.forward(scalar_math, *args)), args
        with np.errstate(all="ignore"):
            rows = op.forward(array_math, *[np.array([a, 1.0]) for a in args])
        assert not np.isfinite(rows[0]), args


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_common_powers_are_exactly_rounded_at_one_point_and_over_rows(x: float) -> None:
    import numpy as np

    from backprop_cli.core import scalar_math
    from backprop_cli.numerics import array_math

    with np.errstate(all="ignore"):
        for b, expected in ((2.0, x * x), (-1.0, scalar_math.divide(1.0, x)),
                            (0.5, math.inf if x == -math.inf else float(np.sqrt(x)) + 0.0)):
            one = scalar_math.power(x, b)
            rows = float(array_math.power(np.array([x, 1.0]), b)[0])
            for got in (one, rows):
                assert got == expected or (math.isnan(got) and math.isnan(expected)), (x, b)
                if got == 0.0:
                    assert math.copysign(1.0, got) == math.copysign(1.0, expected), (x, b)
