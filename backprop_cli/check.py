"""``check``: each input's backprop gradient against a central finite difference."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from .core.engine import evaluate_graph, forward
from .core.graph import Graph
from .core.kinks import kink_at


class CheckReport(NamedTuple):
    """What ``check`` shows: a row per input, the tolerance, the output's name."""

    rows: list[CheckRow]
    tol: float
    output: str


class CheckRow(NamedTuple):
    name: str
    analytic: float
    numeric: float
    abs_error: float
    rel_error: float
    status: str  # "ok", "FAIL" or "kink"


def _scalar_kink(graph: Graph, node_id: int, values: Sequence[Any]) -> bool:
    return graph.nodes[node_id].op.kink is not None and kink_at(graph, node_id, values) is not None


def _inputs_at_kinks(graph: Graph, values: Sequence[Any],
                     at_kink: Callable[[Graph, int, Sequence[Any]], bool] = _scalar_kink,
                     ) -> set[int]:
    """The inputs that feed a gate at a kink or a tie (``kinks.kink_at``: abs or relu at
    0, equal arguments of max, a def at one of its body's) on a path to the output.

    Their derivative there is SPEC §3's choice, not a limit a finite difference could
    confirm, whether or not the two happen to agree. An input that reaches no such gate
    (the gate's branch does not depend on it, or does not reach the output) is checked
    as usual.
    """
    nodes = graph.nodes
    reached = [False] * len(nodes)
    feeds_a_kink = [False] * len(nodes)
    reached[graph.output] = True
    for i in range(graph.output, -1, -1):
        if not reached[i]:
            continue
        node = nodes[i]
        below = feeds_a_kink[i] or at_kink(graph, i, values)
        for a in node.args:
            reached[a] = True
            if below:
                feeds_a_kink[a] = True
    return {i for i in graph.inputs if feeds_a_kink[i]}


def gradient_check(graph: Graph, point: Mapping[int, float], tol: float) -> list[CheckRow]:
    """Each input's backprop gradient against a central finite difference (for a
    program with arrays, each element of each input: ``w[0]``, ``W[1,0]``)."""
    if graph.arrays:
        return _array_check(graph, point, tol)
    evaluation = evaluate_graph(graph, point)
    at_kinks = _inputs_at_kinks(graph, evaluation.values)
    out = graph.output
    rows = []
    for i in graph.inputs:
        x = point[i]
        def at(v: float, i: int = i) -> float:
            return forward(graph, {**point, i: v})[out]

        numeric = _central_difference(at, x)
        rows.append(_row(graph.nodes[i].name or "", evaluation.grads[i], numeric, tol,
                         i in at_kinks))
    return rows


def _row(name: str, analytic: float, numeric: float, tol: float, at_kink: bool) -> CheckRow:
    abs_error = abs(analytic - numeric)
    scale = max(abs(analytic), abs(numeric))
    rel_error = abs_error / scale if scale else 0.0
    # at a kink the table decides, not a disagreement of the two numbers
    passed = min(abs_error, rel_error) <= tol
    status = "kink" if at_kink else ("ok" if passed else "FAIL")
    return CheckRow(name, analytic, numeric, abs_error, rel_error, status)


def _array_check(graph: Graph, point: Mapping[int, Any], tol: float) -> list[CheckRow]:
    """Every element of every input: its gradient from the array backward pass against
    a central difference of the output in that element alone.

    An element is at a kink when moving it alone moves an operand of a gate, in an
    element where that gate is at a kink or a tie (``relu`` of ``[0, 1]`` is at a kink in
    its first element only, so ``x[1]`` is checked as usual).
    """
    import numpy as np

    from .core.numbers import element_names
    from .numerics.tensor_math import POINT

    evaluation = evaluate_graph(graph, point, xp=POINT)
    values = evaluation.values
    kinked = _kinked_operands(graph, values)
    out = graph.output
    rows = []
    for i in graph.inputs:
        node = graph.nodes[i]
        shape = tuple(node.shape or ())
        base = point[i]
        grad = np.broadcast_to(np.asarray(evaluation.grads[i], dtype=float), shape)
        for k, name in enumerate(element_names(node.name or "", shape)):
            def moved(v: float, i: int = i, k: int = k, base: Any = base,
                      shape: tuple[int, ...] = shape) -> list[Any]:
                if not shape:
                    value: Any = v
                else:
                    value = np.array(base, dtype=float)
                    value.flat[k] = v
                with np.errstate(all="ignore"):
                    return forward(graph, {**point, i: value}, POINT)

            def at(v: float, moved: Callable[[float], list[Any]] = moved) -> float:
                return float(moved(v)[out])

            x = float(base) if not shape else float(np.asarray(base, dtype=float).flat[k])
            numeric = _central_difference(at, x)
            at_kink = False
            if kinked:
                nudged = moved(x + 6.0554544523933395e-06 * max(1.0, abs(x)))
                at_kink = any(bool(np.any(mask & (np.asarray(nudged[a]) != np.asarray(values[a]))))
                              for a, mask in kinked)
            rows.append(_row(name, float(grad.flat[k]), numeric, tol, at_kink))
    return rows


def _kinked_operands(graph: Graph, values: Sequence[Any]) -> list[tuple[int, Any]]:
    """The operands of the gates on a path to the output that are at a kink or a tie in
    some element, each with the mask of those elements (in the operand's shape).

    Elementwise ops ask the op's own rule (``kinks.kink_at``) element by element;
    ``max(x)`` and ``min(x)`` of one array ask max's tie rule over the elements; a def
    over arrays at a kink of its body marks its operands whole.
    """
    import numpy as np

    from .core.ops import OPS

    nodes = graph.nodes
    reached = [False] * len(nodes)
    reached[graph.output] = True
    found: list[tuple[int, Any]] = []
    for i in range(graph.output, -1, -1):
        if not reached[i]:
            continue
        node = nodes[i]
        for a in node.args:
            reached[a] = True
        op = node.op
        operands = [np.asarray(values[a], dtype=float) for a in node.args]
        if op.name in ("amax", "amin") and getattr(op, "body", None) is None:
            tie = OPS["max"].kink
            assert tie is not None
            x = operands[0]
            if tie.at(values[i], *x.ravel().tolist()) is not None:
                found.append((node.args[0], x == values[i]))
            continue
        if op.kink is None:
            continue
        if not any(v.ndim for v in operands) and np.ndim(values[i]) == 0:
            if kink_at(graph, i, values) is not None:
                found.extend((a, np.True_) for a in node.args)
            continue
        if getattr(op, "body", None) is not None:
            if _body_at_kink(op, [values[a] for a in node.args]):
                found.extend((a, np.ones(np.shape(values[a]), dtype=bool)) for a in node.args)
            continue
        everything = np.broadcast_arrays(np.asarray(values[i], dtype=float), *operands)
        flat = [v.ravel().tolist() for v in everything]
        mask = np.array([op.kink.at(*element) is not None for element in zip(*flat)],
                        dtype=bool).reshape(everything[0].shape)
        if mask.any():
            for a, v in zip(node.args, operands):
                found.append((a, _summed_to(mask, v.shape)))
    return found


def _body_at_kink(block: Any, args: list[Any]) -> bool:
    """Whether a def over arrays is at a kink or a tie of a gate of its body at these
    arguments (its flat body has no calls left: one level down only)."""
    import numpy as np

    from .numerics.tensor_math import POINT

    body = block.flat_body or block.body
    with np.errstate(all="ignore"):
        values = forward(body, dict(zip(body.params, args)), POINT)
    return bool(_kinked_operands(body, values))


def _summed_to(mask: Any, shape: tuple[int, ...]) -> Any:
    """A mask of a broadcast result, back in an operand's shape: an element of the
    operand is marked where any element it broadcast to is."""

    extra = mask.ndim - len(shape)
    if extra:
        mask = mask.any(axis=tuple(range(extra)))
    axes = tuple(k for k, n in enumerate(shape) if n == 1 and mask.shape[k] != 1)
    if axes:
        mask = mask.any(axis=axes, keepdims=True)
    return mask.reshape(shape)


def _central_difference(f: Callable[[float], float], x: float) -> float:
    """Central differences at two steps, combined by Richardson extrapolation (error h^4).

    The step starts at the cube root of the machine epsilon times the scale of ``x``
    and shrinks while a side of it leaves the function's domain (sqrt near 0).
    """
    h = 6.0554544523933395e-06 * max(1.0, abs(x))
    for _ in range(60):
        up, down, up2, down2 = f(x + h), f(x - h), f(x + h / 2), f(x - h / 2)
        if all(map(math.isfinite, (up, down, up2, down2))):
            coarse = (up - down) / (2 * h)
            fine = (up2 - down2) / h
            return (4 * fine - coarse) / 3
        # a side left the domain: step well inside the distance to the edge
        h = abs(x) * 1e-3 if x and h > abs(x) * 1e-3 else h / 8
    return math.nan


def element_kink(graph: Graph, node_id: int, values: Sequence[Any]) -> str | None:
    """Why a gate of a program with arrays is at a kink or a tie, if it is (what
    ``--explain`` flags): the first element where it is, by the same rules as ``check``."""
    import numpy as np

    from .core.ops import OPS

    node = graph.nodes[node_id]
    op = node.op
    out = values[node_id]
    if op.name in ("amax", "amin") and getattr(op, "body", None) is None:
        tie = OPS["max"].kink
        assert tie is not None
        found = tie.at(out, *np.ravel(np.asarray(values[node.args[0]], dtype=float)).tolist())
        if found is None:
            return None
        return found.reason.replace("inputs", "elements").replace(" max", f" {op.name[1:]}(x)")
    if op.kink is None:
        return None
    operands = [values[a] for a in node.args]
    if not any(np.ndim(v) for v in operands) and np.ndim(out) == 0:
        found = kink_at(graph, node_id, values)
        return found.reason if found is not None else None
    if getattr(op, "body", None) is not None:
        if _body_at_kink(op, operands):
            return f"a kink or a tie of a gate of the body of {op.name}"
        return None
    everything = np.broadcast_arrays(*[np.asarray(v, dtype=float) for v in (out, *operands)])
    for index in np.ndindex(everything[0].shape):
        found = op.kink.at(*[float(v[index]) for v in everything])
        if found is not None:
            return f"{found.reason} (element [{', '.join(map(str, index))}])"
    return None
