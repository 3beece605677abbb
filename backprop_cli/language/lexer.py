"""Tokens for the LALR tables, from the terminals of grammar/backprop.lark.

The terminal patterns come from the generated tables, so the grammar file stays the one
definition of the language. On top of them the lexer does what a grammar cannot say:
a newline inside parentheses or brackets is not a separator, runs of separators count
as one, separators never start or end a program, and a character outside the language is
named.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

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
    {"NAME": _NAME, "LPAR": _OPEN, "RPAR": _CLOSE, "LSQB": _OPEN, "RSQB": _CLOSE,
     "SEP": _SEP, "BAD": _BAD}.get(name, _TOKEN)
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
        hint = "the language has + - * / @ ^ ** ( ) [ ] , : . = ; and # for comments"
    return InputError(
        f"unexpected character {describe_char(ch)}",
        source=source, start=offset, end=offset + 1, hint=hint,
    )


def tokenize(source: Source) -> Iterator[Token]:
    """Tokens of the program, ending with ``("$END", "", n, n)``.

    A lexical error is raised where the tokens reach it, after the tokens before it.
    """
    text = source.text
    opened: list[str] = []  # the open parentheses and brackets, innermost last
    pending: Token | None = None  # a separator, until a token follows it
    started = False
    roles, kinds, keywords = _ROLES, _KINDS, _KEYWORDS
    for match in _MASTER.finditer(text):
        group = match.lastindex
        role = roles[group]  # type: ignore[index]
        start, end = match.span(group)  # type: ignore[arg-type]
        if role == _TOKEN:
            kind = kinds[group]  # type: ignore[index]
        elif role == _NAME:
            kind = keywords.get(text[start:end], "NAME")
        elif role == _OPEN:
            kind = kinds[group]  # type: ignore[index]
            opened.append(text[start])
        elif role == _CLOSE:
            if pending is not None:
                yield pending
                pending = None
            closing = text[start]
            wanted = "(" if closing == ")" else "["
            if not opened:
                raise InputError(
                    f"unmatched '{closing}'", source=source, start=start, end=end,
                    hint=f"remove it, or add the '{wanted}' it closes",
                )
            if opened[-1] != wanted:
                other = ")" if opened[-1] == "(" else "]"
                raise InputError(
                    f"'{closing}' where '{other}' was expected", source=source,
                    start=start, end=end, hint=f"close the '{opened[-1]}' with '{other}' first",
                )
            opened.pop()
            kind = kinds[group]  # type: ignore[index]
        elif role == _SEP:
            if opened:
                if text[start] == "\n":
                    continue
                what = "parentheses" if opened[-1] == "(" else "brackets"
                raise InputError(
                    f"';' inside {what}", source=source, start=start, end=end,
                    hint=f"close the '{opened[-1]}' before ending the statement",
                )
            if started and pending is None:  # never first, never twice in a row
                pending = ("SEP", text[start:end], start, end)
            continue
        elif role == _SKIP:
            continue
        else:
            raise bad_character(source, start)
        if pending is not None:
            yield pending
            pending = None
        started = True
        yield kind, text[start:end], start, end
    if opened:
        start = _unclosed(text)
        raise InputError(
            f"'{text[start]}' is never closed", source=source, start=start, end=start + 1,
            hint=f"add the missing '{')' if text[start] == '(' else ']'}'",
        )
    yield END, "", len(text), len(text)


def _unclosed(text: str) -> int:
    """The offset of the innermost '(' or '[' left open at the end of ``text``."""
    opened: list[int] = []
    for match in _MASTER.finditer(text):
        role = _ROLES[match.lastindex]  # type: ignore[index]
        if role == _OPEN:
            opened.append(match.start(match.lastindex))  # type: ignore[arg-type]
        elif role == _CLOSE:
            opened.pop()
    return opened[-1]
