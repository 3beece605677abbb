"""Output of ``descend``: progress on stderr, a trace file, the result, a chart."""

from __future__ import annotations

import csv
import json
import sys
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..core.errors import OutputError
from ..core.names import short_name
from ..core.numbers import element_names, elements, format_number, json_value, shown
from ..descend import DescentReport, Outcome, Step
from ..optimizers import describe

if TYPE_CHECKING:
    from ..train import Epoch
from .registry import RenderOptions

REASONS = {
    "converged": "the gradient's norm fell below --tol",
    "steps": "it took the --steps steps asked for",
    "epochs": "it went through the --epochs epochs asked for",
    "interrupted": "it was interrupted",
}
HISTORY_LIMIT = 2000  # points kept for the chart (every k-th step of a long run)
SHOWN_ELEMENTS = 6  # an array parameter of more elements is shown by its norm


def _is_array(value: Any) -> bool:
    return value.__class__ is not float and not isinstance(value, int | float)


def cell(value: Any, precision: int) -> str:
    """A parameter's value in the table: a number, a small array in full, a bigger one
    as its norm (``norm 3.21``: --save and -F json give every element)."""
    if not _is_array(value):
        return shown(value, precision)
    import numpy as np

    if np.size(value) <= SHOWN_ELEMENTS:
        return shown(value, precision)
    return f"norm {shown(float(np.sqrt(np.vdot(value, value))), min(precision, 4))}"


def parameter_label(name: str, value: Any) -> str:
    """``W1 (16x2)`` for an array parameter, the name alone for a scalar."""
    if not _is_array(value):
        return name
    import numpy as np

    shape = np.shape(value)
    return f"{name} ({'x'.join(map(str, shape))})" if shape else name


class Recorder:
    """Receives every step (and, training on data, every epoch): writes the trace, keeps a
    thinned history for the chart, and drives the progress display on stderr.

    The progress is a Rich bar on a terminal (``progress`` None: only there), else, when
    asked for (``progress`` True), one plain line per epoch, or per 10% of the steps: never
    escape codes in a pipe. Without a trace, a chart or progress, ``wants_steps`` is
    false and the loop runs without a call per step.
    """

    def __init__(self, trace: str | None, names: Sequence[str], steps: int,
                 show_progress: bool | None, *, chart: bool = False, data: bool = False,
                 metrics: Sequence[str] = (), val: bool = False, epochs: int = 0,
                 shapes: Sequence[tuple[int, ...]] = ()) -> None:
        self.names = list(names)
        # the trace's columns: one per element of an array input (w[0], W[1,0])
        self.columns = [column for k, name in enumerate(names) for column in
                        element_names(name, tuple(shapes[k]) if k < len(shapes) else ())]
        self.steps = steps
        self.epochs = epochs
        self.data = data
        self.metrics = list(metrics)
        self.val = val
        self.history: list[float] = []
        self._chart = chart
        self._every = 1
        self._trace_path = trace
        self._file: Any = None
        self._writer: Any = None
        self._progress: Any = None
        self._task: Any = None
        terminal = sys.stderr is not None and sys.stderr.isatty()
        self._bar = bool(show_progress is not False and terminal)
        self._lines = bool(show_progress and not terminal)
        self._next_update = 0.0
        self._next_line = 0
        self._epoch_text = ""
        self.last: Step | None = None

    @property
    def wants_steps(self) -> bool:
        return bool(self._chart or self._bar or self._lines
                    or (self._trace_path is not None and not self.data))

    def __enter__(self) -> Recorder:
        if self._trace_path is not None:
            try:
                self._file = open(self._trace_path, "w", newline="", encoding="utf-8")
            except OSError as error:
                raise OutputError(
                    f"cannot write {self._trace_path}: {error.strerror or error}") from None
            self._writer = csv.writer(self._file, lineterminator="\n")
            if self.data:
                self._writer.writerow(["epoch", "step", "lr", "loss", *self.metrics,
                                       *([f"val_{name}" for name in ["loss", *self.metrics]]
                                         if self.val else []), *self.columns])
            else:
                self._writer.writerow(["step", "output", *self.columns, "grad_norm"])
        if self._bar:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            self._progress = Progress(
                TextColumn("{task.fields[where]}"), BarColumn(),
                TextColumn("{task.fields[figures]}"), TimeElapsedColumn(),
                TextColumn("eta"), TimeRemainingColumn(),
                console=Console(stderr=True), transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("descend", total=self.steps or 1,
                                                 where="", figures="")
        return self

    def record(self, state: Step) -> None:
        self.last = state
        if self._writer is not None and not self.data:
            self._writer.writerow([state.step, repr(state.output),
                                   *map(repr, _flat(state.params)), repr(state.grad_norm)])
        if self._chart and state.step % self._every == 0:
            self.history.append(state.output)
            if len(self.history) >= 2 * HISTORY_LIMIT:
                self.history = self.history[::2]
                self._every *= 2
        if self._progress is not None:
            now = time.monotonic()
            if now >= self._next_update:
                self._next_update = now + 0.1
                self._progress.update(self._task, completed=state.step,
                                      where=self._where(state), figures=self._figures(state))
        elif self._lines and not self.data and state.step >= self._next_line:
            self._next_line = state.step + max(1, self.steps // 10)
            sys.stderr.write(f"{self._where(state)}  {self._figures(state)}\n")

    def _where(self, state: Step) -> str:
        step = f"step {state.step:,}/{self.steps:,}"
        if not self.data:
            return step
        return f"epoch {state.epoch:,}/{self.epochs:,}  {step}" if self.epochs else \
            f"epoch {state.epoch:,}  {step}"

    def _figures(self, state: Step) -> str:
        if not self.data:
            return f"output {shown(state.output, 6)}  |grad| {shown(state.grad_norm, 3)}"
        return f"loss {shown(state.output, 5)}" + (f"  ({self._epoch_text})"
                                                   if self._epoch_text else "")

    def epoch(self, figures: Epoch) -> None:
        """An epoch's end: a trace row, the figures shown beside the bar, or a line."""
        metrics = [v for _, v in figures.metrics]
        val = [v for _, v in figures.val]
        if self._writer is not None:
            self._writer.writerow([figures.epoch, figures.step, repr(figures.lr),
                                   repr(figures.loss), *map(repr, metrics), *map(repr, val),
                                   *map(repr, _flat(figures.params))])
        text = "  ".join([f"epoch {figures.epoch:,}: loss {shown(figures.loss, 5)}",
                          *(f"{name} {shown(v, 4)}" for name, v in figures.metrics),
                          *(f"val_{name} {shown(v, 4)}" for name, v in figures.val)])
        self._epoch_text = text
        if self._lines:
            sys.stderr.write(f"epoch {figures.epoch:,}"
                             + (f"/{self.epochs:,}" if self.epochs else "")
                             + f"  step {figures.step:,}/{self.steps:,}  "
                             + text.split(": ", 1)[1] + "\n")

    def stopped_at(self, output: str, outcome: Outcome | None = None, limit: int = 8) -> str:
        """``at step 120 of 1000 (f = 0.25): x=2.5 y=-1``: the last step reached, its
        inputs written as bindings (in full, so a run can go on from there)."""
        if outcome is not None:
            step, value, params = outcome.steps, outcome.final_output, outcome.final
        elif self.last is not None:
            step, value, params = self.last.step, self.last.output, self.last.params
        else:
            return "before the first step"
        bindings = [f"{name}={_binding(v)}" for name, v in zip(self.names[:limit], params)]
        if len(self.names) > limit:
            bindings.append(f"(and {len(self.names) - limit} more inputs)")
        return (f"at step {step:,} of {self.steps:,} ({short_name(output, 40)} = "
                f"{format_number(value)}): {' '.join(bindings)}")

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
        if self._file is not None:
            self._file.close()


def _flat(values: Sequence[Any]) -> list[float]:
    """Every element of the values, in order (an array's row-major)."""
    return [x for v in values for x in (elements(v) if _is_array(v) else [v])]


def _binding(value: Any) -> str:
    """A value as a binding on the command line; a big array by its shape (--save
    writes it)."""
    import numpy as np

    if _is_array(value) and np.size(value) > SHOWN_ELEMENTS:
        return f"({'x'.join(map(str, np.shape(value)))} numbers)"
    return format_number(value)


def verb(report: DescentReport) -> str:
    """"minimised" only of a run that went down (``maximised`` of one that went up)."""
    outcome, maximize = report.outcome, report.settings.maximize
    start, final = outcome.start_output, outcome.final_output
    if (final > start) if maximize else (final < start):
        return "maximised" if maximize else "minimised"
    if final == start:
        return "unchanged"
    return "went down" if maximize else "went up"


def render_table(report: DescentReport, options: RenderOptions) -> Any:
    outcome, output, settings = report.outcome, report.output, report.settings
    from rich.console import Group
    from rich.text import Text

    from .tables import FOLD, NUMBER, Column, Grid, Row

    over = (f"   (mean over {outcome.rows:,} rows of {report.data})"
            if report.data is not None and report.reduce == "mean" else
            f"   (sum over {outcome.rows:,} rows of {report.data})"
            if report.data is not None else "")
    title = Text(f"{short_name(output)} {verb(report)}: {shown(outcome.start_output, 6)} -> "
                 f"{shown(outcome.final_output, 6)}{over}", style="bold yellow")
    columns = [Column("parameter" if report.data is not None else "input", style="cyan",
                      kind=FOLD),
               Column("start", justify="right", kind=NUMBER),
               Column("final", justify="right", style="green", kind=NUMBER),
               Column("final grad", justify="right", style="red", kind=NUMBER)]
    rows = [Row((parameter_label(name, b), cell(a, 8), cell(b, 8), cell(g, 3)))
            for name, a, b, g in zip(outcome.names, outcome.start, outcome.final,
                                     outcome.final_grad)]
    parts: list[Any] = [Grid(columns, rows, title=title)]
    if outcome.metrics or outcome.val:
        val = dict(outcome.val)
        names = [name for name, _ in outcome.metrics]
        figures = [Column("at the end", style="cyan", kind=FOLD),
                   Column("training", justify="right", kind=NUMBER)]
        if val:
            figures.append(Column("validation", justify="right", kind=NUMBER))
        lines = [Row(("loss", shown(outcome.final_output, 6),
                      *((shown(val["loss"], 6),) if val else ())))]
        lines += [Row((name, shown(v, 6), *((shown(val[name], 6),) if val else ())))
                  for name, v in outcome.metrics]
        lines += [Row((name, "", shown(v, 6))) for name, v in outcome.val
                  if name != "loss" and name not in names]
        parts.append(Grid(figures, lines))
    summary = f"{outcome.steps:,} steps of {describe(settings.rule())}"
    if report.data is not None and report.batch_size:
        summary += (f", {outcome.epochs:,} epochs of batches of {report.batch_size:,} "
                    f"(shuffled, seed {report.seed})")
    elif report.data is not None:
        summary += f", {outcome.epochs:,} epochs of every row"
    parts.append(Text(f"{summary}; stopped because {REASONS[outcome.reason]}", style="dim"))
    return Group(*parts)


def render_json(report: DescentReport, options: RenderOptions) -> str:
    outcome, output, settings = report.outcome, report.output, report.settings
    data: dict[str, Any] = {
        "output": output,
        "start_value": json_value(outcome.start_output),
        "value": json_value(outcome.final_output),
        "steps": outcome.steps,
        "stopped": outcome.reason,
        "optimizer": settings.optimizer,
        "lr": settings.lr,
        "maximize": settings.maximize,
        "inputs": {
            name: {"start": json_value(a), "final": json_value(b), "grad": json_value(g)}
            for name, a, b, g in zip(outcome.names, outcome.start, outcome.final,
                                     outcome.final_grad)
        },
    }
    if settings.schedule != "constant":
        data["schedule"] = settings.schedule
    if settings.weight_decay:
        data["weight_decay"] = settings.weight_decay
    if report.data is not None:
        data.update({
            "data": report.data, "rows": outcome.rows, "reduce": report.reduce,
            "epochs": outcome.epochs, "batch_size": report.batch_size or outcome.rows,
            "seed": report.seed,
            "metrics": {name: json_value(v) for name, v in outcome.metrics},
        })
        if outcome.val:
            data["val"] = {name: json_value(v) for name, v in outcome.val}
    return json.dumps(data, indent=2) + "\n"


def render_chart(report: DescentReport, options: RenderOptions) -> str:
    """The output (the loss) per step, drawn with uniplot; on a log scale when it spans
    decades (and stays above 0)."""
    from uniplot import plot_to_string

    history, output = report.history, report.output
    if len(history) < 2:
        return f"(one step: {output} = {format_number(history[0]) if history else '?'})"
    low, high = min(history), max(history)
    log = low > 0 and high / low >= 100
    title = f"{short_name(output, 50)} per step" + (" (log scale)" if log else "")
    return plot_to_string(list(history), title=title, width=60, height=12, color=False,
                          lines=True, y_as_log=log)


def save_params(path: str, outcome: Outcome) -> None:
    """The learned parameters as a JSON object, name -> value: ``eval --values`` reads it."""
    # one line per parameter: an array as nested lists on its line
    lines = [f"  {json.dumps(name)}: {json.dumps(json_value(v))}"
             for name, v in zip(outcome.names, outcome.final)]
    text = "{\n" + ",\n".join(lines) + "\n}\n"
    try:
        with open(path, "w", encoding="utf-8") as file:
            file.write(text)
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None
