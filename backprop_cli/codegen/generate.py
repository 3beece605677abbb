"""``codegen``: a program's forward and backward pass as code in another language."""

from __future__ import annotations

from collections.abc import Sequence

from ..core.graph import Graph

LANGUAGES = ("python", "numpy", "c", "js")
DEFAULT_NAMES = {"python": "value_and_grad", "numpy": "value_and_grad",
                 "c": "value_and_grad", "js": "valueAndGrad"}


def generate(graph: Graph, lang: str, *, name: str | None = None,
             wrt: Sequence[str] | None = None, trace: bool = False) -> str:
    """The source text of ``graph``'s value-and-gradient function in ``lang``; ``trace``
    (js only) adds ``trace(inputs)``, every node's value and gradient."""
    name = name or DEFAULT_NAMES[lang]
    if lang == "js":
        from .js import javascript_module

        return javascript_module(graph, trace=trace, name=name, wrt=wrt)
    if trace:
        raise ValueError("trace is for the js target only")
    if lang == "python":
        from .python import python_module

        return python_module(graph, name=name, wrt=wrt)
    if lang == "numpy":
        from .numpy_code import numpy_module

        return numpy_module(graph, name=name, wrt=wrt)
    if lang == "c":
        from .c import c_source

        return c_source(graph, name=name, wrt=wrt)
    raise ValueError(f"unknown language {lang!r}")
