"""Where a gate has no derivative: the choices SPEC §3 makes at kinks and ties."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .graph import Graph


def kink_at(graph: Graph, node_id: int, values: Sequence[Any]) -> str | None:
    """Why a gate has no derivative at this point, if it has none (SPEC §3's choices)."""
    node = graph.nodes[node_id]
    name = node.op.name
    if name in ("abs", "relu", "sign", "step") and values[node.args[0]] == 0:
        return f"{name} at 0 is a kink: its derivative is taken as 0"
    if name in ("max", "min"):
        tied = sum(1 for a in node.args if values[a] == values[node_id])
        if tied > 1:
            return f"a tie in {name}: {tied} inputs are equal; the gradient follows --ties"
    return None
