"""Renderers: pure functions from a Result to text or a Rich renderable.

Each format is one module with a ``render(result, options)`` function; adding a format
is one module and one line in ``FORMATS``. Modules are imported only when chosen, so
``--format json`` never loads Rich.
"""

from __future__ import annotations

import importlib
from typing import Any, NamedTuple

FORMATS: dict[str, str] = {
    "table": "backprop_cli.render.eval_table",
    "json": "backprop_cli.render.eval_json",
    "csv": "backprop_cli.render.eval_csv",
    "plain": "backprop_cli.render.eval_plain",
    "tree": "backprop_cli.render.graph_tree",
    "dot": "backprop_cli.render.graph_dot",
    "mermaid": "backprop_cli.render.graph_mermaid",
}


class RenderOptions(NamedTuple):
    precision: int = 6
    max_rows: int = 1000
    max_depth: int = 40


def renderer(name: str) -> Any:
    """The ``render`` function of a format."""
    return importlib.import_module(FORMATS[name]).render
