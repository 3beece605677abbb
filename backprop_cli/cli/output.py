"""Where results go: every rendered result through ``show``, to stdout or a file.

Every write is checked to the last byte. A large ``write`` on one of Python's buffered
streams may be cut short (the reader of a pipe went away mid-write) and return the count
it managed, raising nothing; ``write_all`` writes the rest, so the next write raises
(``EPIPE``: the guard ends quietly with exit 1). One rule for every command and format.

``adopt_standard_streams`` gives a process started with stdin, stdout or stderr closed
(``<&-``, ``>&-``, ``2>&-``: Python sets ``sys.stdout`` to None) streams that behave: the
descriptor is held by ``/dev/null`` so no file opened later takes its number; writing to
a closed stdout raises ``OSError`` ("standard output is closed", exit 1); reading a
closed stdin is an ``InputError`` ("cannot read standard input", exit 2); messages to a
closed stderr are dropped, and the exit status stays what it would have been.
"""

from __future__ import annotations

import errno
import io
import os
import sys
from typing import Any

from ..core.errors import InputError, OutputError

PIECES = 1 << 16  # characters gathered from a renderer's pieces before one write


def render(command: str, fmt: str, subject: Any, **options: Any) -> Any:
    """The renderer of ``command`` in ``fmt``, from the one registry, applied."""
    from ..render.registry import RenderOptions, renderer

    return renderer(command, fmt)(subject, RenderOptions(**options))


def show(rendered: Any, path: str | None = None) -> None:
    """Write what a renderer returned (see ``render.registry``) to stdout or ``path``."""
    from ..render.registry import Blocks

    if isinstance(rendered, Blocks):
        from ..streaming import write_blocks

        write_blocks(_stdout_bytes(), rendered.chunks, rendered.header_lines)
        return
    if path is not None:
        with open_out(path, binary=True) as handle:
            if isinstance(rendered, bytes):
                write_all(handle, rendered)
            elif isinstance(rendered, str):
                write_all(handle, rendered.encode("utf-8"))
            elif hasattr(rendered, "__rich_console__"):
                from rich.console import Console

                text = io.StringIO()
                Console(file=text, width=120, color_system=None).print(rendered)
                write_all(handle, text.getvalue().encode("utf-8"))
            else:
                for piece in _gathered(rendered):
                    write_all(handle, piece.encode("utf-8"))
        return
    if isinstance(rendered, bytes):
        buffer = _stdout_bytes()
        write_all(buffer, rendered)
        buffer.flush()
    elif isinstance(rendered, str):
        write(rendered)
    elif hasattr(rendered, "__rich_console__"):
        print_rich(rendered)
    else:
        for piece in _gathered(rendered):
            write(piece)


def _gathered(pieces: Any) -> Any:
    """A renderer's pieces joined into writes of about ``PIECES`` characters."""
    held: list[str] = []
    size = 0
    for piece in pieces:
        held.append(piece)
        size += len(piece)
        if size >= PIECES:
            yield "".join(held)
            held, size = [], 0
    if held:
        yield "".join(held)


def write_all(out: Any, data: bytes) -> None:
    """Write every byte of ``data`` to the binary stream ``out``, or raise."""
    view = memoryview(data)
    while view:
        written = out.write(view)
        if not written:  # None (would block) or 0: no progress is an error, not a loop
            raise OSError(errno.EIO, "the output accepted no more bytes")
        view = view[written:]


def open_out(path: str, *, binary: bool) -> Any:
    try:
        return open(path, "wb" if binary else "w", encoding=None if binary else "utf-8")
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None


def write(text: str) -> None:
    """``text`` to stdout, every byte of it, flushed."""
    out = sys.stdout
    buffer = getattr(out, "buffer", None)
    if buffer is None:  # a text-only stream (a test's StringIO)
        out.write(text)
        out.flush()
        return
    out.flush()  # whatever click or print left in the text layer goes first
    write_all(buffer, text.encode(out.encoding or "utf-8", out.errors or "strict"))
    buffer.flush()


def _stdout_bytes() -> Any:
    out = sys.stdout
    out.flush()
    return out.buffer


class _CheckedStdout:
    """stdout as Rich sees it: its writes go through ``write``; the rest is stdout's."""

    def write(self, text: str) -> int:
        write(text)
        return len(text)

    def flush(self) -> None:
        sys.stdout.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(sys.stdout, name)


# The width of a pipe or a file: no limit, so a table is as wide as its content needs.
UNLIMITED = 1 << 20


def columns() -> int | None:
    """``COLUMNS`` when it is a width (a whole number from 1 up), else None."""
    text = os.environ.get("COLUMNS", "").strip()
    return int(text) if text.isdigit() and int(text) >= 1 else None


def make_console() -> Any:
    """Rich's console for stdout: colour on a terminal; no escapes at all with NO_COLOR.

    Its width is ``COLUMNS`` when that is set, else the terminal's, else (a pipe or a
    file) unlimited: what a table's content needs, never Rich's 80 columns.
    """
    from rich.console import Console

    width = columns()
    if width is None and not sys.stdout.isatty():
        width = UNLIMITED
    if os.environ.get("NO_COLOR"):
        return Console(soft_wrap=False, color_system=None, width=width)
    return Console(soft_wrap=False, width=width)


def print_rich(renderable: Any) -> None:
    """Print line by line as the renderable makes its lines: nothing cropped (a number
    longer than the screen stays whole), no spaces at line ends, a few hundred lines held
    at a time."""
    from rich.segment import Segment, Segments

    console = make_console()
    console.file = _CheckedStdout()
    batch: list[Segment] = []
    newline = Segment.line()
    for line in Segment.split_lines(console.render(renderable, console.options)):
        while line and not line[-1].control and not line[-1].text.rstrip():
            line.pop()
        if line and not line[-1].control:
            last = line[-1]
            line[-1] = Segment(last.text.rstrip(), last.style, last.control)
        batch.extend(line)
        batch.append(newline)
        if len(batch) >= 8192:
            console.print(Segments(batch), crop=False)
            batch = []
    if batch:
        console.print(Segments(batch), crop=False)
    sys.stdout.flush()


# -- standard streams closed at start-up ---------------------------------------------------
class _ClosedBytes(io.RawIOBase):
    """A closed standard stream's bytes: reading or writing says it is closed."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.name = name

    def readable(self) -> bool:
        return self.name == "input"

    def writable(self) -> bool:
        return self.name == "output"

    def fileno(self) -> int:
        raise io.UnsupportedOperation(f"standard {self.name} is closed")

    def isatty(self) -> bool:
        return False

    def readinto(self, buffer: Any) -> int:
        raise InputError("cannot read standard input: it is closed")

    def readline(self, size: int | None = -1) -> bytes:
        raise InputError("cannot read standard input: it is closed")

    def write(self, data: Any) -> int:
        raise OSError(errno.EBADF, "standard output is closed")

    def flush(self) -> None:
        pass


class _ClosedText(io.TextIOBase):
    """A closed stdin or stdout as a text stream over ``_ClosedBytes``."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, name: str) -> None:
        super().__init__()
        self.buffer = _ClosedBytes(name)

    def fileno(self) -> int:
        return self.buffer.fileno()

    def isatty(self) -> bool:
        return False

    def read(self, size: int | None = -1) -> str:
        self.buffer.readinto(bytearray(1))
        return ""

    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        return self.read()

    def write(self, text: str) -> int:
        return self.buffer.write(text.encode())

    def flush(self) -> None:
        pass


def adopt_standard_streams() -> None:
    """Streams for the standard descriptors the process was started without."""
    for fd, name in ((0, "stdin"), (1, "stdout"), (2, "stderr")):
        if getattr(sys, name) is not None:
            continue
        try:
            os.fstat(fd)
        except OSError:  # closed: /dev/null holds its number, so no file opened takes it
            try:
                null = os.open(os.devnull, os.O_RDWR)
                if null != fd:
                    os.dup2(null, fd)
                    os.close(null)
            except OSError:
                pass
        if name == "stderr":
            sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - the process's
        else:
            setattr(sys, name, _ClosedText("input" if fd == 0 else "output"))
