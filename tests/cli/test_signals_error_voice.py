"""One voice for errors: click's option and binding errors read like backprop's own,
``error: <click's message>`` then ``hint: backprop COMMAND --help lists the options``,
with exit status 2 and nothing of click's ``Usage: / Try / Error:`` block."""

from __future__ import annotations

import pytest

from tests.harness import no_traceback, run, run_process


@pytest.mark.parametrize("args, message, hint", [
    (["eval", "x", "x=1", "--bogus"], "No such option '--bogus'",
     "backprop eval --help lists the options"),
    (["eval", "x", "x=1", "-F", "yaml"], "Invalid value for '-F' / '--format'",
     "backprop eval --help lists the options"),
    (["eval", "x", "x=abc"], "Invalid value for 'NAME=VALUE'",
     "backprop eval --help lists the options"),
    (["descend", "x^2", "x=1", "--lr", "0"], "Invalid value for '--lr'",
     "backprop descend --help lists the options"),
    (["graph", "x", "-F", "png"], "--format png writes a binary file",
     "backprop graph --help lists the options"),
    (["eval"], "missing PROGRAM", "backprop eval --help lists the options"),
    (["evl", "x"], "No such command 'evl'", "backprop --help lists the commands"),
    (["--bogus"], "No such option '--bogus'", "backprop --help lists the commands"),
])
def test_click_errors_speak_with_backprops_voice(args: list[str], message: str,
                                                 hint: str) -> None:
    result = run(*args)
    assert result.code == 2, result.err
    no_traceback(result.err)
    lines = result.err.splitlines()
    assert lines[0].startswith("error: ") and message in lines[0], result.err
    assert lines[-1] == f"hint: {hint}", result.err
    assert len(lines) == 2, result.err
    for framing in ("Usage:", "Try '", "Error:"):
        assert framing not in result.err, result.err
    assert result.out == ""


def test_the_installed_command_speaks_the_same_way() -> None:
    proc = run_process("eval", "x", "x=1", "--bogus")
    err = proc.stderr.decode()
    assert proc.returncode == 2
    assert err == ("error: No such option '--bogus'.\n"
                   "hint: backprop eval --help lists the options\n"), err


def test_user_text_in_a_click_message_is_made_safe() -> None:
    result = run("eval", "x", "x=1", "--bo\x1b[31mgus")
    assert result.code == 2
    assert "\x1b" not in result.err and result.err.startswith("error: "), result.err
