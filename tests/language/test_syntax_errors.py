"""Syntax, names and arity: exit 2 with the origin, line and column, the source line and a
caret under the column; an empty or comment-only program is an error of its own."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.harness import check_error, check_points_at, run


def test_syntax_error_shows_line_column_and_caret() -> None:
    result = run("eval", "x = 1\ny = (x +* 2)\ny")
    assert result.code == 2
    lines = result.err.splitlines()
    assert lines[0].startswith("error: expected an expression")
    assert "<argument>:2:9" in lines[1]
    assert lines[2].strip() == "2 | y = (x +* 2)"
    assert lines[3].index("^") == lines[2].index("*")


# --------------------------------------------------------------------------------------
# syntax, names, arity: exit 2 with line, column, source line and caret
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("program", "line", "column", "needle"),
    [
        ("2x", 1, 2, "x"),
        ("x +", 1, 3, "+"),
        ("x + * y", 1, 5, "*"),
        ("(x + y", 1, 1, "("),
        ("x + y)", 1, 6, ")"),
        ("x ** * 2", 1, 6, "*"),
        ("f(x)", 1, 1, "f"),
        ("y = x\nsin(x, y)", 2, 1, "sin"),
        ("max(x)", 1, 1, "max"),
        ("log()", 1, 1, "log"),
        ("log(x, 2, 3)", 1, 1, "log"),
        ("def f(a, b) = a + b\nf(x)", 2, 1, "f"),
        ("def f(a) = a + zz\nf(x)", 1, 16, "zz"),
        ("def f(a, a) = a\nf(x)", 1, 1, "a"),
        ("def f(a) = f(a)\nf(x)", 1, 12, "f"),
        ("pi = 3\nx", 1, 1, "pi"),
        ("def sin(t) = t\nsin(x)", 1, 1, "sin"),
        ("a = x\na = 2 * x\na", 2, 1, "a"),
        ("sin + x", 1, 1, "sin"),
        ("y = x\ny(2)", 2, 1, "y"),
        ("x = = 1", 1, 5, "="),
        ("= 1", 1, 1, "="),
        ("1 = x", 1, 3, "="),
        ("x\n\n  def f(a) = a", 3, 3, "def"),
        ("x + 1e400", 1, 5, "1e400"),
    ],
)
def test_program_errors_point_at_the_source(program: str, line: int, column: int, needle: str):
    result = run("eval", program, "x=1")
    check_error(result, 2, needle)
    check_points_at(result.err, line, column)
    assert "unexpected the " not in result.err, f"garbled message:\n{result.err}"


def test_errors_in_a_file_name_the_file(tmp_path: Path):
    path = tmp_path / "prog.bp"
    path.write_text("a = x\nb = a \u00d7 2\nb\n", encoding="utf-8")
    result = run("eval", "-f", str(path), "x=1")
    check_error(result, 2, "U+00D7")
    check_points_at(result.err, 2, 7, origin=str(path))


# --------------------------------------------------------------------------------------
# empty programs
# --------------------------------------------------------------------------------------
EMPTY_PROGRAMS = ["", " ", "\n\n", "\t\r\n", ";", ";;\n;", "# only a comment",
                  "# a\n# b\n", "  # a ; # b", "\n  ;  # c\n"]


@pytest.mark.parametrize("program", EMPTY_PROGRAMS, ids=ascii)
def test_empty_or_comment_only_program(program: str):
    result = run("eval", program)
    check_error(result, 2)
    assert re.search(r"empty|no statement|comment", result.err), result.err


@pytest.mark.parametrize("program", EMPTY_PROGRAMS[:4] + EMPTY_PROGRAMS[6:8], ids=ascii)
def test_empty_program_from_a_file(tmp_path: Path, program: str):
    path = tmp_path / "empty.bp"
    path.write_text(program, encoding="utf-8")
    result = run("eval", "-f", str(path))
    check_error(result, 2)
    assert re.search(r"empty|no statement|comment", result.err), result.err
