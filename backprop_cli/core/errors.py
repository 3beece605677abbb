"""The one family of errors backprop reports, each with its exit status.

Every error a user can cause is a ``BackpropError``: a message, optionally a span of the
program (``source`` plus ``start``/``end`` offsets) and a hint. ``format_error`` is the
one place that turns them into text; the CLI is the one place that maps them to exits.
"""

from __future__ import annotations

from .source import Source, terminal_safe


class ExitStatus:
    """Exit statuses, as SPEC §2 fixes them."""

    OK = 0
    EVALUATION = 1
    USAGE = 2
    INTERNAL = 70
    INTERRUPTED = 130


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
    ) -> None:
        super().__init__(message)
        self.message = message
        self.source = source
        self.start = start
        self.end = end if end is not None else (start + 1 if start is not None else None)
        self.hint = hint
        self.notes = notes

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


LINE_LIMIT = 300  # characters of one message line: a huge name or list is cut


def _line(text: str) -> str:
    text = terminal_safe(text)
    return text if len(text) <= LINE_LIMIT else text[: LINE_LIMIT - 1] + "…"


def format_error(error: BackpropError) -> str:
    """``error: ...``, then where, the source line and a caret, then notes and a hint."""
    lines = [f"error: {_line(error.message)}"]
    if error.source is not None and error.start is not None:
        lines.append(f"  --> {error.source.location(error.start)}")
        for text in error.source.snippet(error.start, error.end or error.start + 1):
            lines.append(f"  {text}")
    lines.extend(f"  {_line(note)}" for note in error.notes)
    if error.hint:
        lines.append(f"hint: {_line(error.hint)}")
    return "\n".join(lines)
