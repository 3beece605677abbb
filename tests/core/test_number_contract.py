"""The number-system contract (core/namespace.py): every number system has every member
it names, with a signature the rules can call, and every ``xp.<name>`` the package uses
is in it. The type checker checks the same list statically (numerics/contract.py)."""

from __future__ import annotations

import inspect
import re
import subprocess
import sys
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

from backprop_cli.core.errors import InputError
from backprop_cli.core.namespace import FLAGS, ArraySystem, NumberSystem
from backprop_cli.numerics import exact_math
from backprop_cli.numerics.contract import SYSTEMS
from tests.harness import ROOT

PACKAGE = ROOT / "backprop_cli"


def _members() -> dict[str, Any]:
    """The contract's members: name -> the Protocol's function or property."""
    return {name: value for name, value in vars(NumberSystem).items()
            if not name.startswith("_")}


MEMBERS = _members()
FUNCTIONS = sorted(name for name in MEMBERS if name not in FLAGS)
# the tensor ops' rules may call these too (numerics/tensor_math.py)
ARRAY_MEMBERS = {name for name in vars(ArraySystem) if not name.startswith("_")} | set(MEMBERS)


def test_the_contract_names_its_flags_and_functions() -> None:
    assert set(FLAGS) <= set(MEMBERS)
    assert all(isinstance(MEMBERS[flag], property) for flag in FLAGS)
    assert all(inspect.isfunction(MEMBERS[name]) for name in FUNCTIONS)
    assert {"divide", "power", "where", "exp", "max_mask", "min_mask"} <= set(FUNCTIONS)


def _arities(name: str) -> list[int]:
    """Positional argument counts a caller may pass to the contract's ``name``."""
    params = list(inspect.signature(MEMBERS[name]).parameters.values())[1:]  # not self
    fixed = sum(p.kind is p.POSITIONAL_ONLY for p in params)
    variadic = any(p.kind is p.VAR_POSITIONAL for p in params)
    return [fixed + extra for extra in ((1, 2, 3) if variadic else (0,))]


@pytest.mark.parametrize("system", SYSTEMS)
@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_system_has_every_function_with_a_compatible_signature(system: str,
                                                                      name: str) -> None:
    member = getattr(SYSTEMS[system], name, None)
    assert member is not None and callable(member), f"{system} has no {name}"
    signature = inspect.signature(member)
    for count in _arities(name):
        try:
            signature.bind(*range(count))
        except TypeError as error:
            pytest.fail(f"{system}.{name}{signature} cannot take {count} arguments: {error}")


@pytest.mark.parametrize("system", SYSTEMS)
def test_every_system_has_the_flags(system: str) -> None:
    xp = SYSTEMS[system]
    for flag in FLAGS:
        assert hasattr(xp, flag), f"{system} has no {flag}"
    assert xp.batched is (system == "array_math" or system == "ties(array_math)")
    assert xp.masks_zero_gradients is False
    assert xp.ONE == 1
    if "exact" in system:
        assert isinstance(xp.ONE, Fraction)


def test_every_xp_member_the_package_uses_is_in_the_contract() -> None:
    used: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        for name in re.findall(r"\bxp\.([A-Za-z_]\w*)", path.read_text(encoding="utf-8")):
            used.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    assert len(used) > 20  # the rules of the table are among them
    outside = {name: sorted(where) for name, where in used.items()
               if name not in ARRAY_MEMBERS}
    assert not outside, outside


def test_the_rules_call_no_private_member() -> None:
    """The table's rules use only the contract: a rule's code loads no other attribute of
    its namespace (the lambdas are not typed, so this is their check)."""
    import dis

    from backprop_cli.core import ops

    scalar = [rule for op in ops.OPERATIONS if not op.tensor
              for rule in (op.forward, *op.partials) if rule]
    tensor = [rule for op in ops.OPERATIONS if op.tensor
              for rule in (op.forward, *op.vjps) if rule]
    helpers = [f for f in vars(ops).values() if inspect.isfunction(f)
               and f.__code__.co_varnames[:1] == ("xp",)]
    allowed = {id(rule): MEMBERS for rule in scalar}
    allowed.update({id(rule): ARRAY_MEMBERS for rule in tensor + helpers
                    if id(rule) not in allowed})
    rules = scalar + tensor + helpers
    seen = set()
    for rule in rules:
        code = rule.__code__
        if not code.co_varnames or code.co_varnames[0] != "xp":
            continue
        previous = None
        for instruction in dis.get_instructions(code):
            if (previous is not None and previous.argval == "xp"
                    and previous.opname.startswith("LOAD_FAST")
                    and instruction.opname in ("LOAD_ATTR", "LOAD_METHOD")):
                seen.add(instruction.argval)
                assert instruction.argval in allowed[id(rule)], (rule, instruction.argval)
            previous = instruction
    assert {"exp", "divide", "where", "max_mask"} <= seen


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "tanh", "sigmoid"])
def test_exact_refuses_a_function_without_an_exact_value(name: str) -> None:
    with pytest.raises(InputError, match=name):
        getattr(exact_math, name)(Fraction(1, 2))


def test_exact_computes_what_it_can() -> None:
    assert exact_math.divide(1, 3) == Fraction(1, 3)
    assert exact_math.power(Fraction(1, 2), 3) == Fraction(1, 8)
    assert exact_math.max_mask(Fraction(2), 1, 2, 2) == [0, 1, 0]


def test_the_contract_is_not_loaded_by_a_command() -> None:
    """typing.Protocol costs start-up: the contract is for the checker and the tests."""
    code = (
        "import io, contextlib, sys\n"
        "from backprop_cli.cli.app import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['eval', 'max(x, 1) * sqrt(x)', 'x=2', '--format', 'json'])\n"
        "print(' '.join(sorted(sys.modules)))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    loaded = set(done.stdout.split())
    assert "backprop_cli.core.engine" in loaded
    assert "backprop_cli.core.namespace" not in loaded
    assert "backprop_cli.numerics.contract" not in loaded


def test_mypy_config_covers_the_core_and_the_number_systems() -> None:
    text = Path(ROOT, "pyproject.toml").read_text(encoding="utf-8")
    assert '[tool.mypy]' in text
    assert '"backprop_cli/core", "backprop_cli/numerics"' in text
    assert "python -m mypy" in Path(ROOT, ".ci", "run").read_text(encoding="utf-8")


def test_what_an_op_supports_is_a_field_of_the_op() -> None:
    from backprop_cli.core.ops import OPS

    exact = {name for name, op in OPS.items() if op.exact}
    assert exact == {"input", "const", "param", "add", "sub", "mul", "div", "neg", "pos",
                     "pow", "abs", "relu", "max", "min", "sign", "step",
                     # arrays (numerics/exact_arrays.py)
                     "matmul", "dot", "outer", "transpose", "sum", "mean", "amax", "amin",
                     "stack", "index"}
    patterns = {name for name, op in OPS.items() if op.pattern}
    assert {"add", "sub", "mul", "div", "max", "min", "relu", "exp", "sigmoid"} <= patterns
    assert OPS["mul"].pattern_with_constant == "scaling by a constant scales the gradient"
    assert all(op.symbol for op in OPS.values() if op.form in ("infix", "prefix"))
