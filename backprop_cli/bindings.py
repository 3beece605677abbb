"""Input values from the command line (``NAME=VALUE``) and from ``--values`` files."""

from __future__ import annotations

import math
import re

from .errors import InputError
from .numbers import DECIMAL

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z", re.ASCII)


def parse_value(name: str, text: str) -> float:
    """A plain decimal literal with an optional sign, finite; else a ValueError."""
    if not DECIMAL.match(text):
        raise ValueError(
            f"{name}={text!r}: the value must be a plain decimal number such as 2, -0.5 or 3e-4"
        )
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{name}={text}: the value is too large for a double")
    return value


def parse_binding(text: str) -> tuple[str, float]:
    """``NAME=VALUE`` -> (name, value); a ValueError says what is wrong."""
    name, sep, value = text.partition("=")
    name = name.strip()
    if not sep:
        raise ValueError(f"{text!r} is not a binding: write NAME=VALUE, such as x=1.5")
    if not NAME.match(name):
        raise ValueError(f"{name!r} is not a name: names are letters, digits and _")
    return name, parse_value(name, value.strip())


def parse_values_file(text: str, origin: str) -> dict[str, float]:
    """A JSON object of numbers, or NAME=VALUE lines (blank lines and # comments allowed)."""
    stripped = text.lstrip()
    if stripped.startswith("{"):
        import json

        def reject_constant(token: str) -> float:
            raise InputError(f"{origin}: {token} is not a finite number")

        try:
            data = json.loads(text, parse_constant=reject_constant)
        except json.JSONDecodeError as error:
            raise InputError(f"{origin}: not valid JSON: {error}") from None
        if not isinstance(data, dict):
            raise InputError(f"{origin}: expected a JSON object of names and numbers")
        values: dict[str, float] = {}
        for name, value in data.items():
            if not NAME.match(name):
                raise InputError(f"{origin}: {name!r} is not a name")
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise InputError(f"{origin}: the value of {name} must be a number")
            number = float(value)
            if not math.isfinite(number):
                raise InputError(f"{origin}: the value of {name} is too large for a double")
            values[name] = number
        return values
    values = {}
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        try:
            name, value = parse_binding(line)
        except ValueError as error:
            raise InputError(f"{origin}, line {number}: {error}") from None
        if name in values:
            raise InputError(f"{origin}, line {number}: {name} is given twice")
        values[name] = value
    return values
