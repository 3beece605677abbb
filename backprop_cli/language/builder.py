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
from ..core.ops import CONST, CONSTANTS, FUNCTIONS, INPUT, OPERATORS, OPS, PARAM, Op
from ..core.source import Source
from .lexer import tokenize
from .parser import parse

DEFAULT_MAX_NODES = 2_000_000
DEFAULT_MAX_BYTES = 64 * 1024 * 1024

_new_node = tuple.__new__  # Node(...) without the keyword handling of NamedTuple.__new__

_ADD, _SUB, _MUL, _DIV, _POW = (OPERATORS[n] for n in ("add", "sub", "mul", "div", "pow"))
_NEG, _POS = OPERATORS["neg"], OPERATORS["pos"]


def suggest(name: str, candidates: list[str] | set[str] | dict) -> str | None:
    """``did you mean 'sin'?`` for the nearest known name, if one is near."""
    import difflib

    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


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
    ) -> None:
        self.source = source
        self.allow_nonfinite = allow_nonfinite
        # copy user functions in at their calls (the training loop's fast path)
        self.inline_functions = inline_functions
        self.expand = expand
        self.max_nodes = max_nodes
        self.total_nodes = 0
        self.nodes: list[Node] = []
        self.consts: list[float | None] = []  # the folded value of each constant node
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
        self._saved: tuple[list[Node], list[float | None], int] | None = None
        if body_params is not None:
            self._open_body("", body_params, 0, 0)

    # -- nodes ---------------------------------------------------------------------------
    def _add(self, op: Any, args: tuple[int, ...], start: int, end: int,
             name: str | None = None, value: float | None = None) -> int:
        if self.total_nodes >= self.max_nodes:
            raise LimitError(
                f"the program has more than {self.max_nodes:,} nodes",
                source=self.source, start=start, end=end,
                remedy=Remedy("max_nodes"),
            )
        self.total_nodes += 1
        nodes = self.nodes
        nodes.append(_new_node(Node, (op, args, start, end, name, value)))
        consts = self.consts
        if op.is_leaf:
            consts.append(value if op is CONST else None)
            return len(nodes) - 1
        for a in args:
            if consts[a] is None:
                consts.append(None)
                return len(nodes) - 1
        consts.append(op.forward(scalar_math, *[consts[a] for a in args]))
        return len(nodes) - 1

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
        node = self._add(INPUT, (), start, end, ident)
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
        op = FUNCTIONS.get(fname)
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
        known = set(FUNCTIONS) | set(self.functions)
        raise InputError(
            f"unknown function '{fname}'", source=self.source, start=start, end=name_end,
            hint=suggest(fname, known) or "`backprop ops` lists the functions",
        )

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
        self._check_new_name(ident, start, name_end)
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
            if not math.isfinite(folded) and not self.allow_nonfinite:
                self._nonfinite_default(ident)
            del self.nodes[self.statement_start:]
            self.total_nodes -= len(self.consts) - self.statement_start
            del self.consts[self.statement_start:]
            existing = self.names.get(ident)
            if existing is not None:
                self.nodes[existing] = self.nodes[existing]._replace(value=folded)
                node = existing
            else:
                node = self._add(INPUT, (), start, name_end, ident, folded)
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
            if value is not None and not math.isfinite(value):
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

    def _check_new_name(self, ident: str, start: int, end: int) -> None:
        if ident in CONSTANTS:
            raise InputError(f"'{ident}' is a constant and cannot be assigned",
                             source=self.source, start=start, end=end)
        if ident in FUNCTIONS or ident in self.functions or ident in OPS:
            raise InputError(f"'{ident}' is the name of a function or an operation",
                             source=self.source, start=start, end=end,
                             hint="pick another name")

    def _open_body(self, fname: str, params: tuple[str, ...], start: int, end: int) -> None:
        self._saved = (self.nodes, self.consts, self.statement_start)
        self.nodes, self.consts, self.statement_start = [], [], 0
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
        )
        self.nodes, self.consts, self.statement_start = self._saved  # type: ignore[misc]
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
        )


def build_graph(
    source: Source,
    *,
    expand: bool = False,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_bytes: int = DEFAULT_MAX_BYTES,
    output: str | None = None,
    allow_nonfinite: bool = False,
    inline_functions: bool = False,
) -> Graph:
    """Parse a program and build its graph; the output is its last statement or ``output``."""
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
                           allow_nonfinite=allow_nonfinite, inline_functions=inline_functions)
    with paused_gc():
        parse(source, tokenize(source), builder)
        return builder.finish(output)


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
