"""Training on data: the program is the loss of one example, minimised over a file's rows.

The data's columns bind the inputs they name; the parameters are the other inputs (or
the ``--wrt`` ones). A step evaluates a batch of rows with the batch engine (the rows a
leading axis, the parameters shared: ``core.engine`` over ``array_math``), and the loss
minimised is the mean of the rows' losses (or their sum), so a parameter's gradient is
the mean (sum) of its gradients at each row. Full batch by default; with a batch size,
the rows are shuffled each epoch (``numpy.random.default_rng(seed).permutation``) and cut
into minibatches in that order, the last one smaller, as PyTorch's ``DataLoader`` does
with ``shuffle=True, drop_last=False``. The same seed gives the same run, bit for bit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any, NamedTuple

import numpy as np

from .core.engine import backward, forward
from .core.errors import EvaluationError, InputError, Remedy
from .core.graph import Graph
from .core.numbers import format_number
from .descend import Outcome, Settings, Step, check_scalar_output, far_above
from .numerics import array_math
from .optimizers import learning_rate, make_optimizer


class Data(NamedTuple):
    """The rows of a data file: one column of doubles per input it gives."""

    origin: str
    names: tuple[str, ...]
    columns: tuple[np.ndarray, ...]
    rows: int


class Training(NamedTuple):
    """How to go over the data: batches, epochs, order, the reduction, what to report."""

    batch_size: int = 0  # 0: every row in one batch
    epochs: int | None = None  # None: --steps decides
    seed: int = 0
    shuffle: bool = True
    reduce: str = "mean"  # or "sum"
    metrics: tuple[str, ...] = ()


class Epoch(NamedTuple):
    """One epoch's figures: the batches' loss and metrics averaged over the rows they
    saw (at the parameters before each batch's step), then those over --val rows."""

    epoch: int
    step: int  # steps taken by its end
    lr: float
    loss: float
    metrics: tuple[tuple[str, float], ...]
    val: tuple[tuple[str, float], ...]
    params: tuple[float, ...] = ()


def read_data(path: str, graph: Graph, stdin: IO[bytes] | None, max_line_bytes: int,
              option: str = "--data") -> Data:
    """Every row of ``path`` ('-': stdin), the columns that name inputs of ``graph``."""
    from .core.names import name_list
    from .points import read_points

    points = read_points(path, stdin, max_line_bytes)
    inputs = set(graph.input_names())
    names = [name for name in points.header if name in inputs]
    if len(set(names)) < len(names):
        twice = next(name for name in names if names.count(name) > 1)
        raise InputError(f"{points.origin}: the column {twice} appears twice")
    if not names:
        raise InputError(
            f"{option} {points.origin}: no column names an input of the program",
            hint=f"its columns are {name_list(points.header)}; the program's inputs are "
                 f"{name_list(list(graph.input_names()))}")
    chunks = list(points.chunks(names))
    rows = sum(chunk.rows for chunk in chunks)
    if rows == 0:
        raise InputError(f"{option} {points.origin} has a header but no rows")
    columns = tuple(np.concatenate([chunk.columns[name] for chunk in chunks])
                    for name in names)
    return Data(points.origin, tuple(names), columns, rows)


def _reduce(x: Any, rows: int, how: str) -> float:
    """The mean (or sum) over the rows of a node's value or gradient; a float is the
    same at every row."""
    if x.__class__ is np.ndarray:
        return float(np.mean(x)) if how == "mean" else float(np.sum(x))
    return float(x) if how == "mean" else float(x) * rows


class _Model:
    """The graph over batches of rows: forward, backward, and the sums a step needs."""

    def __init__(self, graph: Graph, fixed: Mapping[int, float], data_names: Sequence[str],
                 moving: Sequence[int], metrics: Sequence[str]) -> None:
        ids = graph.names
        self.graph = graph
        varies = [False] * len(graph.nodes)
        for i in moving:
            varies[i] = True
        for i, node in enumerate(graph.nodes):
            if node.args and any(varies[a] for a in node.args):
                varies[i] = True
        # the backward pass reaches only what leads to a parameter
        self.passes = graph._replace(needs_grad=tuple(varies))
        self.fixed = dict(fixed)
        self.data_ids = [ids[name] for name in data_names]
        self.moving = list(moving)
        self.metric_ids = [ids[name] for name in metrics]

    def leaves(self, columns: Sequence[np.ndarray], params: Sequence[float]) -> dict[int, Any]:
        leaves: dict[int, Any] = dict(self.fixed)
        for i, column in zip(self.data_ids, columns):
            leaves[i] = column
        for i, p in zip(self.moving, params):
            leaves[i] = p
        return leaves

    def step(self, columns: Sequence[np.ndarray], rows: int, params: Sequence[float],
             how: str) -> tuple[float, list[float], list[float]]:
        """The loss over the rows, its gradient, and each metric's mean."""
        from .batch import _skip_zero_gradients

        leaves = self.leaves(columns, params)
        with np.errstate(all="ignore"):
            values = forward(self.passes, leaves, array_math)
            grads = backward(self.passes, values, array_math)
            if not all(math.isfinite(_reduce(grads[i], rows, "sum")) for i in self.moving):
                # 0 * inf where one point's pass would skip a zero gradient: as it does
                grads = _skip_zero_gradients(self.passes, values, grads, array_math, rows)
        loss = _reduce(values[self.graph.output], rows, how)
        return (loss, [_reduce(grads[i], rows, how) for i in self.moving],
                [_reduce(values[i], rows, "mean") for i in self.metric_ids])

    def measure(self, data: Data, params: Sequence[float], how: str
                ) -> tuple[float, list[float], list[float]]:
        return self.step(self._columns(data), data.rows, params, how)

    def _columns(self, data: Data) -> list[np.ndarray]:
        """``data``'s columns in the order of this model's data inputs."""
        by_name = dict(zip(data.names, data.columns))
        names = [self.graph.nodes[i].name for i in self.data_ids]
        return [by_name[name] for name in names]  # type: ignore[index]

    def first_bad_row(self, data: Data, params: Sequence[float]) -> None:
        """Raise the batch engine's error for the first row where something is not
        finite: its row, its node and the reason."""
        from .batch import evaluate_chunks
        from .points import Chunk

        fixed = self.leaves([], params)
        names = [self.graph.nodes[i].name or "" for i in self.data_ids]
        chunk = Chunk(1, dict(zip(names, self._columns(data))), data.rows)
        for _ in evaluate_chunks(self.graph, fixed, [chunk], origin=data.origin):
            pass


class _ArrayModel(_Model):
    """A program with vectors and matrices over batches of rows: the array engine over
    ``TensorMath(rows=True, keep_rows=False)``, the batch axis last. A data column is a
    scalar input per row (``(R,)``), a parameter or fixed array is shared (its shape and
    an axis of 1), and the engine's gradient of a shared value comes out summed over the
    rows (``matmul_to`` contracts over them), so a parameter's gradient is its own shape."""

    def __init__(self, graph: Graph, fixed: Mapping[int, Any], data_names: Sequence[str],
                 moving: Sequence[int], metrics: Sequence[str]) -> None:
        from .numerics.tensor_math import TensorMath

        super().__init__(graph, {}, data_names, moving, metrics)
        self.xp = TensorMath(rows=True, keep_rows=False)
        self.fixed = {i: _shared(v) for i, v in fixed.items()}
        self.plan: Any = None  # the passes laid out at the first step (passes.ArrayPasses)
        self._seed = np.ones(0)

    def leaves(self, columns: Sequence[np.ndarray], params: Sequence[Any]) -> dict[int, Any]:
        leaves: dict[int, Any] = dict(self.fixed)
        for i, column in zip(self.data_ids, columns):
            leaves[i] = column
        for i, p in zip(self.moving, params):
            leaves[i] = _shared(p)
        return leaves

    def step(self, columns: Sequence[np.ndarray], rows: int, params: Sequence[Any],
             how: str) -> tuple[float, list[Any], list[float]]:
        shared = [_shared(p) for p in params]
        with np.errstate(all="ignore"):
            if self.plan is None:
                from .passes import ArrayPasses

                self.plan = ArrayPasses(self.graph, self.leaves(columns, params), self.moving,
                                        self.data_ids, self.xp)
            # d loss_r / d loss_r = 1 at every row: a shared gate's gradient is its sum
            # over the rows (a float 1 would count a shared term once, not once a row)
            values, grads = self.plan.run(shared, columns, self._ones(rows))
        loss = _reduce(values[self.graph.output], rows, how)
        scale = 1.0 / rows if how == "mean" else 1.0
        out = []
        for g in grads:
            if g.__class__ is np.ndarray:
                g = g.reshape(np.shape(g)[:-1]) if np.ndim(g) else float(g)
                if scale != 1.0:
                    g = g * scale
            else:
                g = float(g) * scale
            out.append(g)
        return loss, out, [_reduce(values[i], rows, "mean") for i in self.metric_ids]

    def _ones(self, rows: int) -> np.ndarray:
        if self._seed.shape != (rows,):
            self._seed = np.ones(rows)
        return self._seed

    def first_bad_row(self, data: Data, params: Sequence[Any]) -> None:
        return None  # the batch engine's row-by-row report is for scalar programs


def _shared(value: Any) -> Any:
    """A value shared by every row: an array gets the batch axis of 1."""
    if value.__class__ is np.ndarray:
        return value[..., None]
    return value


def grad_norm(grads: Sequence[Any]) -> float:
    """The norm of every element of the gradients (floats or arrays)."""
    from .descend import grad_norm as norm

    return norm(*grads)


def train(graph: Graph, fixed: Mapping[int, float], moving: Sequence[int], data: Data,
          settings: Settings, training: Training, val: Data | None = None,
          on_step: Callable[[Step], None] | None = None,
          on_epoch: Callable[[Epoch], None] | None = None) -> Outcome:
    """Minimise the mean (sum) over ``data``'s rows of the output, moving ``moving``.

    ``fixed`` binds every input the data does not give (``batch.bind_columns``). Ctrl-C
    ends the run with the outcome so far (``reason`` "interrupted").
    """
    check_scalar_output(graph, "the loss")
    arrays = graph.arrays
    model = (_ArrayModel if arrays else _Model)(graph, fixed, data.names, moving,
                                                training.metrics)
    how = training.reduce
    params: list[Any] = [np.array(fixed[i], dtype=float) if arrays and np.ndim(fixed[i])
                         else float(fixed[i]) for i in moving]
    norm_of: Callable[..., float] = math.hypot if not arrays else (
        lambda *grads: grad_norm(grads))
    start = tuple(params)
    start_loss, _, _ = model.measure(data, params, how)
    if not math.isfinite(start_loss):
        model.first_bad_row(data, params)
        raise EvaluationError(f"the loss over {data.origin} is not finite at the start "
                              f"({format_number(start_loss)})")
    n = data.rows
    size = min(training.batch_size or n, n)
    per_epoch = -(-n // size)
    total = training.epochs * per_epoch if training.epochs is not None else settings.steps
    rule = settings.rule()
    optimizer = make_optimizer(len(moving), rule)
    maximize = settings.maximize
    far = far_above(-start_loss if maximize else start_loss)
    rng = np.random.default_rng(training.seed)
    shuffle = training.shuffle and size < n
    columns = model._columns(data)
    step, epoch = 0, 0
    reason = "epochs" if training.epochs is not None else "steps"
    rose_at: int | None = None
    last: tuple[int, float] | None = None
    lr = rule.lr
    try:
        while step < total:
            epoch += 1
            order = rng.permutation(n) if shuffle else None
            batch_columns = [c[order] for c in columns] if order is not None else columns
            seen = 0
            loss_sum = 0.0
            metric_sums = [0.0] * len(model.metric_ids)
            stop = False
            for first in range(0, n, size):
                if step >= total:
                    break
                batch = (batch_columns if size >= n else  # every row: the same arrays
                         [c[first:first + size] for c in batch_columns])
                rows = len(batch[0]) if batch else min(size, n - first)
                loss, grads, metrics = model.step(batch, rows, params, how)
                norm = norm_of(*grads)
                if not (math.isfinite(loss) and math.isfinite(norm)):
                    raise _diverged(settings, step, epoch, last, loss)
                last = (step, loss)
                if (-loss if maximize else loss) > far and rose_at is None:
                    rose_at = step
                seen += rows
                loss_sum += loss * rows if how == "mean" else loss
                for k, m in enumerate(metrics):
                    metric_sums[k] += m * rows
                if on_step is not None:
                    on_step(Step(step, loss, tuple(params), norm, epoch, lr))
                if norm < settings.tol:
                    reason, stop = "converged", True
                    break
                lr = rule.lr if rule.schedule == "constant" else learning_rate(rule, step,
                                                                               total)
                params = optimizer.step(params, [-g for g in grads] if maximize else grads,
                                        lr)
                step += 1
            if on_epoch is not None and seen:
                val_figures = _figures(model, val, params, how) if val is not None else ()
                on_epoch(Epoch(epoch, step, lr, loss_sum / seen if how == "mean"
                               else loss_sum, tuple(zip(training.metrics,
                                                        (s / seen for s in metric_sums))),
                               val_figures, tuple(params)))
            if stop:
                break
    except KeyboardInterrupt:
        reason = "interrupted"
    final_loss, final_grad, final_metrics = model.measure(data, params, how)
    if not math.isfinite(final_loss):
        raise _diverged(settings, step, epoch, last, final_loss)
    if rose_at is not None and (-final_loss if maximize else final_loss) <= far:
        rose_at = None
    return Outcome(
        names=tuple(graph.nodes[i].name or "" for i in moving),
        start=start,
        final=tuple(params),
        final_grad=tuple(final_grad),
        start_output=start_loss,
        final_output=final_loss,
        steps=step,
        reason=reason,
        rose_at=rose_at,
        epochs=epoch,
        rows=n,
        metrics=tuple(zip(training.metrics, final_metrics)),
        val=_figures(model, val, params, how) if val is not None else (),
    )


def _figures(model: _Model, data: Data, params: Sequence[float], how: str
             ) -> tuple[tuple[str, float], ...]:
    """The loss and each metric over ``data``'s rows (no gradient needed, but one pass
    serves both)."""
    loss, _, metrics = model.measure(data, params, how)
    names = [model.graph.nodes[i].name or "" for i in model.metric_ids]
    return (("loss", loss), *zip(names, metrics))


def _diverged(settings: Settings, step: int, epoch: int, last: tuple[int, float] | None,
              loss: float) -> EvaluationError:
    where = (f"the last finite step was {last[0]:,} (loss {format_number(last[1])})"
             if last is not None else "at the first step")
    return EvaluationError(
        f"the training diverged at step {step:,} (epoch {epoch:,}): the loss or its "
        f"gradient is not finite ({format_number(loss)}); {where}",
        remedy=Remedy("lr", f"{settings.lr / 10:g}"),
    )
