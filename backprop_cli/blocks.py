"""User-defined functions: a ``def`` is one gate whose rules run over its own body.

A block's body is a small Graph whose leaves are ``param`` nodes. Calls to other user
functions inside it are already inlined, so evaluating a block is one forward loop and
its local derivatives one backward loop over the body: no recursion, however deep the
chain of definitions.
"""

from __future__ import annotations

from typing import Any

from .graph import Graph
from .ops import ATOM, CALL


class Block:
    """A user-defined function, with the interface of an ``ops.Op``."""

    __slots__ = ("body", "name", "params")

    form = CALL
    precedence = ATOM
    is_leaf = False
    variadic = True  # the engine asks for all local gradients at once
    expansion = None
    kinks = None

    def __init__(self, name: str, params: tuple[str, ...], body: Graph) -> None:
        self.name = name
        self.params = params
        self.body = body

    def __repr__(self) -> str:
        return f"Block({self.name})"

    @property
    def summary(self) -> str:
        return f"user-defined function {self.name}({', '.join(self.params)})"

    @property
    def display(self) -> str:
        return self.name

    @property
    def min_args(self) -> int:
        return len(self.params)

    @property
    def max_args(self) -> int:
        return len(self.params)

    def forward(self, xp: Any, *args: Any) -> Any:
        from .engine import forward

        values = forward(self.body, dict(zip(self.body.params, args)), xp)
        return values[self.body.output]

    def local_gradients(self, xp: Any, out: Any, args: tuple, wanted: tuple[bool, ...]) -> list:
        from .engine import backward, forward

        body = self.body
        values = forward(body, dict(zip(body.params, args)), xp)
        grads = backward(body, values, xp)
        return [grads[p] if w else None for p, w in zip(body.params, wanted)]

    def explain_domain(self, *args: float) -> str | None:
        """Which gate of the body fails at these arguments, if one does."""
        import math

        from . import scalar_math
        from .engine import forward
        from .labels import all_labels

        body = self.body
        values = forward(body, dict(zip(body.params, args)), scalar_math)
        labels = all_labels(body)
        for i, value in enumerate(values):
            if not math.isfinite(value):
                node = body.nodes[i]
                reason = node.op.explain_domain(*[values[a] for a in node.args])
                inner = f"{labels[i]} in the body of {self.name}"
                return f"{inner}: {reason}" if reason else f"{inner} is not finite"
        return None
