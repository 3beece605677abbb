"""``codegen``: a program's forward and backward pass as code in another language."""

from __future__ import annotations

from collections.abc import Sequence

from ..core.errors import InputError
from ..core.graph import Graph

LANGUAGES = ("python", "numpy", "c", "js")
# operations of vectors and matrices (the table marks the ones that take arrays only)
ARRAY_OPS = frozenset({"matmul", "dot", "outer", "transpose", "index", "array", "stack"})
# the targets that write programs with vectors and matrices
ARRAY_LANGUAGES = ("numpy", "js")
DEFAULT_NAMES = {"python": "value_and_grad", "numpy": "value_and_grad",
                 "c": "value_and_grad", "js": "valueAndGrad"}


def generate(graph: Graph, lang: str, *, name: str | None = None,
             wrt: Sequence[str] | None = None, trace: bool = False) -> str:
    """The source text of ``graph``'s value-and-gradient function in ``lang``; ``trace``
    (js only) adds ``trace(inputs)``, every node's value and gradient."""
    name = name or DEFAULT_NAMES[lang]
    if getattr(graph, "arrays", False) and lang in ARRAY_LANGUAGES:
        return _array_code(graph, lang, name=name, wrt=wrt, trace=trace)
    refuse_arrays(graph)
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


def _array_code(graph: Graph, lang: str, *, name: str, wrt: Sequence[str] | None,
                trace: bool) -> str:
    if trace and lang != "js":
        raise ValueError("trace is for the js target only")
    if lang == "numpy":
        from .numpy_arrays import numpy_array_module

        return numpy_array_module(graph, name=name, wrt=wrt)
    if lang == "js":
        from .js_arrays import javascript_array_module

        return javascript_array_module(graph, trace=trace, name=name, wrt=wrt)
    raise ValueError(f"no array code for {lang!r}")


def refuse_arrays(graph: Graph) -> None:
    """Generated code is scalar: a vector or a matrix in the program is an input error
    that points at the first one."""
    for node in graph.nodes:
        shape = getattr(node, "shape", ())
        if getattr(node.op, "tensor", False) or node.op.name in ARRAY_OPS:
            raise InputError(
                f"codegen writes scalar programs: {node.op.name} is an operation on arrays",
                source=graph.source, start=node.start, end=node.end)
        if shape:
            from ..core.labels import node_label

            what = node.name or node_label(graph, graph.nodes.index(node))
            size = " x ".join(map(str, shape))
            raise InputError(
                f"codegen writes scalar programs, and {what} is an array ({size})",
                source=graph.source, start=node.start, end=node.end,
                hint="write the program with one name per number (w0, w1, ...) to "
                     "generate its code",
            )
