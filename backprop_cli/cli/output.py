"""Where results go: every rendered result through ``show``, to stdout or a file."""

from __future__ import annotations

import os
import sys
from typing import Any

from ..core.errors import OutputError


def render(command: str, fmt: str, subject: Any, **options: Any) -> Any:
    """The renderer of ``command`` in ``fmt``, from the one registry, applied."""
    from ..render.registry import RenderOptions, renderer

    return renderer(command, fmt)(subject, RenderOptions(**options))


def show(rendered: Any, path: str | None = None) -> None:
    """Write what a renderer returned (see ``render.registry``) to stdout or ``path``."""
    from ..render.registry import Blocks

    if isinstance(rendered, Blocks):
        from ..streaming import write_blocks

        write_blocks(sys.stdout.buffer, rendered.chunks)
        return
    if path is not None:
        binary = isinstance(rendered, bytes)
        with open_out(path, binary=binary) as handle:
            if binary or isinstance(rendered, str):
                handle.write(rendered)
            elif hasattr(rendered, "__rich_console__"):
                from rich.console import Console

                Console(file=handle, width=120, color_system=None).print(rendered)
            else:
                for piece in rendered:
                    handle.write(piece)
        return
    if isinstance(rendered, bytes):
        sys.stdout.buffer.write(rendered)
        sys.stdout.buffer.flush()
    elif isinstance(rendered, str):
        write(rendered)
    elif hasattr(rendered, "__rich_console__"):
        print_rich(rendered)
    else:
        out = sys.stdout
        for piece in rendered:
            out.write(piece)
        out.flush()


def open_out(path: str, *, binary: bool) -> Any:
    try:
        return open(path, "wb" if binary else "w", encoding=None if binary else "utf-8")
    except OSError as error:
        raise OutputError(f"cannot write {path}: {error.strerror or error}") from None


def write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


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
