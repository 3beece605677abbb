"""Random small array programs for the array commands' property tests: a matrix ``W``
(2x3), vectors ``x`` (3) and ``y`` (2) and a scalar ``c``, combined by elementwise
functions, broadcasting, ``@``, ``.T``, indexing, literals and reductions; smooth
everywhere the points are drawn (so the gradient has a derivative to compare with)."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

SHAPES = {"W": (2, 3), "x": (3,), "y": (2,), "c": ()}

# each template takes expressions of the shape it names: X a 3-vector, Y a 2-vector
_VECTOR_3 = ["sin({X})", "tanh({X})", "({X} * {X})", "({X} + c)", "exp({X} * 0.3)",
             "({X} / (2 + {X} * {X}))", "softmax({X})", "log_softmax({X})", "(W.T @ {Y})",
             "({X} * c)", "sigmoid({X})", "({X} - [1, 0.5, -1])", "({X} ^ 2)"]
_VECTOR_2 = ["(W @ {X})", "tanh({Y})", "({Y} * {Y})", "({Y} + {X}[0:2])",
             "[{X}[0] * {Y}[1], {S}]", "softplus({Y})"]
_SCALAR = ["sum({X})", "mean({X})", "dot({X}, x)", "logsumexp({X})", "sum({Y} * {Y})",
           "({S} * {S})", "sin({S})", "(x[1] * {S})", "norm({X} + 3)", "sum(W * outer({Y}, {X}))",
           "({S} + c * c)"]


@st.composite
def array_programs(draw: st.DrawFn, depth: int = 3) -> str:
    """A program whose output is a scalar of W, x, y and c."""

    def expr(kind: str, level: int) -> str:
        if level <= 0:
            return {"X": "x", "Y": "y", "S": "c"}[kind]
        table = {"X": _VECTOR_3, "Y": _VECTOR_2, "S": _SCALAR}[kind]
        template = draw(st.sampled_from(table))
        parts = {k: expr(k, level - 1) for k in ("X", "Y", "S") if "{" + k + "}" in template}
        return template.format(**parts)

    # the inputs' shapes given by defaults in the program (the values are bound)
    return PREAMBLE + expr("S", depth) + " + sum(x) * c"


PREAMBLE = "W = [[0, 0, 0], [0, 0, 0]]; x = [0, 0, 0]; y = [0, 0]; c = 0; "


@st.composite
def array_points(draw: st.DrawFn) -> dict[str, object]:
    """Values for W, x, y, c: small, away from the kinks of nothing (all smooth)."""
    value = st.floats(-1.5, 1.5, allow_nan=False).map(lambda v: round(v, 3))
    point: dict[str, object] = {}
    for name, shape in SHAPES.items():
        size = int(np.prod(shape, dtype=int))
        numbers = draw(st.lists(value, min_size=size, max_size=size))
        point[name] = numbers[0] if not shape else np.array(numbers).reshape(shape).tolist()
    return point
