"""The grammar: its tables are current, the driver agrees with Lark, precedence is right."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lark import Lark, Token
from lark.lexer import Lexer

from backprop_cli import parse_program
from backprop_cli.core.source import Source
from backprop_cli.language import tablegen
from backprop_cli.language.lexer import END, tokenize
from backprop_cli.language.parser import parse
from tests.harness import parenthesized
from tests.strategies import grammar_expressions


def test_grammar_loads_in_strict_mode() -> None:
    lark = tablegen.build_lark(strict=True)
    assert lark.options.parser == "lalr"


def test_grammar_ships_in_the_package(tmp_path) -> None:
    # From another directory, so the installed package is found, not the checkout.
    import subprocess
    import sys

    script = (
        "from importlib import resources; "
        "print(resources.files('backprop_cli.grammar').joinpath('backprop.lark').read_text())"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip("\n") == tablegen.grammar_text().rstrip("\n")


def test_generated_tables_match_the_grammar() -> None:
    assert tablegen.TABLES_PATH.read_text("utf-8") == tablegen.render_tables(), (
        "backprop_cli/language/_tables.py is stale: run python -m backprop_cli.language.tablegen"
    )


def test_every_operator_alias_is_an_op() -> None:
    from backprop_cli.core.ops import OPERATORS
    from backprop_cli.language.builder import GraphBuilder

    lark = tablegen.build_lark()
    aliases = {str(rule.alias) for rule in lark.rules if rule.alias}
    for alias in aliases:
        assert hasattr(GraphBuilder, alias), alias
    assert set(OPERATORS) <= aliases


PRECEDENCE = [
    ("1 + 2 * 3", "(1 + (2 * 3))"),
    ("1 - 2 - 3", "((1 - 2) - 3)"),
    ("8 / 4 / 2", "((8 / 4) / 2)"),
    ("2 ^ 3 ^ 2", "(2 ^ (3 ^ 2))"),
    ("2 ** 3 ** 2", "(2 ^ (3 ^ 2))"),
    ("-x ^ 2", "(-(x ^ 2))"),
    ("-x * y", "((-x) * y)"),
    ("x * -y", "(x * (-y))"),
    ("2 ^ -x", "(2 ^ (-x))"),
    ("2 ^ -x ^ 2", "(2 ^ (-(x ^ 2)))"),
    ("--x", "(-(-x))"),
    ("+x - -y", "((+x) - (-y))"),
    ("(x + y) * z", "((x + y) * z)"),
    ("x / y * z", "((x / y) * z)"),
    ("a - b + c", "((a - b) + c)"),
    ("x ^ y * z", "((x ^ y) * z)"),
    ("exp(x) ^ 2", "(exp(x) ^ 2)"),
    ("max(x, y, z) - min(x, 1)", "(max(x, y, z) - min(x, 1))"),
    ("log(x, 2) + .5 + 3e-4 + 1E6 + 2.", "((((log(x, 2) + 0.5) + 0.0003) + 1000000) + 2)"),
    ("(\n x\n +\n y\n)", "(x + y)"),
]


@pytest.mark.parametrize(("program", "expected"), PRECEDENCE)
def test_precedence_and_associativity(program: str, expected: str) -> None:
    graph = parse_program(program)
    assert parenthesized(graph) == expected


@pytest.mark.parametrize(
    "program",
    ["x = 1; y = 2; x + y", "x = 1\ny = 2\nx + y", "\n\n# c\nx = 1 # one\n;;\n y = 2;\nx+y\n\n",
     "x = 1\r\ny = 2\r\nx + y\r\n"],
)
def test_statements_separators_and_comments(program: str) -> None:
    graph = parse_program(program)
    assert parenthesized(graph) == "(x + y)"
    assert [graph.nodes[i].name for i in graph.inputs] == ["x", "y"]


# -- the table-driven driver agrees with Lark's own parser on the same tokens ---------------


class _OurTokens(Lexer):
    """Feeds Lark the tokens of backprop's lexer, so only the parsers differ."""

    def __init__(self, lexer_conf: object) -> None:
        pass

    def lex(self, data: str):
        for kind, text, start, end in tokenize(Source(data)):
            if kind != END:
                yield Token(kind, text, start_pos=start, end_pos=end)


def _lark_parser() -> Lark:
    return Lark(tablegen.grammar_text(), parser="lalr", lexer=_OurTokens,
                maybe_placeholders=False)


class _TreeBuilder:
    """Callbacks that build Lark-shaped trees: (rule, children)."""

    def __getattr__(self, name: str):
        return lambda children, start, end: (name, tuple(children))


def _as_tuples(tree: object) -> object:
    if isinstance(tree, Token | str):
        return str(tree)
    return (str(tree.data), tuple(_as_tuples(c) for c in tree.children))  # type: ignore[attr-defined]


@settings(max_examples=150)
@given(st.lists(grammar_expressions(), min_size=1, max_size=4), st.sampled_from(["; ", "\n"]))
def test_driver_builds_the_same_tree_as_lark(statements: list[str], separator: str) -> None:
    text = separator.join(f"v{i} = {s}" if i % 2 else s for i, s in enumerate(statements))
    ours = parse(Source(text), tokenize(Source(text)), _TreeBuilder())
    theirs = _as_tuples(_lark_parser().parse(text))
    assert ours == theirs


def test_def_blocks_parse() -> None:
    graph = parse_program("def f(a, b) = a * b + 1\ndef g() = 2\nf(x, g())")
    assert graph.nodes[graph.output].op.name == "f"
    assert len(graph.inputs) == 1


def test_hundred_thousand_nested_parentheses() -> None:
    depth = 100_000
    graph = parse_program("(" * depth + "x" + ")" * depth)
    assert len(graph.nodes) == 1 and graph.nodes[0].name == "x"
