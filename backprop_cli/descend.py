"""The training loop: forward, backward, step; repeated until a stop criterion is met.

The graph is built once; every step reruns only the two passes over it and moves the
chosen inputs by the optimizer's rule. Optimizers follow PyTorch's definitions and
parameter names (``torch.optim.SGD`` with and without momentum, ``torch.optim.Adam``).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

from .core.engine import backward, evaluate_graph, forward
from .core.errors import EvaluationError, Remedy
from .core.graph import Graph
from .core.numbers import format_number


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


class Step(NamedTuple):
    """The state before a step: output, moving inputs and the gradient norm there."""

    step: int
    output: float
    params: tuple[float, ...]
    grad_norm: float


class Outcome(NamedTuple):
    names: tuple[str, ...]
    start: tuple[float, ...]
    final: tuple[float, ...]
    final_grad: tuple[float, ...]
    start_output: float
    final_output: float
    steps: int
    reason: str  # "converged" or "steps"


class DescentReport(NamedTuple):
    """What ``descend`` shows: the outcome, the output's name, the settings, and the
    output's history (thinned) for the chart."""

    outcome: Outcome
    output: str
    settings: Settings
    history: list[float] = []  # noqa: RUF012 - never mutated


class SGD:
    """``p -= lr * g``; with momentum ``b = mu*b + g`` (Nesterov: ``g + mu*b``)."""

    def __init__(self, size: int, settings: Settings, momentum: float) -> None:
        self.lr = settings.lr
        self.momentum = momentum
        self.nesterov = settings.nesterov
        self.buffer = [0.0] * size
        self.first = True

    def step(self, params: list[float], grads: Sequence[float]) -> None:
        lr, mu = self.lr, self.momentum
        if mu == 0.0:
            for k, g in enumerate(grads):
                params[k] -= lr * g
            return
        buffer = self.buffer
        for k, g in enumerate(grads):
            b = g if self.first else mu * buffer[k] + g
            buffer[k] = b
            params[k] -= lr * (g + mu * b if self.nesterov else b)
        self.first = False


class Adam:
    """Adam with bias correction, as in ``torch.optim.Adam``. The command line refuses
    ``eps`` 0; given it here, a component whose gradients were all 0 stays put."""

    def __init__(self, size: int, settings: Settings) -> None:
        self.s = settings
        self.m = [0.0] * size
        self.v = [0.0] * size
        self.t = 0

    def step(self, params: list[float], grads: Sequence[float]) -> None:
        s = self.s
        self.t += 1
        c1 = 1.0 - s.beta1 ** self.t
        c2 = 1.0 - s.beta2 ** self.t
        m, v = self.m, self.v
        for k, g in enumerate(grads):
            m[k] = s.beta1 * m[k] + (1.0 - s.beta1) * g
            v[k] = s.beta2 * v[k] + (1.0 - s.beta2) * g * g
            denominator = math.sqrt(v[k] / c2) + s.eps
            if denominator:  # 0 only with eps 0 where every gradient so far was 0: no move
                params[k] -= s.lr * (m[k] / c1) / denominator


OPTIMIZERS = ("sgd", "momentum", "adam")


def make_optimizer(size: int, settings: Settings) -> SGD | Adam:
    if settings.optimizer == "adam":
        return Adam(size, settings)
    return SGD(size, settings, settings.momentum if settings.optimizer == "momentum" else 0.0)


def descend(
    graph: Graph,
    point: Mapping[int, float],
    moving: Sequence[int],
    settings: Settings,
    on_step: Callable[[Step], None] | None = None,
) -> Outcome:
    """Run the loop from ``point``, moving the input nodes ``moving``."""
    evaluate_graph(graph, point)  # a bad start point gets the usual error, with its reason
    leaves = dict(point)
    params = [leaves[i] for i in moving]
    start = tuple(params)
    optimizer = make_optimizer(len(moving), settings)
    sign = -1.0 if settings.maximize else 1.0
    out = graph.output
    tol = settings.tol
    last_good: Step | None = None
    start_output = math.nan
    step = 0
    while True:
        for i, p in zip(moving, params):
            leaves[i] = p
        values = forward(graph, leaves)
        grads = backward(graph, values)
        moving_grads = [grads[i] for i in moving]
        output = values[out]
        norm = math.hypot(*moving_grads)
        if not (math.isfinite(output) and math.isfinite(norm)):
            raise _diverged(graph, settings, step, last_good, output)
        if step == 0:
            start_output = output
        state = Step(step, output, tuple(params), norm)
        last_good = state
        if on_step is not None:
            on_step(state)
        if norm < tol:
            reason = "converged"
            break
        if step >= settings.steps:
            reason = "steps"
            break
        optimizer.step(params, [-g for g in moving_grads] if sign < 0 else moving_grads)
        step += 1
    return Outcome(
        names=tuple(graph.nodes[i].name or "" for i in moving),
        start=start,
        final=tuple(params),
        final_grad=tuple(moving_grads),
        start_output=start_output,
        final_output=output,
        steps=step,
        reason=reason,
    )


def _diverged(graph: Graph, settings: Settings, step: int, last: Step | None,
              output: float) -> EvaluationError:
    where = (f"the last finite step was {last.step} (output {format_number(last.output)})"
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
    from .api import bind_inputs
    from .core.names import input_ids

    ids = input_ids(graph)
    return descend(graph, bind_inputs(graph, values), [ids[name] for name in names], settings,
                   on_step)
