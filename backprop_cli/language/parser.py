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
_OPERAND_START = frozenset({"NUMBER", "NAME", "LPAR", "LSQB", "MINUS", "PLUS"})
_BINARY = frozenset({"PLUS", "MINUS", "STAR", "SLASH", "AT", "CIRCUMFLEX", "__ANON_0"})


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
        expected = expected - _BINARY - {"EQUAL", "LPAR", "LSQB", "DOT"}
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


# -- the driver ------------------------------------------------------------------------------
#
# The stack is one flat list, four entries per symbol: state, value, start, end (the bottom
# symbol is the start state with no value). A reduction deletes the entries of all but its
# first child and overwrites that child's value, end and state in place.
#
# Most reductions are of one child (``?sum: product``, ``atom: NAME -> name``): each keeps
# the state below it, so from that state, the nonterminal reduced and the lookahead, the
# run of one-child reductions that follows is always the same. ``_follow`` works such a
# run out once (the state it ends in, the action there and the callbacks on the way) and
# ``_FOLLOW`` keeps it; the driver then does a whole run in one step.

_ERROR = 1 << 30  # not a state: the action table has no entry (a syntax error)
_DONE = _ERROR + 1  # not a state: the start rule was reduced at the end of the program

_ONE, _FIRST_AND_THIRD, _PASS, _GENERIC, _EMPTY = range(5)  # how a rule reduces


def _shape(length: int, callback: str | None, keep: tuple[int, ...]) -> int:
    if length == 0:
        return _EMPTY
    if length == 1 and keep == (0,):
        return _ONE  # the child's value is its own (callback None) or the callback's
    if callback is not None and length >= 3 and keep == (0, 2):
        return _FIRST_AND_THIRD
    if callback is None:
        return _PASS  # the first kept child's value passes through
    return _GENERIC


# The runs after each rule by state below and lookahead; rules of one origin share them,
# apart from pass-through rules of one child (which never end the parse).
_SHAPES = tuple(_shape(length, name, keep) for _origin, length, name, keep in _RULES)
_FOLLOW_OF: dict[tuple[str, bool], dict[int, dict[str, tuple[int, int, tuple[int, ...]]]]] = {}
_FOLLOW = tuple(
    _FOLLOW_OF.setdefault((origin, name is None and length == 1), {})
    for origin, length, name, keep in _RULES
)


def _follow(below: int, rule: int, kind: str) -> tuple[int, int, tuple[int, ...]]:
    """The run of one-child reductions after ``rule`` has been reduced onto ``below``.

    Returns the state the run ends in, the action there on ``kind`` (a shift, a reduction
    of more than one child, ``_ERROR`` or ``_DONE``) and the rules reduced on the way whose
    callbacks make the value; each step is the one the plain LALR loop would take.
    """
    origin, length, name, _keep = _RULES[rule]
    state = _GOTO[below][origin]
    callbacks: list[int] = []
    if state == _ACCEPT and kind == END and not (name is None and length == 1):
        code = _DONE
    else:
        while True:
            action = _ACTIONS[state].get(kind)
            if action is None:
                code = _ERROR
                break
            if action >= 0 or _SHAPES[~action] != _ONE:
                code = action
                break
            origin, _length, name, _keep = _RULES[~action]
            if name is not None:
                callbacks.append(~action)
            state = _GOTO[below][origin]
            if state == _ACCEPT and kind == END and name is not None:
                code = _DONE
                break
    run = (state, code, tuple(callbacks))
    _FOLLOW[rule].setdefault(below, {})[kind] = run
    return run


def _steps(builder: Any) -> list[tuple]:
    """Per rule, what the driver needs to reduce it into ``builder``: its shape, callback,
    the stack offsets of its first child's state, of the state below, of the first kept
    value, of its start and of the second kept value; its runs; the offsets of every kept
    value; the rule's number."""
    steps = []
    for rule, ((_origin, length, name, keep), shape) in enumerate(zip(_RULES, _SHAPES)):
        top = -4 * length
        values = tuple(top + 4 * k + 1 for k in keep)
        steps.append((shape, getattr(builder, name) if name else None, top, top - 4,
                      values[0] if values else 0, top + 2, values[1] if len(values) > 1 else 0,
                      _FOLLOW[rule], values, rule))
    return steps


def parse(source: Source, tokens: Iterable[Token], builder: Any) -> Any:
    """Run the LALR automaton over ``tokens``, reducing into ``builder``'s callbacks."""
    actions = _ACTIONS
    steps = _steps(builder)
    callbacks = [step[1] for step in steps]
    state = _tables.START_STATE
    stack: list[Any] = [state, None, 0, 0]
    # the token shifted last, for the message of a syntax error
    previous_kind: str | None = None
    previous_value = ""
    previous_start = previous_end = 0
    for kind, value, start, end in tokens:
        try:
            code = actions[state][kind]
        except KeyError:
            code = _ERROR
        while code < 0:
            shape, callback, top, below, first, begin, second, follow, kept, rule = steps[~code]
            if shape == _ONE:
                if callback is not None:
                    stack[-3] = callback([stack[-3]], stack[-2], stack[-1])
                try:
                    state, code, more = follow[stack[-8]][kind]
                except KeyError:
                    state, code, more = _follow(stack[-8], rule, kind)
                stack[-4] = state
            else:
                last = stack[-1]
                if shape == _FIRST_AND_THIRD:
                    begin = stack[begin]
                    node = callback([stack[first], stack[second]], begin, last)
                elif shape == _PASS:
                    node = stack[first]
                    begin = stack[begin]
                elif shape == _GENERIC:
                    begin = stack[begin]
                    node = callback([stack[k] for k in kept], begin, last)
                else:
                    # a rule of no children: a new symbol, empty, at the lookahead
                    begin = last = start
                    node = callback([], start, start) if callback else None
                    stack += (0, None, start, start)
                    top, below = -4, -8
                try:
                    state, code, more = follow[stack[below]][kind]
                except KeyError:
                    state, code, more = _follow(stack[below], rule, kind)
                stack[top:] = (state, node, begin, last)
            if more:
                for extra in more:
                    stack[-3] = callbacks[extra]([stack[-3]], stack[-2], stack[-1])
        if code >= _ERROR:
            if code == _DONE:
                return stack[-3]
            previous = ((previous_kind, previous_value, previous_start, previous_end)
                        if previous_kind is not None else None)
            raise _syntax_error(source, state, (kind, value, start, end), previous)
        state = code
        stack += (code, value, start, end)
        previous_kind, previous_value, previous_start, previous_end = kind, value, start, end
    raise InputError("unexpected end of the program", source=source)
