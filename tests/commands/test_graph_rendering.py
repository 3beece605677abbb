"""graph renders SVG, PNG and PDF with no system package, and large graphs get a layout
that finishes."""

from __future__ import annotations

import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backprop_cli import parse_program
from backprop_cli.render import graph_dot
from backprop_cli.render.drawing import Picture
from tests.harness import NEURON, backprop_command, process_env, run, run_process

POINT = ("x=1", "y=3", "z=-3")
MAGIC = {"svg": b"<svg", "png": b"\x89PNG", "pdf": b"%PDF"}


def long_sum(terms: int) -> str:
    return " + ".join(["x"] + ["sin(x)"] * terms)


# -- 1. no system Graphviz needed ---------------------------------------------------------

@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_renders_with_no_dot_on_the_path(tmp_path: Path, fmt: str) -> None:
    assert shutil.which("dot", path=str(tmp_path)) is None
    out = tmp_path / f"g.{fmt}"
    done = run_process("graph", NEURON, *POINT, "-o", str(out), env={"PATH": str(tmp_path)})
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""  # quiet: no fontconfig complaints from the wheel
    assert MAGIC[fmt] in out.read_bytes()[:400]


def test_the_fontconfig_of_the_wheel_has_a_font_of_its_own(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    config = graph_dot.fontconfig_file()
    assert config is not None and config.is_relative_to(tmp_path)
    text = config.read_text()
    fonts = text.split("<dir>")[1].split("</dir>")[0]
    assert list(Path(fonts).glob("*.ttf"))  # text renders where no font is installed
    assert graph_dot.fontconfig_file() == config  # written once, then reused


def test_the_system_dot_is_the_fallback(tmp_path, monkeypatch) -> None:
    if shutil.which("dot") is None:
        pytest.skip("no system dot to fall back to: apt-get install -y graphviz")
    monkeypatch.setitem(sys.modules, "pygraphviz", None)  # the library is missing
    argv, _env = graph_dot.renderer_command("svg", "dot")
    assert Path(argv[0]).name == "dot"
    out = tmp_path / "g.svg"
    result = run("graph", NEURON, *POINT, "-o", str(out))
    assert result.code == 0, result.err
    assert b"<svg" in out.read_bytes()[:400]


def test_no_graphviz_at_all_is_a_clear_error(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "pygraphviz", None)
    monkeypatch.setenv("PATH", str(tmp_path))
    result = run("graph", NEURON, *POINT, "-o", str(tmp_path / "g.svg"))
    assert result.code == 1
    assert "pip install pygraphviz" in result.err and "Traceback" not in result.err


def test_a_failed_render_says_what_graphviz_said(monkeypatch) -> None:
    monkeypatch.setattr(graph_dot, "render", lambda picture, options: "digraph { a -> }")
    result = run("graph", NEURON, *POINT, "-o", "/tmp/never-written.svg")
    assert result.code == 1
    assert "Graphviz failed" in result.err and "syntax error" in result.err
    assert "Traceback" not in result.err


# -- 8. large graphs ----------------------------------------------------------------------------

def test_a_long_sum_is_past_dots_reach_and_a_neuron_is_not() -> None:
    neuron = Picture(parse_program(Path("samples/sigmoid.bp").read_text(), expand=True))
    assert graph_dot.layout_of(neuron) == "dot"
    long = Picture(parse_program(long_sum(100)))
    assert graph_dot.layered_size(long) > graph_dot.LAYERED_LIMIT
    assert graph_dot.layout_of(long) == "sfdp"
    assert graph_dot.layout_of(long._replace(layout="dot")) == "dot"  # --layout dot


def test_the_large_layout_puts_the_numbers_in_the_gates() -> None:
    result = run("graph", long_sum(100), "x=1", "-F", "dot")
    assert result.code == 0, result.err
    assert "layout=sfdp" in result.out
    assert "-> n1 [label" not in result.out and "0.8415</font>" in result.out
    small = run("graph", NEURON, *POINT, "-F", "dot", "--layout", "sfdp")
    assert "layout=sfdp" in small.out


def _bounded() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (4 << 30, 4 << 30))


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_two_thousand_nodes_render_in_seconds(tmp_path, fmt: str) -> None:
    out = tmp_path / f"big.{fmt}"
    started = time.monotonic()
    done = subprocess.run([*backprop_command(), "graph", long_sum(1000), "x=1", "-o", str(out)],
                          capture_output=True, env=process_env(), timeout=40,
                          preexec_fn=_bounded, check=False)
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""
    assert MAGIC[fmt] in out.read_bytes()[:400]
    assert took < 30, took  # dot took over 15 minutes and 3.2 GB
