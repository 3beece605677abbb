"""The shared half of every target: code expressions printed with the fewest parentheses.

A target (``python``, ``numpy``, ``c``, ``js``) is a ``Language``: how it spells a number,
a comparison, a conditional and each primitive of the number-system contract, and which
helper functions those spellings need. Operators keep their usual precedence in all four
languages, so one printer serves them; it works by a loop over the expression (children
before parents), never by recursion.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import ClassVar

from .expr import (
    ADD,
    AND,
    CALL,
    CONST,
    DIV,
    EQ,
    GE,
    GT,
    LT,
    MUL,
    NE,
    NEG,
    REF,
    SUB,
    WHERE,
    Expr,
)
from .program import Accumulate, Function, Statement

TERNARY, LOGIC, COMPARE, SUM, PRODUCT, UNARY, ATOM = 1, 2, 3, 4, 5, 6, 7

Printed = tuple[str, int]  # text and precedence


class Language:
    """How one target spells expressions. Subclasses set the tables and override hooks."""

    comparisons: ClassVar[dict[str, str]] = {EQ: "==", NE: "!=", GT: ">", LT: "<", GE: ">="}
    and_word = "&&"
    # primitive -> the function that computes it (a library call or a helper's name)
    functions: ClassVar[dict[str, str]] = {}
    # helper name -> its source text, and the helpers it calls in turn
    helper_sources: ClassVar[dict[str, str]] = {}
    helper_needs: ClassVar[dict[str, tuple[str, ...]]] = {}

    def __init__(self) -> None:
        self.used: set[str] = set()  # helpers the printed code calls

    # -- hooks -----------------------------------------------------------------------
    def number(self, value: float) -> str:
        if math.isnan(value):
            return self.nan
        if math.isinf(value):
            return self.inf if value > 0 else f"-{self.inf}"
        return repr(value)

    nan = "NAN"
    inf = "INFINITY"

    def call(self, function: str, args: list[str]) -> Printed:
        name = self.functions[function]
        self.use(name)
        if function in ("maximum", "minimum") and self.pairwise:
            text = args[0]
            for a in args[1:]:
                text = f"{name}({text}, {a})"
            return text, ATOM
        return f"{name}({', '.join(args)})", ATOM

    pairwise = True  # max/min of several: nested calls of a two-argument helper

    def divide(self, a: Printed, b: Printed, left: Expr, right: Expr) -> Printed:
        return f"{_at(a, PRODUCT)} / {_at(b, PRODUCT + 1)}", PRODUCT

    def where(self, condition: Printed, if_true: Printed, if_false: Printed) -> Printed:
        return (f"{_at(condition, LOGIC)} ? {_at(if_true, LOGIC)} : "
                f"{_at(if_false, TERNARY)}"), TERNARY

    def both(self, a: Printed, b: Printed) -> Printed:
        return f"{_at(a, LOGIC)} {self.and_word} {_at(b, COMPARE)}", LOGIC

    def use(self, name: str) -> None:
        stack = [name]
        while stack:
            n = stack.pop()
            if n in self.helper_sources and n not in self.used:
                self.used.add(n)
                stack.extend(self.helper_needs.get(n, ()))

    def helpers(self) -> list[str]:
        """The source of every helper used, in the table's order (deterministic)."""
        return [src for name, src in self.helper_sources.items() if name in self.used]

    # -- printing --------------------------------------------------------------------
    def expression(self, root: Expr) -> str:
        return self.printed(root)[0]

    def printed(self, root: Expr) -> Printed:
        done: dict[int, Printed] = {}
        stack: list[tuple[Expr, bool]] = [(root, False)]
        while stack:
            e, ready = stack.pop()
            if id(e) in done:
                continue
            if not ready and e.args:
                stack.append((e, True))
                stack.extend((a, False) for a in e.args if id(a) not in done)
                continue
            done[id(e)] = self._one(e, [done[id(a)] for a in e.args])
        return done[id(root)]

    def _one(self, e: Expr, args: list[Printed]) -> Printed:
        kind = e.kind
        if kind == REF:
            return e.name or "", ATOM
        if kind == CONST:
            value = e.value if e.value is not None else math.nan
            text = self.number(value)
            return text, (UNARY if text.startswith("-") else ATOM)
        if kind in (ADD, SUB):
            symbol = "+" if kind == ADD else "-"
            return f"{_at(args[0], SUM)} {symbol} {_at(args[1], SUM + 1)}", SUM
        if kind == MUL:
            return f"{_at(args[0], PRODUCT)} * {_at(args[1], PRODUCT + 1)}", PRODUCT
        if kind == DIV:
            return self.divide(args[0], args[1], e.args[0], e.args[1])
        if kind == NEG:
            inner = args[0]
            if inner[0].startswith("-") or inner[1] < UNARY:
                return f"-({inner[0]})", UNARY
            return f"-{inner[0]}", UNARY
        if kind in self.comparisons:
            return (f"{_at(args[0], SUM)} {self.comparisons[kind]} {_at(args[1], SUM)}",
                    COMPARE)
        if kind == AND:
            return self.both(args[0], args[1])
        if kind == WHERE:
            return self.where(args[0], args[1], args[2])
        if kind == CALL:
            return self.call(e.function or "", [a[0] for a in args])
        raise ValueError(f"cannot print an expression of kind {kind}")

    def sum_of(self, terms: Sequence[Expr]) -> list[str]:
        """The terms of a gradient's sum, each as printed in ``a + b + ...``."""
        out = []
        for k, t in enumerate(terms):
            p = self.printed(t)
            out.append(_at(p, SUM if k == 0 else SUM + 1))
        return out

    def right_side(self, s: Statement) -> str:
        if isinstance(s, Accumulate):
            if len(s.terms) == 1:
                return self.expression(s.terms[0])
            return " + ".join(self.sum_of(s.terms))
        return self.expression(s.expr)  # type: ignore[union-attr]


def _at(printed: Printed, precedence: int) -> str:
    """The text, in parentheses where it binds looser than ``precedence`` asks."""
    text, own = printed
    return text if own >= precedence else f"({text})"


def comment_text(text: str) -> str:
    """A source formula, safe inside any comment (no comment closer, no line break)."""
    return (text.replace("*/", "* /").replace("/*", "/ *").replace("??", "? ?")
            .replace("\\", "/").replace("\n", " "))


def source_lines(text: str, limit: int = 40) -> list[str]:
    """The program's lines for a header comment (the first ``limit`` of them)."""
    lines = [comment_text(line.rstrip()) for line in text.strip("\n").splitlines()]
    if len(lines) > limit:
        lines = [*lines[: limit - 1], f"... ({len(lines) - limit + 1} more lines)"]
    return lines


def statements_with_markers(fn: Function) -> list[tuple[str | None, Statement | None]]:
    """The function's statements, with the two section comments before them."""
    out: list[tuple[str | None, Statement | None]] = []
    if fn.forward:
        out.append(("forward pass: one statement per gate", None))
        out.extend((None, s) for s in fn.forward)
    if fn.backward:
        out.append(("backward pass: each gradient, from the output back", None))
        out.extend((None, s) for s in fn.backward)
    return out
