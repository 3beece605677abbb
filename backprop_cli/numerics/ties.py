"""Who gets the gradient of max and min when arguments tie.

``first`` (the default, SPEC §3): the first tied argument gets it all. ``split``: the
tied arguments share it evenly, as PyTorch and JAX do. ``all``: every tied argument gets
all of it, the tutorials' "1 if x >= y". A namespace with another rule is the same
namespace with its ``max_mask`` and ``min_mask`` replaced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..core.namespace import NumberSystem

RULES = ("first", "split", "all")


class WithTies:
    """``xp``, with max/min gradients routed by another tie rule."""

    def __init__(self, xp: NumberSystem, rule: str) -> None:
        self._xp = xp
        self._rule = rule

    def __getattr__(self, name: str) -> Any:
        return getattr(self._xp, name)

    def max_mask(self, out: Any, *args: Any) -> list[Any]:
        return self._mask(out, args)

    def min_mask(self, out: Any, *args: Any) -> list[Any]:
        return self._mask(out, args)

    def _mask(self, out: Any, args: tuple[Any, ...]) -> list[Any]:
        xp = self._xp
        if xp.batched:  # arrays of points: every row at once
            tied = [xp.where(a == out, 1.0, 0.0) for a in args]
            if self._rule == "all":
                return tied
            count = sum(tied)
            return [t / count for t in tied]
        first = xp.max_mask(out, *args)
        tied = [a == out for a in args]
        count = sum(tied)
        if count <= 1:
            return first
        one = first[tied.index(True)]  # 1 in this namespace's own number type
        zero = one - one
        if self._rule == "all":
            return [one if t else zero for t in tied]
        share = one / count
        return [share if t else zero for t in tied]


def namespace(xp: NumberSystem, rule: str) -> NumberSystem:
    return xp if rule == "first" else WithTies(xp, rule)
