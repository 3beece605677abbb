"""Where a gate has no derivative: the choices SPEC §3 makes at kinks and ties.

``kink_at`` is the one place that decides it, for every caller (``check``, the table's
notes, ``--explain``), from the op's own ``kink`` rule in the table of operations: ``abs``,
``relu``, ``sign`` and ``step`` at 0, equal arguments of ``max`` and ``min``, and a
``def`` at a kink or tie of a gate of its body. ``sqrt`` at 0 is not a kink: its
derivative there is infinite, not a choice, so it is a non-finite gradient (an error
unless non-finite numbers are let through).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .graph import Graph
from .ops import Kink


def kink_at(graph: Graph, node_id: int, values: Sequence[Any]) -> Kink | None:
    """The kink or tie of this gate at this point (its values), if it is at one."""
    node = graph.nodes[node_id]
    rule = node.op.kink
    if rule is None:
        return None
    return rule.at(values[node_id], *[values[a] for a in node.args])


__all__ = ["Kink", "kink_at"]
