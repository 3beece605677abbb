"""Output of ``descend``: progress on stderr, a trace file, the result, a chart."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Sequence
from typing import Any

from ..core.errors import OutputError
from ..core.names import short_name
from ..core.numbers import format_number, json_number, shown
from ..descend import DescentReport, Step
from .registry import RenderOptions

REASONS = {
    "converged": "the gradient's norm fell below --tol",
    "steps": "it took the --steps steps asked for",
}
HISTORY_LIMIT = 2000  # points kept for the chart (every k-th step of a long run)


class Recorder:
    """Receives every step: writes the trace, keeps a thinned history, drives the bar,
    and remembers the last step, for ``stopped_at`` (where Ctrl-C found the descent)."""

    def __init__(self, trace: str | None, names: Sequence[str], steps: int,
                 show_progress: bool) -> None:
        self.names = list(names)
        self.steps = steps
        self.history: list[float] = []
        self._every = 1
        self._trace_path = trace
        self._file: Any = None
        self._writer: Any = None
        self._progress: Any = None
        self._task: Any = None
        self._show = show_progress and sys.stderr.isatty()
        self.last: Step | None = None

    def __enter__(self) -> Recorder:
        if self._trace_path is not None:
            try:
                self._file = open(self._trace_path, "w", newline="", encoding="utf-8")
            except OSError as error:
                raise OutputError(
                    f"cannot write {self._trace_path}: {error.strerror or error}") from None
            self._writer = csv.writer(self._file, lineterminator="\n")
            self._writer.writerow(["step", "output", *self.names, "grad_norm"])
        if self._show:
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                TextColumn("step {task.completed:>7,.0f}"), BarColumn(),
                TextColumn("output {task.fields[output]}  |grad| {task.fields[norm]}"),
                TimeElapsedColumn(), console=Console(stderr=True), transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("descend", total=self.steps or 1,
                                                 output="", norm="")
        return self

    def record(self, state: Step) -> None:
        self.last = state
        if self._writer is not None:
            self._writer.writerow([state.step, repr(state.output),
                                   *map(repr, state.params), repr(state.grad_norm)])
        if state.step % self._every == 0:
            self.history.append(state.output)
            if len(self.history) >= 2 * HISTORY_LIMIT:
                self.history = self.history[::2]
                self._every *= 2
        if self._progress is not None and (state.step % 50 == 0):
            self._progress.update(self._task, completed=state.step,
                                  output=shown(state.output, 6), norm=shown(state.grad_norm, 3))

    def stopped_at(self, output: str, limit: int = 8) -> str:
        """``at step 120 of 1000 (f = 0.25): x=2.5 y=-1``: the last step reached, its
        inputs written as bindings (in full, so a run can go on from there)."""
        state = self.last
        if state is None:
            return "before the first step"
        bindings = [f"{name}={format_number(value)}"
                    for name, value in zip(self.names[:limit], state.params)]
        if len(self.names) > limit:
            bindings.append(f"(and {len(self.names) - limit} more inputs)")
        return (f"at step {state.step:,} of {self.steps:,} ({short_name(output, 40)} = "
                f"{format_number(state.output)}): {' '.join(bindings)}")

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
        if self._file is not None:
            self._file.close()


def render_table(report: DescentReport, options: RenderOptions) -> Any:
    outcome, output, settings = report.outcome, report.output, report.settings
    from rich.console import Group
    from rich.text import Text

    from .tables import FOLD, NUMBER, Column, Grid, Row

    verb = "maximised" if settings.maximize else "minimised"
    title = Text(f"{short_name(output)} {verb}: {shown(outcome.start_output, 6)} -> "
                 f"{shown(outcome.final_output, 6)}", style="bold yellow")
    columns = [Column("input", style="cyan", kind=FOLD),
               Column("start", justify="right", kind=NUMBER),
               Column("final", justify="right", style="green", kind=NUMBER),
               Column("final grad", justify="right", style="red", kind=NUMBER)]
    rows = [Row((name, shown(a, 8), shown(b, 8), shown(g, 3))) for name, a, b, g
            in zip(outcome.names, outcome.start, outcome.final, outcome.final_grad)]
    table = Grid(columns, rows, title=title)
    summary = Text(f"{outcome.steps:,} steps of {settings.optimizer} (lr {settings.lr:g}); "
                   f"stopped because {REASONS[outcome.reason]}", style="dim")
    return Group(table, summary)


def render_json(report: DescentReport, options: RenderOptions) -> str:
    outcome, output, settings = report.outcome, report.output, report.settings
    data = {
        "output": output,
        "start_value": json_number(outcome.start_output),
        "value": json_number(outcome.final_output),
        "steps": outcome.steps,
        "stopped": outcome.reason,
        "optimizer": settings.optimizer,
        "lr": settings.lr,
        "maximize": settings.maximize,
        "inputs": {
            name: {"start": json_number(a), "final": json_number(b), "grad": json_number(g)}
            for name, a, b, g in zip(outcome.names, outcome.start, outcome.final,
                                     outcome.final_grad)
        },
    }
    return json.dumps(data, indent=2) + "\n"


def render_chart(report: DescentReport, options: RenderOptions) -> str:
    history, output = report.history, report.output
    """The output per step, drawn with uniplot."""
    from uniplot import plot_to_string

    if len(history) < 2:
        return f"(one step: {output} = {format_number(history[0]) if history else '?'})"
    return plot_to_string(list(history), title=f"{short_name(output, 50)} per step", width=60,
                          height=12, color=False, lines=True)
