"""The NumPy target for array programs: ndarrays, vectorised over leading batch axes.

``value_and_grad(W, b, x, ...)`` takes each input as an ndarray whose LAST axes have the
input's shape in the program (a vector of 3: ``(..., 3)``; a matrix 2x3: ``(..., 2, 3)``;
a number: any shape). The axes before those are batch axes: the inputs' batch axes
broadcast together (NumPy's rule), every operation works on the trailing (logical) axes,
and the value and each gradient come back with the batch shape first, then their own
shape: one point per batch element, as ``backprop eval`` at each point. With no batch
axes, the function is ``eval`` at one point. ``matmul`` is ``np.matmul`` over the batch,
a reduction sums the logical axes only, and a value of fewer logical axes than another
is lined up from the end of the logical axes (``x[..., None, :]``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import ClassVar

from ..core.graph import Graph
from .emit import ATOM, Printed, _at
from .expr import CONST, Expr
from .numpy_code import HELPERS as SCALAR_HELPERS
from .numpy_code import NUMPY_TARGET, NumPy
from .python import LINE_LIMIT, _docstring, _fit, _line, _signature
from .tensor import PRIM, ArrayFunction, build_array_module

ARRAY_HELPERS: dict[str, str] = {
    "_input": '''\
def _input(x, shape, name):
    """x as an array of floats whose last axes are ``shape`` (the axes before: a batch)."""
    x = np.asarray(x, dtype=float)
    if x.shape[x.ndim - len(shape):] != shape or x.ndim < len(shape):
        raise ValueError(f"{name} has the shape {shape} in the program, not {x.shape}")
    return x''',
    "_full": '''\
def _full(v, batch, shape):
    """v with the batch axes, then its own shape (a copy of floats)."""
    return np.array(np.broadcast_to(v, batch + shape), dtype=float)''',
    "_reshape": '''\
def _reshape(v, rank, shape):
    """The last ``rank`` axes of v reshaped to ``shape`` (axes of 1 added or removed)."""
    v = np.asarray(v)
    return v.reshape(v.shape[:v.ndim - rank] + shape)''',
    "_transpose": '''\
def _transpose(a, rank):
    """The last ``rank`` axes reversed."""
    return np.moveaxis(a, tuple(range(-rank, 0)), tuple(range(-1, -rank - 1, -1)))''',
    "_spread": '''\
def _spread(g, shape):
    """A number (per batch element) copied to every element of ``shape``."""
    g = np.asarray(g, dtype=float)
    return np.broadcast_to(g[(...,) + (None,) * len(shape)], g.shape + shape).copy()''',
    "_first_of": '''\
def _first_of(v, out, rank):
    """1 at the first element of v (over its last ``rank`` axes) equal to out, else 0."""
    v = np.asarray(v)
    flat = v.reshape(v.shape[:v.ndim - rank] + (-1,))
    hit = flat == np.asarray(out)[..., None]
    first = np.argmax(hit, axis=-1)[..., None]
    mask = np.zeros(np.broadcast_shapes(hit.shape, flat.shape))
    np.put_along_axis(mask, first, np.take_along_axis(hit, first, axis=-1), axis=-1)
    return mask.reshape(mask.shape[:-1] + v.shape[v.ndim - rank:])''',
    "_stack": '''\
def _stack(rank, *parts):
    """The parts (each of ``rank`` logical axes) stacked along a new first logical axis."""
    return np.stack(np.broadcast_arrays(*parts), axis=-rank - 1)''',
    "_put": '''\
def _put(g, rank, subscripts, shape):
    """Zeros of ``shape`` (after g's batch axes) with g at ``subscripts``."""
    g = np.asarray(g, dtype=float)
    out = np.zeros(g.shape[:g.ndim - rank] + shape)
    out[(...,) + subscripts] = g
    return out''',
    "_unbroadcast": '''\
def _unbroadcast(g, rank, shape):
    """g (of ``rank`` logical axes) summed over the axes that ``shape`` was broadcast
    along, to ``shape`` after g's batch axes."""
    g = np.asarray(g, dtype=float)
    extra = rank - len(shape)
    if extra > 0:
        g = np.sum(g, axis=tuple(range(-rank, -rank + extra)))
        rank = len(shape)
    own = g.shape[g.ndim - rank:]
    axes = tuple(k - rank for k in range(rank)
                 if shape[len(shape) - rank + k] == 1 and own[k] != 1)
    if axes:
        g = np.sum(g, axis=axes, keepdims=True)
    batch = g.shape[:g.ndim - rank]
    return np.broadcast_to(g, batch + shape).copy()''',
}


def _subscripts(subs: tuple[int | slice, ...], for_index: bool) -> str:
    parts = []
    for s in subs:
        if isinstance(s, slice):
            if for_index:
                parts.append(":".join("" if x is None else str(x)
                                      for x in (s.start, s.stop, s.step)).rstrip(":") or ":")
            else:
                parts.append(f"slice({s.start}, {s.stop}, {s.step})")
        else:
            parts.append(str(int(s)))
    if for_index:
        return ", ".join(parts)
    return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"


def _axes(rank: int) -> str:
    if rank == 1:
        return "-1"
    return "(" + ", ".join(str(k) for k in range(-rank, 0)) + ")"


class NumPyArrays(NumPy):
    helper_sources: ClassVar[dict[str, str]] = {**SCALAR_HELPERS, **ARRAY_HELPERS}

    def _one(self, e: Expr, args: list[Printed]) -> Printed:
        if e.kind == PRIM:
            return self.primitive(e, [a[0] for a in args], args)
        if e.kind == "call" and e.function == "isfinite":
            return f"np.isfinite({args[0][0]})", ATOM
        if e.args and e.kind not in ("ref", CONST):
            rank = len(e.shape)
            args = [self._padded(a, p, rank) for a, p in zip(e.args, args)]
        return super()._one(e, args)

    @staticmethod
    def _padded(a: Expr, printed: Printed, rank: int) -> Printed:
        """``a`` lined up with a value of ``rank`` logical axes (from the end)."""
        own = len(a.shape)
        if own >= rank or a.kind == CONST:
            return printed
        index = ", ".join(["None"] * (rank - own) + [":"] * own)
        return f"{_at(printed, ATOM)}[..., {index}]", ATOM

    def primitive(self, e: Expr, args: list[str], printed: list[Printed]) -> Printed:
        f = e.function
        a = e.args[0] if e.args else None
        rank = len(a.shape) if a is not None else 0
        if f == "reshape":
            self.use("_reshape")
            return f"_reshape({args[0]}, {rank}, {e.shape!r})", ATOM
        if f == "matmul":
            left, _right = e.args
            if left.shape[-1] == 1:  # an outer product, as tensor_math computes it
                return f"{_at(printed[0], ATOM)} * {_at(printed[1], ATOM)}", 5
            return f"np.matmul({args[0]}, {args[1]})", ATOM
        if f == "mT":
            return f"np.swapaxes({args[0]}, -1, -2)", ATOM
        if f == "transpose":
            if rank == 2:
                return f"np.swapaxes({args[0]}, -1, -2)", ATOM
            self.use("_transpose")
            return f"_transpose({args[0]}, {rank})", ATOM
        if f in ("sum", "amax", "amin"):
            name = {"sum": "np.sum", "amax": "np.max", "amin": "np.min"}[f]
            return f"{name}({args[0]}, axis={_axes(rank)})", ATOM
        if f == "spread":
            self.use("_spread")
            return f"_spread({args[0]}, {e.shape!r})", ATOM
        if f == "first_of":
            self.use("_first_of")
            return f"_first_of({args[0]}, {args[1]}, {rank})", ATOM
        if f in ("last_axis_max", "last_axis_sum"):
            name = "np.max" if f == "last_axis_max" else "np.sum"
            return f"{name}({args[0]}, axis=-1, keepdims=True)", ATOM
        if f == "stack":
            self.use("_stack")
            return f"_stack({len(e.shape) - 1}, {', '.join(args)})", ATOM
        if f == "take":
            return f"{_at(printed[0], ATOM)}[..., {_subscripts(e.data, True)}]", ATOM
        if f == "put":
            self.use("_put")
            return (f"_put({args[0]}, {rank}, {_subscripts(e.data, False)}, {e.shape!r})",
                    ATOM)
        if f == "unbroadcast":
            self.use("_unbroadcast")
            return f"_unbroadcast({args[0]}, {rank}, {e.shape!r})", ATOM
        if f == "zeros":
            return f"np.zeros({e.shape!r})", ATOM
        if f == "literal":
            values = ", ".join(self.number(v) for v in e.data)
            return f"np.array([{values}]).reshape({e.shape!r})", ATOM
        raise ValueError(f"no NumPy spelling of {f}")


def _function_lines(lang: NumPyArrays, fn: ArrayFunction) -> list[str]:
    lang.use("_input")
    lang.use("_full")
    doc = (f"{fn.comment}: the value, and d value / d input for "
           + (", ".join(fn.wrt) if fn.wrt else "no input")
           + ". Shapes: " + "; ".join(f"{s} {shape}" for s, shape in
                                      zip(fn.source_params, fn.shapes))
           + ", each after any batch axes.")
    lines = [*_signature(fn.name, list(fn.params), "").split("\n"),
             *_docstring(doc, fn, lang)]  # type: ignore[arg-type]
    for p, s, shape in zip(fn.params, fn.source_params, fn.shapes):
        lines.append(_fit(f"    {p} = _input({p}, {shape!r}, {json.dumps(s)})"))
    leading = [f"{p}.shape[:{p}.ndim - {len(shape)}]" if shape else f"{p}.shape"
               for p, shape in zip(fn.params, fn.shapes)]
    if len(leading) > 1:
        lines.append(_fit(f"    batch = np.broadcast_shapes({', '.join(leading)})"))
    else:
        lines.append(f"    batch = {leading[0] if leading else '()'}")
    lines.append('    with np.errstate(all="ignore"):')
    if fn.statements:
        lines.append("        # forward pass, then the backward pass: one statement per gate")
    for statement in fn.statements:
        lines += _line("        ", statement.target, lang.expression(statement.expr),
                       statement.comment)
    value = f"_full({lang.expression(fn.value)}, batch, {fn.value.shape!r})"
    grads = [f"{json.dumps(s)}: _full({lang.expression(g)}, batch, {shape!r})"
             for s, g, shape in zip(fn.wrt, fn.grads, _wrt_shapes(fn))]
    single = f"    return {value}, {{{', '.join(grads)}}}"
    if len(single) <= LINE_LIMIT:
        lines.append(single)
    else:
        lines += [_fit("    gradient = {"), *(_fit(f"        {g},") for g in grads), "    }",
                  _fit(f"    return {value}, gradient")]
    return [_fit(line) for line in lines]


def _wrt_shapes(fn: ArrayFunction) -> list[tuple[int, ...]]:
    by_name = dict(zip(fn.source_params, fn.shapes))
    return [by_name[n] for n in fn.wrt]


def numpy_array_module(graph: Graph, *, name: str = "value_and_grad",
                       wrt: Sequence[str] | None = None) -> str:
    from .python import source_lines

    reserved = NUMPY_TARGET.reserved | frozenset(ARRAY_HELPERS) | {"batch", "gradient"}
    module = build_array_module(graph, NUMPY_TARGET._replace(reserved=reserved), name=name,
                                wrt=wrt)
    lang = NumPyArrays()
    body = _function_lines(lang, module.main)
    header = [
        '"""Generated by backprop codegen: the value and the gradient of a program with',
        "arrays, in NumPy, vectorised over leading batch axes: each input's last axes have",
        "its shape in the program, the axes before them broadcast together, and the value",
        "and every gradient come back with those batch axes first.",
        "",
        "Domain errors give NaN or an infinity, as backprop eval --allow-nonfinite does.",
        '"""',
        "# The program:",
        *[_fit(f"#   {line}".rstrip()) for line in source_lines(module.source)],
        "",
        "import numpy as np",
    ]
    blocks = [header, *[h.splitlines() for h in lang.helpers()], body]
    return "\n\n\n".join("\n".join(b) for b in blocks) + "\n"
