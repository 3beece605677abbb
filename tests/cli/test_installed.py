"""The installed command and ``python -m backprop_cli``, for real, in a subprocess."""

from __future__ import annotations

import json
import subprocess

from tests.harness import ROOT, run_process

EXAMPLE = ("(x+y)*z", "x=1", "y=3", "z=-3")


# -- the installed command, for real ---------------------------------------------------------


def test_installed_command_runs_the_worked_example() -> None:
    done = run_process("eval", *EXAMPLE, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["gradient"] == {"x": -3.0, "y": -3.0, "z": 4.0}
    assert b"\x1b[" not in run_process("eval", *EXAMPLE, env={"NO_COLOR": None}).stdout  # a pipe


def test_installed_command_reads_files_and_stdin_with_crlf(tmp_path) -> None:
    program = tmp_path / "crlf.bp"
    program.write_bytes(b"# comment\r\nq = x + y\r\nf = q * z\r\n")
    done = run_process("eval", "-f", str(program), "x=-2", "y=5", "z=-4", "-F", "plain",
                       cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == "output f\nvalue -12\ngrad x -4\ngrad y -4\ngrad z 3\n"
    piped = run_process("eval", "-", "x=-2", "y=5", "z=-4", "--value",
                        stdin=b"q = x + y\r\nf = q * z\r\n")
    assert piped.stdout == b"-12\n"


def test_module_entry_point() -> None:
    import sys

    done = subprocess.run([sys.executable, "-m", "backprop_cli", "eval", *EXAMPLE, "--value"],
                          capture_output=True, cwd=ROOT, check=False)
    assert done.stdout == b"-12\n"
