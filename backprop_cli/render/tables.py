"""Tables laid out for the screen they are printed on, and fast at any number of rows.

A ``Grid`` is a Rich renderable that lays itself out at the width it is given:

- at its natural width (every cell on one line) when that fits: in a pipe, where the CLI
  gives no width limit, that is always;
- else with its text columns wrapped (whole words; a label folds) and its numbers whole;
- else, when even that cannot fit, in a long layout: one block per row (``header value``
  lines), or the table's own long form (``hessian``: ``row column value`` lines).

A number is never wrapped, cropped or elided: on a screen too narrow for it, its line is
longer than the screen. Column widths are measured once from plain strings, and rows
are turned into segments one at a time, so a table of 1e5 rows costs about as much as
writing it. Lines never end in spaces.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text

NUMBER = "number"  # never wraps: its column is as wide as its widest cell
WORDS = "words"  # wraps between words, never inside one
FOLD = "fold"  # wraps between words, and folds a word longer than the column
FOLD_MIN = 12  # the narrowest a folding column gets before the long layout is used

Cell = str | Text


class Column(NamedTuple):
    header: str
    justify: str = "left"  # "left" or "right"
    style: str | None = None
    kind: str = WORDS


class Row(NamedTuple):
    cells: Sequence[Cell]
    style: str | None = None


class Note(NamedTuple):
    """A line between the rows (``… 98 nodes not shown``), under column ``column``."""

    text: Text
    column: int = 0


Entry = Row | Note
LongLayout = Callable[[int], Iterable[Text]]


def _width(cell: Cell) -> int:
    if isinstance(cell, str):
        if "\n" in cell:
            return max(cell_len(line) for line in cell.split("\n"))
        return cell_len(cell)
    if "\n" in cell.plain:
        return max(cell_len(line) for line in cell.plain.split("\n"))
    return cell.cell_len


def _longest_word(cell: Cell) -> int:
    plain = cell if isinstance(cell, str) else cell.plain
    return max((cell_len(word) for word in plain.split()), default=0)


class Grid:
    """A table: title, header, rows (and notes), caption; see the module's docstring."""

    def __init__(self, columns: Sequence[Column], rows: Sequence[Entry], *,
                 title: Text | None = None, caption: Text | None = None,
                 long: LongLayout | None = None, min_width: int = 0) -> None:
        self.columns = list(columns)
        self.rows = rows
        self.title = title
        self.caption = caption
        self.long = long
        self.min_width = min_width

    # -- measuring -----------------------------------------------------------------------
    def natural_widths(self) -> list[int]:
        widths = [cell_len(column.header) for column in self.columns]
        count = len(widths)
        for entry in self.rows:
            if isinstance(entry, Note):
                continue
            cells = entry.cells
            for k in range(min(count, len(cells))):
                cell = cells[k]
                n = len(cell) if type(cell) is str and cell.isascii() else _width(cell)
                if n > widths[k]:
                    widths[k] = n
        return widths

    def minimum_widths(self, natural: list[int]) -> list[int]:
        minimum = []
        for k, column in enumerate(self.columns):
            if column.kind == NUMBER:
                minimum.append(natural[k])
                continue
            words = [_longest_word(column.header)]
            if column.kind == WORDS:
                words.extend(_longest_word(entry.cells[k]) for entry in self.rows
                             if isinstance(entry, Row) and k < len(entry.cells))
                minimum.append(max(words))
            else:
                minimum.append(min(natural[k], max(FOLD_MIN, *words)))
        return minimum

    def layout(self, width: int) -> list[int] | None:
        """Column widths that fit ``width``, or None: the long layout."""
        widths = self.natural_widths()
        if self.min_width:
            widths[-1] += max(0, min(self.min_width, width) - _total(widths))
        excess = _total(widths) - width
        if excess <= 0:
            return widths
        minimum = self.minimum_widths(widths)
        while excess > 0:
            flexible = [k for k, w in enumerate(widths) if w > minimum[k]]
            if not flexible:
                return None
            widest = max(flexible, key=lambda k: widths[k])
            others = [widths[k] for k in flexible if k != widest]
            floor = max([minimum[widest], *(w for w in others if w < widths[widest])],
                        default=minimum[widest])
            cut = min(excess, widths[widest] - floor) or 1
            widths[widest] -= cut
            excess -= cut
        return widths

    # -- rendering ------------------------------------------------------------------------
    def __rich_console__(self, console: Any, options: Any) -> Iterator[Segment]:
        width = max(1, options.max_width)
        widths = self.layout(width)
        if self.title is not None:
            yield from _paragraph(console, self.title, width)
            yield Segment.line()
        if widths is None:
            yield from _lines(console, self.long(width) if self.long is not None
                              else self._blocks(width))
        else:
            yield from self._wide(console, widths)
        yield Segment.line()
        if self.caption is not None:
            yield from _paragraph(console, self.caption, width)

    def _wide(self, console: Any, widths: list[int]) -> Iterator[Segment]:
        get_style = console.get_style
        styles: dict[tuple[str | None, int], Style] = {}

        def style_of(row_style: str | None, k: int) -> Style:
            key = (row_style, k)
            if key not in styles:
                column = self.columns[k]
                styles[key] = (get_style(row_style or "none")
                               + get_style(column.style or "none"))
            return styles[key]

        bold = get_style("bold")
        header = Row([Text(column.header, style=bold) for column in self.columns])
        yield from self._row(console, header, widths, lambda row_style, k: bold)
        rule = "─".join("─" * (w + 2) for w in widths)
        yield Segment(" " + rule)
        yield Segment.line()
        line = Segment.line()
        for entry in self.rows:
            if isinstance(entry, Note):
                indent = sum(w + 3 for w in widths[:entry.column])
                yield Segment(" " * (indent + 2))
                yield from entry.text.render(console)
                yield line
                continue
            yield from self._row(console, entry, widths, style_of)

    def _row(self, console: Any, row: Row, widths: list[int],
             style_of: Callable[[str | None, int], Style]) -> Iterator[Segment]:
        cells = list(row.cells) + [""] * (len(widths) - len(row.cells))
        plain = [c if type(c) is str else c.plain for c in cells]
        fits = True
        for c, w in zip(plain, widths):
            if (len(c) if c.isascii() else cell_len(c)) > w or "\n" in c:
                fits = False
                break
        if fits and console.color_system is None:  # no styles to write: one string a line
            pieces = []
            for k, c in enumerate(plain):
                pad = " " * (widths[k] - (len(c) if c.isascii() else cell_len(c)))
                pieces.append(pad + c if self.columns[k].justify == "right" else c + pad)
            yield Segment(("  " + "   ".join(pieces)).rstrip())
            yield Segment.line()
            return
        if fits:  # the common case: every cell on one line
            lines: list[list[Cell | None]] = [list(cells)]
        else:  # cells wrapped to their columns: a row of several lines
            wrapped = [self._wrap(console, cell, k, widths[k]) for k, cell in enumerate(cells)]
            height = max(len(parts) for parts in wrapped)
            lines = [[parts[i] if i < len(parts) else None for parts in wrapped]
                     for i in range(height)]
        for parts in lines:
            last = max((k for k, p in enumerate(parts)
                        if p is not None and (p if type(p) is str else p.plain).strip()),
                       default=-1)
            yield Segment(" ")
            for k in range(last + 1):
                part = parts[k] or ""
                style = style_of(row.style, k)
                pad = " " * max(0, widths[k] - _width(part))
                right = self.columns[k].justify == "right"
                end = "" if k == last else "  "
                if type(part) is str:
                    text = pad + part if right else part + pad
                    yield Segment(" " + (text.rstrip() if k == last else text) + end, style)
                    continue
                assert isinstance(part, Text)
                yield Segment(" " + (pad if right else ""), style)
                yield from Segment.apply_style(part.render(console), style)
                if end:
                    yield Segment(("" if right else pad) + end, style)
            yield Segment.line()

    def _wrap(self, console: Any, cell: Cell, k: int, width: int) -> list[Text]:
        text = Text(cell) if isinstance(cell, str) else cell
        return _wrapped(text, self.columns[k].kind, width)

    def _blocks(self, width: int) -> Iterator[Text]:
        """The long layout: ``header value`` lines, one block per row."""
        key_width = max(cell_len(column.header) for column in self.columns)
        inline = width - key_width - 2 >= FOLD_MIN
        first = True
        for entry in self.rows:
            if isinstance(entry, Note):
                yield entry.text
                continue
            if not first:
                yield Text()
            first = False
            for column, cell in zip(self.columns, entry.cells):
                text = Text(cell) if isinstance(cell, str) else cell.copy()
                if not text.plain:
                    continue
                text.stylize(entry.style or "")
                if column.style:
                    text.stylize(column.style)
                key = Text(column.header, style="bold")
                room = width - key_width - 2 if inline else max(width - 2, FOLD_MIN)
                lines = _wrapped(text, column.kind, room)
                if inline:
                    key.pad_right(key_width - key.cell_len + 2)
                    yield key + lines[0]
                    for line in lines[1:]:
                        yield Text(" " * (key_width + 2)) + line
                else:
                    if key.plain:
                        yield key
                    for line in lines:
                        yield Text("  ") + line


def _wrapped(text: Text, kind: str, width: int) -> list[Text]:
    """The lines of a cell in a column ``width`` wide: between words, a word longer than
    the column folded (FOLD) or whole on a line of its own (WORDS); a number as it is."""
    if kind == NUMBER:
        return list(text.split("\n", allow_blank=True))
    from rich._wrap import divide_line

    width = max(1, width)
    lines: list[Text] = []
    for line in text.split("\n", allow_blank=True):
        pieces = line.divide(divide_line(line.plain, width, fold=kind == FOLD))
        for piece in pieces:
            piece.rstrip()
            if piece.plain:
                lines.append(piece)
    return lines or [Text()]


def _total(widths: list[int]) -> int:
    """A row's width: a space at each edge, one between columns, one each side of a cell."""
    return sum(widths) + 3 * len(widths) + 1


def _paragraph(console: Any, text: Text, width: int) -> Iterator[Segment]:
    """Text wrapped between words, never inside a word (a number stays whole)."""
    yield from _lines(console, _wrapped(text, WORDS, width))


def _lines(console: Any, lines: Iterable[Text]) -> Iterator[Segment]:
    for line in lines:
        line.rstrip()
        yield from line.render(console)
        yield Segment.line()


def long_cells(lines: Iterable[tuple[Cell, ...]]) -> Iterator[Text]:
    """Lines of cells joined by a space (a table's own long layout)."""
    for cells in lines:
        line = Text()
        for k, cell in enumerate(cells):
            if k:
                line.append(" ")
            line.append(cell if isinstance(cell, Text) else Text(cell))
        yield line
