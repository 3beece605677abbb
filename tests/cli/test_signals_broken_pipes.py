"""Output cut short by a reader that went away (``| head -c 10``): one rule for every
command and format, the README's exit-status table's, exit 1 and nothing on stderr.

A large output is the case that used to lie: one big write into a pipe whose reader
leaves mid-way returns the part written and raises nothing, so the command exited 0.
"""

from __future__ import annotations

import os
import resource
import subprocess
from pathlib import Path

import pytest

from tests.harness import ROOT, backprop_command, no_traceback, process_env


def _bounded() -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (60, 60))
    resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 60,000-term sum: megabytes of output in every format."""
    path = tmp_path_factory.mktemp("pipes") / "big.bp"
    path.write_text("+".join(["x"] * 60_000) + "\n", encoding="ascii")
    return path


@pytest.fixture(scope="module")
def wide(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    """A chain of 120 inputs: a 120 x 120 Hessian."""
    path = tmp_path_factory.mktemp("pipes") / "wide.bp"
    path.write_text("+".join(f"x{i}*x{i + 1}" for i in range(119)) + "\n", encoding="ascii")
    return ["-f", str(path), *(f"x{i}=1.5" for i in range(120))]


def _cut_short(args: list[str], keep: int = 10) -> tuple[int, bytes, str]:
    """``backprop ARGS | head -c KEEP``: the reader takes ``keep`` bytes, then leaves."""
    producer = subprocess.Popen([*backprop_command(), *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, cwd=ROOT, env=process_env(),
                                preexec_fn=_bounded)
    assert producer.stdout is not None and producer.stderr is not None
    try:
        first = producer.stdout.read(keep)
        producer.stdout.close()
        err = producer.stderr.read().decode("utf-8", "replace")
        code = producer.wait(timeout=60)
    finally:
        if producer.poll() is None:
            producer.kill()
            producer.wait()
    return code, first, err


CASES = {
    "eval-plain": ["eval", "{big}", "x=1", "-F", "plain"],
    "eval-table": ["eval", "{big}", "x=1"],
    "eval-json": ["eval", "{big}", "x=1", "-F", "json"],
    "eval-csv": ["eval", "{big}", "x=1", "-F", "csv"],
    "explain": ["eval", "{big}", "x=1", "--explain"],
    "explain-json": ["eval", "{big}", "x=1", "--explain", "-F", "json"],
    "graph-dot": ["graph", "{big}", "x=1", "-F", "dot"],
    "graph-mermaid": ["graph", "{big}", "x=1", "-F", "mermaid"],
    "diff-program": ["diff", "{big}", "--program"],
    "batch-csv": ["eval", "sin(x)", "--sweep", "x=0:1:3000000"],
    "batch-jsonl": ["eval", "sin(x)", "--sweep", "x=0:1:3000000", "-F", "jsonl"],
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_pipe_closed_early_is_exit_1_quietly(name: str, big: Path) -> None:
    args = [str(a) for a in CASES[name]]
    args = [*args[:1], *(["-f", str(big)] if "{big}" in args else []),
            *(a for a in args[1:] if a != "{big}")]
    code, first, err = _cut_short(args)
    assert len(first) == 10
    no_traceback(err)
    assert err == "", err
    assert code == 1, f"{name}: exit {code}"


@pytest.mark.parametrize("fmt", ["json"])
def test_hessian_in_a_pipe_closed_early_is_exit_1_quietly(fmt: str, wide: list[str]) -> None:
    code, first, err = _cut_short(["hessian", *wide, "-F", fmt])
    assert len(first) == 10
    no_traceback(err)
    assert err == "", err
    assert code == 1, f"exit {code}"


def test_a_pipe_closed_early_leaves_no_message_at_exit(big: Path) -> None:
    """Nothing left in a buffer for the interpreter to fail on when it exits."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        proc = subprocess.run([*backprop_command(), "eval", "-f", str(big), "x=1", "-F",
                               "plain"], stdout=write_end, stderr=subprocess.PIPE, cwd=ROOT,
                              env=process_env(), preexec_fn=_bounded, timeout=60, check=False)
    finally:
        os.close(write_end)
    assert proc.returncode == 1
    assert proc.stderr == b""
