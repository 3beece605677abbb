"""Program text with the positions of its lines, for error messages."""

from __future__ import annotations

from bisect import bisect_right

SNIPPET_WIDTH = 100


class Source:
    """A program's text and where it came from (``<argument>``, ``<stdin>``, a path)."""

    __slots__ = ("_line_starts", "origin", "text")

    def __init__(self, text: str, origin: str = "<argument>") -> None:
        self.text = text
        self.origin = origin
        self._line_starts: list[int] = []

    def __repr__(self) -> str:
        return f"Source({self.text[:40]!r}, {self.origin!r})"

    def _starts(self) -> list[int]:
        if not self._line_starts:
            starts = [0]
            find = self.text.find
            position = find("\n")
            while position >= 0:
                starts.append(position + 1)
                position = find("\n", position + 1)
            self._line_starts.extend(starts)
        return self._line_starts

    def line_col(self, offset: int) -> tuple[int, int]:
        """1-based line and column of a character offset."""
        starts = self._starts()
        line = bisect_right(starts, offset) - 1
        return line + 1, offset - starts[line] + 1

    def location(self, offset: int) -> str:
        line, column = self.line_col(offset)
        return f"{self.origin}:{line}:{column}"

    def line_text(self, line: int) -> str:
        starts = self._starts()
        begin = starts[line - 1]
        end = starts[line] - 1 if line < len(starts) else len(self.text)
        return self.text[begin:end].rstrip("\r")

    def snippet(self, start: int, end: int) -> list[str]:
        """The source line holding ``start`` with carets under ``start..end``.

        Every character outside printable ASCII is shown as ``?`` so that a control or
        bidirectional character in the program can neither reach the terminal nor shift
        the caret. A long line is cut to a window around the caret.
        """
        line, column = self.line_col(start)
        text = self.line_text(line)
        end_line, _ = self.line_col(max(start, end - 1))
        stop = len(text) if end_line != line else min(len(text), column - 1 + max(1, end - start))
        first = column - 1
        width = max(1, stop - first)
        left = 0
        if len(text) > SNIPPET_WIDTH:
            left = max(0, min(first - SNIPPET_WIDTH // 3, len(text) - SNIPPET_WIDTH))
        shown = printable(text[left:left + SNIPPET_WIDTH])
        prefix = "…" if left > 0 else ""
        suffix = "…" if left + SNIPPET_WIDTH < len(text) else ""
        width = min(width, SNIPPET_WIDTH - (first - left))
        gutter = f"{line} | "
        return [
            f"{gutter}{prefix}{shown}{suffix}",
            " " * (len(gutter) + len(prefix) + first - left) + "^" * max(1, width),
        ]

    def text_of(self, start: int, end: int) -> str:
        return self.text[start:end]


def printable(text: str) -> str:
    """``text`` with everything outside printable ASCII replaced by ``?``."""
    if text.isascii() and text.isprintable():
        return text
    return "".join(ch if " " <= ch <= "~" else ("    " if ch == "\t" else "?") for ch in text)


def terminal_safe(text: str) -> str:
    """``text`` with control, format (bidi) and surrogate characters escaped as ``\\x1b``.

    Everything printed to a terminal that could hold user text goes through this, so no
    escape sequence or bidirectional override from the input can reach the terminal.
    """
    if text.isprintable():
        return text
    return "".join(ch if ch == "\n" or ch.isprintable() else _escape(ch) for ch in text)


def _escape(ch: str) -> str:
    code = ord(ch)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def describe_char(ch: str) -> str:
    """``'×' (U+00D7 MULTIPLICATION SIGN)``, printable or not."""
    import unicodedata

    code = f"U+{ord(ch):04X}"
    name = unicodedata.name(ch, "")
    if not name:
        name = {"\x00": "NUL", "\x1b": "ESCAPE", "\t": "TAB", "\x7f": "DELETE"}.get(
            ch, "control character"
        )
    shown = repr(ch) if " " <= ch <= "~" else ""
    return f"{shown} ({code} {name})".strip() if shown else f"{code} {name}"
