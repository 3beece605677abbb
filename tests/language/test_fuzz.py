"""Fuzzing the command line in process: whatever the input, a clean exit status.

Every run goes through ``backprop_cli.cli.app.main`` (the top-level guard) and must end with
0, 1 or 2 (SPEC §2): never 70 (an internal error, a bug), never a traceback. Errors are
short messages on stderr that start with ``error:`` (or click's ``Usage:``), with nothing
on stdout; successes print to stdout and nothing to stderr.

Inputs: random bytes (as the program argument, decoded as the shell would, and on stdin),
token soups built from the language's own tokens (plus a few lookalikes), well-formed
programs (which must parse: 0 or 1 only), random binding values and random --values
documents. Hypothesis is derandomized, so every run tries the same examples.
"""

from __future__ import annotations

import json
import math
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.harness import check_clean, run

FAST = settings(
    derandomize=True, deadline=None, max_examples=150, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
QUICK = settings(FAST, max_examples=80)

FORMATS = ["table", "json", "csv", "plain"]
INPUT_NAMES = ["x", "y", "w0", "learning_rate", "_z"]
UNARY_FUNCTIONS = ["exp", "log", "ln", "log2", "log10", "sqrt", "abs", "sin", "cos", "tan",
                   "asin", "acos", "atan", "sinh", "cosh", "tanh", "sigmoid", "relu",
                   "softplus"]
# The reference for a binding's value (SPEC §2): a plain decimal literal, optional sign.
PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?",
                           re.ASCII)


# --------------------------------------------------------------------------------------
# strategies
# --------------------------------------------------------------------------------------
number_text = st.one_of(
    st.integers(0, 10**6).map(str),
    st.floats(0, 1e6, allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from([".5", "3e-4", "1E6", "2.", "0", "1e308", "1e-320", "0.0", "007"]),
)

binding_value = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).map(repr),
    st.integers(-1000, 1000).map(str),
    st.sampled_from(["0", "-0", "1e-300", "1e300", "-3e-4", ".5"]),
)

bindings = st.dictionaries(st.sampled_from(INPUT_NAMES), binding_value, max_size=5).map(
    lambda d: [f"{name}={value}" for name, value in d.items()]
)

options = st.lists(
    st.one_of(
        st.sampled_from(FORMATS).map(lambda f: ["-F", f]),
        st.just(["--expand"]),
        st.just(["--allow-nonfinite"]),
        st.just(["--value"]),
        st.sampled_from(INPUT_NAMES).map(lambda n: ["--grad", n]),
        st.integers(1, 40).map(lambda n: ["--max-nodes", str(n)]),
        st.integers(1, 60).map(lambda n: ["--max-bytes", str(n)]),
    ),
    max_size=3,
).map(lambda groups: [arg for group in groups for arg in group])

TOKENS = [
    "1", "0", "2.5", ".5", "3e-4", "1E6", "1e308", "9", "x", "y", "w0", "learning_rate", "_z",
    "+", "-", "*", "/", "^", "**", "(", ")", ",", "=", ";", "\n", "def", "pi", "e",
    "exp", "log", "sqrt", "max", "min", "sigmoid", "pow", "abs", "relu", "f", "g",
    "# note", "#", " ", "\t", "\r",
    # characters outside the language
    "\u2212", "\u00d7", "\u00f7", "\u00a0", "\u202e", "\x1b", "\x00", "\u0661", "[/bold]",
]

soup = st.lists(st.sampled_from(TOKENS), min_size=0, max_size=25)


def expressions(leaves: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Well-formed expressions over ``leaves``: every concatenation stays in the grammar."""

    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "^", "**"]),
                           children, st.booleans())
        return st.one_of(
            binary.map(lambda t: f"({t[0]} {t[1]} {t[2]})" if t[3] else f"{t[0]} {t[1]} {t[2]}"),
            st.tuples(st.sampled_from(["-", "+"]), children).map(lambda t: f"{t[0]}{t[1]}"),
            st.tuples(st.sampled_from(UNARY_FUNCTIONS), children).map(
                lambda t: f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(["max", "min"]), st.lists(children, min_size=2,
                                                                max_size=4)).map(
                lambda t: f"{t[0]}({', '.join(t[1])})"),
            st.tuples(st.sampled_from(["log", "pow"]), children, children).map(
                lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        )

    return st.recursive(leaves, extend, max_leaves=10)


program_leaves = st.one_of(st.sampled_from(INPUT_NAMES), number_text,
                           st.sampled_from(["pi", "e"]))


@st.composite
def programs(draw) -> str:
    """A well-formed program: a def, some assignments, then an output expression."""
    statements = []
    names = list(INPUT_NAMES)
    use_def = draw(st.booleans())
    if use_def:
        body = draw(expressions(st.one_of(st.sampled_from(["p", "q"]), number_text,
                                          st.sampled_from(["pi", "e"]))))
        statements.append(f"def f(p, q) = {body}")
    for k in range(draw(st.integers(0, 3))):
        expr = draw(expressions(st.one_of(st.sampled_from(names), number_text)))
        statements.append(f"t{k} = {expr}")
        names.append(f"t{k}")
    final = draw(expressions(st.one_of(st.sampled_from(names), number_text)))
    if use_def:
        final = f"f({final}, {draw(st.sampled_from(names))}) + {final}"
    statements.append(final)
    separator = draw(st.sampled_from(["\n", "; ", " ;\n# comment\n"]))
    return separator.join(statements)


def inputs_of(program: str) -> list[str]:
    return [n for n in INPUT_NAMES if re.search(rf"(?<![A-Za-z0-9_]){n}(?![A-Za-z0-9_])",
                                                program)]


# --------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------
@FAST
@given(data=st.binary(max_size=120), binds=bindings, opts=options)
def test_random_bytes_as_the_program_argument(data: bytes, binds: list[str], opts: list[str]):
    program = data.decode("utf-8", "replace")
    check_clean(run("eval", *opts, "--", program, *binds))


@QUICK
@given(data=st.binary(max_size=120), binds=bindings)
def test_random_bytes_as_argv_would_decode_them(data: bytes, binds: list[str]):
    """On POSIX, argv bytes that are not UTF-8 reach Python as lone surrogates."""
    program = data.decode("utf-8", "surrogateescape")
    check_clean(run("eval", "--", program, *binds))


@FAST
@given(data=st.binary(max_size=200), binds=bindings, fmt=st.sampled_from(FORMATS))
def test_random_bytes_on_stdin(data: bytes, binds: list[str], fmt: str):
    check_clean(run("eval", "-", *binds, "-F", fmt, stdin=data))


@FAST
@given(tokens=soup, glue=st.sampled_from(["", " ", "\n"]), binds=bindings, opts=options)
def test_token_soup(tokens: list[str], glue: str, binds: list[str], opts: list[str]):
    program = glue.join(tokens)
    check_clean(run("eval", *opts, "--", program, *binds))


@FAST
@given(tokens=soup, binds=bindings)
def test_token_soup_on_stdin(tokens: list[str], binds: list[str]):
    program = " ".join(tokens).encode("utf-8")
    check_clean(run("eval", "-", *binds, "-F", "json", stdin=program))


@FAST
@given(program=programs(), values=st.lists(binding_value, min_size=5, max_size=5),
       fmt=st.sampled_from(FORMATS), expand=st.booleans())
def test_well_formed_programs_parse_and_evaluate_or_fail_cleanly(
    program: str, values: list[str], fmt: str, expand: bool
):
    """A well-formed program with every input bound is never a usage error (exit 2)."""
    binds = [f"{name}={value}" for name, value in zip(inputs_of(program), values)]
    args = ["eval", "-F", fmt, *(["--expand"] if expand else []), "--", program, *binds]
    result = run(*args)
    code, out, err = result.code, result.out, result.err
    check_clean(result, allowed=frozenset({0, 1}))
    if code == 1:
        assert re.search(r"<argument>:\d+:\d+", err), err
    if code == 0 and fmt == "json":
        document = json.loads(out)
        assert isinstance(document["value"], float) and math.isfinite(document["value"])
        assert set(inputs_of(program)) <= set(document["gradient"])
        for node in document["nodes"]:
            assert all(i < node["id"] for i in node["inputs"]), node


@FAST
@given(value=st.one_of(
    st.text(max_size=12),
    st.from_regex(PLAIN_DECIMAL, fullmatch=True),
    st.tuples(st.sampled_from(["", " ", "\u00a0", "\u2009", "\x1f", "\t"]),
              st.from_regex(PLAIN_DECIMAL, fullmatch=True),
              st.sampled_from(["", " ", "\u3000", "\x1c", "_0", "\u0661"])).map("".join),
))
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


json_scalars = st.one_of(
    st.none(), st.booleans(), st.floats(), st.integers(-10**6, 10**6),
    st.sampled_from([10**309, -(10**400), 2**1100]), st.text(max_size=5),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.text(max_size=4), children, max_size=3)),
    max_leaves=8,
)


@QUICK
@given(document=st.one_of(
    st.dictionaries(st.sampled_from(["x", "y", "x y", "", "1x"]),
                    st.one_of(json_scalars, json_values), max_size=3),
    json_values,
))
def test_values_documents(document: object):
    text = json.dumps(document)
    check_clean(run("eval", "x + 1", "--values", "-", stdin=text.encode("utf-8")),
                allowed=frozenset({0, 2}))
