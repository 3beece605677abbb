"""A render's child process ends with the command: interrupted or killed, backprop leaves
no Graphviz behind."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.harness import backprop_command, process_env

SLOW = " + ".join(["x"] + ["sin(x)"] * 100)  # dot: about three minutes


def children(pid: int) -> list[int]:
    """Every live descendant of ``pid``, from /proc (zombies left out)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if fields[0] != "Z":
            parents[int(entry.name)] = int(fields[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [p for p, pp in parents.items() if pp == parent]
        found += kids
        frontier += kids
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_during_rendering_leaves_no_child(tmp_path, sig) -> None:
    command = [*backprop_command(), "graph", SLOW, "x=1", "--layout", "dot",
               "-o", str(tmp_path / "g.svg")]
    process = subprocess.Popen(command, env=process_env(), stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        kids: list[int] = []
        while time.monotonic() < deadline and not kids:
            time.sleep(0.1)
            kids = children(process.pid)
        assert kids, "the render never started a child"
        time.sleep(0.5)  # the child is laying out
        process.send_signal(sig)
        process.wait(timeout=10)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(alive(k) for k in kids):
            time.sleep(0.1)
        assert not any(alive(k) for k in kids), "a Graphviz child outlived backprop"
        assert b"Traceback" not in process.stderr.read()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for kid in children(process.pid):
            os.kill(kid, signal.SIGKILL)
