"""The training loop: forward, backward, step; repeated until a stop criterion is met.

The graph is built once; every step reruns only the two passes over it and moves the
chosen inputs by the optimizer's rule. Optimizers and learning-rate schedules follow
PyTorch's definitions and parameter names (``optimizers``); the passes are specialised to
the moving inputs once (``passes.Passes``), which makes a step of a small program cost a
few microseconds.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

from .core.engine import evaluate_graph
from .core.errors import EvaluationError, Remedy
from .core.graph import Graph
from .core.numbers import format_number
from .optimizers import OPTIMIZERS, Rule, learning_rate, make_optimizer
from .passes import Passes

__all__ = ["OPTIMIZERS", "DescentReport", "Outcome", "Settings", "Step", "descend",
           "descend_inputs"]


class Settings(NamedTuple):
    lr: float = 0.1
    steps: int = 1000
    tol: float = 1e-8
    optimizer: str = "sgd"
    momentum: float = 0.9
    nesterov: bool = False
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    maximize: bool = False
    weight_decay: float = 0.0
    schedule: str = "constant"
    lr_end: float = 0.0
    step_size: int = 1
    gamma: float = 0.1

    def rule(self) -> Rule:
        return Rule(lr=self.lr, optimizer=self.optimizer, momentum=self.momentum,
                    nesterov=self.nesterov, beta1=self.beta1, beta2=self.beta2, eps=self.eps,
                    weight_decay=self.weight_decay, schedule=self.schedule,
                    lr_end=self.lr_end, step_size=self.step_size, gamma=self.gamma)


class Step(NamedTuple):
    """The state before a step: output, moving inputs and the gradient norm there."""

    step: int
    output: float
    params: tuple[float, ...]
    grad_norm: float
    epoch: int = 0  # training on data: the epoch (1-based) the step is in
    lr: float = 0.0


class Outcome(NamedTuple):
    names: tuple[str, ...]
    start: tuple[float, ...]
    final: tuple[float, ...]
    final_grad: tuple[float, ...]
    start_output: float
    final_output: float
    steps: int
    reason: str  # "converged", "steps" or "interrupted"
    rose_at: int | None = None  # the first step far above the start (see ``far_above``)
    # training on data: the epochs begun, the rows, and the named nodes' means over the
    # rows at the final parameters (training rows; "loss" and those over --val rows)
    epochs: int = 0
    rows: int = 0
    metrics: tuple[tuple[str, float], ...] = ()
    val: tuple[tuple[str, float], ...] = ()


class DescentReport(NamedTuple):
    """What ``descend`` shows: the outcome, the output's name, the settings, and the
    output's history (thinned) for the chart."""

    outcome: Outcome
    output: str
    settings: Settings
    history: list[float] = []  # noqa: RUF012 - never mutated
    data: str | None = None  # training on data: the file's name, and how it was used
    reduce: str = "mean"
    batch_size: int = 0
    seed: int = 0


def far_above(start: float) -> float:
    """Where a run that started at ``start`` (lower is better) counts as diverged when it
    ends above: more than ten times the start's size above it."""
    return start + 10.0 * abs(start)


def descend(
    graph: Graph,
    point: Mapping[int, float],
    moving: Sequence[int],
    settings: Settings,
    on_step: Callable[[Step], None] | None = None,
) -> Outcome:
    """Run the loop from ``point``, moving the input nodes ``moving``.

    Ctrl-C ends it with the outcome so far (``reason`` "interrupted"): the last step
    whose output and gradient were computed, its inputs whole.
    """
    check_scalar_output(graph)
    if graph.arrays:
        from .numerics.tensor_math import POINT

        evaluate_graph(graph, point, xp=POINT)
        passes: Passes | PointPasses = PointPasses(graph, point, moving)
        hypot: Callable[..., float] = grad_norm
    else:
        evaluate_graph(graph, point)  # a bad start point gets the usual error, its reason
        passes = Passes(graph, point, moving)
        hypot = math.hypot
    params: list[Any] = [point[i] for i in moving]
    start = tuple(params)
    rule = settings.rule()
    optimizer = make_optimizer(len(moving), rule)
    steps, tol = settings.steps, settings.tol
    maximize = settings.maximize
    constant_lr = rule.lr if rule.schedule == "constant" else None
    isfinite = math.isfinite
    run = passes.run
    last: tuple[int, float, list[float], list[float]] | None = None
    start_output = math.nan
    far = math.inf
    rose_at: int | None = None
    reason = "steps"
    step = 0
    try:
        while True:
            output, grads = run(params)
            norm = hypot(*grads)
            if not (isfinite(output) and isfinite(norm)):
                raise _diverged(settings, step, last, output)
            if step == 0:
                start_output = output
                far = far_above(-output if maximize else output)
            last = (step, output, params, grads)
            if (-output if maximize else output) > far and rose_at is None:
                rose_at = step
            if on_step is not None:
                on_step(Step(step, output, tuple(params), norm))
            if norm < tol:
                reason = "converged"
                break
            if step >= steps:
                break
            lr = constant_lr if constant_lr is not None else learning_rate(rule, step, steps)
            params = optimizer.step(params, [-g for g in grads] if maximize else grads, lr)
            step += 1
    except KeyboardInterrupt:
        if last is None:
            raise
        reason = "interrupted"
    assert last is not None
    step, output, params, grads = last
    if rose_at is not None and rose_at > step:
        rose_at = None
    return Outcome(
        names=tuple(graph.nodes[i].name or "" for i in moving),
        start=start,
        final=tuple(params),
        final_grad=tuple(grads),
        start_output=start_output,
        final_output=output,
        steps=step,
        reason=reason,
        rose_at=rose_at,
    )


def check_scalar_output(graph: Graph, what: str = "the output") -> None:
    """Descent minimises one number: an array output is an input error (exit 2)."""
    shape = graph.nodes[graph.output].shape
    if shape:
        from .core.errors import InputError
        from .core.shapes import describe

        raise InputError(f"{what} {graph.output_name} is {describe(shape)}: descend "
                         "minimises one number",
                         hint="make the program end in a number, such as sum(...) or "
                              "mean(...)")


def grad_norm(*grads: Any) -> float:
    """The Euclidean norm of every element of the gradients (floats or arrays)."""
    total = 0.0
    for g in grads:
        if g.__class__ is float:
            total += g * g
        else:
            import numpy as np

            total += float(np.vdot(g, g))
    return math.sqrt(total)


class PointPasses:
    """``passes.ArrayPasses`` at one point (``tensor_math.POINT``), with the interface of
    ``passes.Passes``: ``run`` gives the output and the moving inputs' gradients."""

    def __init__(self, graph: Graph, point: Mapping[int, Any], moving: Sequence[int]) -> None:
        from .numerics.tensor_math import POINT
        from .passes import ArrayPasses

        self.output = graph.output
        self.plan = ArrayPasses(graph, point, moving, (), POINT)

    def run(self, params: Sequence[Any]) -> tuple[float, list[Any]]:
        import numpy as np

        with np.errstate(all="ignore"):
            values, grads = self.plan.run(params)
        return values[self.output], grads


def check_outcome(outcome: Outcome, settings: Settings, what: str = "the output") -> None:
    """A run that ends far above where it started (below, with ``maximize``) diverged:
    exit 1, with the step where it first got there and a smaller learning rate."""
    sign = -1.0 if settings.maximize else 1.0
    start, final = sign * outcome.start_output, sign * outcome.final_output
    if final > far_above(start):
        where = outcome.rose_at if outcome.rose_at is not None else outcome.steps
        raise EvaluationError(
            f"the descent diverged: {what} went from {format_number(outcome.start_output)} "
            f"to {format_number(outcome.final_output)} in {outcome.steps:,} steps, "
            f"{'below' if settings.maximize else 'above'} ten times its start's size "
            f"from step {where:,} on",
            remedy=Remedy("lr", f"{settings.lr / 10:g}"),
        )


def _diverged(settings: Settings, step: int, last: tuple | None, output: float
              ) -> EvaluationError:
    where = (f"the last finite step was {last[0]} (output {format_number(last[1])})"
             if last is not None else "the start point is not finite")
    return EvaluationError(
        f"the descent diverged at step {step}: the output or its gradient is not finite "
        f"({format_number(output)}); {where}",
        remedy=Remedy("lr", f"{settings.lr / 10:g}"),
    )


def descend_inputs(
    graph: Graph,
    values: Mapping[str, float],
    names: Sequence[str],
    settings: Settings,
    on_step: Callable[[Step], None] | None = None,
) -> Outcome:
    """Bind ``values`` (and the program's defaults), then move the inputs ``names``."""
    from .api import bind_inputs, shaped_for
    from .core.names import input_ids

    graph = shaped_for(graph, values)
    ids = input_ids(graph)
    return descend(graph, bind_inputs(graph, values), [ids[name] for name in names], settings,
                   on_step)
