"""The intermediate representation: a flat, topologically ordered list of nodes.

Every node's arguments are indices of earlier nodes, so each pass over a graph is a
plain loop (forward in order, backward in reverse) and nothing recurses at any depth.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from .ops import INPUT
from .source import Source


class Node(NamedTuple):
    """One gate or leaf. ``start``/``end`` are offsets of its text in the source."""

    op: Any  # an ops.Op, or a blocks.Block for a user-defined function
    args: tuple[int, ...]
    start: int
    end: int
    name: str | None = None
    value: Any = None  # a constant's value, an input's default, an index's subscripts
    shape: tuple[int, ...] = ()  # () for a scalar; None inside a def body (per call)


class Graph(NamedTuple):
    """A program as a computational graph, with one output node.

    ``needs_grad[i]`` is false for constant nodes (nothing they depend on can vary), so
    the backward pass skips them; ``names`` maps every name the program gives to its
    node; ``params`` are the parameter nodes of a block's body.
    """

    nodes: tuple[Node, ...]
    output: int
    output_name: str
    source: Source
    needs_grad: tuple[bool, ...]
    names: dict[str, int] = {}  # noqa: RUF012 - never mutated
    params: tuple[int, ...] = ()
    arrays: bool = False  # some node is a vector or a matrix: the array engine runs it
    options: tuple[tuple[str, Any], ...] = ()  # how it was built (to rebuild it reshaped)

    @property
    def inputs(self) -> tuple[int, ...]:
        """Ids of the input nodes, in the order they first appear in the program."""
        return tuple(i for i, node in enumerate(self.nodes) if node.op is INPUT)

    def input_names(self) -> tuple[str, ...]:
        return tuple(self.nodes[i].name or "" for i in self.inputs)
