"""The starting numbers of a program's parameters: ``randn``, ``uniform``, ``zeros``, ``ones``.

They are constant expressions, folded when the graph is built, so ``W1 = randn(16, 2) *
0.5`` makes ``W1`` an input whose default is that matrix (as ``x = -2`` makes ``x`` an
input with the default -2); a binding or ``--values`` replaces the default. The forms:

- ``randn(d0, d1, ...)``: standard normal numbers of shape ``(d0, d1, ...)``;
- ``uniform(low, high, d0, d1, ...)``: uniform on ``[low, high)``;
- ``zeros(d0, ...)``, ``ones(d0, ...)``: no randomness;

and the shape may be one list instead, ``randn([16, 2])``, ``uniform(-1, 1, [16, 2])``.
No dimensions give a scalar (``randn()``).

Reproducible: the build's ``seed`` (``--seed``, default 0) and the call's place among
the program's random calls decide the numbers. The k-th random call (from 0, in the
order of the text) draws from ``numpy.random.default_rng(SeedSequence(seed,
spawn_key=(k,)))``, the k-th child of ``SeedSequence(seed).spawn``: independent
streams, so a statement added elsewhere (with no random call before this one) leaves
these numbers as they were.
"""

from __future__ import annotations

from typing import Any

RANDOM = ("randn", "uniform")
INITIALISERS = (*RANDOM, "zeros", "ones")
MAX_ELEMENTS = 1 << 24  # 16M doubles, 128 MB: more is a mistake, not a model

# the arguments before the dimensions
_LEADING = {"randn": 0, "uniform": 2, "zeros": 0, "ones": 0}
_FORMS = {
    "randn": "randn(d0, d1, ...) or randn([d0, d1, ...])",
    "uniform": "uniform(low, high, d0, d1, ...) or uniform(low, high, [d0, d1, ...])",
    "zeros": "zeros(d0, d1, ...) or zeros([d0, d1, ...])",
    "ones": "ones(d0, d1, ...) or ones([d0, d1, ...])",
}


class InitialiserError(ValueError):
    """A call that names no shape or numbers: the message, and the form to write."""

    def __init__(self, message: str, name: str) -> None:
        super().__init__(message)
        self.hint = f"write {_FORMS[name]}"


def form(name: str) -> str:
    return _FORMS[name]


def draw(name: str, arguments: list[Any], seed: int, k: int) -> Any:
    """The value of ``name(*arguments)`` (the arguments folded to numbers or arrays), the
    ``k``-th random call of a build with ``seed``; a float when the shape is ()."""
    import numpy as np

    leading = _LEADING[name]
    if len(arguments) < leading:
        raise InitialiserError(f"{name} takes {leading} numbers before the dimensions, "
                               f"got {len(arguments)}", name)
    numbers = []
    for value in arguments[:leading]:
        if np.ndim(value):
            raise InitialiserError(f"{name}'s bounds are numbers, not arrays", name)
        numbers.append(float(value))
    shape = _shape(name, arguments[leading:])
    if name == "zeros":
        value = np.zeros(shape)
    elif name == "ones":
        value = np.ones(shape)
    else:
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(k,)))
        if name == "randn":
            value = rng.standard_normal(shape)
        else:
            low, high = numbers
            if not (np.isfinite(low) and np.isfinite(high)) or high < low:
                raise InitialiserError(f"uniform({low:g}, {high:g}, ...): the bounds must be "
                                       "finite, the low one first", name)
            value = rng.uniform(low, high, shape)
    return float(value) if not shape else value


def _shape(name: str, dims: list[Any]) -> tuple[int, ...]:
    import numpy as np

    if len(dims) == 1 and np.ndim(dims[0]) == 1:
        dims = list(dims[0])
    elif any(np.ndim(d) for d in dims):
        raise InitialiserError(f"{name}: give the dimensions as numbers or as one list", name)
    shape = []
    for d in dims:
        d = float(d)
        if not (d.is_integer() and d >= 1):
            raise InitialiserError(f"{name}: a dimension must be a whole number from 1 up, "
                                   f"not {d:g}", name)
        shape.append(int(d))
    size = 1
    for n in shape:
        size *= n
        if size > MAX_ELEMENTS:
            raise InitialiserError(f"{name}: {'x'.join(map(str, shape))} is more than "
                                   f"{MAX_ELEMENTS:,} numbers", name)
    return tuple(shape)
