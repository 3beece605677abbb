"""The table-driven LALR(1) parser: tokens in, builder callbacks out.

The tables are Lark's automaton for grammar/backprop.lark (see ``tablegen``). Each
reduction calls the builder method named by the rule's alias with the kept children and
the rule's span; a rule marked pass-through (``?rule`` with one child) hands its child
on unchanged. The stacks are lists: no parse tree, and no recursion at any depth.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..core.errors import InputError
from ..core.ops import FUNCTIONS
from ..core.source import Source
from . import _tables
from .lexer import END, Token

_ACTIONS = _tables.ACTIONS
_GOTO = _tables.GOTO
_RULES = _tables.RULES
_ACCEPT = _tables.ACCEPT_STATE

_FUNCTION_NAMES = frozenset(FUNCTIONS)
_OPERAND_START = frozenset({"NUMBER", "NAME", "LPAR", "MINUS", "PLUS"})
_BINARY = frozenset({"PLUS", "MINUS", "STAR", "SLASH", "CIRCUMFLEX", "__ANON_0"})


def _spell(terminal: str) -> str:
    if terminal in _tables.SPELLINGS:
        return f"'{_tables.SPELLINGS[terminal]}'"
    return {
        "NUMBER": "a number",
        "NAME": "a name",
        "SEP": "a new statement",
        END: "the end of the program",
    }.get(terminal, terminal)


def _describe_token(token: Token) -> str:
    kind, text = token[0], token[1]
    if kind == END:
        return "the end of the program"
    if kind == "SEP":
        return "the end of the statement" if text == ";" else "the end of the line"
    if kind == "NUMBER":
        return f"the number {text}"
    if kind == "NAME":
        return f"the name '{text}'"
    return f"'{text}'"


def _expected_text(expected: set[str]) -> str:
    words: list[str] = []
    if {"NUMBER", "NAME", "LPAR"} <= expected:
        words.append("an expression (a number, a name or '(')")
        expected = expected - _OPERAND_START
    if len(expected & _BINARY) >= 4:
        # after a complete operand: name the useful continuations only
        words.append("an operator")
        expected = expected - _BINARY - {"EQUAL", "LPAR"}
        if expected & {"SEP", END}:
            expected = expected - {"SEP", END}
            closing = [_spell(t) for t in sorted(expected)]
            words.extend(closing)
            words.append("the end of the statement")
            expected = set()
    words.extend(_spell(t) for t in sorted(expected, key=lambda t: (t in ("SEP", END), t)))
    if len(words) == 1:
        return words[0]
    return ", ".join(words[:-1]) + " or " + words[-1]


def _syntax_error(source: Source, state: int, token: Token, previous: Token | None) -> InputError:
    expected = set(_ACTIONS[state])
    found = _describe_token(token)
    where = f" after {_describe_token(previous)}" if previous is not None else ""
    hint = None
    kind = token[0]
    if (kind in ("NUMBER", "NAME") and previous is not None and previous[0] == "NAME"
            and previous[1] in _FUNCTION_NAMES):
        hint = f"call a function with parentheses: {previous[1]}({token[1]})"
    elif kind in ("NUMBER", "NAME", "LPAR") and expected & _BINARY:
        hint = "is an operator missing? Write 2*x, not 2x or 2 x"
    elif kind == "DEF":
        hint = "a def must start its own statement"
    elif previous is not None and previous[0] == "DEF":
        hint = "def starts a function definition: def f(x) = x^2"
    elif kind == "EQUAL" and previous is not None and previous[0] in ("RPAR", "NUMBER"):
        hint = ("only a plain name can be assigned: name = expression; "
                "def f(x) = ... defines a function")
    elif previous is not None and previous[0] == "NAME" and kind == "LPAR":
        hint = "function calls look like exp(x)"
    if kind == END or kind == "SEP":
        found = found.removeprefix("the ")
        message = f"unexpected {found}{where}: expected {_expected_text(expected)}"
        start = previous[2] if previous is not None and kind == END else token[2]
        end = previous[3] if previous is not None and kind == END else token[3]
        return InputError(message, source=source, start=start, end=max(end, start + 1), hint=hint)
    return InputError(
        f"expected {_expected_text(expected)}{where}, found {found}",
        source=source, start=token[2], end=token[3], hint=hint,
    )


def parse(source: Source, tokens: Iterable[Token], builder: Any) -> Any:
    """Run the LALR automaton over ``tokens``, reducing into ``builder``'s callbacks."""
    actions, gotos, accept = _ACTIONS, _GOTO, _ACCEPT
    rules = [
        (length, origin, getattr(builder, name) if name else None, keep,
         name is None and length == 1)
        for origin, length, name, keep in _RULES
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
                # a `?rule` with one child: only the state changes
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
