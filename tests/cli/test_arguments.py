"""How the command line sorts its arguments, and how it names what is wrong with them:
a forgotten formula, an unknown option after the formula, a pasted character in a
binding (under any locale), an error's first line at most 200 characters."""

from __future__ import annotations

import os
import time

import pytest

from backprop_cli.core.errors import LINE_LIMIT, InputError, format_error
from tests.harness import check_clean, check_error, check_usage_error, run, run_process


# -- a forgotten formula -----------------------------------------------------------------
@pytest.mark.parametrize("args", [["x=1", "y=3"], ["x=1"], ["w0=-2.5", "x0=1e-3"]])
def test_a_binding_first_says_the_formula_is_missing(args: list[str]) -> None:
    result = run("eval", *args)
    check_error(result, 2, "missing PROGRAM", args[0])
    assert "hint:" in result.err and "x = 1" in run("eval", "x=1").err


@pytest.mark.parametrize("command", ["graph", "check", "hessian"])
def test_every_command_says_the_formula_is_missing(command: str) -> None:
    check_error(run(command, "x=1", "y=3"), 2, "missing PROGRAM")


@pytest.mark.parametrize(("program", "out"), [
    ("x = 1", "1\n"),            # a program of one assignment, with spaces
    ("x=1; x*2", "2\n"),         # statements
    ("x=1\nx*3", "3\n"),
    ("-x^2", None),              # a formula may start with '-'
])
def test_programs_that_assign_still_work(program: str, out: str | None) -> None:
    args = ["x=3"] if out is None else []
    result = run("eval", program, *args, "--value")
    assert result.code == 0, result.err
    assert result.out == (out or "-9\n")


def test_with_a_file_every_argument_is_a_binding(tmp_path) -> None:
    path = tmp_path / "p.bp"
    path.write_text("x * y\n")
    assert run("eval", "-f", str(path), "x=2", "y=3", "--value").out == "6\n"


# -- an option click does not know, after the formula ---------------------------------------
@pytest.mark.parametrize("option", [["-q"], ["-v"], ["-o", "out.txt"], ["-x"], ["--quiet"]])
def test_an_unknown_option_after_the_formula_is_named_as_an_option(option: list[str]) -> None:
    result = run("eval", "x * 2", "x=1", *option)
    check_usage_error(result, option[0])
    assert "No such option" in result.err, result.err
    assert "not a binding" not in result.err


def test_an_unknown_option_after_a_file_is_named_as_an_option(tmp_path) -> None:
    path = tmp_path / "p.bp"
    path.write_text("x * 2\n")
    result = run("eval", "-f", str(path), "x=1", "-q")
    check_usage_error(result, "-q")
    assert "No such option" in result.err


def test_a_bad_attached_choice_is_named_as_the_option_value() -> None:
    result = run("eval", "x * 2", "x=1", "-Fxml")
    check_usage_error(result, "xml")
    assert "not a binding" not in result.err


def test_after_double_dash_everything_is_a_formula_or_a_binding() -> None:
    assert run("eval", "--", "-x^2", "x=3", "--value").code == 2  # '--value' is not a binding
    assert run("eval", "--value", "--", "-x^2", "x=3").out == "-9\n"


# -- a character pasted from a document, in a binding -------------------------------------
@pytest.mark.parametrize(("binding", "needle"), [
    ("z=\u22123", "U+2212 MINUS SIGN: use '-'"),
    ("z=\u20133", "U+2013 EN DASH: use '-'"),
    ("z=\u0663", "U+0663 ARABIC-INDIC DIGIT THREE: digits must be ASCII 0-9"),
    ("z=\u00a03", "U+00A0 NO-BREAK SPACE: use a plain space"),
    ("z\u200b=3", "U+200B ZERO WIDTH SPACE"),
])
def test_a_binding_names_a_character_as_the_parser_does(binding: str, needle: str) -> None:
    result = run("eval", "x * z", "x=1", binding)
    check_usage_error(result, needle)


def test_a_minus_sign_reads_the_same_in_a_formula_and_a_binding() -> None:
    formula = run("eval", "x * \u22123", "x=1")
    binding = run("eval", "x * z", "x=1", "z=\u22123")
    assert "U+2212 MINUS SIGN" in formula.err and "use '-'" in formula.err
    assert "U+2212 MINUS SIGN: use '-'" in binding.err


C_LOCALE = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0",
            "PYTHONIOENCODING": "utf-8"}


def test_the_c_locale_names_the_character_in_a_binding() -> None:
    done = run_process("eval", "x * z", "x=1", "z=\u22123", env=C_LOCALE, timeout=60)
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, err
    assert "U+2212 MINUS SIGN: use '-'" in err, err
    assert "UTF-8" not in err and "Traceback" not in err, err


def test_the_c_locale_names_the_character_in_a_formula() -> None:
    done = run_process("eval", "x * \u22123", "x=1", env=C_LOCALE, timeout=60)
    err = done.stderr.decode("utf-8", "replace")
    assert done.returncode == 2, err
    assert "U+2212 MINUS SIGN" in err and "use '-'" in err, err
    assert "not valid UTF-8" not in err, err


def test_the_c_locale_still_reads_a_file_of_a_non_ascii_name(tmp_path) -> None:
    path = tmp_path / "\u00e9t\u00e9.bp"
    path.write_text("x * 2\n")
    done = run_process("eval", "-f", str(path), "x=2", "--value", env=C_LOCALE, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout == b"4\n"


def test_argv_bytes_that_are_not_utf8_are_said_to_be_so() -> None:
    # what a C locale hands over for the bytes 0xff 0x33: surrogates that are no UTF-8
    result = run("eval", "x * " + os.fsdecode(b"\xff3"), "x=1")
    check_error(result, 2, "not valid UTF-8", "0xff")
    binding = run("eval", "x * z", "x=1", "z=" + os.fsdecode(b"\xff3"))
    check_usage_error(binding, "not valid UTF-8")


def test_surrogate_escaped_utf8_in_argv_is_recovered() -> None:
    minus = os.fsdecode("\u2212".encode())  # as decoded under LC_ALL=C: three surrogates
    if minus == "\u2212":
        minus = "".join(chr(0xDC00 + b) for b in "\u2212".encode())
    result = run("eval", "x * z", "x=1", "z=" + minus)
    check_usage_error(result, "U+2212 MINUS SIGN: use '-'")


# -- the first line of an error -------------------------------------------------------------
def test_limit_is_200_characters() -> None:
    assert LINE_LIMIT == 200


@pytest.mark.parametrize("size", [10_000, 10_000_000])
def test_a_huge_name_keeps_the_first_line_short(size: int) -> None:
    name = "n" * size
    started = time.perf_counter()
    result = run("eval", "x + 1", "x=1", f"{name}=2")
    assert time.perf_counter() - started < 5  # no "did you mean" over a huge name
    check_clean(result)
    assert result.code == 2
    lines = result.err.splitlines()
    assert all(len(line) <= LINE_LIMIT for line in lines), [len(line) for line in lines]


def test_a_huge_binding_twice_keeps_its_message_short() -> None:
    name = "n" * 100_000
    result = run("eval", f"x + {name}", "x=1", f"{name}=2", f"{name}=3")
    check_usage_error(result)
    assert all(len(line) <= LINE_LIMIT for line in result.err.splitlines())


def test_every_line_of_a_formatted_error_counts_its_prefix() -> None:
    error = InputError("m" * 1000, hint="h" * 1000, notes=("n" * 1000,))
    lines = format_error(error).splitlines()
    assert lines[0].startswith("error: ") and len(lines[0]) == LINE_LIMIT
    assert all(len(line) <= LINE_LIMIT for line in lines)
