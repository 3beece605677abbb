"""Output that cannot be written and Ctrl-C, in real processes: a closed pipe ends quietly
with exit 1, a full disk with one line, SIGINT with 130, whenever it comes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.harness import ROOT, backprop_command, no_traceback, process_env, run_process


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


def test_installed_command_in_a_pipe_closed_early() -> None:
    program = " + ".join(f"x*{i}" for i in range(3000))
    producer = subprocess.Popen(
        [*backprop_command(), "eval", program, "x=1", "-F", "csv"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=process_env(),
    )
    assert producer.stdout is not None
    first = producer.stdout.readline()
    producer.stdout.close()
    _, err = producer.communicate(timeout=60)
    assert first.startswith(b"id,name")
    assert b"Traceback" not in err and err == b""


def test_batch_rows_in_a_pipe_closed_early() -> None:
    producer = subprocess.Popen(
        [*backprop_command(), "eval", "sin(x) * y", "y=2", "--sweep", "x=0:1:2000000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=process_env(),
    )
    assert producer.stdout is not None
    first = producer.stdout.readline()
    producer.stdout.close()
    _, err = producer.communicate(timeout=60)
    assert first == b"x,y,value,d_x,d_y\n"
    assert b"Traceback" not in err and err == b""
    assert producer.returncode == 1  # the output could not be written, quietly


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


def test_ctrl_c_while_the_output_pipe_is_full() -> None:
    """A reader that stops reading (a paused pager) must not keep Ctrl-C from working."""
    import signal
    import time

    producer = subprocess.Popen(
        [*backprop_command(), "eval", "x * y", "y=2", "--sweep", "x=0:1:5000000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, env=process_env(),
    )
    assert producer.stdout is not None
    producer.stdout.read(1000)  # it has started writing; from now on nobody reads
    time.sleep(1.0)  # the pipe and the queue fill up
    producer.send_signal(signal.SIGINT)
    try:
        producer.wait(timeout=20)
    finally:
        producer.kill()
    assert producer.returncode == 130
    assert b"Traceback" not in producer.stderr.read()
