"""``eval --each-line``: every line of the input is a program of its own, at one point.

Lines are read one at a time (a line over the byte limit is skipped unread, in pieces),
parsed, evaluated and handed on, so memory stays that of the longest line whatever the
number of lines. A line that fails is an outcome like any other: its error, not the end
of the run. Blank and comment-only lines are not programs and give nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import BinaryIO, NamedTuple

from .api import Result, evaluate_at, parse_program
from .core.errors import BackpropError, ExitStatus, InputError, LimitError, Remedy
from .core.ops import CONSTANTS

SKIP = 1 << 16  # bytes read at a time from the rest of a line over the limit


class Settings(NamedTuple):
    """eval's options, the same for every line."""

    output: str | None = None
    expand: bool = False
    max_nodes: int = 1_000_000
    max_bytes: int = 10_000_000
    ties: str = "first"
    exact: bool = False
    allow_nonfinite: bool = False


class LineOutcome(NamedTuple):
    """One line's result, or the error that stopped it."""

    line: int
    result: Result | None
    error: BackpropError | None


def read_lines(stream: BinaryIO, limit: int) -> Iterator[tuple[int, bytes | None]]:
    """(line number from 1, the line without its end); None for a line over ``limit``
    bytes, whose rest is read past in pieces and never held."""
    number = 0
    while True:
        line = stream.readline(limit + 1)
        if not line:
            return
        number += 1
        if len(line) > limit and not line.endswith(b"\n"):
            while True:
                rest = stream.readline(SKIP)
                if not rest or rest.endswith(b"\n"):
                    break
            yield number, None
            continue
        yield number, line.removesuffix(b"\n").removesuffix(b"\r")


class LineReport:
    """The outcomes of every line, made as they are read; ``worst`` is the exit status
    of the worst line so far (2 over 1 over 0)."""

    def __init__(self, stream: BinaryIO, values: Mapping[str, float], settings: Settings,
                 advice: object = None) -> None:
        self.stream = stream
        self.values = dict(values)
        self.settings = settings
        self.advice = advice  # how the caller words a remedy (core.errors.Advice)
        self.worst = ExitStatus.OK

    def __iter__(self) -> Iterator[LineOutcome]:
        for number, data in read_lines(self.stream, self.settings.max_bytes):
            try:
                result = self._evaluate(number, data)
            except BackpropError as error:
                self.worst = max(self.worst, error.exit_code)
                yield LineOutcome(number, None, error)
                continue
            if result is not None:
                yield LineOutcome(number, result, None)

    def _evaluate(self, number: int, data: bytes | None) -> Result | None:
        settings = self.settings
        if data is None:
            raise LimitError(f"line {number} is over the limit of {settings.max_bytes:,} bytes",
                             remedy=Remedy("max_bytes"))
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InputError(f"line {number} is not valid UTF-8 (byte 0x{data[error.start]:02x} "
                             f"at offset {error.start})") from None
        if number == 1:
            text = text.removeprefix("\ufeff")
        stripped = text.strip(" \t\r\f\v")
        if not stripped or stripped.startswith("#"):
            return None
        graph = parse_program(text, origin=f"line {number}", output=settings.output,
                              expand=settings.expand, max_nodes=settings.max_nodes,
                              max_bytes=settings.max_bytes)
        # a binding this line does not mention is not this line's business
        point = {name: value for name, value in self.values.items()
                 if name in graph.names or name in CONSTANTS}
        return evaluate_at(graph, point, ties=settings.ties, exact=settings.exact,
                           allow_nonfinite=settings.allow_nonfinite)
