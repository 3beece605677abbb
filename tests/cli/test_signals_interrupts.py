"""Ctrl-C (SIGINT) and SIGTERM in real processes, mid-run: exit 130 and one line,
``interrupted``, which says where the command had got to when it has a result so far:
descend's last step (its output and inputs, as bindings), the rows a batch wrote."""

from __future__ import annotations

import re
import resource
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest

from tests.harness import ROOT, backprop_command, no_traceback, process_env

SIGNALS = [signal.SIGINT, signal.SIGTERM]
IDS = ["SIGINT", "SIGTERM"]


def _bounded() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (60, 60))
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


def _start(args: list[str], cwd: Path = ROOT, **kwargs) -> subprocess.Popen:
    kwargs.setdefault("stdout", subprocess.PIPE)
    return subprocess.Popen([*backprop_command(), *args], stderr=subprocess.PIPE, cwd=cwd,
                            env=process_env(), preexec_fn=_bounded, **kwargs)


def _signal_after(proc: subprocess.Popen, signum: int, after: float) -> tuple[int, str]:
    time.sleep(after)
    assert proc.poll() is None, "the command ended before the signal"
    proc.send_signal(signum)
    try:
        _, err = proc.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"the process ignored signal {signum}")
    return proc.returncode, err.decode("utf-8", "replace")


def _one_line(err: str) -> str:
    no_traceback(err)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    return lines[0]


@pytest.mark.parametrize("signum", SIGNALS, ids=IDS)
def test_a_long_evaluation_says_interrupted(signum: int, tmp_path: Path) -> None:
    path = tmp_path / "long.bp"
    path.write_text("+".join(["x"] * 400_000) + "\n", encoding="ascii")
    code, err = _signal_after(_start(["eval", "-f", str(path), "x=1"]), signum, 0.8)
    assert code == 130, f"exit {code}: {err}"
    assert _one_line(err) == "interrupted"


@pytest.mark.parametrize("signum", SIGNALS, ids=IDS)
def test_reading_stdin_says_interrupted(signum: int) -> None:
    proc = _start(["eval", "-", "x=1"], stdin=subprocess.PIPE)
    assert proc.stdin is not None
    proc.stdin.write(b"x + 1\n")  # stdin stays open: the program never ends
    proc.stdin.flush()
    code, err = _signal_after(proc, signum, 1.0)
    assert code == 130, f"exit {code}: {err}"
    assert _one_line(err) == "interrupted"


DESCENT = re.compile(r"^interrupted at step ([\d,]+) of 100,000,000 \(f = (\S+)\): "
                     r"x=(\S+) y=(\S+)$")


@pytest.mark.parametrize("signum", SIGNALS, ids=IDS)
@pytest.mark.parametrize("fmt", ["table", "json"])
def test_descend_says_where_it_got_to(signum: int, fmt: str, tmp_path: Path) -> None:
    trace = tmp_path / "trace.csv"
    proc = _start(["descend", "f = (x-4)^2 + (y+2)^2", "x=0", "y=0", "--lr", "1e-9",
                   "--tol", "0", "--steps", "100000000", "--trace", str(trace), "-F", fmt])
    code, err = _signal_after(proc, signum, 1.5)
    assert code == 130, f"exit {code}: {err}"
    match = DESCENT.match(_one_line(err))
    assert match, err
    step = int(match[1].replace(",", ""))
    output, x, y = float(match[2]), float(match[3]), float(match[4])
    assert step > 0
    assert output == (x - 4) ** 2 + (y + 2) ** 2  # the inputs in full, as bindings
    # the trace holds every step before it (the signal may land before its own row)
    last = trace.read_text(encoding="utf-8").splitlines()[-1].split(",")
    assert int(last[0]) in (step - 1, step), last
    if int(last[0]) == step:
        assert float(last[2]) == x and float(last[3]) == y, last


def test_descend_interrupted_before_its_first_step(tmp_path: Path) -> None:
    path = tmp_path / "long.bp"
    path.write_text("+".join(["x"] * 400_000) + "\n", encoding="ascii")
    code, err = _signal_after(_start(["descend", "-f", str(path), "x=1"]), signal.SIGINT,
                              0.8)
    assert code == 130
    assert _one_line(err) in ("interrupted", "interrupted before the first step")


def _count_lines(stream, counts: list[int]) -> None:
    while chunk := stream.read(1 << 20):
        counts[0] += chunk.count(b"\n")


@pytest.mark.parametrize("signum", SIGNALS, ids=IDS)
@pytest.mark.parametrize("fmt, header", [("csv", 1), ("jsonl", 0)])
def test_a_batch_says_how_many_rows_it_wrote(signum: int, fmt: str, header: int) -> None:
    proc = _start(["eval", "sin(x) * y", "y=2", "--sweep", "x=0:1:1000000000",
                   "--chunk-rows", "20000", "-F", fmt])
    counts = [0]
    reader = threading.Thread(target=_count_lines, args=(proc.stdout, counts))
    reader.start()
    time.sleep(1.0)
    assert proc.poll() is None
    proc.send_signal(signum)
    try:
        code = proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    reader.join(timeout=20)
    assert proc.stderr is not None
    err = proc.stderr.read().decode("utf-8", "replace")
    assert code == 130, f"exit {code}: {err}"
    match = re.fullmatch(r"interrupted after writing ([\d,]+) rows?", _one_line(err))
    assert match, err
    rows = int(match[1].replace(",", ""))
    assert rows > 0 and rows == counts[0] - header, (rows, counts[0])


def test_a_batch_into_a_full_pipe_says_at_least() -> None:
    """Nobody reads: the writer is stuck in a write; Ctrl-C does not wait for it."""
    proc = _start(["eval", "x * y", "y=2", "--sweep", "x=0:1:5000000"])
    assert proc.stdout is not None
    proc.stdout.read(1000)
    time.sleep(1.0)
    start = time.monotonic()
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert time.monotonic() - start < 5
    assert proc.returncode == 130
    assert proc.stderr is not None
    line = _one_line(proc.stderr.read().decode("utf-8", "replace"))
    assert re.fullmatch(r"interrupted after writing (at least )?[\d,]+ rows?", line), line
