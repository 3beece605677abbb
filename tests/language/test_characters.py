"""The program's text: ASCII only, so a lookalike or control character is a syntax error
that names it (SPEC §2) and never reaches the terminal raw; bytes that are not UTF-8, on
the command line, on stdin or in a file, are an input error."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from tests.harness import (
    DANGEROUS,
    ROOT,
    char_name,
    check_error,
    check_points_at,
    no_traceback,
    process_env,
    run,
    run_process,
)

# --------------------------------------------------------------------------------------
# the grammar is ASCII: lookalikes and controls are syntax errors that name the character
# --------------------------------------------------------------------------------------
LOOKALIKES = [
    # character, a fragment of the suggestion we expect (or None)
    ("\u2212", "'-'"),          # MINUS SIGN (SPEC §2's own example)
    ("\u2013", "'-'"),          # EN DASH
    ("\u00d7", "'*'"),          # MULTIPLICATION SIGN
    ("\u22c5", "'*'"),          # DOT OPERATOR
    ("\u00f7", "'/'"),          # DIVISION SIGN
    ("\u2215", "'/'"),          # DIVISION SLASH
    ("\u00a0", "space"),        # NO-BREAK SPACE
    ("\u2009", "space"),        # THIN SPACE
    ("\u202f", "space"),        # NARROW NO-BREAK SPACE
    ("\u3000", "space"),        # IDEOGRAPHIC SPACE
    ("\u200b", None),           # ZERO WIDTH SPACE
    ("\ufeff", None),           # a BOM in the middle of a program
    ("\u202e", None),           # RIGHT-TO-LEFT OVERRIDE (Trojan Source)
    ("\u202d", None),           # LEFT-TO-RIGHT OVERRIDE
    ("\u2066", None),           # LEFT-TO-RIGHT ISOLATE
    ("\u2069", None),           # POP DIRECTIONAL ISOLATE
    ("\u200f", None),           # RIGHT-TO-LEFT MARK
    ("\u061c", None),           # ARABIC LETTER MARK
    ("\x1b", None),             # ESCAPE
    ("\x00", None),             # NUL
    ("\x07", None),             # BELL
    ("\x08", None),             # BACKSPACE
    ("\x0b", None),             # VERTICAL TAB
    ("\x7f", None),             # DELETE
    ("\x85", None),             # NEXT LINE (C1)
    ("\u2028", None),           # LINE SEPARATOR
    ("\uff0b", None),           # FULLWIDTH PLUS SIGN
    ("\uff11", None),           # FULLWIDTH DIGIT ONE
    ("\u0661", "0-9"),          # ARABIC-INDIC DIGIT ONE
    ("\u0967", "0-9"),          # DEVANAGARI DIGIT ONE
    ("\u00b2", "^2"),           # SUPERSCRIPT TWO
    ("\u03c0", "pi"),           # GREEK SMALL LETTER PI
    ("\u221a", "sqrt"),         # SQUARE ROOT
    ("\u0430", None),           # CYRILLIC SMALL LETTER A (looks like 'a')
    ("\U0001d465", None),       # MATHEMATICAL ITALIC SMALL X
    ("\u2018", None),           # LEFT SINGLE QUOTATION MARK
    ("$", None), ("!", None), ("&", None), ("`", None),
    ("\\", None), ("?", None), ("{", None), ("<", None), ("'", None),
    ('"', None), ("|", None), ("~", None), ("%", None),
]


@pytest.mark.parametrize(("ch", "hint"), LOOKALIKES, ids=[char_name(c) for c, _ in LOOKALIKES])
def test_character_outside_the_language_is_a_syntax_error_naming_it(ch: str, hint: str | None):
    result = run("eval", f"x {ch} 1", "x=2")
    check_error(result, 2, char_name(ch))
    name = unicodedata.name(ch, "")
    if name:
        assert name in result.err, f"the Unicode name {name!r} is missing:\n{result.err}"
    if hint is not None:
        assert hint in result.err, result.err
    check_points_at(result.err, 1, 3)
    # Whatever the character, it never reaches the terminal raw.
    if DANGEROUS.match(ch):
        assert ch not in result.err, f"raw {char_name(ch)} echoed to stderr"


@pytest.mark.parametrize(
    ("program", "line", "column", "ch"),
    [
        ("a = 1\nb = a \u2212 2", 2, 7, "\u2212"),
        ("w\u2080 = 1", 1, 2, "\u2080"),                      # SUBSCRIPT ZERO in a name
        ("q = x + y\n\nf = q\u00d7z", 3, 6, "\u00d7"),
        ("def f(a) = a\u00f72\nf(x)", 1, 13, "\u00f7"),
        ("(x +\n  \u2212y)", 2, 3, "\u2212"),                # inside parentheses
        ("x + 1 \x1b[31m", 1, 7, "\x1b"),                     # a colour escape
        ("x\u202e + 1", 1, 2, "\u202e"),
    ],
)
def test_lookalike_position_is_line_and_column(program: str, line: int, column: int, ch: str):
    result = run("eval", program, "x=1", "y=2", "z=3")
    check_error(result, 2, char_name(ch))
    check_points_at(result.err, line, column)
    assert not DANGEROUS.search(result.err.replace("\n", "")), repr(result.err)


@pytest.mark.parametrize("fmt", ["table", "plain", "csv", "json"])
@pytest.mark.parametrize(
    "comment",
    ["# \x1b[31mred\x1b[0m", "# \u202eevil\u202c", "# \x07\x08\x1b]0;title\x07"],
    ids=["ESC", "bidi", "OSC"],
)
def test_control_characters_in_comments_never_reach_the_output(comment: str, fmt: str):
    """A comment inside parentheses is part of the output's source text (its label).

    SPEC §2 makes any non-ASCII character a syntax error; a tool may choose to allow them
    in comments, but then they must not reach the terminal raw (Trojan Source, terminal
    escape injection). Either outcome passes; echoing them does not.
    """
    program = f"(x {comment}\n + 1)"
    result = run("eval", program, "x=1", "-F", fmt)
    no_traceback(result.err)
    if result.code == 2:
        assert result.err.startswith("error: ") and "U+" in result.err, result.err
        assert not DANGEROUS.search(result.err.replace("\n", "")), repr(result.err)
    else:
        assert result.code == 0, result.err
        if fmt == "json":
            json.loads(result.out)  # JSON escapes C0 controls; still valid
            assert "\x1b" not in result.out
        else:
            leaked = DANGEROUS.findall(result.out.replace("\n", ""))
            assert not leaked, f"raw {leaked!r} in --format {fmt} output:\n{result.out!r}"


def test_non_utf8_program_argument_is_an_input_error():
    """An argv byte that is not UTF-8 arrives as a lone surrogate (surrogateescape)."""
    for program in ["x + \udcff", "x # caf\udce9", "(x # \udcff\n + 1)"]:
        result = run("eval", program, "x=1")
        check_error(result, 2)
        assert "UTF-8" in result.err or "U+DC" in result.err, result.err


def test_non_utf8_program_argument_in_a_real_process():
    # Bypasses the in-process runner: the bytes go through the real argv decoding.
    proc = subprocess.run(
        [os.fsencode(sys.executable), b"-m", b"backprop_cli", b"eval", b"x + 1 # \xff",
         b"x=1"],
        capture_output=True, cwd=ROOT, timeout=60, check=False,
        env=process_env(),
    )
    err = proc.stderr.decode("utf-8", "replace")
    no_traceback(err)
    assert proc.returncode in (0, 2), err
    if proc.returncode == 2:
        assert err.startswith("error: "), err


STDIN_CASES = [
    (b"x + \xff", "UTF-8"),
    (b"x + 1 # caf\xe9\n", "UTF-8"),           # Latin-1, not UTF-8
    (b"\xc3\x28", "UTF-8"),                     # a broken two-byte sequence
    (b"x + \xed\xa0\x80", "UTF-8"),             # an encoded surrogate
    (b"x + \xc0\xaf", "UTF-8"),                 # an overlong encoding
    (b"\xff\xfex\x00+\x001\x00", "UTF-8"),     # UTF-16 with its BOM
    (b"x + \x00 1", "U+0000"),
    (b"\x00", "U+0000"),
    (b"x\x00", "U+0000"),
    (b"", "empty"),
    (b"\n\n  \n", "empty"),
    (b"# a comment\n# another\n", "comment"),
    (b";;\n", ""),
    (b"\xef\xbb\xbf", ""),                      # a BOM alone
    (b"\xef\xbb\xbf# only a comment\n", "comment"),
]


@pytest.mark.parametrize(("data", "needle"), STDIN_CASES, ids=[ascii(d) for d, _ in STDIN_CASES])
def test_bad_bytes_on_stdin_in_process(data: bytes, needle: str):
    check_error(run("eval", "-", "x=1", stdin=data), 2, needle)


@pytest.mark.parametrize(
    ("data", "needle"),
    [(b"x + \xff\n", "UTF-8"), (b"x + \x00 1", "U+0000"), (b"", "empty"),
     (b"# only a comment\n", "comment")],
    ids=["non-utf8", "nul", "empty", "comment-only"],
)
def test_bad_bytes_on_stdin_real_process(data: bytes, needle: str):
    proc = run_process("eval", "-", "x=1", stdin=data)
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2, err
    no_traceback(err)
    assert err.startswith("error: "), err
    assert needle in err, err
    assert proc.stdout == b""


@pytest.mark.parametrize(
    ("data", "needle"),
    [(b"x + \xff\n", "UTF-8"), (b"x +\x00 1\n", "U+0000"), (b"\x7fELF\x02\x01\x01\x00", "")],
    ids=["non-utf8", "nul", "binary"],
)
def test_bad_bytes_in_a_program_file(tmp_path: Path, data: bytes, needle: str):
    path = tmp_path / "prog.bp"
    path.write_bytes(data)
    check_error(run("eval", "-f", str(path), "x=1"), 2, needle)
