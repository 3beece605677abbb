"""The Python API: parse a program, bind its inputs, evaluate it.

>>> from backprop_cli import evaluate
>>> result = evaluate("(x + y) * z", {"x": 1, "y": 3, "z": -3})
>>> result.value, result.gradient
(-12.0, {'x': -3.0, 'y': -3.0, 'z': 4.0})
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import NamedTuple

from .core.blocks import Block
from .core.engine import Evaluation, evaluate_graph
from .core.errors import InputError
from .core.gcpause import paused_gc
from .core.graph import Graph
from .core.labels import all_labels
from .core.ops import CONSTANTS
from .core.source import Source
from .language.builder import DEFAULT_MAX_BYTES, DEFAULT_MAX_NODES, build_graph, suggest


class NodeRecord(NamedTuple):
    """One row of the result: what the table, JSON and CSV outputs show."""

    id: int
    name: str | None
    op: str
    label: str
    inputs: tuple[int, ...]
    value: float
    grad: float


def parse_program(
    text: str,
    *,
    origin: str = "<argument>",
    output: str | None = None,
    expand: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_bytes: int = DEFAULT_MAX_BYTES,
    allow_nonfinite: bool = False,
    inline_functions: bool = False,
) -> Graph:
    """Parse a program into its graph; ``output`` picks a named node as the output.

    ``inline_functions`` copies user functions in at their calls (same gradients, no
    block gates): what a loop that reruns the passes many times wants.
    """
    source = Source(text, origin)
    return build_graph(source, expand=expand, max_nodes=max_nodes, max_bytes=max_bytes,
                       output=output, allow_nonfinite=allow_nonfinite,
                       inline_functions=inline_functions)


def name_list(names: list[str], limit: int = 12) -> str:
    """``a, b, c`` or ``a, b, c and 997 more``."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit:,} more"


def _inputs_under(graph: Graph, node_id: int) -> list[str]:
    """The inputs a node is computed from, in order (a loop over its ancestors)."""
    nodes = graph.nodes
    reached = {node_id}
    for i in range(node_id, -1, -1):
        if i in reached:
            reached.update(nodes[i].args)
    return [nodes[i].name or "" for i in graph.inputs if i in reached]


def _as_number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"the value of {name} must be a number, not {type(value).__name__}")
    try:
        return float(value)
    except OverflowError:
        raise InputError(f"the value of {name} is too large for a double") from None


def bind_inputs(graph: Graph, values: Mapping[str, float]) -> dict[int, float]:
    """Input node id -> value, from the bindings and the program's own defaults.

    Raises an InputError for a binding of a name that is not an input, and one error
    listing every input that has no value.
    """
    nodes = graph.nodes
    inputs = {nodes[i].name: i for i in graph.inputs}
    for name in values:
        if name in inputs:
            continue
        if name in CONSTANTS:
            raise InputError(f"cannot bind {name}: it is a constant")
        node = graph.names.get(name)
        if node is not None:
            under = _inputs_under(graph, node)
            raise InputError(
                f"cannot bind {name}: it is computed from other names",
                source=graph.source, start=nodes[node].start, end=nodes[node].end,
                hint=f"bind what it is computed from instead: {name_list(under)}"
                if under else None,
            )
        raise InputError(
            f"cannot bind {name}: the program has no input named '{name}'",
            hint=suggest(name, inputs) or (
                f"its inputs are {name_list(list(inputs))}" if inputs
                else "the program has no inputs"
            ),
        )
    bound: dict[int, float] = {}
    missing: list[str] = []
    for name, node in inputs.items():
        if name in values:
            bound[node] = _as_number(name, values[name])
        elif nodes[node].value is not None:
            bound[node] = nodes[node].value  # type: ignore[assignment]
        else:
            missing.append(name)
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise InputError(
            f"missing value{plural} for input{plural} {name_list(missing, 50)}",
            hint=f"bind {'them' if plural else 'it'}: "
            + " ".join(f"{m}=VALUE" for m in missing[:5]) + (" ..." if len(missing) > 5 else ""),
        )
    return bound


def evaluate(
    program: str,
    values: Mapping[str, float] | None = None,
    *,
    output: str | None = None,
    expand: bool = False,
    allow_nonfinite: bool = False,
) -> Result:
    """Parse, bind and evaluate a program: its value, input gradients and every node."""
    graph = parse_program(program, output=output, expand=expand,
                          allow_nonfinite=allow_nonfinite)
    bound = bind_inputs(graph, values or {})
    for name, value in (values or {}).items():
        if not allow_nonfinite and not math.isfinite(float(value)):
            raise InputError(f"the value of {name} is not a finite number")
    return Result(evaluate_graph(graph, bound, allow_nonfinite=allow_nonfinite))


class Result:
    """What ``evaluate`` returns: the evaluation plus friendly views of it."""

    __slots__ = ("_records", "evaluation", "exact")

    def __init__(self, evaluation: Evaluation, exact: tuple[list, list] | None = None) -> None:
        self.evaluation = evaluation
        self.exact = exact  # rational values and gradients, with --exact
        self._records: list[NodeRecord] | None = None

    @property
    def graph(self) -> Graph:
        return self.evaluation.graph

    @property
    def output(self) -> str:
        return self.evaluation.graph.output_name

    @property
    def value(self) -> float:
        return self.evaluation.value

    @property
    def gradient(self) -> dict[str, float]:
        return self.evaluation.gradient

    @property
    def nodes(self) -> list[NodeRecord]:
        if self._records is None:
            self._records = node_records(self.evaluation)
        return self._records

    def labels(self) -> list[str]:
        """Every node's label, without making the records if they are not made yet."""
        if self._records is not None:
            return [record.label for record in self._records]
        with paused_gc():
            return all_labels(self.graph)


def op_name(op: object) -> str:
    return "def" if isinstance(op, Block) else op.name  # type: ignore[attr-defined]


def node_records(evaluation: Evaluation) -> list[NodeRecord]:
    graph = evaluation.graph
    values, grads = evaluation.values, evaluation.grads
    with paused_gc():
        labels = all_labels(graph)
        return [
            NodeRecord(i, node.name, op_name(node.op), labels[i], node.args, values[i], grads[i])
            for i, node in enumerate(graph.nodes)
        ]
