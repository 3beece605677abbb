"""Printing expression DAGs: one formula, LaTeX, or a straight-line program.

A formula printed inline repeats every shared subexpression, so its length can grow
exponentially with the program; ``to_program`` names each shared subexpression once
(``_t1 = ...``), which keeps the output linear. All printers are loops in id order,
which is a topological order (an expression is made after its arguments).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence

from ..core.errors import InputError, Remedy
from ..core.labels import format_operation, subscript_text
from ..core.numbers import format_number
from ..core.ops import ATOM, OPS, PRODUCT, UNARY
from ..numerics.symbolic import Expr

INLINE_LIMIT = 100_000  # expression nodes in one printed formula, counting repeats
PROGRAM_LINE_LIMIT = 1_000  # characters of a formula inlined into a statement of a program


def _reachable(roots: Sequence[Expr]) -> list[Expr]:
    """Every expression the roots use, in id (topological) order."""
    seen: dict[int, Expr] = {}
    stack = list(roots)
    while stack:
        e = stack.pop()
        if e.id in seen:
            continue
        seen[e.id] = e
        stack.extend(e.args)
    return [seen[i] for i in sorted(seen)]


Formatter = Callable[[Expr, list[tuple[str, int]]], tuple[str, int]]


def _text_leaf(e: Expr) -> tuple[str, int]:
    if e.op == "input":
        return e.name or "", ATOM
    value = e.value or 0.0
    if e.shape:  # an array whose elements are all this number: its literal
        return _filled(format_number(value), e.shape), ATOM
    return format_number(value), (UNARY if value < 0 else ATOM)


def _filled(text: str, shape: tuple[int, ...]) -> str:
    """The literal of an array of ``shape`` with every element ``text``."""
    for n in reversed(shape):
        text = "[" + ", ".join([text] * n) + "]"
    return text


def _postfix(operand: tuple[str, int]) -> str:
    text, precedence = operand
    return text if precedence >= ATOM else f"({text})"


def _text_node(e: Expr, operands: list[tuple[str, int]]) -> tuple[str, int]:
    op = e.op
    if op == "stack":
        return "[" + ", ".join(text for text, _ in operands) + "]", ATOM
    if op == "index":
        return f"{_postfix(operands[0])}[{subscript_text(e.value)}]", ATOM
    if op == "transpose":
        return f"{_postfix(operands[0])}.T", ATOM
    if op in ("amax", "amin"):
        return f"{op[1:]}({operands[0][0]})", ATOM
    return format_operation(OPS[op], operands)


def _print(roots: Sequence[Expr], leaf: Callable[[Expr], tuple[str, int]],
           node: Formatter, names: dict[int, str] | None = None) -> list[str]:
    names = names or {}
    printed: dict[int, tuple[str, int]] = {}
    for e in _reachable(roots):
        if e.id in names:
            continue
        if not e.args:
            printed[e.id] = leaf(e)
            continue
        operands = [(names[a.id], ATOM) if a.id in names else printed[a.id] for a in e.args]
        printed[e.id] = node(e, operands)
    return [names[r.id] if r.id in names else printed[r.id][0] for r in roots]


def _check_size(roots: Sequence[Expr]) -> None:
    size: dict[int, int] = {}
    for e in _reachable(roots):
        size[e.id] = 1 + sum(size[a.id] for a in e.args)
        if size[e.id] > INLINE_LIMIT:
            raise InputError(
                "the derivative is too large to print as one formula "
                f"(over {INLINE_LIMIT:,} terms with its repeats)",
                remedy=Remedy("program"),
            )


def to_text(root: Expr) -> str:
    """One formula in backprop's own language."""
    _check_size([root])
    return _print([root], _text_leaf, _text_node)[0]


def to_texts(roots: Sequence[Expr]) -> list[str]:
    _check_size(roots)
    return _print(roots, _text_leaf, _text_node)


def to_program(roots: Sequence[Expr], root_names: Sequence[str],
               taken: set[str]) -> list[tuple[str, str]]:
    """``(name, formula)`` statements: shared subexpressions first, then the roots.

    One pass in topological order: a subexpression used twice or more is printed once,
    as a temporary, and by its name wherever it is used. A formula used once is inlined
    into its user unless its text is over ``PROGRAM_LINE_LIMIT`` characters: then it
    is a temporary too, so that no statement is longer than a few times the limit and
    building the text copies each character a bounded number of times (a chain of
    20,000 sums would otherwise copy its growing prefix at every step). The text of an
    inlined formula is dropped once its one user has it, so memory grows with the output.
    """
    order = _reachable(roots)
    uses: dict[int, int] = {}
    for e in order:
        for a in e.args:
            uses[a.id] = uses.get(a.id, 0) + 1
    root_ids = {r.id for r in roots}
    printed: dict[int, tuple[str, int]] = {}
    statements: list[tuple[str, str]] = []
    counter = 0
    for e in order:
        if not e.args:
            printed[e.id] = _text_leaf(e)
            continue
        text = _text_node(e, [printed[a.id] for a in e.args])
        for a in e.args:
            if uses[a.id] == 1 and a.id not in root_ids:
                del printed[a.id]  # its one user has it now
        shared = uses.get(e.id, 0) >= 2
        if e.id not in root_ids and (shared or len(text[0]) > PROGRAM_LINE_LIMIT):
            counter += 1
            while f"_t{counter}" in taken:
                counter += 1
            name = f"_t{counter}"
            statements.append((name, text[0]))
            printed[e.id] = (name, ATOM)
        else:
            printed[e.id] = text
    statements.extend((name, printed[root.id][0]) for name, root in zip(root_names, roots))
    return statements


# -- LaTeX -------------------------------------------------------------------------------

_LATEX_FUNCTIONS = {
    "exp": r"\exp", "log": r"\ln", "ln": r"\ln", "sin": r"\sin", "cos": r"\cos",
    "tan": r"\tan", "asin": r"\arcsin", "acos": r"\arccos", "atan": r"\arctan",
    "sinh": r"\sinh", "cosh": r"\cosh", "tanh": r"\tanh", "log2": r"\log_2",
    "log10": r"\log_{10}", "sigmoid": r"\sigma", "max": r"\max", "min": r"\min",
}


def _latex_base(head: str) -> str:
    return head if len(head) == 1 else r"\mathit{" + head + "}"


def _latex_literal(name: str) -> str:
    """The name as written, in italics: ``x_1`` -> ``\\mathit{x\\_1}``."""
    return r"\mathit{" + name.replace("_", r"\_") + "}"


def _digit_subscript(name: str) -> tuple[str, str] | None:
    """``x_1`` -> ``("x", "1")``: a name whose subscript reading is also ``x1``'s."""
    head, underscore, tail = name.partition("_")
    if underscore and head and tail.isdigit() and not head[-1].isdigit():
        return head, tail
    return None


def _latex_name(name: str) -> str:
    """One name in LaTeX, different for every two different names, whatever the others.

    ``w0`` -> ``w_{0}``, ``lr`` -> ``\\mathit{lr}``, ``x_min`` -> ``x_{\\mathit{min}}``;
    the names whose subscript reading another name already has, or that would read as
    nothing, are written as they are: ``x_1`` (``x_{1}`` is ``x1``) -> ``\\mathit{x\\_1}``,
    ``x_`` (``x`` is ``x``) -> ``\\mathit{x\\_}``, ``_``, ``_x`` -> ``\\mathit{\\_x}``.

    Distinct because every result has one of three shapes, and each shape gives the name
    back: a literal ``\\mathit{...}`` holds ``\\_`` and no ``_{``; a bare base (a letter,
    or ``\\mathit{}`` of a name without ``_``) holds no ``_`` at all; a base with a
    subscript holds ``_{``. A digit subscript comes from ``x1`` when the base does not end
    in a digit and from ``x1_2`` when it does; an ``\\mathit`` subscript only from
    ``head_tail``.
    """
    if name.startswith("_") or name.endswith("_") or _digit_subscript(name):
        return _latex_literal(name)
    head, underscore, tail = name.partition("_")
    if not underscore:
        stem = head.rstrip("0123456789")
        digits = head[len(stem):]
        if stem and digits:
            head, tail = stem, digits
    base = _latex_base(head)
    if not tail:
        return base
    sub = tail if tail.isdigit() else r"\mathit{" + tail.replace("_", r"\_") + "}"
    return base + "_{" + sub + "}"


def latex_names(names: Iterable[str]) -> dict[str, str]:
    """The LaTeX of all of one program's names at once (its output's too), distinct.

    As ``_latex_name``, but a name such as ``x_1`` keeps its subscript reading ``x_{1}``
    when no other name of the set (``x1``) reads the same; names that clash fall back to
    ``_latex_name``, which keeps them apart (``x1`` -> ``x_{1}``, ``x_1`` ->
    ``\\mathit{x\\_1}``). Distinct: only a name with a digit subscript can differ from its
    ``_latex_name``, and the one other name that reads the same is ``_latex_name``'s
    reading of ``x1``; when both are in the set both fall back.
    """
    order = list(dict.fromkeys(names))
    readings = {}
    for name in order:
        split = _digit_subscript(name)
        readings[name] = (_latex_base(split[0]) + "_{" + split[1] + "}" if split
                          else _latex_name(name))
    counts = Counter(readings.values())
    return {name: readings[name] if counts[readings[name]] == 1 else _latex_name(name)
            for name in order}


def _latex_leaf(e: Expr, names: Mapping[str, str] | None = None) -> tuple[str, int]:
    if e.op == "input":
        name = e.name or ""
        return (names[name] if names and name in names else _latex_name(name)), ATOM
    value = e.value or 0.0
    if e.shape:  # an array of equal elements: the ones vector, the zeros, c times ones
        if value in (0.0, 1.0):
            return rf"\mathbf{{{int(value)}}}", ATOM
        return rf"{_latex_leaf(e.space.const(value))[0]} \mathbf{{1}}", PRODUCT
    text = format_number(value)
    if "e" in text:
        mantissa, _, exponent = text.partition("e")
        text = mantissa + r" \times 10^{" + str(int(exponent)) + "}"
    return text, (UNARY if value < 0 else ATOM)


def _wrapped(operand: tuple[str, int], need: int) -> str:
    text, precedence = operand
    return text if precedence >= need else rf"\left({text}\right)"


def _latex_array(e: Expr, operands: list[tuple[str, int]],
                 rows_of: dict[int, list[str]]) -> tuple[str, int] | None:
    r"""The array ops in matrix notation: ``A^\top x``, ``x x^\top``, ``\sum``, a
    bmatrix for a literal, ``\odot`` for an elementwise product of arrays."""
    name = e.op
    if name == "matmul":
        left, right = _wrapped(operands[0], PRODUCT + 1), _wrapped(operands[1], PRODUCT + 1)
        if e.args[0].ndim == 1:
            left = _wrapped(operands[0], ATOM) + r"^\top"
        return f"{left} {right}", PRODUCT
    if name == "outer":
        return (rf"{_wrapped(operands[0], PRODUCT + 1)} {_wrapped(operands[1], ATOM)}^\top",
                PRODUCT)
    if name == "transpose":
        return _wrapped(operands[0], ATOM) + r"^\top", ATOM
    if name == "stack":
        if e.ndim == 1:
            rows_of[e.id] = [text for text, _ in operands]
        rows = []
        for element, operand in zip(e.args, operands):
            if element.id in rows_of:  # a row of a matrix literal
                rows.append(" & ".join(rows_of[element.id]))
            elif element.ndim == 1:
                rows.append(_wrapped(operand, ATOM) + r"^\top")
            else:
                rows.append(operand[0])
        return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}", ATOM
    if name == "index":
        base = operands[0][0]
        if operands[0][1] < ATOM or "_" in base:
            base = rf"\left({base}\right)"
        return f"{base}_{{{subscript_text(e.value)}}}", ATOM
    if name == "sum":
        return r"\sum " + _wrapped(operands[0], ATOM), PRODUCT
    if name == "norm":
        return rf"\left\lVert {operands[0][0]} \right\rVert", ATOM
    if name in ("amax", "amin"):
        return rf"\{name[1:]}\left({operands[0][0]}\right)", ATOM
    if name == "mul" and e.args[0].op == "const" and e.args[0].shape and e.args[0].value == 1.0:
        return rf"{_wrapped(operands[1], PRODUCT)} \mathbf{{1}}", PRODUCT  # spread
    if name == "mul" and e.args[0].shape and e.args[1].shape:
        left, right = _wrapped(operands[0], PRODUCT), _wrapped(operands[1], PRODUCT + 1)
        return rf"{left} \odot {right}", PRODUCT
    return None


def _latex_node(e: Expr, operands: list[tuple[str, int]],
                rows_of: dict[int, list[str]] | None = None) -> tuple[str, int]:
    op = OPS[e.op]
    if e.shape or any(a.shape for a in e.args):
        array = _latex_array(e, operands, {} if rows_of is None else rows_of)
        if array is not None:
            return array
    if e.op == "div":
        return rf"\frac{{{operands[0][0]}}}{{{operands[1][0]}}}", ATOM
    if e.op == "pow":
        (base, base_prec), (exponent, _) = operands
        if base_prec < ATOM:
            base = rf"\left({base}\right)"
        return f"{{{base}}}^{{{exponent}}}", op.precedence
    if e.op == "sqrt":
        return rf"\sqrt{{{operands[0][0]}}}", ATOM
    if e.op == "abs":
        return rf"\left|{operands[0][0]}\right|", ATOM
    if e.op == "mul":
        (left, lp), (right, rp) = operands
        left = rf"\left({left}\right)" if lp < op.precedence else left
        right = rf"\left({right}\right)" if rp <= op.precedence else right
        return rf"{left} \cdot {right}", op.precedence
    if op.form in ("infix", "prefix"):
        return format_operation(op, operands, (r"\left(", r"\right)"))
    name = _LATEX_FUNCTIONS.get(e.op, rf"\operatorname{{{e.op}}}")
    inner = ", ".join(text for text, _ in operands)
    return rf"{name}\left({inner}\right)", ATOM


def to_latex(root: Expr, names: Mapping[str, str] | None = None) -> str:
    """One formula in LaTeX; ``names`` (from ``latex_names``) spells the inputs."""
    _check_size([root])
    rows_of: dict[int, list[str]] = {}  # the element texts of each vector literal
    return _print([root], lambda e: _latex_leaf(e, names),
                  lambda e, operands: _latex_node(e, operands, rows_of))[0]
