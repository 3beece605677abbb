"""graph -o FILE: the file's name and the format agree, or exit 2 naming the formats."""

from __future__ import annotations

import pytest

from tests.harness import NEURON, run

POINT = ("x=1", "y=3", "z=-3")


@pytest.mark.parametrize("name, options, says", [
    ("out.jpg", [], ".jpg"),
    ("out", [], "no extension"),
    ("o.svg", ["-F", "png"], "not png"),
    ("o.png", ["-F", "dot"], "not dot"),
    ("o.dot", ["-F", "svg"], "not svg"),
    ("o.mmd", ["-F", "tree"], "not tree"),
])
def test_a_name_that_does_not_say_the_format_is_exit_2(tmp_path, name, options, says) -> None:
    result = run("graph", NEURON, *POINT, "-o", str(tmp_path / name), *options)
    assert result.code == 2, result.err
    assert says in result.err and ".svg" in result.err and "-F" in result.err
    assert not (tmp_path / name).exists()


@pytest.mark.parametrize("name, options, start", [
    ("out", ["-F", "dot"], b"digraph"),          # the format said outright
    ("out.data", ["-F", "mermaid"], b"flowchart"),
    ("o.txt", ["-F", "dot"], b"digraph"),        # .txt holds any text format
    ("o.txt", [], b"(x + y) * z"),
    ("o.gv", ["-F", "dot"], b"digraph"),
    ("O.SVG", [], b"<?xml"),
])
def test_a_name_that_agrees_is_written(tmp_path, name, options, start) -> None:
    result = run("graph", NEURON, *POINT, "-o", str(tmp_path / name), *options)
    assert result.code == 0, result.err
    assert (tmp_path / name).read_bytes().startswith(start)
