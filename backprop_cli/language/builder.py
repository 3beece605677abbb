"""The graph builder: the parser's callbacks, each reduction appending at most one node.

Names resolve as they are read: ``pi`` and ``e`` are constants, a name assigned earlier
is its node, and any other name becomes an input. An assignment of a constant
expression (``x = -2``) makes ``x`` an input with that default. A ``def`` body is built
into a graph of its own whose leaves are its parameters.
"""

from __future__ import annotations

import math
from typing import Any

from ..core import scalar_math
from ..core.blocks import Block
from ..core.errors import InputError, LimitError, Remedy
from ..core.gcpause import paused_gc
from ..core.graph import Graph, Node
from ..core.names import suggest
from ..core.ops import (
    CONST,
    CONSTANTS,
    FUNCTIONS,
    INPUT,
    ONE_ARRAY,
    OPERATORS,
    OPS,
    PARAM,
    Op,
)
from ..core.shapes import ShapeError, broadcast, describe
from ..core.source import Source
from .initialisers import INITIALISERS
from .lexer import tokenize
from .parser import parse

DEFAULT_MAX_NODES = 2_000_000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024

_new_node = tuple.__new__  # Node(...) without the keyword handling of NamedTuple.__new__

_ADD, _SUB, _MUL, _DIV, _POW = (OPERATORS[n] for n in ("add", "sub", "mul", "div", "pow"))
_NEG, _POS = OPERATORS["neg"], OPERATORS["pos"]
_MATMUL, _STACK, _INDEX, _TRANSPOSE = OPS["matmul"], OPS["stack"], OPS["index"], OPS["transpose"]


class GraphBuilder:
    """Builds a Graph from the parser's reductions (see grammar/backprop.lark)."""

    def __init__(
        self,
        source: Source,
        *,
        expand: bool = False,
        max_nodes: int = DEFAULT_MAX_NODES,
        body_params: tuple[str, ...] | None = None,
        allow_nonfinite: bool = False,
        inline_functions: bool = False,
        input_shapes: dict[str, tuple[int, ...]] | None = None,
        seed: int = 0,
        bind_later: bool = False,
    ) -> None:
        self.source = source
        self.seed = seed  # of randn and uniform (language.initialisers)
        self.draws = 0  # the random calls read so far
        self.input_shapes = input_shapes or {}
        # inputs the program does not assign may be bound to arrays before evaluation
        # (``api.shaped_for``): a shape that rests on them waits for the bindings
        self.bind_later = bind_later
        self.allow_nonfinite = allow_nonfinite
        # copy user functions in at their calls (the training loop's fast path)
        self.inline_functions = inline_functions
        self.expand = expand
        self.max_nodes = max_nodes
        self.total_nodes = 0
        self.nodes: list[Node] = []
        self.consts: list[Any] = []  # the folded value of each constant node, else None
        # the shape of each node; None inside a def body, where it depends on the call
        self.shapes: list[tuple[int, ...] | None] = []
        self.arrays = False  # whether a node is an array (or a tensor op is used)
        # nodes known to rest (or not) on an input bound later, whose shape is not known
        # while the program is read (``_unbound``); their shapes wait for the bindings
        self._rests: dict[int, bool] = {}
        self.names: dict[str, int] = {}
        self.assigned_at: dict[str, int] = {}
        self.first_read: dict[str, int] = {}
        self.functions: dict[str, Block] = {}
        self.statement_start = 0
        self.reads_names = False  # whether the statement being read uses a named value
        self.last: tuple[str, int, str | None, int, int] | None = None
        # Inside a def body: its parameters and what to restore afterwards.
        self.scope: dict[str, int] | None = None
        self.defining: tuple[str, tuple[str, ...], int, int] | None = None
        self._saved: tuple | None = None
        if body_params is not None:
            self._open_body("", body_params, 0, 0)

    # -- nodes ---------------------------------------------------------------------------
    def _add(self, op: Any, args: tuple[int, ...], start: int, end: int,
             name: str | None = None, value: Any = None,
             shape: tuple[int, ...] | None = ()) -> int:
        if self.total_nodes >= self.max_nodes:
            raise LimitError(
                f"the program has more than {self.max_nodes:,} nodes",
                source=self.source, start=start, end=end,
                remedy=Remedy("max_nodes"),
            )
        self.total_nodes += 1
        if self.scope is not None:  # a def body: shapes depend on the call
            shape = None
            self.arrays = self.arrays or op.tensor
        elif (self.arrays or op.tensor) and not op.is_leaf:
            shape = self._shape_of(op, args, value, start, end)
        nodes = self.nodes
        nodes.append(_new_node(Node, (op, args, start, end, name, value, shape)))
        self.shapes.append(shape)
        consts = self.consts
        if op.is_leaf:
            consts.append(value if op is CONST else None)
            return len(nodes) - 1
        for a in args:
            if consts[a] is None:
                consts.append(None)
                return len(nodes) - 1
        if self.arrays or op.tensor:
            from ..numerics.tensor_math import POINT

            arguments = [consts[a] for a in args]
            folded = (op.forward(POINT, value, *arguments) if op.static
                      else op.forward(POINT, *arguments))
            consts.append(folded)
        else:
            consts.append(op.forward(scalar_math, *[consts[a] for a in args]))
        return len(nodes) - 1

    def _shape_of(self, op: Any, args: tuple[int, ...], value: Any,
                  start: int, end: int) -> tuple[int, ...] | None:
        """The shape of a new node, or a shape error at its span with both shapes."""
        shapes = [self.shapes[a] for a in args]
        if None in shapes:  # an argument's shape waits for the bindings
            return None
        try:
            shape = node_shape(op, value, shapes)  # type: ignore[arg-type]
        except ShapeError as error:
            if any(self._unbound(a) for a in args):
                # an input bound later may be an array: the shapes are inferred and
                # checked again when the bindings are known (``api.shaped_for``)
                self.arrays = True
                return None
            message = str(error)
            if isinstance(op, Block):
                message = f"{op.name}({', '.join(describe(s) for s in shapes)}): {message}"
            free = [self.nodes[a].name for a in args if self.nodes[a].op is INPUT
                    and self.nodes[a].value is None and not self.shapes[a]]
            hint = (f"{free[0]} has no value in the program, so it is a scalar here: bind it "
                    f"to an array ({free[0]}=[1,2]; diff: --shape {free[0]}=2) or assign "
                    "it one") if free else None
            raise InputError(message, source=self.source, start=start, end=end,
                             hint=hint) from None
        self.arrays = self.arrays or bool(shape) or op.tensor
        return shape

    def _unbound(self, node: int) -> bool:
        """Whether ``node``'s shape rests on an input that the program does not assign and
        whose shape is not given (bound later: a scalar only for now). A loop over the
        nodes it is computed from, remembered, so each node is looked at about once."""
        rests = self._rests
        if not self.bind_later:
            return False
        known = rests.get(node)
        if known is not None:
            return known
        nodes, shapes, given = self.nodes, self.shapes, self.input_shapes
        seen = {node}
        stack = [node]
        found = False
        while stack:
            i = stack.pop()
            if rests.get(i) or shapes[i] is None:
                found = True
                break
            if i in rests:
                continue
            n = nodes[i]
            if n.op is INPUT and n.value is None and n.name not in given:
                found = True
                break
            for a in n.args:
                if a not in seen:
                    seen.add(a)
                    stack.append(a)
        if found:
            rests[node] = True
        else:
            rests.update(dict.fromkeys(seen, False))
        return found

    def _binary(self, op: Op, children: list, start: int, end: int) -> int:
        return self._add(op, (children[0], children[1]), start, end)

    # -- expressions ---------------------------------------------------------------------
    def add(self, children: list, start: int, end: int) -> int:
        return self._binary(_ADD, children, start, end)

    def sub(self, children: list, start: int, end: int) -> int:
        return self._binary(_SUB, children, start, end)

    def mul(self, children: list, start: int, end: int) -> int:
        return self._binary(_MUL, children, start, end)

    def div(self, children: list, start: int, end: int) -> int:
        return self._binary(_DIV, children, start, end)

    def matmul(self, children: list, start: int, end: int) -> int:
        return self._binary(_MATMUL, children, start, end)

    # -- arrays ----------------------------------------------------------------------------
    def array(self, children: list, start: int, end: int) -> int:
        elements = children[0]
        self.arrays = True
        return self._add(_STACK, tuple(elements), start, end)

    def attribute(self, children: list, start: int, end: int) -> int:
        node, ident = children
        if ident != "T":
            raise InputError(
                f"unknown attribute '.{ident}'", source=self.source,
                start=end - len(ident) - 1, end=end,
                hint="arrays have .T, the transpose",
            )
        return self._add(_TRANSPOSE, (node,), start, end)

    def subscripts(self, children: list, start: int, end: int) -> list:
        if len(children) == 1:
            return [children[0]]
        children[0].append(children[1])
        return children[0]

    def at(self, children: list, start: int, end: int) -> tuple:
        return ("at", children[0], start, end)

    def slice_all(self, children: list, start: int, end: int) -> tuple:
        return ("slice", None, None, start, end)

    def slice_from(self, children: list, start: int, end: int) -> tuple:
        return ("slice", children[0], None, start, end)

    def slice_to(self, children: list, start: int, end: int) -> tuple:
        return ("slice", None, children[0], start, end)

    def slice_range(self, children: list, start: int, end: int) -> tuple:
        return ("slice", children[0], children[1], start, end)

    def index(self, children: list, start: int, end: int) -> int:
        node, items = children
        shape = self.shapes[node]
        if shape is not None and len(items) > len(shape) and self.scope is None and \
                self._unbound(node):
            shape = None  # indexes an input bound later: checked once its shape is known
        if shape is not None and len(items) > len(shape):
            raise InputError(
                f"{len(items)} subscript{'s' if len(items) > 1 else ''} for "
                f"{describe(shape)}", source=self.source, start=start, end=end,
                hint="a vector takes one subscript, a matrix two" if shape else
                "a scalar cannot be indexed",
            )
        subscripts: list[Any] = []
        for axis, item in enumerate(items):
            size = shape[axis] if shape is not None else None
            if item[0] == "at":
                subscripts.append(self._subscript(item[1], size, item[2], item[3], False))
            else:
                low = None if item[1] is None else self._subscript(
                    item[1], size, item[3], item[4], True)
                high = None if item[2] is None else self._subscript(
                    item[2], size, item[3], item[4], True)
                subscripts.append(slice(low, high))
        self._drop_trailing(item for it in items for item in it[1:-2] if item is not None)
        return self._add(_INDEX, (node,), start, end, None, tuple(subscripts))

    def _drop_trailing(self, roots: Any) -> None:
        """Remove the nodes of constant subscripts: the last ones built, and used by
        nothing else (they become the index node's fixed data)."""
        seen: set[int] = set()
        stack = list(roots)
        while stack:
            i = stack.pop()
            if i not in seen:
                seen.add(i)
                stack.extend(self.nodes[i].args)
        if not seen or set(range(min(seen), len(self.nodes))) != seen:
            return
        first = min(seen)
        self._rests.clear()
        self.total_nodes -= len(self.nodes) - first
        del self.nodes[first:], self.consts[first:], self.shapes[first:]

    def _subscript(self, node: int, size: int | None, start: int, end: int,
                   bound: bool) -> int:
        """A subscript's value: a constant integer, within the axis (negative from the
        end; a slice's bound may be the size itself)."""
        value = self.consts[node]
        if value is None or self.shapes[node] not in ((), None) or not isinstance(
                value, (int, float)) or not math.isfinite(value) or value != int(value):
            raise InputError(
                "a subscript must be a constant integer", source=self.source,
                start=start, end=end,
                hint="shapes are fixed when the graph is built: write w[0], W[1, -1], w[0:2]",
            )
        k = int(value)
        if size is not None:
            low, high = -size, size if bound else size - 1
            if not low <= k <= high:
                raise InputError(
                    f"index {k} is out of range for an axis of {size}",
                    source=self.source, start=start, end=end,
                    hint=f"indices run from 0 to {size - 1}, or -1 to -{size} from the end",
                )
            if k < 0 and not bound:
                k += size
        return k

    def pow(self, children: list, start: int, end: int) -> int:
        return self._binary(_POW, children, start, end)

    def neg(self, children: list, start: int, end: int) -> int:
        return self._add(_NEG, (children[0],), start, end)

    def pos(self, children: list, start: int, end: int) -> int:
        return self._add(_POS, (children[0],), start, end)

    def number(self, children: list, start: int, end: int) -> int:
        value = float(children[0])
        if math.isinf(value):
            raise InputError(
                f"the number {children[0][:40]} is too large for a double",
                source=self.source, start=start, end=end,
            )
        return self._add(CONST, (), start, end, None, value)

    def _constant(self, name: str, start: int, end: int) -> int:
        return self._add(CONST, (), start, end, name, CONSTANTS[name])

    def name(self, children: list, start: int, end: int) -> int:
        ident = children[0]
        if self.scope is not None:
            node = self.scope.get(ident)
            if node is not None:
                return node
            if ident in CONSTANTS:
                return self._constant(ident, start, end)
            self._not_a_value(ident, start, end)
            function = self.defining[0] if self.defining else "the function"
            raise InputError(
                f"unknown name '{ident}' in the body of {function}",
                source=self.source, start=start, end=end,
                hint=suggest(ident, self.scope)
                or "a function's body sees only its parameters, pi and e",
            )
        node = self.names.get(ident)
        if node is not None:
            self.reads_names = True
            return node
        if ident in CONSTANTS:
            return self._constant(ident, start, end)
        self._not_a_value(ident, start, end)
        self.reads_names = True
        shape = self.input_shapes.get(ident, ())
        if shape:
            self.arrays = True
        node = self._add(INPUT, (), start, end, ident, None, shape)
        self.names[ident] = node
        self.first_read[ident] = start
        return node

    def _not_a_value(self, ident: str, start: int, end: int) -> None:
        if ident in FUNCTIONS or ident in self.functions:
            raise InputError(
                f"'{ident}' is a function, not a value",
                source=self.source, start=start, end=end, hint=f"call it: {ident}(...)",
            )

    def args(self, children: list, start: int, end: int) -> list[int]:
        if len(children) == 1:
            return [children[0]]
        children[0].append(children[1])
        return children[0]

    def call(self, children: list, start: int, end: int) -> int:
        fname = children[0]
        args = children[1] if len(children) > 1 else []
        if fname in INITIALISERS and fname not in self.functions:
            return self._initialiser(fname, args, start, end)
        op = FUNCTIONS.get(fname)
        if fname in ONE_ARRAY and len(args) == 1 and (
                self.shapes[args[0]] != () or self._unbound(args[0])):
            op = ONE_ARRAY[fname]
        if op is not None:
            self._check_arity(fname, op.min_args, op.max_args, len(args), start, end)
            if op.expansion is not None and self.expand:
                return self._inline(composite_body(op), args, start, end)
            return self._add(op, tuple(args), start, end)
        block = self.functions.get(fname)
        if block is not None:
            self._check_arity(fname, block.min_args, block.max_args, len(args), start, end)
            size = block.expanded_size if self.expand else block.flat_size
            if size > self.max_nodes:
                raise LimitError(
                    f"the function {fname} expands to {size:,} gates, more than the limit "
                    f"of {self.max_nodes:,}", source=self.source, start=start, end=end,
                    remedy=Remedy("max_nodes"),
                )
            if (self.expand or self.inline_functions) and self.scope is None:
                return self._inline(block.body, args, start, end)
            if self.scope is None and block.flat_body is None:
                block.flat_body = flatten(block, self.max_nodes)
            if any(self.shapes[a] for a in args):
                self.arrays = True
            return self._add(block, tuple(args), start, end)
        name_end = start + len(fname)
        if self.defining is not None and fname == self.defining[0]:
            raise InputError(
                f"{fname} calls itself; functions cannot be recursive",
                source=self.source, start=start, end=name_end,
            )
        if fname in CONSTANTS or fname in self.names or (self.scope and fname in self.scope):
            raise InputError(
                f"'{fname}' is a value, not a function",
                source=self.source, start=start, end=name_end,
                hint="write a '*' for a product: x*(y + 1)",
            )
        known = set(FUNCTIONS) | set(self.functions) | set(INITIALISERS)
        raise InputError(
            f"unknown function '{fname}'", source=self.source, start=start, end=name_end,
            hint=suggest(fname, known) or "`backprop ops` lists the functions",
        )

    def _initialiser(self, fname: str, args: list[int], start: int, end: int) -> int:
        """``randn(16, 2)`` and the like: a constant, drawn now (``initialisers``)."""
        from .initialisers import RANDOM, InitialiserError, draw, form

        if self.scope is not None:
            raise InputError(f"{fname} gives a parameter its starting numbers: call it "
                             "outside a def", source=self.source, start=start, end=end,
                             hint="assign it to a name at the top level, W = randn(3, 2)")
        values = [self.consts[a] for a in args]
        if any(v is None for v in values):
            raise InputError(f"the arguments of {fname} must be numbers written in the "
                             "program, not inputs", source=self.source, start=start, end=end,
                             hint=f"write {form(fname)}")
        try:
            value = draw(fname, values, self.seed, self.draws)
        except InitialiserError as error:
            raise InputError(str(error), source=self.source, start=start, end=end,
                             hint=error.hint) from None
        if fname in RANDOM:
            self.draws += 1
        shape = tuple(getattr(value, "shape", ()))
        self.arrays = self.arrays or bool(shape)
        return self._add(CONST, (), start, end, None, value, shape)

    def _check_arity(self, fname: str, low: int, high: int | None, count: int,
                     start: int, end: int) -> None:
        if count >= low and (high is None or count <= high):
            return
        if high is None:
            wanted = f"{low} or more arguments"
        elif low == high:
            wanted = f"{low} argument{'s' if low != 1 else ''}"
        else:
            wanted = f"{low} or {high} arguments"
        raise InputError(
            f"{fname} takes {wanted}, got {count}", source=self.source, start=start, end=end,
        )

    def _inline(self, body: Graph, args: list[int], start: int, end: int) -> int:
        """Copy a block's body into this graph, its parameters replaced by ``args``.

        Calls to other user functions inside it are copied in too, and so are composite
        built-ins when expanding: an explicit stack of frames, one per body being copied.
        """
        frames: list[tuple[Graph, list[int], dict[int, int]]] = []

        def enter(graph: Graph, arguments: list[int]) -> None:
            frames.append((graph, [], {p: arguments[k] for k, p in enumerate(graph.params)}))

        enter(body, args)
        result = -1
        while frames:
            graph, mapping, params = frames[-1]
            j = len(mapping)
            if j == len(graph.nodes):
                frames.pop()
                result = mapping[graph.output]
                if frames:
                    frames[-1][1].append(result)
                continue
            node = graph.nodes[j]
            op = node.op
            if op is PARAM:
                mapping.append(params[j])
            elif isinstance(op, Block):
                enter(op.body, [mapping[a] for a in node.args])
            elif self.expand and op.expansion is not None:
                enter(composite_body(op), [mapping[a] for a in node.args])
            else:
                mapped = tuple(mapping[a] for a in node.args)
                mapping.append(self._add(op, mapped, start, end, node.name, node.value))
        return result

    # -- statements ----------------------------------------------------------------------
    def expr_statement(self, children: list, start: int, end: int) -> None:
        node = children[0]
        self.last = ("expr", node, None, start, end)
        self.statement_start = len(self.nodes)
        self.reads_names = False

    def assign(self, children: list, start: int, end: int) -> None:
        ident, node = children
        name_end = start + len(ident)
        self._check_new_name(ident, start, name_end, value=True)
        if ident in self.assigned_at:
            line, column = self.source.line_col(self.assigned_at[ident])
            raise InputError(
                f"'{ident}' is already assigned (line {line}, column {column})",
                source=self.source, start=start, end=name_end,
                hint="each name is assigned once; pick a new name",
            )
        folded = self.consts[node]
        if folded is not None and not self.reads_names and node >= self.statement_start:
            # A constant expression: `ident` is an input with this default.
            if not _finite(folded) and not self.allow_nonfinite:
                self._nonfinite_default(ident)
            shape = self.shapes[node]
            if self._rests:
                self._rests.clear()
            del self.nodes[self.statement_start:]
            self.total_nodes -= len(self.consts) - self.statement_start
            del self.consts[self.statement_start:]
            del self.shapes[self.statement_start:]
            existing = self.names.get(ident)
            if existing is not None and shape:
                line, column = self.source.line_col(self.first_read[ident])
                raise InputError(
                    f"'{ident}' is used (line {line}, column {column}) as a scalar before it "
                    f"is given {describe(shape)} here", source=self.source,
                    start=start, end=name_end,
                    hint="assign an array input before the statements that use it",
                )
            if existing is not None:
                self.nodes[existing] = self.nodes[existing]._replace(value=folded, shape=shape)
                self.shapes[existing] = shape
                node = existing
            else:
                node = self._add(INPUT, (), start, name_end, ident, folded, shape)
                self.names[ident] = node
        else:
            if ident in self.first_read:
                line, column = self.source.line_col(self.first_read[ident])
                raise InputError(
                    f"'{ident}' is used (line {line}, column {column}) before it is computed here",
                    source=self.source, start=start, end=name_end,
                    hint="assign a name before the statements that use it",
                )
            target = self.nodes[node]
            if target.name is None and not target.op.is_leaf:
                self.nodes[node] = target._replace(name=ident)
            self.names[ident] = node
        self.assigned_at[ident] = start
        self.last = ("assign", node, ident, start, end)
        self.statement_start = len(self.nodes)
        self.reads_names = False

    def _nonfinite_default(self, ident: str) -> None:
        """The first gate of a constant expression whose value is not finite, explained."""
        from ..core.errors import EvaluationError
        from ..core.numbers import format_number

        for i in range(self.statement_start, len(self.nodes)):
            value = self.consts[i]
            if value is not None and not _finite(value):
                node = self.nodes[i]
                arg_values = [self.consts[a] for a in node.args]
                reason = node.op.explain_domain(*arg_values) if node.args else None
                reason = reason or ("overflow" if math.isinf(value) else "not a number")
                raise EvaluationError(
                    f"the default value of {ident} is not finite ({format_number(value)}): "
                    f"{reason}",
                    source=self.source, start=node.start, end=node.end,
                    remedy=Remedy("allow_nonfinite"),
                )

    def _check_new_name(self, ident: str, start: int, end: int, value: bool = False) -> None:
        """A new name for a value or a def. A value may take a built-in function's name
        (the tutorials' ``dot = w[0]*x[0] + ...``): calls and values are apart, so
        ``dot(a, b)`` still calls the function."""
        if ident in CONSTANTS:
            raise InputError(f"'{ident}' is a constant and cannot be assigned",
                             source=self.source, start=start, end=end)
        if ident in self.functions or (not value and (ident in FUNCTIONS or ident in OPS)):
            raise InputError(f"'{ident}' is the name of a function or an operation",
                             source=self.source, start=start, end=end,
                             hint="pick another name")

    def _open_body(self, fname: str, params: tuple[str, ...], start: int, end: int) -> None:
        self._saved = (self.nodes, self.consts, self.statement_start, self.shapes, self.arrays)
        self.nodes, self.consts, self.statement_start, self.shapes = [], [], 0, []
        self.arrays = False
        self.defining = (fname, params, start, end)
        self.scope = {}
        for p in params:
            self.scope[p] = self._add(PARAM, (), start, end, p)

    def params(self, children: list, start: int, end: int) -> list[str]:
        if len(children) == 1:
            return [children[0]]
        children[0].append(children[1])
        return children[0]

    def def_head(self, children: list, start: int, end: int) -> None:
        fname = children[0]
        params = tuple(children[1]) if len(children) > 1 else ()
        self._check_new_name(fname, start, end)
        if fname in self.names:
            raise InputError(f"'{fname}' is already a value in this program",
                             source=self.source, start=start, end=end, hint="pick another name")
        for k, p in enumerate(params):
            if p in params[:k]:
                raise InputError(f"parameter '{p}' appears twice in {fname}",
                                 source=self.source, start=start, end=end)
            if p in CONSTANTS or p in FUNCTIONS or p in self.functions:
                raise InputError(f"'{p}' cannot be a parameter name: it names a "
                                 f"{'constant' if p in CONSTANTS else 'function'}",
                                 source=self.source, start=start, end=end)
        self._open_body(fname, params, start, end)

    def define(self, children: list, start: int, end: int) -> None:
        output = children[1]
        fname, params, _, _ = self.defining  # type: ignore[misc]
        body = self._close_body(output, fname)
        block = Block(fname, params, body)
        # gates once every call inside is copied in: sizes known before anything is copied
        block.flat_size = block.expanded_size = 0
        for node in body.nodes:
            op = node.op
            if isinstance(op, Block):
                block.flat_size += op.flat_size
                block.expanded_size += op.expanded_size
            elif op is not PARAM:
                block.flat_size += 1
                block.expanded_size += len(composite_body(op).nodes) if op.expansion else 1
        self.functions[fname] = block
        self.last = ("def", -1, fname, start, end)
        self.statement_start = len(self.nodes)
        self.reads_names = False

    def _close_body(self, output: int, label: str) -> Graph:
        body = Graph(
            nodes=tuple(self.nodes),
            output=output,
            output_name=label,
            source=self.source,
            needs_grad=tuple(c is None for c in self.consts),
            params=tuple(self.scope.values()) if self.scope else (),
            arrays=self.arrays,
        )
        (self.nodes, self.consts, self.statement_start, self.shapes,
         self.arrays) = self._saved  # type: ignore[misc]
        self.scope = None
        self.defining = None
        return body

    def program(self, children: list, start: int, end: int) -> None:
        return None

    def start(self, children: list, start: int, end: int) -> None:
        return None

    # -- the result ----------------------------------------------------------------------
    def finish(self, output: str | None = None) -> Graph:
        last = self.last
        if last is None:
            raise InputError("the program is empty", source=self.source)
        kind, node, ident, start, end = last
        if output is not None:
            if output not in self.names:
                raise InputError(
                    f"--output {output}: the program has no node named '{output}'",
                    hint=suggest(output, self.names) or (
                        "named nodes: " + ", ".join(list(self.names)[:20])
                        if self.names else None),
                )
            kind, node, ident = "assign", self.names[output], output
        if kind == "def":
            raise InputError(
                "the program ends with a def, so it has no output",
                source=self.source, start=start, end=min(end, start + 3),
                hint=f"add a statement that uses it, such as {ident}(...), "
                "or pick an output with --output",
            )
        if ident is None:
            ident = self.nodes[node].name or _one_line(self.source.text_of(start, end))
        return Graph(
            nodes=tuple(self.nodes),
            output=node,
            output_name=ident,
            source=self.source,
            needs_grad=tuple(c is None for c in self.consts),
            names=dict(self.names),
            arrays=self.arrays,
        )


def node_shape(op: Any, value: Any, shapes: list[tuple[int, ...]]) -> tuple[int, ...]:
    """The shape of an op's value from its arguments' shapes (``ShapeError`` if none)."""
    if isinstance(op, Block):  # its flat body: no calls left in it, so no recursion
        body = op.flat_body or op.body
        return call_shapes(body, shapes)[body.output]
    if op.shape_rule is None:
        return broadcast(shapes, op.broadcast_words)
    return op.shape_rule(value, *shapes)


def call_shapes(body: Graph, arg_shapes: list[tuple[int, ...]]) -> list[tuple[int, ...]]:
    """The shape of every node of a def body, called with arguments of these shapes."""
    shapes: list[tuple[int, ...]] = []
    params = dict(zip(body.params, arg_shapes))
    for i, node in enumerate(body.nodes):
        if node.op is PARAM:
            shapes.append(params[i])
        elif node.op.is_leaf:
            shapes.append(())
        else:
            shapes.append(node_shape(node.op, node.value, [shapes[a] for a in node.args]))
    return shapes


def build_graph(
    source: Source,
    *,
    expand: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_bytes: int = DEFAULT_MAX_BYTES,
    output: str | None = None,
    allow_nonfinite: bool = False,
    inline_functions: bool = False,
    input_shapes: dict[str, tuple[int, ...]] | None = None,
    seed: int = 0,
    bind_later: bool = False,
) -> Graph:
    """Parse a program and build its graph; the output is its last statement or ``output``.

    ``input_shapes`` gives the shapes of inputs the program does not assign (bound to
    arrays); the others are scalars. With ``bind_later`` the inputs that are not in it
    may still be bound to arrays: shapes that rest on them are left unknown (None) and
    ``api.shaped_for`` builds the graph again once the bindings are known. ``seed`` is
    that of ``randn`` and ``uniform`` (``language.initialisers``)."""
    size = len(source.text.encode("utf-8")) if not source.text.isascii() else len(source.text)
    if size > max_bytes:
        raise LimitError(
            f"the program is {size:,} bytes, over the limit of {max_bytes:,}",
            remedy=Remedy("max_bytes"),
        )
    if not source.text.strip(" \t\r\n\f;") or _only_comments(source.text):
        raise InputError(
            "the program is empty" if not source.text.strip() else
            "the program has no statements, only comments and separators",
            hint='write an expression, such as "(x + y) * z"',
        )
    builder = GraphBuilder(source, expand=expand, max_nodes=max_nodes,
                           allow_nonfinite=allow_nonfinite, inline_functions=inline_functions,
                           input_shapes=input_shapes, seed=seed, bind_later=bind_later)
    with paused_gc():
        parse(source, tokenize(source), builder)
        graph = builder.finish(output)
    options = (("expand", expand), ("max_nodes", max_nodes), ("max_bytes", max_bytes),
               ("output", output), ("allow_nonfinite", allow_nonfinite),
               ("inline_functions", inline_functions), ("seed", seed),
               ("bind_later", bind_later))
    return graph._replace(options=options)


def reshaped(graph: Graph, input_shapes: dict[str, tuple[int, ...]]) -> Graph:
    """The program built again, its unassigned inputs of these shapes (bound arrays)."""
    return build_graph(graph.source, **dict(graph.options), input_shapes=input_shapes)


def _finite(value: Any) -> bool:
    if value.__class__ is float:
        return math.isfinite(value)
    import numpy as np

    return bool(np.all(np.isfinite(value)))


def _one_line(text: str) -> str:
    """Source text as one line: comments dropped, runs of whitespace made one space."""
    if "#" in text:
        text = "\n".join(line.split("#", 1)[0] for line in text.split("\n"))
    return " ".join(text.split())


def _only_comments(text: str) -> bool:
    for line in text.splitlines():
        code = line.split("#", 1)[0]
        if code.strip(" \t\r\f;"):
            return False
    return True


def flatten(block: Block, max_nodes: int) -> Graph:
    """A block's body with every user function it calls copied in: what evaluation runs."""
    source = block.body.source
    builder = GraphBuilder(source, expand=False, max_nodes=max_nodes, body_params=block.params)
    params = list(builder.scope.values()) if builder.scope else []
    try:
        output = builder._inline(block.body, params, 0, 0)
    except LimitError:
        raise LimitError(
            f"the function {block.name} expands to more than {max_nodes:,} gates",
            remedy=Remedy("max_nodes"),
        ) from None
    body = builder._close_body(output, block.name)
    return body


_COMPOSITE_BODIES: dict[str, Graph] = {}


def composite_body(op: Op) -> Graph:
    """The primitive gates of a composite built-in such as sigmoid, as a block body."""
    body = _COMPOSITE_BODIES.get(op.name)
    if body is None:
        source = Source(op.expansion or "", origin=f"<{op.name}>")
        builder = _ExpressionBuilder(source, expand=True, body_params=op.params)
        output = parse(source, tokenize(source), builder)
        body = builder._close_body(output, op.name)
        _COMPOSITE_BODIES[op.name] = body
    return body


class _ExpressionBuilder(GraphBuilder):
    """Builds one bare expression; the parse returns its node."""

    def expr_statement(self, children: list, start: int, end: int) -> int:
        return children[0]

    def program(self, children: list, start: int, end: int) -> int:
        return children[0]

    def start(self, children: list, start: int, end: int) -> int:
        return children[0]
