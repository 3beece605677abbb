"""The one registry of renderers, and the one contract they keep.

A renderer is a pure function ``render(subject, options) -> Rendered``: the subject is
what its command computed (a ``Result``, a ``Picture``, a ``CheckReport``, ...), the
options say how much to show. What it returns is one of:

- ``str``: text, written as it is;
- an iterable of ``str``: text in pieces, written as they come (large outputs);
- ``bytes``: a binary file (PNG, PDF);
- ``Blocks``: pieces of encoded text that a writer thread streams while the next are
  computed (batch rows);
- a Rich renderable (anything with ``__rich_console__``): printed by the CLI's console.

Modules load only when their format is chosen, so ``--format json`` never loads Rich.
Adding a format is one function and one line here.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple


class RenderOptions(NamedTuple):
    precision: int = 6  # significant digits in tables and pictures
    max_rows: int = 1000  # rows of a table before its middle is elided (0: all)
    max_depth: int = 40  # levels of a tree before it is cut


class Blocks(NamedTuple):
    """Encoded text in pieces, for a writer that overlaps output with computation."""

    chunks: Iterable[bytes]
    header_lines: int = 0  # lines before the first row (a CSV header), for counting rows


Rendered = Any  # str | Iterable[str] | bytes | Blocks | a Rich renderable

# command -> format -> "module:function" (modules of this package)
RENDERERS: dict[str, dict[str, str]] = {
    "eval": {
        "table": "eval_table:render",
        "json": "eval_json:render",
        "csv": "eval_csv:render",
        "plain": "eval_plain:render",
    },
    "explain": {"text": "explain:render", "json": "explain:render_json"},
    "each-line": {"jsonl": "each_line:render_jsonl"},
    "batch": {"csv": "batch:render_csv", "jsonl": "batch:render_jsonl"},
    "graph": {
        "tree": "graph_tree:render",
        "dot": "graph_dot:render",
        "mermaid": "graph_mermaid:render",
        "svg": "graph_dot:render_svg",
        "png": "graph_dot:render_png",
        "pdf": "graph_dot:render_pdf",
        "html": "graph_html:render_html",
    },
    "diff": {
        "plain": "diff:render_plain",
        "json": "diff:render_json",
        "latex": "diff:render_latex",
    },
    "check": {"table": "check:render_table", "json": "check:render_json"},
    "hessian": {"table": "hessian:render_table", "json": "hessian:render_json"},
    "descend": {
        "table": "descend:render_table",
        "json": "descend:render_json",
        "chart": "descend:render_chart",
    },
    "ops": {"table": "ops:render_table", "json": "ops:render_json"},
}


def formats(command: str) -> tuple[str, ...]:
    """The formats a command's output can take."""
    return tuple(RENDERERS[command])


def renderer(command: str, fmt: str) -> Callable[[Any, RenderOptions], Rendered]:
    """The function that renders ``command``'s result in format ``fmt``."""
    module, function = RENDERERS[command][fmt].split(":")
    return getattr(importlib.import_module(f"{__package__}.{module}"), function)


def render(command: str, fmt: str, subject: Any, options: RenderOptions | None = None,
           ) -> Rendered:
    return renderer(command, fmt)(subject, options or RenderOptions())
