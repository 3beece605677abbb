"""Hostile input: every bad input is a short `error:` message and the right exit status.

SPEC §1 and §2: the language is ASCII, a lookalike character is a syntax error that names
it, bindings are plain decimal literals, numbers are floats, input size and node count are
limited (and the message names the option), bad bytes on stdin, empty programs, Ctrl-C, a
closed stdout and /dev/full all end with a message and an exit status, never a traceback.
Nothing the user wrote reaches eval/exec/compile or Rich markup.

Most cases run in process through ``backprop_cli.cli.app.main`` (the top-level guard that maps
errors to exit statuses); the ones about bytes, pipes, signals and files run the real
command in a subprocess.
"""

from __future__ import annotations

import ast
import builtins
import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from backprop_cli.cli.app import cli
from tests.harness import (
    DANGEROUS,
    PACKAGE,
    ROOT,
    Run,
    backprop_command,
    char_name,
    check_error,
    check_points_at,
    check_usage_error,
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
    ("$", None), ("[", None), ("@", None), ("!", None), ("&", None), ("`", None),
    ("\\", None), ("?", None), ("{", None), ("<", None), (":", None), ("'", None),
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


@pytest.mark.parametrize(
    "args",
    [
        ["eval", "x", "x=1", "--grad", "\x1b[31mz"],
        ["eval", "x", "x=1", "--output", "\x1b]0;pwned\x07"],
        ["eval", "x", "x=1", "--grad", "z\u202e"],
        ["eval", "-f", "/nonexistent/\x1b[2Jfile.bp"],
        ["eval", "x", "--values", "/nonexistent/\x1b[2J.json"],
    ],
    ids=["grad-ESC", "output-OSC", "grad-bidi", "file-ESC", "values-ESC"],
)
def test_user_text_in_option_values_is_not_echoed_raw(args: list[str]):
    """A name or path the user typed is quoted safely in the message, not replayed raw."""
    result = run(*args)
    check_error(result, 2)
    leaked = DANGEROUS.findall(result.err.replace("\n", ""))
    assert not leaked, f"raw {leaked!r} echoed to stderr: {result.err!r}"


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


# --------------------------------------------------------------------------------------
# bindings: plain decimal literals only
# --------------------------------------------------------------------------------------
BAD_VALUES = [
    "nan", "NaN", "-nan", "inf", "-inf", "+inf", "Infinity", "infinity", "1_000", "1_0.5",
    "\u0661\u0662\u0663", "\uff11", "\u0967", "\u00b2", "\u2212" "1", "\u2013" "1", "0x10",
    "0b1", "0o7", "1e999", "-1e999", "", " ", "1e", "e5", ".", "-", "+", "--1", "+-1",
    "1.2.3", "1,5", "1 000", "1/2", "2*3", "pi", "e", "x", "(1)", "1j", "\u00a0" "1",
    "1\u2009", "\u3000" "1", "1\x1f", "\x1c" "1", "1\x00", "\x1b[31m1", "1\u202e",
    "__import__('os')",
]


@pytest.mark.parametrize("value", BAD_VALUES, ids=[ascii(v) for v in BAD_VALUES])
def test_binding_value_must_be_a_plain_decimal(value: str):
    result = run("eval", "x + 1", f"x={value}")
    check_usage_error(result, "x")


@pytest.mark.parametrize(
    "value", ["2", "-0.5", "+3", "3e-4", "1E6", ".5", "5.", "-0", "1e-400", "007", "1.5e+10"]
)
def test_binding_value_plain_decimals_are_accepted(value: str):
    result = run("eval", "x", f"x={value}", "--value")
    assert result.code == 0, result.err
    assert float(result.out) == float(value)


@pytest.mark.parametrize(
    "binding",
    ["1x=1", "x-y=1", "\u00e9=1", "=1", "x.y=1", "x", "x==1", "\u00a0x=1", "x\u200b=1",
     "\x1b[31mx=1", "\u0445=1"],  # the last is CYRILLIC SMALL LETTER HA, not 'x'
    ids=ascii,
)
def test_binding_name_must_be_an_ascii_name(binding: str):
    result = run("eval", "x + 1", "x=1", binding)
    check_usage_error(result)
    assert not DANGEROUS.search(result.err.replace("\n", "")), repr(result.err)


def test_binding_twice_is_an_error():
    check_usage_error(run("eval", "x + 1", "x=1", "x=2"), "x")


@pytest.mark.parametrize(
    ("program", "binding", "needle"),
    [
        ("q = x + y; q * 2", "q=1", "q"),       # computed from other names
        ("pi * x", "pi=3", "pi"),               # a constant
        ("e * x", "e=2", "e"),
        ("x + 1", "w=1", "w"),                  # not in the program
        ("def f(a) = a; f(x)", "a=1", "a"),     # a parameter is not an input
        ("def f(a) = a; f(x)", "f=1", "f"),     # nor is a function
    ],
)
def test_binding_something_that_is_not_an_input(program: str, binding: str, needle: str):
    others = ["x=1", "y=2"] if "y" in program else ["x=1"]
    result = run("eval", program, *others, binding)
    check_usage_error(result, needle)
    assert re.search(rf"\b{needle}\b", result.err.splitlines()[0]), result.err


def test_missing_values_are_all_listed_at_once():
    result = run("eval", "alpha*beta + gamma*delta + alpha", "beta=1")
    check_error(result, 2)
    first = result.err.splitlines()[0]
    for name in ("alpha", "gamma", "delta"):
        assert re.search(rf"\b{name}\b", first), f"{name} missing from: {first}"
    assert not re.search(r"\bbeta\b", first), first


@pytest.mark.parametrize(
    ("document", "needle"),
    [
        ('{"x": NaN}', "NaN"),
        ('{"x": Infinity}', "Infinity"),
        ('{"x": 1e999}', "x"),
        ('{"x": "1"}', "x"),
        ('{"x": true}', "x"),
        ('{"x": null}', "x"),
        ('{"x": [1]}', "x"),
        ('{"x y": 1}', "x y"),
        ("[1, 2]", ""),
        ('{"x": 1', ""),
        ("x=nan\n", "nan"),
        ("x=1\nx=2\n", "x"),
        ("x=1_000\n", "1_000"),
        ('{"x": 1' + "0" * 400 + "}", "x"),            # an int too large for a double
        ('{"x": 1' + "0" * 5000 + "}", "x"),           # over Python's int-string limit
        ('{"x": ' + "[" * 100_000 + "]" * 100_000 + "}", ""),  # nested past recursion
    ],
    ids=["NaN", "Infinity", "1e999", "string", "bool", "null", "list", "bad-name",
         "array", "truncated", "line-nan", "line-twice", "line-underscore", "int-1e400",
         "int-5000-digits", "deep-nesting"],
)
def test_values_file_rejects_everything_but_finite_numbers(tmp_path: Path, document: str,
                                                          needle: str):
    path = tmp_path / "values.txt"
    path.write_text(document, encoding="utf-8")
    result = run("eval", "x + 1", "--values", str(path))
    check_error(result, 2, needle)


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
        ("sin = 2\nx", 1, 1, "sin"),
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
# empty programs; bytes on stdin and in files
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


@pytest.mark.parametrize("target", ["/nonexistent/prog.bp", "."], ids=["missing", "directory"])
def test_unreadable_program_file(target: str):
    check_error(run("eval", "-f", target), 2, target)


# --------------------------------------------------------------------------------------
# bad options (click usage errors)
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["eval"], "PROGRAM"),
        (["eval", "x", "x=1", "--format", "xml"], "--format"),
        (["eval", "x", "x=1", "--max-nodes", "0"], "--max-nodes"),
        (["eval", "x", "x=1", "--max-nodes", "abc"], "--max-nodes"),
        (["eval", "x", "x=1", "--max-bytes", "-5"], "--max-bytes"),
        (["eval", "x", "x=1", "--precision", "0"], "--precision"),
        (["eval", "x", "x=1", "--bogus"], "--bogus"),
        (["eval", "x", "x=1", "--value", "--grad", "x"], "--value"),
        (["evl", "x"], "evl"),
        (["eval", "x", "x=1", "--grad", "nope"], "nope"),
        (["eval", "x", "x=1", "--output", "nope"], "nope"),
    ],
)
def test_bad_options(args: list[str], needle: str):
    check_usage_error(run(*args), needle)


def test_usage_errors_through_click_runner():
    """The group itself (without the guard) exits 2 with click's usage message."""
    runner = CliRunner()
    result = runner.invoke(cli, ["eval", "x", "--format", "xml"], env={"NO_COLOR": "1"})
    assert result.exit_code == 2
    assert "--format" in result.output
    assert "Traceback" not in result.output


# --------------------------------------------------------------------------------------
# limits: node count and size, named by their options
# --------------------------------------------------------------------------------------
def test_node_limit_is_exact_and_names_the_option():
    program = "x+x+x+x+x+x"  # one input used six times, five adds: 6 nodes
    ok = run("eval", program, "x=1", "--max-nodes", "6", "--value")
    assert (ok.code, ok.out.strip()) == (0, "6"), ok.err
    over = run("eval", program, "x=1", "--max-nodes", "5")
    check_error(over, 2, "--max-nodes")


def test_node_limit_counts_function_bodies_and_expansions():
    program = "def f(a) = a*a + a\nf(x) + f(x)"
    check_error(run("eval", program, "x=1", "--max-nodes", "3"), 2, "--max-nodes")
    check_error(run("eval", "sigmoid(x) * x", "x=1", "--expand", "--max-nodes", "4"), 2,
                "--max-nodes")


def test_exponential_blowup_stops_at_the_default_node_limit(tmp_path: Path):
    """A 'billion laughs': each def calls the previous one twice, 2^40 nodes if inlined."""
    lines = ["def f0(a) = a * a"]
    lines += [f"def f{i}(a) = f{i - 1}(a) + f{i - 1}(a)" for i in range(1, 41)]
    lines.append("f40(x)")
    path = tmp_path / "laughs.bp"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for extra in ([], ["--expand"]):
        start = time.monotonic()
        proc = run_process("eval", "-f", str(path), "x=1", *extra, timeout=60)
        elapsed = time.monotonic() - start
        err = proc.stderr.decode("utf-8", "replace")
        assert proc.returncode == 2, err
        no_traceback(err)
        assert err.startswith("error: ") and "--max-nodes" in err, err
        assert elapsed < 30, f"took {elapsed:.1f}s to hit the node limit"


def test_program_over_the_default_node_limit(tmp_path: Path):
    """2,000,001 nodes (1,000,001 literals and 1,000,000 adds) is over the default."""
    path = tmp_path / "big.bp"
    path.write_text("+".join(["1"] * 1_000_001) + "\n", encoding="ascii")
    proc = run_process("eval", "-f", str(path), timeout=120)
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2, err
    no_traceback(err)
    assert err.startswith("error: ") and "--max-nodes" in err, err


@pytest.mark.parametrize("how", ["argument", "stdin", "file"])
def test_byte_limit_is_exact_and_names_the_option(tmp_path: Path, how: str):
    program = "x  #abc"  # 7 bytes
    path = tmp_path / "prog.bp"
    path.write_text(program, encoding="utf-8")

    def go(limit: int) -> Run:
        options = ["x=1", "--max-bytes", str(limit), "--value"]
        if how == "argument":
            return run("eval", program, *options)
        if how == "stdin":
            return run("eval", "-", *options, stdin=program.encode("utf-8"))
        return run("eval", "-f", str(path), *options)

    ok = go(7)
    assert ok.code == 0, ok.err
    check_error(go(6), 2, "--max-bytes")


def test_defaults_admit_what_the_spec_asks_for():
    """SPEC §2: the defaults admit a 200,000-term sum and a million nodes."""
    result = run("eval", "+".join(["x"] * 200_000), "x=1", "--value")
    assert (result.code, result.out.strip()) == (0, "200000"), result.err[:500]
    help_text = run("eval", "--help").out
    nodes = re.search(r"default:\s*([\d_,]+)", help_text[help_text.index("--max-nodes"):])
    assert nodes and int(re.sub(r"[_,]", "", nodes.group(1))) >= 1_000_000, help_text


# --------------------------------------------------------------------------------------
# numbers are floats: no huge integers, no hangs
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("program", "bindings"),
    [
        ("9^9^9^9", []),
        ("9**9**9**9", []),
        ("-(9^9^9^9)", []),
        ("x^9^9^9", ["x=9"]),
        ("(9^9)^(9^9)^9", []),
        ("10^10^10^10^10^10", []),
        ("2^1024", []),
        ("1e308 * 10", []),
        ("exp(exp(exp(exp(10))))", []),
        ("y = 9^9\nz = y^y\nz^z", []),
    ],
)
def test_huge_powers_overflow_at_once(program: str, bindings: list[str]):
    start = time.monotonic()
    result = run("eval", program, *bindings)
    elapsed = time.monotonic() - start
    assert elapsed < 1.0, f"{program!r} took {elapsed:.2f}s"
    check_error(result, 1)
    assert re.search(r"overflow|not finite|too large", result.err), result.err


def test_huge_powers_with_nonfinite_allowed_are_still_quick():
    start = time.monotonic()
    result = run("eval", "9^9^9^9", "--allow-nonfinite", "-F", "json")
    assert time.monotonic() - start < 1.0
    assert result.code == 0, result.err
    assert json.loads(result.out)["value"] == "inf"


@pytest.mark.parametrize("literal", ["1" + "0" * 400, "1e400", "1" * 5000, "9" * 100_000])
def test_huge_literals_are_floats_not_integers(literal: str):
    start = time.monotonic()
    result = run("eval", f"{literal} + x", "x=1")
    assert time.monotonic() - start < 1.0
    assert result.code in (1, 2), result.err
    no_traceback(result.err)
    assert result.err.startswith("error: "), result.err


@pytest.mark.parametrize(
    ("program", "bindings"),
    [
        ("log(-1)", []), ("1/0", []), ("sqrt(-1)", []), ("log(0)", []), ("asin(2)", []),
        ("0^-1", []), ("exp(1000)", []), ("x / y", ["x=1", "y=0"]),
        ("sqrt(x)", ["x=0"]),                 # the gradient is infinite
        ("acos(x)", ["x=1"]),
        ("log(x, 1)", ["x=2"]),
        ("a = x - x\nb = 1 / a\nb * 2", ["x=3"]),
    ],
)
def test_domain_errors_exit_1_and_point_at_the_node(program: str, bindings: list[str]):
    result = run("eval", program, *bindings)
    check_error(result, 1)
    assert re.search(r"<argument>:\d+:\d+", result.err), result.err
    assert "^" in result.err, result.err


# --------------------------------------------------------------------------------------
# depth and width: no recursion, no quadratic blowups
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("program", "code"),
    [
        ("(" * 100_000 + "x" + ")" * 100_000, 0),
        ("0 + " + "-" * 100_000 + "x", 0),
        ("^".join(["x"] * 50_000), 0),
        ("sin(" * 20_000 + "x" + ")" * 20_000, 0),
        ("(" * 100_000 + "x", 2),
        ("x" + ")" * 100_000, 2),
    ],
    ids=["parens", "minus", "power-chain", "calls", "unclosed", "unopened"],
)
def test_deep_programs_never_recurse(program: str, code: int):
    result = run("eval", program, "x=0.5", "--value")
    assert result.code == code, result.err[:2000]
    no_traceback(result.err)


@pytest.mark.parametrize("fn", ["max", "min"])
def test_wide_max_min_is_linear_not_quadratic(tmp_path: Path, fn: str):
    """SPEC §3: a big program is only slower in proportion. 40,000 arguments to max take
    as long as a 40,000-term sum (well under a second), not minutes."""
    path = tmp_path / "wide.bp"
    path.write_text(f"{fn}(" + ", ".join(["x"] * 40_000) + ")\n", encoding="ascii")
    try:
        proc = run_process("eval", "-f", str(path), "x=1", "--value", timeout=5)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{fn}() of 40,000 arguments did not finish in 5 s")
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")
    assert proc.stdout.strip() == b"1"


# --------------------------------------------------------------------------------------
# Rich markup and eval/exec/compile never see user text
# --------------------------------------------------------------------------------------
MARKUP = "[bold]B[/bold] [link=http://x]L[/link] [/] :smile: [red"


@pytest.mark.parametrize("fmt", ["table", "plain", "json", "csv"])
def test_comments_never_reach_the_output(fmt: str):
    # An unnamed output is named by its source text: comments dropped, one line.
    program = f"(x # {MARKUP}\n + 1)"
    result = run("eval", program, "x=1", "-F", fmt)
    assert result.code == 0, result.err
    no_traceback(result.err)
    for piece in ("[bold]", "[link=", ":smile:", "#"):
        assert piece not in result.out, f"{piece!r} reached the output:\n{result.out}"
    if fmt == "json":
        assert json.loads(result.out)["output"] == "(x + 1)"


@pytest.mark.parametrize(
    ("args", "literal"),
    [
        (["eval", "x + [/bold]", "x=1"], "x + [/bold]"),
        (["eval", "x + [link=http://x]y", "x=1"], "[link=http://x]y"),
        (["eval", "x", "x=1", "--output", "[bold]q[/bold]"], "[bold]q[/bold]"),
        (["eval", "x", "x=1", "--grad", "[/]"], "[/]"),
    ],
)
def test_markup_in_error_messages_is_shown_literally(args: list[str], literal: str):
    result = run(*args)
    check_error(result, 2, literal)


def test_markup_in_program_text_is_literal_in_a_real_process():
    proc = run_process("eval", "x + [link=http://x]L[/link] [/bold]", "x=1")
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2, err
    assert "x + [link=http://x]L[/link] [/bold]" in err, err


def test_markup_in_labels_is_literal_on_a_colour_terminal():
    """On a terminal Rich styles the table; text from the program must still not be
    parsed as markup (no OSC 8 hyperlink, no bold from a [bold] in a label)."""
    import io

    from rich.console import Console

    from backprop_cli import evaluate
    from backprop_cli.api import NodeRecord, Result
    from backprop_cli.render import RenderOptions
    from backprop_cli.render.eval_table import render

    result = evaluate("x + 1", {"x": 1.0})
    evaluation = result.evaluation._replace(
        graph=result.graph._replace(output_name=MARKUP))
    marked = Result(evaluation)
    marked._records = [NodeRecord(r.id, r.name, r.op, f"{r.label} {MARKUP}", r.inputs,
                                  r.value, r.grad) for r in result.nodes]
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="truecolor", width=400)
    console.print(render(marked, RenderOptions()))
    raw = buffer.getvalue()
    assert "\x1b[" in raw, "expected a styled (terminal) render"
    assert "\x1b]8;" not in raw, f"a [link=...] became a hyperlink: {raw!r}"
    text = re.sub(r"\x1b\[[0-9;]*m", "", raw)
    for piece in ("[bold]B[/bold]", "[link=http://x]L[/link]", "[/]", ":smile:"):
        assert piece in text, f"{piece!r} not shown literally: {text!r}"
    assert "\U0001f604" not in text


def _package_calls(names: set[str]) -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else (
                    func.attr if isinstance(func, ast.Attribute)
                    and func.attr in {"literal_eval", "from_markup", "render_markup"} else None)
                if name in names:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}")
    return found


def test_package_source_has_no_eval_exec_compile():
    calls = _package_calls({"eval", "exec", "compile", "__import__", "literal_eval",
                            "from_markup", "render_markup"})
    assert not calls, "\n".join(calls)


def test_user_text_never_reaches_eval_exec_compile(monkeypatch: pytest.MonkeyPatch):
    marker = "zq_marker_7"
    programs = [
        [f"{marker} * 2 + exp({marker})", f"{marker}=1"],
        [f"def {marker}f(a) = a^2\n{marker}f(x)", "x=2", "--expand"],
        [f"q{marker} = x + 1\nq{marker} * 2", "x=1", "--output", f"q{marker}", "-F", "json"],
        [f"{marker} + __import__('os')", f"{marker}=1"],
        [f"x + 1 # {marker} ]]; exec('{marker}')", "x=1", "-F", "csv"],
    ]
    for args in programs:  # warm up: import every lazily imported module first
        run("eval", *args)
    seen: list[str] = []

    def spy(real):
        def wrapper(source, *rest, **kwargs):
            if marker in str(source if not isinstance(source, bytes) else source.decode()):
                seen.append(f"{real.__name__}({source!r})")
            return real(source, *rest, **kwargs)
        return wrapper

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, spy(getattr(builtins, name)))
    for args in programs:
        for fmt in (["-F", "table"], ["-F", "plain"], []):
            run("eval", *args, *fmt)
    assert not seen, seen


# --------------------------------------------------------------------------------------
# output not writable: closed pipe, /dev/full
# --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "args",
    [
        ["eval", "(x+y)*z", "x=1", "y=3", "z=-3"],
        ["eval", "(x+y)*z", "x=1", "y=3", "z=-3", "-F", "json"],
        ["eval", "(x+y)*z", "x=1", "y=3", "z=-3", "--value"],
        ["eval", "+".join(["x"] * 5000), "x=1", "-F", "csv"],
        ["ops"],
        ["--version"],
    ],
    ids=["table", "json", "value", "csv-big", "ops", "version"],
)
def test_closed_stdout_exits_1_quietly(args: list[str]):
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will ever read: the first write fails with EPIPE
    try:
        proc = run_process(*args, stdout=write_end)
    finally:
        os.close(write_end)
    err = proc.stderr.decode("utf-8", "replace")
    no_traceback(err)
    assert proc.returncode == 1, f"exit {proc.returncode}: {err}"
    assert err.strip() == "", f"a closed pipe should end quietly, got: {err}"


def test_pipe_closed_early_like_head_ends_quietly(tmp_path: Path):
    """``backprop eval ... | head -1``: the reader goes away after the first line."""
    path = tmp_path / "sum.bp"
    path.write_text("+".join(["x"] * 20_000) + "\n", encoding="ascii")
    env = process_env()
    producer = subprocess.Popen(
        [*backprop_command(), "eval", "-f", str(path), "x=1", "-F", "json"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=env,
    )
    head = subprocess.Popen(["head", "-1"], stdin=producer.stdout, stdout=subprocess.PIPE)
    producer.stdout.close()  # only head holds the read end now
    first, _ = head.communicate(timeout=60)
    err = producer.stderr.read().decode("utf-8", "replace")
    producer.stderr.close()
    code = producer.wait(timeout=60)
    assert first.strip() == b"{"
    no_traceback(err)
    assert err.strip() == "", err
    assert code in (0, 1), err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full")
@pytest.mark.parametrize(
    "args",
    [["eval", "(x+y)*z", "x=1", "y=3", "z=-3"], ["eval", "x", "x=1", "-F", "json"],
     ["eval", "x", "x=1", "--grad", "x"], ["ops"], ["--help"]],
    ids=["table", "json", "grad", "ops", "help"],
)
def test_full_disk_exits_1_without_traceback(args: list[str]):
    with open("/dev/full", "wb") as full:
        proc = run_process(*args, stdout=full)
    err = proc.stderr.decode("utf-8", "replace")
    no_traceback(err)
    assert proc.returncode == 1, f"exit {proc.returncode}: {err}"
    assert len(err.splitlines()) <= 1, err
    assert err == "" or err.startswith("error: "), err


# --------------------------------------------------------------------------------------
# Ctrl-C
# --------------------------------------------------------------------------------------
def _interrupt(proc: subprocess.Popen, after: float) -> tuple[int, str]:
    time.sleep(after)
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail("the process ignored SIGINT")
    return proc.returncode, err.decode("utf-8", "replace")


@pytest.mark.parametrize("args", [["eval", "-", "x=1"], ["eval", "-f", "-", "x=1"]],
                         ids=["dash", "file-dash"])
def test_ctrl_c_while_reading_stdin_exits_130(args: list[str]):
    proc = subprocess.Popen([*backprop_command(), *args], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                            env=process_env())
    proc.stdin.write(b"x + 1\n")  # a program that never ends: stdin stays open
    proc.stdin.flush()
    code, err = _interrupt(proc, 1.5)
    proc.stdin.close()
    no_traceback(err)
    assert code == 130, f"exit {code}: {err}"
    assert len(err.strip().splitlines()) <= 1, err


def test_ctrl_c_during_a_long_evaluation_exits_130(tmp_path: Path):
    path = tmp_path / "long.bp"
    path.write_text("+".join(["x"] * 400_000) + "\n", encoding="ascii")
    proc = subprocess.Popen([*backprop_command(), "eval", "-f", str(path), "x=1"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
                            env=process_env())
    code, err = _interrupt(proc, 0.6)
    no_traceback(err)
    assert code == 130, f"exit {code}: {err}"


def test_ctrl_c_while_the_package_is_still_importing_exits_130():
    """Ctrl-C in the first tens of milliseconds lands in ``import backprop_cli``, before
    ``main`` installs its guard. Simulated deterministically: the import of the graph
    builder raises KeyboardInterrupt, exactly as a real SIGINT at that instant would."""
    script = textwrap.dedent(
        """
        import builtins, sys
        real_import = builtins.__import__
        def hook(name, globals=None, locals=None, fromlist=(), level=0):
            package = (globals or {}).get("__package__") or ""
            if name.endswith("builder") and (level or name.startswith("backprop_cli")) \\
                    and (package.startswith("backprop_cli") or not level):
                builtins.__import__ = real_import
                raise KeyboardInterrupt
            return real_import(name, globals, locals, fromlist, level)
        builtins.__import__ = hook
        sys.argv = ["backprop", "eval", "x", "x=1"]
        from backprop_cli._entry import run
        run()
        """
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, cwd=ROOT,
                          timeout=60, check=False, env=process_env())
    err = proc.stderr.decode("utf-8", "replace")
    no_traceback(err)
    assert proc.returncode == 130, f"exit {proc.returncode}: {err}"


# --------------------------------------------------------------------------------------
# internal errors: exit 70, one line; the traceback only with BACKPROP_DEBUG=1
# --------------------------------------------------------------------------------------
def _boom(message: str):
    def forward(*args, **kwargs):
        raise RuntimeError(message)
    return forward


@pytest.mark.parametrize("message", ["boom", "first line\nsecond line\nthird line", ""],
                         ids=["plain", "multi-line", "empty"])
def test_internal_error_is_one_line_exit_70(monkeypatch: pytest.MonkeyPatch, message: str):
    import backprop_cli.core.engine as engine

    monkeypatch.setattr(engine, "forward", _boom(message))
    result = run("eval", "x + 1", "x=1")
    assert result.code == 70, result.err
    no_traceback(result.err)
    assert result.err.startswith("error: "), result.err
    assert len(result.err.strip().splitlines()) == 1, f"more than one line:\n{result.err}"
    assert re.search(r"bug|report", result.err), result.err
    assert result.out == ""


@pytest.mark.parametrize("value", ["1", "0", "", "yes"])
def test_internal_error_traceback_only_with_backprop_debug_1(monkeypatch: pytest.MonkeyPatch,
                                                             value: str):
    import backprop_cli.core.engine as engine

    monkeypatch.setattr(engine, "forward", _boom("boom"))
    result = run("eval", "x + 1", "x=1", env={"BACKPROP_DEBUG": value})
    assert result.code == 70, result.err
    if value == "1":
        assert "Traceback" in result.err and "RuntimeError: boom" in result.err, result.err
    else:
        no_traceback(result.err)
    assert any(line.startswith("error: ") for line in result.err.splitlines()), result.err


@pytest.mark.parametrize("debug", [None, "1"], ids=["plain", "debug"])
def test_internal_error_in_a_real_process(debug: str | None):
    script = textwrap.dedent(
        """
        import sys
        import backprop_cli.core.engine
        from backprop_cli.cli.app import main
        def boom(*args, **kwargs):
            raise RuntimeError("injected failure")
        backprop_cli.core.engine.forward = boom
        sys.exit(main(["eval", "(x+y)*z", "x=1", "y=3", "z=-3"]))
        """
    )
    env = process_env({"BACKPROP_DEBUG": debug})
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, cwd=ROOT,
                          timeout=60, check=False, env=env)
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 70, err
    assert proc.stdout == b""
    if debug:
        assert "Traceback" in err and "injected failure" in err, err
    else:
        assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
        no_traceback(err)
