"""Exit statuses (SPEC §2): 1 for an evaluation error, 2 for a usage or input error, 70 for
an internal error (one line; the traceback only with BACKPROP_DEBUG=1); --help and
--version."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap

import pytest
from click.testing import CliRunner

from backprop_cli import __version__
from backprop_cli.cli.app import cli
from tests.harness import ROOT, check_usage_error, no_traceback, process_env, run


def test_help_and_version() -> None:
    assert run("--version").out.strip().endswith(__version__)
    top = run("--help")
    assert top.code == 0 and "eval" in top.out and "ops" in top.out
    sub = run("eval", "--help")
    assert sub.code == 0 and "Examples:" in sub.out and "--format" in sub.out


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("eval", "x +", "x=1"), 2, "expected an expression"),
        (("eval", "2x", "x=1"), 2, "operator missing"),
        (("eval", "x + y", "x=1"), 2, "missing value for input y"),
        (("eval", "x + y + z"), 2, "x, y, z"),
        (("eval", "sinn(x)", "x=1"), 2, "did you mean 'sin'"),
        (("eval", "log(x, 1, 2)", "x=1"), 2, "log takes 1 or 2 arguments, got 3"),
        (("eval", "max(x)", "x=1"), 2, "max takes 2 or more arguments, got 1"),
        (("eval", "x", "x=abc"), 2, "plain decimal number"),
        (("eval", "x", "y=1", "x=1"), 2, "no input named 'y'"),
        (("eval", "x", "x=1", "x=2"), 2, "bound twice"),
        (("eval", "q = x; q", "q=1", "x=1"), 2, "computed"),
        (("eval", "log(x)", "x=-1"), 1, "log of a negative number"),
        (("eval", "1/x", "x=0"), 1, "division by zero"),
        (("eval", "9^9^9^9"), 1, "overflow"),
        (("eval", "x", "x=1", "--format", "yaml"), 2, "yaml"),
        (("eval",), 2, "missing PROGRAM"),
        (("eval", "x", "--bogus"), 2, "--bogus"),
        (("eval", "f(x) = x", "x=1"), 2, "only a plain name can be assigned"),
        (("eval", "def f(a) = a"), 2, "no output"),
        (("eval", "x*y", "x=1", "y=2", "--max-nodes", "2"), 2, "--max-nodes"),
    ],
)
def test_errors_have_their_exit_status(args: tuple, code: int, needle: str) -> None:
    result = run(*args)
    assert result.code == code, (result.out, result.err)
    assert needle in result.err
    assert "Traceback" not in result.err


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
