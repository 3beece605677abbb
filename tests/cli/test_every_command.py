"""Every command alike: bad programs, defs and blocks, deep programs, non-finite values.

``graph``, ``diff``, ``check``, ``hessian``, ``descend``, ``plot``, and ``eval`` with
``--sweep``/``--explain``/``--exact``/``--ties``: every bad input ends with the exit status
SPEC §2 gives it, a short message on stderr that starts with ``error:`` or click's
``Usage:``, and never a traceback or exit 70."""

from __future__ import annotations

import json

import pytest

from tests.harness import DEEP_PARENS, DEEP_SIN, clean, run, timed


@pytest.mark.parametrize("command", ["check", "hessian", "descend"])
def test_nonfinite_hint_names_an_option_the_command_has(command: str) -> None:
    """BUG: check, hessian and descend say 'use --allow-nonfinite', an option they reject."""
    result = clean(run(command, "log(x)", "x=0"), 1, "log")
    if "--allow-nonfinite" in result.err:
        retry = run(command, "log(x)", "x=0", "--allow-nonfinite")
        assert "No such option" not in retry.err, result.err


# --------------------------------------------------------------------------------------
# every new command: empty programs, lookalikes, deep programs
# --------------------------------------------------------------------------------------
COMMANDS = [
    ["graph", "-F", "tree"], ["graph", "-F", "mermaid"], ["diff"], ["diff", "--program"],
    ["check"], ["hessian"], ["descend", "--steps", "3"], ["plot", "--sweep", "x=0:1:5"],
    ["eval", "--sweep", "x=0:1:5"], ["eval", "--explain"], ["eval", "--exact"],
    ["eval", "--ties", "split"],
]


IDS = [" ".join(c) for c in COMMANDS]


def _point(command: list[str]) -> list[str]:
    swept = command[0] == "plot" or "--sweep" in command
    return [] if swept or command[0] == "diff" else ["x=0.5"]


@pytest.mark.parametrize("command", COMMANDS, ids=IDS)
@pytest.mark.parametrize("program, says", [
    ("", "empty"), ("   \n\t", "empty"), ("# just a comment\n# and another", "no statements"),
    (";;\n;", "no statements"), ("\ufeff", "U+FEFF"),
    ("x − 1", "U+2212"), ("x × 2", "U+00D7"), ("x\u00a0+ 1", "U+00A0"), ("х + 1", "U+0445"),
    ("x + 1 )", "1:7"), ("nope(x)", "nope"), ("max(x)", "max"), ("def f(a) = a\nf(x, x)", "f"),
    ("def f(a) = a + y\nf(x)", "y"),
])
def test_every_command_refuses_bad_programs(command: list[str], program: str,
                                            says: str) -> None:
    clean(run(command[0], program, *_point(command), *command[1:]), 2, says)


@pytest.mark.parametrize("command", COMMANDS, ids=IDS)
def test_every_command_reads_defs_and_blocks(command: list[str]) -> None:
    block = "abs" if "--exact" in command else "sigmoid"  # --exact refuses sigmoid
    program = ("# a block calling a block\n"
               "def sq(a) = a*a\n"
               f"def f(a, b) = sq(a) + {block}(b)   # comment\n"
               "y = f(x, 2*x); y * 3")
    result = clean(run(command[0], program, *_point(command), *command[1:]), 0)
    assert result.out


@pytest.mark.parametrize("command", COMMANDS, ids=IDS)
def test_every_command_handles_deep_programs(command: list[str]) -> None:
    for program in (DEEP_SIN, DEEP_PARENS):
        result = timed(command[0], program, *_point(command), *command[1:])
        if command == ["diff"] and program is DEEP_SIN:
            clean(result, 2, "--program")  # the formula is too large: a clear message
        elif command == ["eval", "--exact"] and program is DEEP_SIN:
            clean(result, 2, "sin")  # no exact rational value
        else:
            clean(result, 0)


@pytest.mark.parametrize("command", COMMANDS, ids=IDS)
def test_every_command_reports_nonfinite_values_mid_computation(command: list[str]) -> None:
    program = "a = exp(x*800); b = a - a; b + x"
    if command[0] == "diff":  # diff evaluates nothing: the formula is differentiated fine
        clean(run(command[0], program, *command[1:]), 0)
        return
    if command[0] == "plot" or "--sweep" in command:
        result = run(command[0], program, *command[1:])
    elif "--exact" in command:
        result = run(command[0], "a = x/(x - 0.5); a*2", "x=0.5", *command[1:])
    else:
        result = run(command[0], program, "x=1", *command[1:])
    clean(result, 1)
    assert "exp" in result.err or "division" in result.err, result.err


def test_wide_max_and_min() -> None:
    names = [f"x{i}" for i in range(3000)]
    values = [f"{n}=1" for n in names]
    program = f"max({', '.join(names)}) - min({', '.join(names)})"
    for rule, first in (("first", 0.0), ("split", 0.0), ("all", 0.0)):
        data = json.loads(timed("eval", program, *values, "--ties", rule, "-F", "json").out)
        assert data["gradient"]["x0"] == first and data["value"] == 0.0
    split = json.loads(timed("eval", f"max({', '.join(names)})", *values, "--ties", "split",
                             "-F", "json").out)
    assert split["gradient"]["x2999"] == pytest.approx(1 / 3000, rel=1e-12)
    clean(timed("diff", f"max({', '.join(names[:300])})", "--wrt", "x7"), 0)
    clean(timed("check", f"max({', '.join(names[:300])}) * 2", *values[:300]), 0)
