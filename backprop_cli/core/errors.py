"""The one family of errors backprop reports, each with its exit status.

Every error a user can cause is a ``BackpropError``: a message, optionally a span of the
program (``source`` plus ``start``/``end`` offsets) and a hint. ``format_error`` is the
one place that turns them into text; the CLI is the one place that maps them to exits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from .source import Source, terminal_safe


class ExitStatus:
    """Exit statuses, as SPEC §2 fixes them."""

    OK = 0
    EVALUATION = 1
    USAGE = 2
    INTERNAL = 70
    INTERRUPTED = 130


class Remedy(NamedTuple):
    """A setting that would let the input through: the caller words it (the CLI names its
    option, ``--max-nodes``; the Python API its argument, ``max_nodes=``)."""

    setting: str  # allow_nonfinite, max_nodes, max_bytes, exact, max_digits, lr or program
    value: str | None = None  # a value to suggest (a smaller learning rate)


# How the Python API words a remedy.
API_ADVICE = {
    "allow_nonfinite": "pass allow_nonfinite=True to let non-finite numbers through",
    "max_nodes": "raise the limit with max_nodes=",
    "max_bytes": "raise the limit with max_bytes=",
    "exact": "evaluate it in floating point (exact=False)",
    "max_digits": "raise the limit with max_digits=",
    "lr": "try a smaller learning rate, such as lr={value}",
    "program": "print the derivatives as a program: it names each shared subexpression once",
}

Advice = Callable[[Remedy], "str | None"]


def api_advice(remedy: Remedy) -> str | None:
    return API_ADVICE[remedy.setting].format(value=remedy.value)


class BackpropError(Exception):
    """Base class: a message for the user, never a traceback."""

    exit_code = ExitStatus.USAGE

    def __init__(
        self,
        message: str,
        *,
        source: Source | None = None,
        start: int | None = None,
        end: int | None = None,
        hint: str | None = None,
        notes: tuple[str, ...] = (),
        remedy: Remedy | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.start = start
        self.end = end if end is not None else (start + 1 if start is not None else None)
        self.hint = hint
        self.notes = notes
        self.remedy = remedy
        self.options: frozenset[str] = frozenset()  # the options of the command it ended

    def __str__(self) -> str:
        return format_error(self)


class InputError(BackpropError):
    """Bad input: a syntax error, an unknown name, a bad binding, a missing value."""


class LimitError(InputError):
    """Input over a size limit; the message names the option that raises it."""


class EvaluationError(BackpropError):
    """The program parsed but could not be evaluated: a domain error, a non-finite number."""

    exit_code = ExitStatus.EVALUATION


class OutputError(BackpropError):
    """The output could not be written."""

    exit_code = ExitStatus.EVALUATION


LINE_LIMIT = 200  # characters of one printed line, its prefix included: a huge name is cut


def _line(prefix: str, text: str) -> str:
    """``prefix + text``, made safe for a terminal and cut to LINE_LIMIT characters."""
    line = prefix + terminal_safe(text)
    return line if len(line) <= LINE_LIMIT else line[: LINE_LIMIT - 1] + "…"


def format_error(error: BackpropError, advice: Advice = api_advice) -> str:
    """``error: ...``, then where, the source line and a caret, then notes and a hint.

    A remedy becomes the hint in the words ``advice`` gives it (None: no hint).
    """
    lines = [_line("error: ", error.message)]
    if error.source is not None and error.start is not None:
        lines.append(f"  --> {error.source.location(error.start)}")
        for text in error.source.snippet(error.start, error.end or error.start + 1):
            lines.append(f"  {text}")
    lines.extend(_line("  ", note) for note in error.notes)
    hint = error.hint
    if hint is None and error.remedy is not None:
        hint = advice(error.remedy)
    if hint:
        lines.append(_line("hint: ", hint))
    return "\n".join(lines)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) that knows where the command had got to: ``detail`` ends the
    line ``interrupted ...`` (``at step 120 ...``, ``after 65,536 rows ...``); exit 130."""

    def __init__(self, detail: str = "") -> None:
        super().__init__(detail)
        self.detail = detail
