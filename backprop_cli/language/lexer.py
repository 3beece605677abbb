"""Tokens for the LALR tables, from the terminals of grammar/backprop.lark.

The terminal patterns come from the generated tables, so the grammar file stays the one
definition of the language. On top of them the lexer does what a grammar cannot say:
a newline inside parentheses is not a separator, runs of separators count as one,
separators never start or end a program, and a character outside the language is named.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from itertools import chain
from typing import Any

from ..core.errors import InputError
from ..core.source import Source, describe_char
from . import _tables

Token = tuple[str, str, int, int]  # type, text, start, end

END = "$END"

# One alternative per terminal, in the tables' order, then any other character. Blanks
# before a token are taken by the optional prefix, so a run of them costs no match of its
# own; the WHITESPACE alternative is still there for blanks at the very end of the text,
# which the prefix gives back once no token follows them.
_NAMES = (*(name for name, _regex in _tables.TERMINALS), "BAD")
_BLANKS = dict(_tables.TERMINALS).get("WHITESPACE")
_MASTER = re.compile(
    (f"(?:{_BLANKS})?" if "WHITESPACE" in _tables.IGNORED and _BLANKS else "")
    + "(?:" + "|".join(f"({regex})" for _name, regex in _tables.TERMINALS) + "|(.))",
    re.ASCII | re.DOTALL,
)
_KEYWORDS = _tables.KEYWORDS
# What the lexer does with each group of _MASTER (by its number): a token as it is, a
# name (or keyword), a parenthesis, a separator, nothing, or an error.
_TOKEN, _NAME, _OPEN, _CLOSE, _SEP, _SKIP, _BAD = range(7)
_ROLES = (_BAD, *(
    _SKIP if name in _tables.IGNORED else
    {"NAME": _NAME, "LPAR": _OPEN, "RPAR": _CLOSE, "SEP": _SEP, "BAD": _BAD}.get(name, _TOKEN)
    for name in _NAMES
))
_KINDS = ("", *_NAMES)
assert _MASTER.groups == len(_NAMES), "a terminal's pattern has a group of its own"

# Characters people paste from documents, with what to type instead.
LOOKALIKES = {
    "\u2212": "use '-'",
    "\u2013": "use '-'",
    "\u2014": "use '-'",
    "\u00d7": "use '*'",
    "\u22c5": "use '*'",
    "\u00b7": "use '*'",
    "\u2217": "use '*'",
    "\u00f7": "use '/'",
    "\u2215": "use '/'",
    "\u00a0": "use a plain space",
    "\u2009": "use a plain space",
    "\u202f": "use a plain space",
    "\u3000": "use a plain space",
    "\u00b2": "use '^2'",
    "\u00b3": "use '^3'",
    "\u03c0": "use 'pi'",
    "\u221a": "use 'sqrt(...)'",
    "\u2018": "quotes are not part of the language",
    "\u2019": "quotes are not part of the language",
    "\u201c": "quotes are not part of the language",
    "\u201d": "quotes are not part of the language",
    "\ufeff": "remove the byte-order mark",
}
_BIDI = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c")


def bad_character(source: Source, offset: int) -> InputError:
    ch = source.text[offset]
    hint = LOOKALIKES.get(ch)
    if ch in _BIDI:
        hint = "an invisible bidirectional control character; delete it"
    elif ch == "\x00":
        hint = "a NUL byte: is this a binary file?"
    elif hint is None and ch.isdigit() and not ch.isascii():
        hint = "digits must be ASCII 0-9"
    elif ch in "\"'":
        hint = "strings are not part of the language"
    elif hint is None and ch.isascii() and ch.isprintable():
        hint = "the language has + - * / ^ ** ( ) , = ; and # for comments"
    return InputError(
        f"unexpected character {describe_char(ch)}",
        source=source, start=offset, end=offset + 1, hint=hint,
    )


def tokenize(source: Source) -> Iterator[Token]:
    """Tokens of the program, ending with ``("$END", "", n, n)``.

    A lexical error is raised where the tokens reach it, after the tokens before it.
    """
    flat, error = scan(source)
    tokens = iter(flat)
    return chain(zip(tokens, tokens, tokens, tokens), _raise(error))


def _raise(error: InputError | None) -> Iterator[Token]:
    if error is not None:
        raise error
    yield from ()


def scan(source: Source) -> tuple[list[Any], InputError | None]:
    """The tokens, flat (type, text, start, end, type, ...), and the error that ends them.

    Without an error the last token is the end, ``("$END", "", n, n)``. A separator is
    put in when it is read and taken out again if no token follows it before the end or
    an error: the tokens are those a reader that held it back until the next token sees.
    """
    text = source.text
    flat: list[Any] = []
    depth = 0  # of parentheses
    roles, kinds, keywords = _ROLES, _KINDS, _KEYWORDS
    for match in _MASTER.finditer(text):
        group = match.lastindex
        role = roles[group]  # type: ignore[index]
        start, end = match.span(group)  # type: ignore[arg-type]
        if role == _TOKEN:
            flat += (kinds[group], text[start:end], start, end)  # type: ignore[index]
        elif role == _NAME:
            value = text[start:end]
            flat += (keywords.get(value, "NAME"), value, start, end)
        elif role == _OPEN:
            depth += 1
            flat += ("LPAR", text[start:end], start, end)
        elif role == _CLOSE:
            if not depth:
                return flat, InputError(
                    "unmatched ')'", source=source, start=start, end=end,
                    hint="remove it, or add the '(' it closes",
                )
            depth -= 1
            flat += ("RPAR", text[start:end], start, end)
        elif role == _SEP:
            value = text[start:end]
            if depth:
                if value == "\n":
                    continue
                return flat, InputError(
                    "';' inside parentheses", source=source, start=start, end=end,
                    hint="close the '(' before ending the statement",
                )
            if flat and flat[-4] != "SEP":  # never first, never twice in a row
                flat += ("SEP", value, start, end)
        elif role == _BAD:
            if flat and flat[-4] == "SEP":
                del flat[-4:]
            return flat, bad_character(source, start)
    if depth:
        return flat, InputError(
            "'(' is never closed", source=source, start=_unclosed(flat), end=_unclosed(flat) + 1,
            hint="add the missing ')'",
        )
    if flat and flat[-4] == "SEP":
        del flat[-4:]
    flat += (END, "", len(text), len(text))
    return flat, None


def _unclosed(flat: list[Any]) -> int:
    """The offset of the innermost '(' left open at the end of the tokens."""
    opened: list[int] = []
    for k in range(0, len(flat), 4):
        if flat[k] == "LPAR":
            opened.append(flat[k + 2])
        elif flat[k] == "RPAR":
            opened.pop()
    return opened[-1]
