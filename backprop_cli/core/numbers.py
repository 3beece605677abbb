"""How numbers are written: shortest round-trip text, and the language's literals."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence

# A binding's value: a plain decimal literal with an optional sign (ASCII digits only).
DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\Z", re.ASCII)


def format_number(value: float) -> str:
    """The shortest text that reads back as the same double: ``-12``, ``0.5``, ``1e+22``;
    an array as nested lists of them."""
    if value.__class__ is not float and not isinstance(value, int | float):
        return array_text(value, format_number, threshold=1 << 62)
    if value != value:
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def shown(value: float, precision: int) -> str:
    """A number for people: ``precision`` significant digits, and no ``-0``."""
    if value.__class__ is not float and not isinstance(value, int | float):
        return array_text(value, lambda v: shown(v, precision))
    text = f"{value:.{precision}g}"
    return "0" if text == "-0" else text


def array_text(value: object, number: Callable[[float], str] = format_number,
               threshold: int = 1000, edge: int = 3) -> str:
    """An array as nested lists on one line, ``[[1, 2], [3, 4]]``, each number written by
    ``number``; over ``threshold`` elements, elided the way NumPy prints: the first and
    last ``edge`` of each axis around ``...``."""
    import numpy as np

    array = np.asarray(value, dtype=float)
    if not array.ndim:
        return number(float(array))
    elide = array.size > threshold

    def axis_text(index: tuple[int, ...]) -> str:
        part = array[index]
        if part.ndim == 0:
            return number(float(part))
        n = part.shape[0]
        keep = ([*list(range(edge)), -1, *list(range(n - edge, n))]
                if elide and n > 2 * edge else list(range(n)))
        return "[" + ", ".join("..." if k < 0 else axis_text((*index, k)) for k in keep) + "]"

    # an explicit stack would do as well; the depth here is the array's few axes
    return axis_text(())


def element_names(name: str, shape: tuple[int, ...]) -> list[str]:
    """``w[0]``, ``w[1]`` ... and ``W[0,0]``, ``W[0,1]`` ...: one per element, row-major."""
    import itertools

    if not shape:
        return [name]
    return [f"{name}[{','.join(map(str, index))}]"
            for index in itertools.product(*(range(n) for n in shape))]


def elements(value: object) -> list[float]:
    """Every element of a number or an array, row-major."""
    if value.__class__ is float or isinstance(value, int | float):
        return [float(value)]
    import numpy as np

    return np.asarray(value, dtype=float).ravel().tolist()


def json_number(value: float) -> float | str:
    """A JSON-safe number: finite floats as they are, others as "nan", "inf", "-inf"."""
    if math.isfinite(value):
        return value
    return format_number(value)


def json_value(value: object) -> object:
    """``json_number`` of a number, or of every element of an array, as nested lists
    (row-major, as NumPy's ``tolist``)."""
    if value.__class__ is float or isinstance(value, int | float):
        return json_number(float(value))
    import numpy as np

    array = np.asarray(value, dtype=float)
    if np.all(np.isfinite(array)):
        return array.tolist()
    flat = [json_number(v) for v in array.ravel().tolist()]
    return np.array(flat, dtype=object).reshape(array.shape).tolist()


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


# orjson writes the same shortest digits as ``repr`` but spells two kinds of number
# otherwise: a one-digit negative exponent (``1e-7``, Python ``1e-07``) and the numbers from
# 1e-5 up to 1e-4, written out (``0.00001234``, Python ``1.234e-05``).
# (Compiled at the first use, not at start-up.)
_ONE_DIGIT_EXPONENT = rb"e-([1-9])(?=[,\]])"
_WRITTEN_OUT = rb"0\.0000[1-9][0-9]*"  # found by its literal start
_CHECKS = (0.0, -0.0, 1.0, -12.0, 0.1, 1 / 3, 1e-4, 1e-5, 1.234e-05, -9.5e-05, 10.00001,
           1e-7, -2.5e-10, 5e-324, 2.2250738585072014e-308, 1e15, 123456789012345.6, 1e16,
           1.5e16, 9007199254740993.0, 1e22, -1e100, 1.7976931348623157e308, 7, -12)
_orjson_spells: bool | None = None


def numbers_json(numbers: Sequence[object]) -> bytes | None:
    """Compact JSON of a list of numbers or of lists of numbers, spelled as ``repr`` does.

    Each number is the text ``json.dumps`` gives it, ``[[1.0,1e-05],[2,-0.5]]``, made by
    orjson (about 20 times faster than ``repr`` for a float of 17 digits). ``None`` where a
    number is not finite (JSON has no text for it), where orjson cannot write an item, and
    if the installed orjson spells numbers in a way this module does not know.
    """
    global _orjson_spells
    import orjson

    if _orjson_spells is None:
        _orjson_spells = (_respell(orjson.dumps(_CHECKS))
                          == f"[{','.join(map(repr, _CHECKS))}]".encode())
    if not _orjson_spells:
        return None
    try:
        data = orjson.dumps(numbers)
    except TypeError:  # orjson.JSONEncodeError: an integer beyond 64 bits, not a number
        return None
    if b"null" in data:  # orjson writes nan and the infinities as null
        return None
    return _respell(data)


def _respell(data: bytes) -> bytes:
    data = re.sub(_ONE_DIGIT_EXPONENT, rb"e-0\1", data)
    if b"0.0000" not in data:
        return data

    def respell(match: re.Match[bytes]) -> bytes:
        start = match.start()
        if data[start - 1] == 45:  # "-": the sign stays
            start -= 1
        if data[start - 1] not in b",[":  # inside a number, as in 10.00001
            return match[0]
        return repr(float(match[0])).encode()

    return re.sub(_WRITTEN_OUT, respell, data)
