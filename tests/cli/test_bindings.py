"""Bindings and --values: a value is a plain decimal literal, a name is an input of the
program, bound once; a values file holds finite numbers only (SPEC §2)."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import given

from tests.harness import DANGEROUS, check_clean, check_error, check_usage_error, run
from tests.strategies import FAST, PLAIN_DECIMAL, QUICK, binding_value_texts, values_documents


def test_values_file_json_and_lines(tmp_path) -> None:
    json_file = tmp_path / "point.json"
    json_file.write_text('{"x": 1, "y": 3, "z": -3}')
    assert run("eval", "(x+y)*z", "--values", str(json_file), "--value").out == "-12\n"
    lines = tmp_path / "point.txt"
    lines.write_text("# the point\nx=1\ny = 3\n\nz=-3\n")
    assert run("eval", "(x+y)*z", "--values", str(lines), "--value").out == "-12\n"
    assert run("eval", "(x+y)*z", "--values", str(lines), "z=1", "--value").out == "4\n"
    bad = tmp_path / "bad.json"
    bad.write_text('{"x": NaN}')
    assert run("eval", "x", "--values", str(bad)).code == 2


# --------------------------------------------------------------------------------------
# bindings: plain decimal literals only
# --------------------------------------------------------------------------------------
BAD_VALUES = [
    "nan", "NaN", "-nan", "inf", "-inf", "+inf", "Infinity", "infinity", "1_000", "1_0.5",
    "\u0661\u0662\u0663", "\uff11", "\u0967", "\u00b2", "\u2212" "1", "\u2013" "1", "0x10",
    "0b1", "0o7", "1e999", "-1e999", "", " ", "1e", "e5", ".", "-", "+", "--1", "+-1",
    "1.2.3", "1,5", "1 000", "1/2", "2*3", "pi", "e", "x", "(1)", "1j", "\u00a0" "1",
    "1\u2009", "\u3000" "1", "1\x1f", "\x1c" "1", "1\x00", "\x1b[31m1", "1\u202e",
    "__import__('os')",
]


@pytest.mark.parametrize("value", BAD_VALUES, ids=[ascii(v) for v in BAD_VALUES])
def test_binding_value_must_be_a_plain_decimal(value: str):
    result = run("eval", "x + 1", f"x={value}")
    check_usage_error(result, "x")


@pytest.mark.parametrize(
    "value", ["2", "-0.5", "+3", "3e-4", "1E6", ".5", "5.", "-0", "1e-400", "007", "1.5e+10"]
)
def test_binding_value_plain_decimals_are_accepted(value: str):
    result = run("eval", "x", f"x={value}", "--value")
    assert result.code == 0, result.err
    assert float(result.out) == float(value)


@pytest.mark.parametrize(
    "binding",
    ["1x=1", "x-y=1", "\u00e9=1", "=1", "x.y=1", "x", "x==1", "\u00a0x=1", "x\u200b=1",
     "\x1b[31mx=1", "\u0445=1"],  # the last is CYRILLIC SMALL LETTER HA, not 'x'
    ids=ascii,
)
def test_binding_name_must_be_an_ascii_name(binding: str):
    result = run("eval", "x + 1", "x=1", binding)
    check_usage_error(result)
    assert not DANGEROUS.search(result.err.replace("\n", "")), repr(result.err)


def test_binding_twice_is_an_error():
    check_usage_error(run("eval", "x + 1", "x=1", "x=2"), "x")


@pytest.mark.parametrize(
    ("program", "binding", "needle"),
    [
        ("q = x + y; q * 2", "q=1", "q"),       # computed from other names
        ("pi * x", "pi=3", "pi"),               # a constant
        ("e * x", "e=2", "e"),
        ("x + 1", "w=1", "w"),                  # not in the program
        ("def f(a) = a; f(x)", "a=1", "a"),     # a parameter is not an input
        ("def f(a) = a; f(x)", "f=1", "f"),     # nor is a function
    ],
)
def test_binding_something_that_is_not_an_input(program: str, binding: str, needle: str):
    others = ["x=1", "y=2"] if "y" in program else ["x=1"]
    result = run("eval", program, *others, binding)
    check_usage_error(result, needle)
    assert re.search(rf"\b{needle}\b", result.err.splitlines()[0]), result.err


def test_missing_values_are_all_listed_at_once():
    result = run("eval", "alpha*beta + gamma*delta + alpha", "beta=1")
    check_error(result, 2)
    first = result.err.splitlines()[0]
    for name in ("alpha", "gamma", "delta"):
        assert re.search(rf"\b{name}\b", first), f"{name} missing from: {first}"
    assert not re.search(r"\bbeta\b", first), first


@pytest.mark.parametrize(
    ("document", "needle"),
    [
        ('{"x": NaN}', "NaN"),
        ('{"x": Infinity}', "Infinity"),
        ('{"x": 1e999}', "x"),
        ('{"x": "1"}', "x"),
        ('{"x": true}', "x"),
        ('{"x": null}', "x"),
        ('{"x": [1, [2]]}', "x"),  # a ragged array
        ('{"x y": 1}', "x"),  # not a name: skipped unread, so x has no value
        ("[1, 2]", ""),
        ('{"x": 1', ""),
        ("x=nan\n", "nan"),
        ("x=1\nx=2\n", "x"),
        ("x=1_000\n", "1_000"),
        ('{"x": 1' + "0" * 400 + "}", "x"),            # an int too large for a double
        ('{"x": 1' + "0" * 5000 + "}", "x"),           # over Python's int-string limit
        ('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}", ""),  # nested past recursion
    ],
    ids=["NaN", "Infinity", "1e999", "string", "bool", "null", "ragged-list", "bad-name",
         "array", "truncated", "line-nan", "line-twice", "line-underscore", "int-1e400",
         "int-5000-digits", "deep-nesting"],
)
def test_values_file_rejects_everything_but_finite_numbers(tmp_path: Path, document: str,
                                                          needle: str):
    path = tmp_path / "values.txt"
    path.write_text(document, encoding="utf-8")
    result = run("eval", "x + 1", "--values", str(path))
    check_error(result, 2, needle)


@FAST
@given(value=binding_value_texts)
def test_binding_values_are_exactly_the_plain_decimals(value: str):
    """Accepted iff a plain, finite decimal (ASCII whitespace around it is tolerated)."""
    result = run("eval", "x", f"x={value}", "--value")
    code, out, err = result.code, result.out, result.err
    check_clean(result, allowed=frozenset({0, 2}))
    literal = value.strip(" \t\n\r\f\v")
    plain = PLAIN_DECIMAL.fullmatch(literal) is not None and math.isfinite(float(literal))
    assert (code == 0) == plain, f"x={value!r}: exit {code}\n{err}"
    if plain:
        assert float(out) == float(literal)


@QUICK
@given(document=values_documents)
def test_values_documents(document: object):
    text = json.dumps(document)
    check_clean(run("eval", "x + 1", "--values", "-", stdin=text.encode("utf-8")),
                allowed=frozenset({0, 2}))
