"""A standard stream closed before backprop starts (``>&-``, ``2>&-``, ``<&-``), in real
processes: Python then sets ``sys.stdout`` (``stderr``, ``stdin``) to None.

- stdout closed: a command that writes to stdout fails with exit 1 and one line saying
  so; a command whose output goes to a file (``graph -o``) succeeds; an error keeps its
  own status (a syntax error is still 2).
- stderr closed: the messages are lost, never the status.
- stdin closed: reading the program or the points from it is exit 2, "cannot read
  standard input".
"""

from __future__ import annotations

import os
import resource
import subprocess
from pathlib import Path

import pytest

from tests.harness import ROOT, backprop_command, no_traceback, process_env


def _closing(*fds: int):
    """A preexec_fn: bounded in CPU time and memory, with ``fds`` closed."""
    def setup() -> None:
        resource.setrlimit(resource.RLIMIT_CPU, (30, 30))
        resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
        for fd in fds:
            os.close(fd)
    return setup


def _run(args: list[str], *closed: int, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    pipes = {name: (None if fd in closed else subprocess.PIPE)
             for fd, name in ((1, "stdout"), (2, "stderr"))}
    stdin = {} if 0 in closed else {"input": b""}
    return subprocess.run([*backprop_command(), *args], **pipes, **stdin, cwd=cwd,
                          env=process_env(), preexec_fn=_closing(*closed), timeout=60,
                          check=False)


def _err(proc: subprocess.CompletedProcess) -> str:
    return (proc.stderr or b"").decode("utf-8", "replace")


WRITERS = [
    ["eval", "x", "x=1"],
    ["eval", "x", "x=1", "-F", "json"],
    ["eval", "x", "x=1", "-F", "plain"],
    ["eval", "x", "x=1", "--value"],
    ["eval", "x", "x=1", "--explain"],
    ["eval", "x", "--sweep", "x=0:1:5"],
    ["graph", "x", "x=1", "-F", "dot"],
    ["diff", "x^2"],
    ["check", "x^2", "x=1"],
    ["hessian", "x^2", "x=1"],
    ["descend", "x^2", "x=1", "--steps", "3"],
    ["plot", "x^2", "--sweep", "x=0:1:5"],
    ["ops"],
    ["--version"],
    ["--help"],
]


@pytest.mark.parametrize("args", WRITERS, ids=lambda a: "-".join(a)[:40])
def test_closed_stdout_is_exit_1_with_one_line(args: list[str]) -> None:
    proc = _run(args, 1)
    err = _err(proc)
    no_traceback(err)
    assert "internal error" not in err, err
    assert proc.returncode == 1, f"exit {proc.returncode}: {err}"
    assert err.startswith("error: ") and len(err.splitlines()) == 1, err
    assert "standard output is closed" in err, err


@pytest.mark.parametrize("args, code", [
    (["eval", "x +* 1", "x=1"], 2),
    (["eval", "x", "--lr", "1"], 2),
    (["eval", "log(x)", "x=-1"], 1),
    (["eval", "x", "x=1", "-F", "csv", "--at", "nowhere.csv"], 2),
])
def test_closed_stdout_keeps_the_status_of_an_error(args: list[str], code: int) -> None:
    proc = _run(args, 1)
    err = _err(proc)
    no_traceback(err)
    assert proc.returncode == code, f"exit {proc.returncode}: {err}"
    assert err.startswith("error: "), err
    assert "standard output" not in err, err


def test_output_to_a_file_does_not_need_stdout(tmp_path: Path) -> None:
    proc = _run(["graph", "(x+y)*z", "x=1", "y=3", "z=-3", "-o", "g.dot"], 1, cwd=tmp_path)
    assert proc.returncode == 0, _err(proc)
    assert _err(proc) == ""
    assert (tmp_path / "g.dot").read_text(encoding="utf-8").startswith("digraph")


def test_a_file_opened_with_stdout_closed_gets_only_its_own_output(tmp_path: Path) -> None:
    """With fd 1 closed, the first file opened would take fd 1: what goes to stdout (here
    nothing) must never land in it, and the descend trace holds only its rows."""
    proc = _run(["descend", "x^2", "x=1", "--steps", "2", "--trace", "t.csv"], 1,
                cwd=tmp_path)
    assert proc.returncode == 1  # the result itself had nowhere to go
    lines = (tmp_path / "t.csv").read_text(encoding="utf-8").splitlines()
    assert lines[0] == "step,output,x,grad_norm" and len(lines) == 4, lines


@pytest.mark.parametrize("args, code", [
    (["eval", "x +* 1", "x=1"], 2),
    (["eval", "x", "--nope"], 2),
    (["eval", "log(x)", "x=-1"], 1),
    (["eval", "x", "x=1"], 0),
])
def test_closed_stderr_never_changes_the_status(args: list[str], code: int) -> None:
    proc = _run(args, 2)
    assert proc.returncode == code


def test_closed_stderr_with_a_trace_file_keeps_messages_out_of_it(tmp_path: Path) -> None:
    proc = _run(["descend", "log(x)", "x=1", "--steps", "50", "--trace", "t.csv"], 2,
                cwd=tmp_path)
    assert proc.returncode == 1
    text = (tmp_path / "t.csv").read_text(encoding="utf-8")
    assert "error" not in text and text.startswith("step,output,x,grad_norm\n"), text


@pytest.mark.parametrize("args", [
    ["eval", "-", "x=1"],
    ["eval", "-f", "-", "x=1"],
    ["eval", "x", "--at", "-"],
    ["eval", "x", "--values", "-"],
], ids=["dash", "file-dash", "at-dash", "values-dash"])
def test_closed_stdin_is_exit_2_cannot_read(args: list[str]) -> None:
    proc = _run(args, 0)
    err = _err(proc)
    no_traceback(err)
    assert proc.returncode == 2, f"exit {proc.returncode}: {err}"
    assert err.startswith("error: cannot read standard input"), err


def test_all_three_closed_is_still_the_right_status() -> None:
    assert _run(["eval", "x +* 1"], 0, 1, 2).returncode == 2
    assert _run(["eval", "x", "x=1"], 0, 1, 2).returncode == 1
