"""How numbers are written: shortest round-trip text, and the language's literals."""

from __future__ import annotations

import math
import re

# A binding's value: a plain decimal literal with an optional sign (ASCII digits only).
DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z", re.ASCII)


def format_number(value: float) -> str:
    """The shortest text that reads back as the same double: ``-12``, ``0.5``, ``1e+22``."""
    if value != value:
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def shown(value: float, precision: int) -> str:
    """A number for people: ``precision`` significant digits, and no ``-0``."""
    text = f"{value:.{precision}g}"
    return "0" if text == "-0" else text


def json_number(value: float) -> float | str:
    """A JSON-safe number: finite floats as they are, others as "nan", "inf", "-inf"."""
    if math.isfinite(value):
        return value
    return format_number(value)


def csv_number(value: float) -> str:
    """A number in CSV output, at one point and over rows alike: the shortest text that
    reads back as the same double, written as JSON writes it (``-12.0``, ``0.00001``,
    ``1e-7``, ``1e+16``: the form orjson gives whole arrays in batch output), and
    ``nan``, ``inf``, ``-inf``."""
    if not math.isfinite(value):
        return format_number(value)
    text = repr(float(value))
    mantissa, e, exponent = text.partition("e")
    if not e or exponent[0] == "+":
        return text
    power = int(exponent)
    if power == -5:  # written out in full down to 1e-5, as JSON's writer does
        sign = "-" if mantissa[0] == "-" else ""
        return f"{sign}0.0000{mantissa.lstrip('-').replace('.', '')}"
    return f"{mantissa}e{power}"
