"""Where results go: text and Rich renderables to stdout, through one console."""

from __future__ import annotations

import os
import sys
from typing import Any


def emit(result: Any, fmt: str, **options: Any) -> None:
    from ..render import RenderOptions, renderer

    rendered = renderer(fmt)(result, RenderOptions(**options))
    if isinstance(rendered, str):
        write(rendered)
    elif hasattr(rendered, "__rich_console__"):
        print_rich(rendered)
    else:
        out = sys.stdout
        for chunk in rendered:
            out.write(chunk)
        out.flush()


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
