"""The Python API: parse a program, bind its inputs, evaluate it.

>>> from backprop_cli import evaluate
>>> result = evaluate("(x + y) * z", {"x": 1, "y": 3, "z": -3})
>>> result.value, result.gradient
(-12.0, {'x': -3.0, 'y': -3.0, 'z': 4.0})
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

from .core import scalar_math
from .core.blocks import Block
from .core.engine import Evaluation, evaluate_graph
from .core.errors import InputError
from .core.gcpause import paused_gc
from .core.graph import Graph
from .core.labels import all_labels
from .core.names import input_ids, inputs_under, name_list, unknown_name_hint
from .core.numbers import format_number
from .core.ops import CONSTANTS
from .core.source import Source
from .language.builder import DEFAULT_MAX_BYTES, DEFAULT_MAX_NODES, build_graph


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
    input_shapes: Mapping[str, tuple[int, ...]] | None = None,
    seed: int = 0,
    bind_later: bool = False,
) -> Graph:
    """Parse a program into its graph; ``output`` picks a named node as the output.

    ``inline_functions`` copies user functions in at their calls (same gradients, no
    block gates): what a loop that reruns the passes many times wants. ``input_shapes``
    gives the shapes of inputs the program does not assign (bound to arrays, see
    ``array_shapes``, or given by a data file's element columns); the others are scalars.
    ``bind_later``: the other inputs may still be bound to arrays (``evaluate_at``
    infers and checks the shapes that rest on them once they are bound).
    """
    source = Source(text, origin)
    return build_graph(source, expand=expand, max_nodes=max_nodes, max_bytes=max_bytes,
                       output=output, allow_nonfinite=allow_nonfinite,
                       inline_functions=inline_functions,
                       input_shapes=dict(input_shapes) if input_shapes else None, seed=seed,
                       bind_later=bind_later)


def array_shapes(values: Mapping[str, Any]) -> dict[str, tuple[int, ...]]:
    """The shape of every value that is an array (nested lists or an ndarray)."""
    shapes = {}
    for name, value in values.items():
        if not isinstance(value, int | float):
            try:
                shapes[name] = value_shape(name, value)
            except InputError:
                continue  # binding says what is wrong with it
    return shapes


def _as_number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"the value of {name} must be a number, not {type(value).__name__}")
    try:
        return float(value)
    except OverflowError:
        raise InputError(f"the value of {name} is too large for a double") from None


def value_shape(name: str, value: object) -> tuple[int, ...]:
    """The shape of a bound value: () for a number, an array's (a list is made one)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return ()
    if getattr(value, "dtype", None) is not None and value.dtype.kind == "f":  # type: ignore[attr-defined]
        return value.shape  # type: ignore[attr-defined, no-any-return]
    from .values import as_array

    return as_array(name, value).shape


def _as_value(name: str, value: object, shape: tuple[int, ...]) -> Any:
    """A bound value as the engine takes it, of the shape the program gives the input."""
    from .core.shapes import describe

    given = value_shape(name, value)
    if given != shape:
        raise InputError(
            f"{name} is {describe(given)}, but the program uses it as {describe(shape)}")
    if not shape:
        return _as_number(name, value)
    from .values import as_array

    return as_array(name, value)


def shaped_for(graph: Graph, values: Mapping[str, Any]) -> Graph:
    """The graph for these bindings: built again when an input the program does not
    assign is bound to an array (or to another shape than it was built with), so that
    every shape is known, and checked, before anything is evaluated."""
    nodes = graph.nodes
    inputs = input_ids(graph)
    shapes: dict[str, tuple[int, ...]] = {}
    # shapes that waited for the bindings (an input bound later met an array op)
    rebuild = graph.arrays and any(node.shape is None for node in nodes)
    for name, node in inputs.items():
        if name not in values or nodes[node].value is not None:
            continue
        shape = value_shape(name, values[name])
        shapes[name] = shape  # a scalar too: every bound input's shape is now known
        rebuild = rebuild or shape != nodes[node].shape
    if not rebuild:
        return graph
    from .language.builder import reshaped

    return reshaped(graph, shapes)


def bind_inputs(graph: Graph, values: Mapping[str, float]) -> dict[int, float]:
    """Input node id -> value, from the bindings and the program's own defaults.

    Raises an InputError for a binding of a name that is not an input, and one error
    listing every input that has no value.
    """
    nodes = graph.nodes
    inputs = input_ids(graph)
    for name in values:
        if name in inputs:
            continue
        if name in CONSTANTS:
            raise InputError(f"cannot bind {name}: it is a constant")
        node = graph.names.get(name)
        if node is not None:
            under = inputs_under(graph, node)
            raise InputError(
                f"cannot bind {name}: it is computed from other names",
                source=graph.source, start=nodes[node].start, end=nodes[node].end,
                hint=f"bind what it is computed from instead: {name_list(under)}"
                if under else None,
            )
        raise InputError(
            f"cannot bind {name}: the program has no input named '{name}'",
            hint=unknown_name_hint(name, list(inputs)),
        )
    bound: dict[int, float] = {}
    missing: list[str] = []
    for name, node in inputs.items():
        if name in values:
            bound[node] = _as_value(name, values[name], nodes[node].shape)
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
    ties: str = "first",
    exact: bool = False,
    max_digits: int | None = None,
) -> Result:
    """Parse, bind and evaluate a program: its value, input gradients and every node.

    The options are ``backprop eval``'s: see ``evaluate_at``.
    """
    graph = parse_program(program, output=output, expand=expand,
                          allow_nonfinite=allow_nonfinite,
                          input_shapes=array_shapes(values or {}), bind_later=True)
    return evaluate_at(graph, values or {}, ties=ties, exact=exact,
                       allow_nonfinite=allow_nonfinite, max_digits=max_digits)


def evaluate_at(
    graph: Graph,
    values: Mapping[str, float],
    *,
    ties: str = "first",
    exact: bool = False,
    allow_nonfinite: bool = False,
    max_digits: int | None = None,
) -> Result:
    """Evaluate a parsed program at one point: what ``backprop eval`` runs.

    ``ties`` routes the gradient of max and min between tied arguments: ``first`` (all
    to the first), ``split`` (shared evenly) or ``all`` (each gets all of it).
    ``exact`` computes in rationals (``Result.exact`` holds them; the floats are their
    nearest doubles) and refuses ops that have no rational value. ``max_digits`` bounds
    the size of every rational it makes, numerator and denominator (default 100,000
    digits): a result over it is a LimitError naming the gate. ``allow_nonfinite``
    lets inf and nan through instead of raising an EvaluationError.
    """
    from .numerics import ties as tie_rules

    if ties not in tie_rules.RULES:
        raise InputError(f"unknown tie rule {ties!r}: use one of {', '.join(tie_rules.RULES)}")
    if max_digits is not None:
        if not exact:
            raise InputError("max_digits bounds exact arithmetic: pass exact=True too")
        if isinstance(max_digits, bool) or not isinstance(max_digits, int) or max_digits < 1:
            raise InputError(f"max_digits must be a positive integer, not {max_digits!r}")
    graph = shaped_for(graph, values)
    bound = bind_inputs(graph, values)
    if not allow_nonfinite:
        for name, value in values.items():
            if not _all_finite(value):
                raise InputError(f"the value of {name} is not a finite number")
    if exact:
        return _evaluate_exact(graph, bound, ties, max_digits)
    if graph.arrays:
        from .numerics.tensor_math import POINT

        xp = tie_rules.namespace(POINT, ties)
        return Result(evaluate_graph(graph, bound, allow_nonfinite=allow_nonfinite, xp=xp),
                      xp=xp)
    xp = tie_rules.namespace(scalar_math, ties)
    return Result(evaluate_graph(graph, bound, allow_nonfinite=allow_nonfinite, xp=xp), xp=xp)


def _all_finite(value: Any) -> bool:
    if isinstance(value, int | float):
        return math.isfinite(float(value))
    import numpy as np

    try:
        return bool(np.all(np.isfinite(np.asarray(value, dtype=float))))
    except (TypeError, ValueError, OverflowError):
        return True  # not numbers: binding says what is wrong with it


def _evaluate_exact(graph: Graph, bound: Mapping[int, float], ties: str,
                    max_digits: int | None = None) -> Result:
    """Rational values and gradients, and the doubles nearest them; no rational made on
    the way has more than ``max_digits`` digits (``exact_math.bounded``). A program with
    arrays runs on rational arrays (``exact_arrays``): its exact values are arrays of
    fractions that print as nested lists."""
    from .numerics import exact_math
    from .numerics import ties as tie_rules

    exact_math.check_program(graph)
    if graph.arrays:
        from .numerics import exact_arrays

        xp = tie_rules.namespace(exact_arrays.POINT, ties)
        lift, to_float, shown = exact_arrays.exact, exact_arrays.to_floats, exact_arrays.shown
    else:
        xp = tie_rules.namespace(exact_math, ties)
        lift, to_float, shown = exact_math.lift, exact_math.to_float, exact_math.lift
    leaves = {i: lift(v) for i, v in bound.items()}
    leaves.update({i: lift(node.value) for i, node in enumerate(graph.nodes)
                   if node.op.name == "const"})
    with exact_math.bounded(max_digits or exact_math.DEFAULT_MAX_DIGITS):
        rational = evaluate_graph(graph, leaves, allow_nonfinite=True, xp=xp)
    values = [shown(v) for v in rational.values]
    grads = [shown(g) for g in rational.grads]
    floats = Evaluation(graph, [to_float(v) for v in values], [to_float(g) for g in grads])
    return Result(floats, exact=(values, grads), xp=xp)


class Result:
    """What ``evaluate`` returns: the evaluation plus friendly views of it."""

    __slots__ = ("_records", "evaluation", "exact", "xp")

    def __init__(self, evaluation: Evaluation, exact: tuple[list, list] | None = None,
                 xp: Any = None) -> None:
        self.evaluation = evaluation
        self.exact = exact  # rational values and gradients, with exact=True
        self.xp = xp  # the number system it was computed in (for the explanation)
        self._records: list[NodeRecord] | None = None

    @property
    def numbers(self) -> tuple[list, list]:
        """Every node's value and gradient in the number system of the evaluation."""
        if self.exact is not None:
            return self.exact
        return self.evaluation.values, self.evaluation.grads

    def number_text(self, node_id: int, grad: bool = False) -> str:
        """One value or gradient as the outputs write it: round-trip text, or a fraction."""
        if self.exact is not None:
            return str(self.exact[1 if grad else 0][node_id])
        numbers = self.evaluation.grads if grad else self.evaluation.values
        return format_number(numbers[node_id])

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
