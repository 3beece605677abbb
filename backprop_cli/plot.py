"""What ``plot`` draws: the output and its derivative along one swept input."""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from .batch import bind_columns, evaluate_chunks
from .core.errors import EvaluationError, InputError
from .core.graph import Graph
from .core.names import unknown_name_hint
from .points import Sweep, sweep_chunks


class Curve(NamedTuple):
    """The finite points of a sweep, and the values the other inputs were held at."""

    xs: np.ndarray
    ys: np.ndarray
    slopes: np.ndarray
    others: list[tuple[str, float]]


def sweep_curve(graph: Graph, values: Mapping[str, float], axis: Sweep, *,
                allow_nonfinite: bool = False) -> Curve:
    """The output and d output / d ``axis.name`` at each point of the sweep.

    Points where either is not finite are left out (with ``allow_nonfinite``; without
    it the first one is an error); fewer than 2 finite points is an error.
    """
    names = graph.input_names()
    if axis.name not in names:
        raise InputError(f"--sweep {axis.name}: the program has no input named '{axis.name}'",
                         hint=unknown_name_hint(axis.name, names))
    if axis.name in values:
        raise InputError(f"{axis.name} is both swept and bound on the command line")
    fixed = bind_columns(graph, values, [axis.name], "--sweep")
    (rows,) = list(evaluate_chunks(graph, fixed, sweep_chunks([axis], axis.count),
                                   allow_nonfinite=allow_nonfinite, origin="--sweep"))
    k = names.index(axis.name)
    xs, ys, ds = rows.inputs[k], rows.value, rows.grads[k]
    keep = np.isfinite(ys) & np.isfinite(ds)
    if int(keep.sum()) < 2:
        raise EvaluationError("fewer than 2 points of the sweep are finite: nothing to draw")
    others = [(graph.nodes[i].name or "", fixed[i]) for i in graph.inputs
              if graph.nodes[i].name != axis.name]
    return Curve(xs[keep], ys[keep], ds[keep], others)
