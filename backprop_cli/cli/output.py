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


def make_console() -> Any:
    """Rich's console for stdout: colour on a terminal; no escapes at all with NO_COLOR."""
    from rich.console import Console

    if os.environ.get("NO_COLOR"):
        return Console(soft_wrap=False, color_system=None)
    return Console(soft_wrap=False)


def print_rich(renderable: Any) -> None:
    console = make_console()
    console.print(renderable)
    sys.stdout.flush()
