"""Input values from the command line (``NAME=VALUE``) and from ``--values`` files."""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from typing import Any

from .core.errors import InputError
from .core.numbers import DECIMAL
from .core.shapes import MAX_AXES

ASCII_SPACE = " \t\n\r\f\v"  # str.strip() alone would also take Unicode spaces
OUTSIDE_ASCII = re.compile(r"[^ -~\t\n\r\f\v]")  # what no binding may hold
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z", re.ASCII)


def parse_value(name: str, text: str) -> Any:
    """A plain decimal literal with an optional sign, finite; or an array literal of
    them, ``[2, -3, -3]`` or ``[[1, 2], [3, 4]]`` (an ndarray); else a ValueError."""
    if text.startswith("["):
        return parse_array(name, text)
    if not DECIMAL.match(text):
        raise ValueError(
            f"{name}={text!r}: the value must be a plain decimal number such as 2, -0.5 or 3e-4"
        )
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{name}={text!r}: the value is too large for a double")
    return value


def parse_array(name: str, text: str) -> Any:
    """``[2, -3, -3]``, ``[[1, 2], [3, 4]]``: rectangular, plain decimal elements.

    Read with an explicit stack of open brackets, so any depth of nesting is one loop.
    """
    shown = f"{name}={text if len(text) <= 40 else text[:39] + '…'}"
    rows: list[list[Any]] = [[]]  # the list being filled at each open bracket
    position = 0
    depth = 0
    tokens = re.finditer(r"\s*(\[|\]|,|[^\s\[\],]+)", text)
    expect_element = True
    for match in tokens:
        if match.start() != position:
            break
        position = match.end()
        token = match.group(1)
        if token == "[":
            if not expect_element:
                raise ValueError(f"{shown}: expected ',' or ']' before '['")
            rows.append([])
            depth += 1
        elif token == "]":
            if depth == 0:
                raise ValueError(f"{shown}: unmatched ']'")
            done = rows.pop()
            if expect_element:
                raise ValueError(f"{shown}: a trailing ',' before ']'" if done
                                 else f"{shown}: an empty array")
            rows[-1].append(done)
            depth -= 1
            expect_element = False
        elif token == ",":
            if expect_element or depth == 0:
                raise ValueError(f"{shown}: a ',' without an element before it")
            expect_element = True
        else:
            if not expect_element or depth == 0:
                raise ValueError(f"{shown}: expected ',' or ']' before {token!r}")
            rows[-1].append(parse_value(name, token))
            expect_element = False
    if position != len(text.rstrip(ASCII_SPACE)) or depth or len(rows[0]) != 1:
        raise ValueError(f"{shown}: not an array literal such as [2, -3, -3] or "
                         "[[1, 2], [3, 4]]")
    return as_array(name, rows[0][0])


def as_array(name: str, value: Any) -> Any:
    """Nested lists of numbers (or an ndarray) as a float ndarray; a ValueError for
    ragged lists, values that are not numbers, and numbers that are not finite."""
    import numpy as np

    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "fiu":
            raise InputError(f"the value of {name} must be numbers")
        return np.asarray(value, dtype=float)  # no copy of an array of floats
    shape: list[int] = []
    level = value
    while isinstance(level, list):  # the shape, from the first element at each depth
        if not level:
            raise InputError(f"the value of {name} is an empty array")
        shape.append(len(level))
        if len(shape) > MAX_AXES:
            raise InputError(f"the value of {name} is nested more than {MAX_AXES} deep: "
                             f"arrays have at most {MAX_AXES} axes")
        level = level[0]
    flat: list[float] = []
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if depth < len(shape):
            if not isinstance(item, list) or len(item) != shape[depth]:
                n = shape[depth]
                raise InputError(f"the value of {name} is not rectangular: every row "
                                 f"must have {n} element{'s' if n != 1 else ''}")
            stack.extend((element, depth + 1) for element in reversed(item))
        elif isinstance(item, bool) or not isinstance(item, int | float):
            raise InputError(f"the value of {name} must be numbers or lists of numbers")
        else:
            number = float(item)
            if not math.isfinite(number):
                raise InputError(f"the value of {name} holds a number that is not finite")
            flat.append(number)
    return np.array(flat, dtype=float).reshape(shape)


def parse_binding(text: str) -> tuple[str, float]:
    """``NAME=VALUE`` -> (name, value); a ValueError says what is wrong.

    A character outside printable ASCII is named as the parser names it (``U+2212 MINUS
    SIGN: use '-'``); the text shown of a long binding is cut.
    """
    shown = repr(text) if len(text) <= 40 else repr(text[:39]) + "…"
    odd = OUTSIDE_ASCII.search(text)
    if odd:
        raise ValueError(f"{shown}: {_character(text, odd.start())}")
    name, sep, value = text.partition("=")
    name, value = name.strip(ASCII_SPACE), value.strip(ASCII_SPACE)
    if not sep:
        raise ValueError(f"{shown} is not a binding: write NAME=VALUE, such as x=1.5")
    if not NAME.match(name):
        name = repr(name) if len(name) <= 40 else repr(name[:39]) + "…"
        raise ValueError(f"{name} is not a name: names are ASCII letters, digits and _")
    return name, parse_value(name if len(name) <= 40 else name[:39] + "…", value)


def _character(text: str, offset: int) -> str:
    """What the lexer says of the character at ``offset``, with its hint."""
    from .core.source import Source
    from .language.lexer import bad_character

    if "\ud800" <= text[offset] <= "\udfff":
        return "not valid UTF-8"
    error = bad_character(Source(text), offset)
    return f"{error.message}: {error.hint}" if error.hint else error.message


class JsonConstant(str):
    """``NaN``, ``Infinity`` or ``-Infinity`` in JSON, kept as the token for its message."""

    __slots__ = ()


class JsonInteger(float):
    """A JSON integer: its double, and its digits as written (for a column kept verbatim)."""

    __slots__ = ("text",)

    def __new__(cls, text: str) -> JsonInteger:
        number = super().__new__(cls, text)  # a double, however many digits (no int)
        number.text = text
        return number


def load_json_object(text: str | bytes, origin: str, *, check_constants: bool = True) -> Any:
    """JSON with numbers as floats (no huge integers) and no name given twice in one
    object: the reading that --values and JSON Lines share. NaN and Infinity are refused
    here unless the caller checks every number itself (and can name its column): then
    they are JsonConstant strings, and integers are JsonInteger."""
    import json

    def reject_constant(token: str) -> Any:
        if not check_constants:
            return JsonConstant(token)
        raise InputError(f"{origin}: {token} is not a finite number")

    def unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        data = dict(pairs)
        if len(data) < len(pairs):
            seen: set[str] = set()
            twice = next(name for name, _ in pairs if name in seen or seen.add(name))
            raise InputError(f"{origin}: {twice} is given twice in one object")
        return data

    return json.loads(text, parse_constant=reject_constant,
                      parse_int=float if check_constants else JsonInteger,
                      object_pairs_hook=unique)


def parse_values_file(text: str, origin: str, wanted: Collection[str] | None = None
                      ) -> dict[str, float]:
    """A JSON object of numbers, or NAME=VALUE lines (blank lines and # comments allowed).

    With ``wanted`` (the program's inputs), the other names are skipped unread, whatever
    their values: a file of values may be shared by several programs.
    """
    stripped = text.lstrip()
    if stripped.startswith("{"):
        import json

        try:
            data = load_json_object(text, origin)
        except json.JSONDecodeError as error:
            raise InputError(f"{origin}: not valid JSON: {error}") from None
        except RecursionError:
            raise InputError(f"{origin}: the JSON is nested too deeply") from None
        if not isinstance(data, dict):
            raise InputError(f"{origin}: expected a JSON object of names and numbers")
        values: dict[str, float] = {}
        for name, value in data.items():
            if wanted is not None and name not in wanted:
                continue
            if not NAME.match(name):
                raise InputError(f"{origin}: {name!r} is not a name")
            if isinstance(value, list):
                try:
                    values[name] = as_array(name, value)
                except InputError as error:
                    raise InputError(f"{origin}: {error.message}") from None
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(f"{origin}: the value of {name} must be a number "
                                 "or an array (nested lists of numbers)")
            number = float(value)
            if not math.isfinite(number):
                raise InputError(f"{origin}: the value of {name} is too large for a double")
            values[name] = number
        return values
    values = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip(" \t\r")
        if not line:
            continue
        if wanted is not None and "=" in line \
                and line.partition("=")[0].strip(ASCII_SPACE) not in wanted:
            continue
        try:
            name, value = parse_binding(line)
        except ValueError as error:
            raise InputError(f"{origin}, line {number}: {error}") from None
        if name in values:
            raise InputError(f"{origin}, line {number}: {name} is given twice")
        values[name] = value
    return values
