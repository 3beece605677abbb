"""User-defined functions: a ``def`` is one gate whose rules run over its own body.

A block's body is a small Graph whose leaves are ``param`` nodes; calls to other user
functions stay blocks in it. For evaluation a block uses its flat body, where those
calls are copied in (``builder.flatten``, an explicit stack), so evaluating a block is
one forward loop and its local derivatives one backward loop: no recursion, however
deep the chain of definitions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .graph import Graph
from .ops import ATOM, CALL, Kink, KinkRule

if TYPE_CHECKING:
    from .namespace import NumberSystem


class Block:
    """A user-defined function, with the interface of an ``ops.Op``."""

    __slots__ = ("body", "expanded_size", "flat_body", "flat_size", "name", "params")

    form = CALL
    precedence = ATOM
    is_leaf = False
    per_argument = False  # the engine asks for all local gradients at once
    expansion = None
    kinks = None
    keeps_nonfinite = False  # a body may turn inf into a finite number
    pattern = None  # --explain names a def's pattern itself
    pattern_with_constant = None
    static = False
    vjps = ()
    shape_rule = None

    def __init__(self, name: str, params: tuple[str, ...], body: Graph) -> None:
        self.name = name
        self.params = params
        self.body = body
        self.flat_body: Graph | None = None  # set by the builder before evaluation
        self.flat_size = 0  # gates in the flat body, and with composite gates expanded
        self.expanded_size = 0

    def __repr__(self) -> str:
        return f"Block({self.name})"

    @property
    def tensor(self) -> bool:
        """Whether the body has arrays of its own (a literal or a tensor op)."""
        return self.body.arrays

    @property
    def summary(self) -> str:
        return f"user-defined function {self.name}({', '.join(self.params)})"

    @property
    def display(self) -> str:
        return self.name

    @property
    def kink(self) -> KinkRule:
        """A def is at a kink where a gate of its body is (``kinks.kink_at``)."""
        return KinkRule("at a kink or tie of a gate of its body", self._kink_in_body)

    def _kink_in_body(self, out: Any, *args: Any) -> Kink | None:
        """The first kink or tie, from the body's output back, of the gates of the body
        at these arguments. The flat body has no calls left in it, so this looks one
        level down only."""
        from . import scalar_math
        from .engine import forward
        from .kinks import kink_at

        body = self.flat_body or self.body
        values = forward(body, dict(zip(body.params, args)), scalar_math)
        reached = {body.output}
        for i in range(body.output, -1, -1):
            if i not in reached:
                continue
            reached.update(body.nodes[i].args)
            found = kink_at(body, i, values)
            if found is not None:
                return Kink(found.kind, f"{found.reason} (in the body of {self.name})")
        return None

    @property
    def min_args(self) -> int:
        return len(self.params)

    @property
    def max_args(self) -> int:
        return len(self.params)

    def forward(self, xp: NumberSystem, *args: Any) -> Any:
        from .engine import forward

        body = self.flat_body or self.body
        values = forward(body, dict(zip(body.params, args)), xp)
        return values[body.output]

    def local_gradients(self, xp: NumberSystem, out: Any, args: tuple[Any, ...],
                        wanted: tuple[bool, ...]) -> list[Any]:
        from .engine import backward, forward

        body = self.flat_body or self.body
        values = forward(body, dict(zip(body.params, args)), xp)
        grads = backward(body, values, xp)
        return [grads[p] if w else None for p, w in zip(body.params, wanted)]

    def vjp(self, xp: NumberSystem, g: Any, args: tuple[Any, ...],
            wanted: tuple[bool, ...]) -> list[Any]:
        """The gradient reaching each argument from ``g``: the body's backward loop over
        arrays, seeded with the upstream gradient."""
        from .engine import backward_arrays, forward

        body = self.flat_body or self.body
        values = forward(body, dict(zip(body.params, args)), xp)
        grads = backward_arrays(body, values, xp, seed=g)
        return [grads[p] if w else None for p, w in zip(body.params, wanted)]

    def explain_domain(self, *args: float) -> str | None:
        """Which gate of the body fails at these arguments, if one does."""
        import math

        from . import scalar_math
        from .engine import forward
        from .labels import all_labels

        body = self.flat_body or self.body
        values = forward(body, dict(zip(body.params, args)), scalar_math)
        labels = all_labels(body)
        for i, value in enumerate(values):
            if not math.isfinite(value):
                node = body.nodes[i]
                reason = node.op.explain_domain(*[values[a] for a in node.args])
                inner = f"{labels[i]} in the body of {self.name}"
                return f"{inner}: {reason}" if reason else f"{inner} is not finite"
        return None
