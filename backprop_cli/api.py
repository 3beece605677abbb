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

from .builder import DEFAULT_MAX_BYTES, DEFAULT_MAX_NODES, build_graph, suggest
from .engine import Evaluation, evaluate_graph
from .errors import InputError
from .gcpause import paused_gc
from .graph import Graph
from .labels import all_labels
from .ops import CONSTANTS
from .source import Source


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
) -> Graph:
    """Parse a program into its graph; ``output`` picks a named node as the output."""
    source = Source(text, origin)
    graph = build_graph(source, expand=expand, max_nodes=max_nodes, max_bytes=max_bytes)
    if output is not None:
        graph = select_output(graph, output)
    return graph


def select_output(graph: Graph, name: str) -> Graph:
    node = graph.names.get(name)
    if node is None:
        raise InputError(
            f"--output {name}: the program has no node named '{name}'",
            hint=suggest(name, graph.names)
            or ("named nodes: " + ", ".join(graph.names) if graph.names else None),
        )
    return graph.with_output(node, name)


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
        if node is not None and node >= len(nodes):
            continue  # an input of a statement after the chosen output
        if node is not None:
            where = graph.source.line_col(nodes[node].start)
            raise InputError(
                f"cannot bind {name}: it is computed from other names "
                f"(line {where[0]}, column {where[1]})",
                hint="bind the inputs it is computed from instead: "
                + ", ".join(n for n in inputs) if inputs else None,
            )
        raise InputError(
            f"cannot bind {name}: the program has no input named '{name}'",
            hint=suggest(name, inputs) or (
                "its inputs are " + ", ".join(inputs) if inputs else "the program has no inputs"
            ),
        )
    bound: dict[int, float] = {}
    missing: list[str] = []
    for name, node in inputs.items():
        if name in values:
            bound[node] = float(values[name])
        elif nodes[node].value is not None:
            bound[node] = nodes[node].value  # type: ignore[assignment]
        else:
            missing.append(name)
    if missing:
        plural = "s" if len(missing) > 1 else ""
        raise InputError(
            f"missing value{plural} for input{plural} {', '.join(missing)}",
            hint=f"bind {'them' if plural else 'it'} on the command line: "
            + " ".join(f"{m}=VALUE" for m in missing),
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
    graph = parse_program(program, output=output, expand=expand)
    bound = bind_inputs(graph, values or {})
    for name, value in (values or {}).items():
        if not allow_nonfinite and not math.isfinite(float(value)):
            raise InputError(f"the value of {name} is not a finite number")
    return Result(evaluate_graph(graph, bound, allow_nonfinite=allow_nonfinite))


class Result:
    """What ``evaluate`` returns: the evaluation plus friendly views of it."""

    __slots__ = ("_records", "evaluation")

    def __init__(self, evaluation: Evaluation) -> None:
        self.evaluation = evaluation
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


def op_name(op: object) -> str:
    from .blocks import Block

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
