"""Tokens for the LALR tables, from the terminals of grammar/backprop.lark.

The terminal patterns come from the generated tables, so the grammar file stays the one
definition of the language. On top of them the lexer does what a grammar cannot say:
a newline inside parentheses is not a separator, runs of separators count as one,
separators never start or end a program, and a character outside the language is named.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from ..core.errors import InputError
from ..core.source import Source, describe_char
from . import _tables

Token = tuple[str, str, int, int]  # type, text, start, end

END = "$END"

_MASTER = re.compile(
    "|".join(f"(?P<{name}>{regex})" for name, regex in _tables.TERMINALS) + r"|(?P<BAD>.)",
    re.ASCII | re.DOTALL,
)
_IGNORED = frozenset(_tables.IGNORED)
_KEYWORDS = _tables.KEYWORDS

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
    """Tokens of the program, ending with ``("$END", "", n, n)``."""
    text = source.text
    opened: list[int] = []  # offsets of the '(' still open
    pending_sep: Token | None = None
    started = False
    for match in _MASTER.finditer(text):
        kind = match.lastgroup
        if kind in _IGNORED:
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
            kind = _KEYWORDS.get(value, "NAME")
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
