"""The fast lexer and driver against the plain ones they replaced, kept here as references.

``reference_tokenize`` is the lexer as it was (one match per token, whitespace included, a
generator) and ``reference_parse`` the LALR loop as it was (four stacks, one step per
reduction). On the same text the fast ones must give the same tokens, the same callbacks
with the same children and spans in the same order, the same result, and the same error
(message, span and hint) at the same point, with the tokens before it the same.
"""

from __future__ import annotations

import random
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_cli.core.errors import BackpropError, InputError
from backprop_cli.core.source import Source
from backprop_cli.language import _tables
from backprop_cli.language.builder import GraphBuilder, _ExpressionBuilder
from backprop_cli.language.lexer import END, Token, bad_character, tokenize
from backprop_cli.language.parser import _syntax_error, parse
from tests.strategies import TOKENS, grammar_expressions, well_formed_programs

# -- the references ---------------------------------------------------------------------------
_MASTER = re.compile(
    "|".join(f"(?P<{name}>{regex})" for name, regex in _tables.TERMINALS) + r"|(?P<BAD>.)",
    re.ASCII | re.DOTALL,
)


def reference_tokenize(source: Source) -> Iterator[Token]:
    text = source.text
    opened: list[int] = []
    pending_sep: Token | None = None
    started = False
    for match in _MASTER.finditer(text):
        kind = match.lastgroup
        if kind in _tables.IGNORED:
            continue
        start, end = match.span()
        value = match.group()
        if kind == "SEP":
            if opened:
                if value == "\n":
                    continue
                raise InputError(
                    "';' inside parentheses", source=source, start=start, end=end,
                    hint="close the '(' before ending the statement",
                )
            if started and pending_sep is None:
                pending_sep = (kind, value, start, end)
            continue
        if kind == "BAD":
            raise bad_character(source, start)
        if pending_sep is not None:
            yield pending_sep
            pending_sep = None
        if kind == "NAME":
            kind = _tables.KEYWORDS.get(value, "NAME")
        elif kind == "LPAR":
            opened.append(start)
        elif kind == "RPAR":
            if not opened:
                raise InputError(
                    "unmatched ')'", source=source, start=start, end=end,
                    hint="remove it, or add the '(' it closes",
                )
            opened.pop()
        started = True
        yield kind, value, start, end  # type: ignore[misc]
    if opened:
        raise InputError(
            "'(' is never closed", source=source, start=opened[-1], end=opened[-1] + 1,
            hint="add the missing ')'",
        )
    yield END, "", len(text), len(text)


def reference_parse(source: Source, tokens: Any, builder: Any) -> Any:
    actions, gotos, accept = _tables.ACTIONS, _tables.GOTO, _tables.ACCEPT_STATE
    rules = [
        (length, origin, getattr(builder, name) if name else None, keep,
         name is None and length == 1)
        for origin, length, name, keep in _tables.RULES
    ]
    states: list[int] = [_tables.START_STATE]
    values: list[Any] = []
    starts: list[int] = []
    ends: list[int] = []
    previous: Token | None = None
    for token in tokens:
        kind = token[0]
        code = actions[states[-1]].get(kind)
        while code is not None and code < 0:
            length, origin, callback, keep, unit = rules[~code]
            if unit:
                states[-1] = gotos[states[-2]][origin]
            else:
                if length:
                    start, end = starts[-length], ends[-1]
                    if callback is None:
                        value = values[keep[0] - length]
                    else:
                        value = callback([values[k - length] for k in keep], start, end)
                    del states[-length:], values[-length:], starts[-length:], ends[-length:]
                else:
                    start = end = token[2]
                    value = callback([], start, end) if callback else None
                state = gotos[states[-1]][origin]
                if state == accept and kind == END:
                    return value
                states.append(state)
                values.append(value)
                starts.append(start)
                ends.append(end)
            code = actions[states[-1]].get(kind)
        if code is None:
            raise _syntax_error(source, states[-1], token, previous)
        states.append(code)
        values.append(token[1])
        starts.append(token[2])
        ends.append(token[3])
        previous = token
    raise InputError("unexpected end of the program", source=source)


# -- comparing ------------------------------------------------------------------------------
def _error(error: BaseException) -> tuple:
    return (type(error).__name__, str(error), getattr(error, "start", None),
            getattr(error, "end", None), getattr(error, "hint", None))


def _tokens(lex: Any, text: str) -> tuple[list[Token], tuple | None]:
    got: list[Token] = []
    try:
        for token in lex(Source(text)):
            got.append(tuple(token))  # type: ignore[arg-type]
    except InputError as error:
        return got, _error(error)
    return got, None


class _Recorder:
    """Callbacks that log each call: its rule, children, span; a value is the call's number."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)

        def callback(children: list, start: int, end: int) -> int:
            assert type(children) is list
            self.calls.append((name, tuple(children), start, end))
            return len(self.calls) - 1

        return callback


def _nodes(nodes: Any) -> list[tuple]:
    """Nodes with each op by kind and name: a user function's block is a new object per build."""
    return [(type(n.op).__name__, n.op.name, *n[1:]) for n in nodes]


def _run(parser: Any, lex: Any, builder: Any, text: str) -> tuple:
    source = Source(text)
    try:
        return ("ok", parser(source, lex(source), builder))
    except BackpropError as error:
        return ("error", _error(error))


def check_same(text: str) -> None:
    assert _tokens(tokenize, text) == _tokens(reference_tokenize, text)
    fast, plain = _Recorder(), _Recorder()
    assert _run(parse, tokenize, fast, text) == _run(reference_parse, reference_tokenize,
                                                     plain, text)
    assert fast.calls == plain.calls
    # the graph builder, whose callbacks raise errors of their own
    graphs = []
    for parser, lex in ((parse, tokenize), (reference_parse, reference_tokenize)):
        builder = GraphBuilder(Source(text), max_nodes=200)
        outcome = _run(parser, lex, builder, text)
        graphs.append((outcome[0] == "error" and outcome, _nodes(builder.nodes), builder.names,
                       builder.last))
    assert graphs[0] == graphs[1]


# -- the cases ------------------------------------------------------------------------------
FIXED = [
    "", " ", "\n", ";", "x", "x ", "x  \t ", "x # c", "x #", "(x", "x)", ")", "((x)", "x\n)",
    "x;)", "x\n\n;\n y", "(x\n+ y)", "(x; y)", "x\n(", "x\n$", "x $", "x =", "= 1", "1 = x",
    "def f(a, b) = a * b\nf(x, 2)", "def f() = 2\nf()", "def", "def f", "def f(", "def f(a,",
    "def f(a) =", "f(", "f(,)", "f(x,)", "sin x", "2x", "x ** * 2", "x +* 2", "--x", "+-x",
    "x = 1; y = 2\nx + y", "a = x\na = 2 * x\na", "sin + x", "x + 1e400", "pi = 3\nx",
    "\u2212x", "x \u00d7 y", "x\x00", "x; \u00a0", "(\n x\n +\n y\n)", "x\r\ny", "x\t\f\ry",
    "max(x, y, z) - min(x, 1)", "log(x, 2) + .5 + 3e-4 + 1E6 + 2.", "x = = 1",
    "def f(a) = a + zz\nf(x)", "x\n\n  def f(a) = a", "f(x)(y)", "(x)(y)", "x y", "1 2",
    "x ^ y ^ -z ** 2", "((((x))))", "#only\n", "x\n# c\n", "x;;;;y", ";x", "x;",
]


@pytest.mark.parametrize("text", FIXED)
def test_fixed_programs(text: str) -> None:
    check_same(text)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=30).map("".join))
def test_token_soups(text: str) -> None:
    check_same(text)


@settings(max_examples=300, deadline=None, derandomize=True, database=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=20).map(" ".join))
def test_spaced_token_soups(text: str) -> None:
    check_same(text)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(well_formed_programs())
def test_well_formed_programs(text: str) -> None:
    check_same(text)


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(st.lists(grammar_expressions(), min_size=1, max_size=4), st.sampled_from(["; ", "\n"]))
def test_grammar_expressions(statements: list[str], separator: str) -> None:
    check_same(separator.join(f"v{i} = {s}" if i % 2 else s for i, s in enumerate(statements)))


@settings(max_examples=100, deadline=None, derandomize=True, database=None)
@given(well_formed_programs(), st.data())
def test_programs_cut_or_damaged(text: str, data: st.DataObject) -> None:
    """A well-formed program cut short, or with one character dropped or put in."""
    at = data.draw(st.integers(0, len(text)))
    what = data.draw(st.sampled_from(["cut", "drop", "insert"]))
    if what == "cut":
        text = text[:at]
    elif what == "drop":
        text = text[:at] + text[at + 1:]
    else:
        text = text[:at] + data.draw(st.sampled_from(TOKENS)) + text[at:]
    check_same(text)


def _bench_program(nodes: int, seed: int) -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
    try:
        from size import ProgramWriter
    finally:
        sys.path.pop(0)
    return ProgramWriter(seed).program(nodes)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_programs_of_the_benchmark(seed: int) -> None:
    text = _bench_program(3_000, seed)
    source = Source(text)
    assert list(tokenize(source)) == list(reference_tokenize(source))
    fast, plain = _Recorder(), _Recorder()
    assert parse(source, tokenize(source), fast) == reference_parse(
        source, reference_tokenize(source), plain)
    assert fast.calls == plain.calls
    graphs = []
    for parser, lex in ((parse, tokenize), (reference_parse, reference_tokenize)):
        builder = GraphBuilder(source, max_nodes=10**6)
        parser(source, lex(source), builder)
        graphs.append(builder.finish())
    assert _nodes(graphs[0].nodes) == _nodes(graphs[1].nodes) and graphs[0].names == graphs[1].names


def test_deep_programs() -> None:
    for text in ["sin(" * 3000 + "x" + ")" * 3000, "(" * 3000 + "x" + "*1.0001 + 1)" * 3000,
                 "-" * 3000 + "x", "x" + "^x" * 3000, "x" + " + 1" * 3000]:
        check_same(text)


def test_random_damage_to_a_benchmark_program() -> None:
    rng = random.Random(7)
    text = _bench_program(300, 4)
    for _ in range(150):
        at = rng.randrange(len(text))
        check_same(text[:at] + rng.choice(TOKENS) + text[at + rng.randrange(3):])


def test_expression_builder_returns_the_expression() -> None:
    text = "x * sigmoid(y) + 1"
    results = []
    for parser, lex in ((parse, tokenize), (reference_parse, reference_tokenize)):
        builder = _ExpressionBuilder(Source(text), expand=True, body_params=("x", "y"))
        results.append((parser(Source(text), lex(Source(text)), builder),
                        _nodes(builder.nodes)))
    assert results[0] == results[1]
