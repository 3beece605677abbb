"""The update rules and learning-rate schedules of ``descend``, with PyTorch's meaning.

Optimizers follow ``torch.optim``'s definitions and parameter names: ``SGD`` with and
without momentum (Nesterov too) and ``weight_decay`` added to the gradient (L2), and
``Adam``, whose ``weight_decay`` here is decoupled as in ``torch.optim.AdamW``
(``p = p * (1 - lr * wd)`` before the step). Schedules are the closed forms of
``torch.optim.lr_scheduler``: ``LinearLR`` (from ``lr`` to ``lr_end``), ``CosineAnnealingLR``
(``eta_min`` is ``lr_end``), ``StepLR``; ``constant`` keeps ``lr``. The schedule's clock
is the step (one update), and ``total`` is the run's number of steps.

Every ``step`` returns a new list of parameters rather than changing the one given, so a
Ctrl-C in the middle of an update leaves the last parameters whole.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

OPTIMIZERS = ("sgd", "momentum", "adam")
SCHEDULES = ("constant", "linear", "cosine", "step")


class Rule(NamedTuple):
    """An optimizer and a schedule, as the command line gives them."""

    lr: float = 0.1
    optimizer: str = "sgd"
    momentum: float = 0.9
    nesterov: bool = False
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    weight_decay: float = 0.0
    schedule: str = "constant"
    lr_end: float = 0.0
    step_size: int = 1
    gamma: float = 0.1


def learning_rate(rule: Rule, step: int, total: int) -> float:
    """The learning rate of step ``step`` (0-based) of a run of ``total`` steps."""
    lr, schedule = rule.lr, rule.schedule
    if schedule == "constant" or total <= 0:
        return lr
    if schedule == "linear":  # LinearLR(start_factor=1, end_factor=lr_end/lr, total_iters)
        return lr * (1.0 + (rule.lr_end / lr - 1.0) * min(total, step) / total)
    if schedule == "cosine":  # CosineAnnealingLR(T_max=total, eta_min=lr_end), closed form
        low = rule.lr_end
        return low + (lr - low) * (1.0 + math.cos(math.pi * step / total)) / 2.0
    return lr * rule.gamma ** (step // rule.step_size)  # StepLR(step_size, gamma)


def _sqrt(x: Any) -> Any:
    return math.sqrt(x) if x.__class__ is float else x ** 0.5


class SGD:
    """``p -= lr * g``; with momentum ``b = mu*b + g`` (Nesterov: ``g + mu*b``); weight
    decay adds ``wd * p`` to the gradient first."""

    def __init__(self, size: int, momentum: float, nesterov: bool, weight_decay: float
                 ) -> None:
        self.momentum = momentum
        self.nesterov = nesterov
        self.weight_decay = weight_decay
        self.buffer: list[Any] = [0.0] * size
        self.first = True

    def step(self, params: Sequence[Any], grads: Sequence[Any], lr: float) -> list[Any]:
        mu, wd = self.momentum, self.weight_decay
        if wd:
            grads = [g + wd * p for p, g in zip(params, grads)]
        if mu == 0.0:
            return [p - lr * g for p, g in zip(params, grads)]
        if self.first:
            buffer = list(grads)
            self.first = False
        else:
            buffer = [mu * b + g for b, g in zip(self.buffer, grads)]
        self.buffer = buffer
        if self.nesterov:
            return [p - lr * (g + mu * b) for p, g, b in zip(params, grads, buffer)]
        return [p - lr * b for p, b in zip(params, buffer)]


class Adam:
    """Adam with bias correction, as ``torch.optim.Adam``; weight decay as
    ``torch.optim.AdamW``. The command line refuses ``eps`` 0; given it here, a component
    whose gradients were all 0 stays put."""

    def __init__(self, size: int, rule: Rule) -> None:
        self.rule = rule
        self.m: list[Any] = [0.0] * size
        self.v: list[Any] = [0.0] * size
        self.t = 0

    def step(self, params: Sequence[Any], grads: Sequence[Any], lr: float) -> list[Any]:
        r = self.rule
        self.t += 1
        b1, b2, eps = r.beta1, r.beta2, r.eps
        c1 = 1.0 - b1 ** self.t
        c2 = 1.0 - b2 ** self.t
        if r.weight_decay:
            keep = 1.0 - lr * r.weight_decay
            params = [p * keep for p in params]
        m = [b1 * m + (1.0 - b1) * g for m, g in zip(self.m, grads)]
        v = [b2 * v + (1.0 - b2) * g * g for v, g in zip(self.v, grads)]
        self.m, self.v = m, v
        new = []
        for p, mk, vk in zip(params, m, v):
            denominator = _sqrt(vk / c2) + eps
            if denominator.__class__ is float:
                # 0 only with eps 0 where every gradient so far was 0: no move
                new.append(p - lr * (mk / c1) / denominator if denominator else p)
            else:
                new.append(p - lr * (mk / c1) / denominator)
        return new


def make_optimizer(size: int, rule: Rule) -> SGD | Adam:
    if rule.optimizer == "adam":
        return Adam(size, rule)
    return SGD(size, rule.momentum if rule.optimizer == "momentum" else 0.0, rule.nesterov,
               rule.weight_decay)


def describe(rule: Rule) -> str:
    """``adam (lr 0.01, linear to 0.001, weight decay 0.0001)``."""
    parts = [f"lr {rule.lr:g}"]
    if rule.schedule == "linear":
        parts[0] += f", linear to {rule.lr_end:g}"
    elif rule.schedule == "cosine":
        parts[0] += f", cosine to {rule.lr_end:g}"
    elif rule.schedule == "step":
        parts[0] += f", x{rule.gamma:g} every {rule.step_size:,} steps"
    if rule.weight_decay:
        parts.append(f"weight decay {rule.weight_decay:g}")
    return f"{rule.optimizer} ({', '.join(parts)})"
