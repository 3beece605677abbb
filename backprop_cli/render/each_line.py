"""``eval --each-line``: JSON Lines, one object per program line, as the lines come.

A line that evaluated is SPEC §4's document with ``"line": N`` first; a line that failed
is ``{"line": N, "error": {"message", "hint", "notes", "column", "exit_status"}}``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from ..core.errors import BackpropError
from ..each_line import LineReport
from .eval_json import header, node_object
from .registry import RenderOptions


def exact_json(x: Any) -> Any:
    """A rational as ``"1/3"``, an array of them as nested lists of such strings."""
    if not hasattr(x, "shape"):
        return str(x)
    from ..numerics.exact_arrays import texts

    return texts(x)

_dumps = json.JSONEncoder(allow_nan=False, ensure_ascii=False, separators=(", ", ": ")).encode


def error_object(error: BackpropError, advice: Any) -> dict:
    hint = error.hint
    if hint is None and error.remedy is not None and advice is not None:
        hint = advice(error.remedy)
    column = None
    if error.source is not None and error.start is not None:
        column = error.source.line_col(error.start)[1]
    return {"message": error.message, "hint": hint, "notes": list(error.notes),
            "column": column, "exit_status": error.exit_code}


def render_jsonl(report: LineReport, options: RenderOptions) -> Iterator[str]:
    for outcome in report:
        if outcome.error is not None:
            yield _dumps({"line": outcome.line,
                          "error": error_object(outcome.error, report.advice)}) + "\n"
            continue
        result = outcome.result
        assert result is not None
        document: dict[str, Any] = {"line": outcome.line, **header(result)}
        exact = result.exact
        graph = result.graph
        if exact is not None:
            document["value_exact"] = exact_json(exact[0][graph.output])
            document["gradient_exact"] = {graph.nodes[i].name: exact_json(exact[1][i])
                                          for i in graph.inputs}
        nodes = []
        for record in result.nodes:
            node = node_object(record, result)
            if exact is not None:
                node["value_exact"] = exact_json(exact[0][record.id])
                node["grad_exact"] = exact_json(exact[1][record.id])
            nodes.append(node)
        document["nodes"] = nodes
        yield _dumps(document) + "\n"
