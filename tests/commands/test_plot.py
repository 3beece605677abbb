"""backprop plot: a sweep drawn in the terminal or to a file (Matplotlib); its errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import clean, run

# -- plot ------------------------------------------------------------------------------------


def test_plot_in_the_terminal() -> None:
    result = run("plot", "sigmoid(x)", "--sweep", "x=-6:6:101")
    assert result.code == 0, result.err
    assert "┌" in result.out and "d/dx" in result.out


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_plot_to_a_file(tmp_path, suffix: str) -> None:
    out = tmp_path / f"plot.{suffix}"
    result = run("plot", "tanh(w*x)", "--sweep", "x=-3:3:51", "w=2", "-o", str(out))
    assert result.code == 0, result.err
    data = out.read_bytes()
    assert data.startswith(b"\x89PNG") if suffix == "png" else b"<svg" in data[:2000]


def test_plot_errors() -> None:
    assert run("plot", "x*y", "--sweep", "z=0:1:5", "y=1").code == 2
    assert run("plot", "x", "--sweep", "x=0:1:1").code == 2
    assert run("plot", "log(x)", "--sweep", "x=-2:-1:5").code == 1


# --------------------------------------------------------------------------------------
# plot
# --------------------------------------------------------------------------------------
def test_plot_terminal_and_errors(tmp_path: Path) -> None:
    out = clean(run("plot", "sin(x)", "--sweep", "x=-3:3:50"), 0).out
    assert "sin(x)" in out
    clean(run("plot", "sin(x)", "--sweep", "x=0:1:1"), 2, "2 points")
    clean(run("plot", "sin(x)", "--sweep", "y=0:1:5"), 2, "y")
    clean(run("plot", "sin(x)", "--sweep", "x=nan:1:5"), 2, "nan")
    clean(run("plot", "sin(x)", "--sweep", "x=0:1:5", "x=1"), 2, "x")
    clean(run("plot", "sin(x)"), 2, "--sweep")
    clean(run("plot", "x*y", "--sweep", "x=0:1:5"), 2, "y")
    clean(run("plot", "log(x)", "--sweep", "x=-2:-1:5"), 1, "log")
    clean(run("plot", "log(x)", "--sweep", "x=-2:-1:5", "--allow-nonfinite"), 1, "finite")
    clean(run("plot", "sin(x)", "--sweep", "x=0:1:5", "-o", "/nonexistent/dir/p.png"), 1,
          "/nonexistent/dir/p.png")


def test_plot_to_svg_file(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    target = tmp_path / "p.svg"
    clean(run("plot", "tanh(w*x)", "w=2", "--sweep", "x=-1:1:21", "-o", str(target)), 0)
    assert b"<svg" in target.read_bytes()[:1000]


def test_plot_to_a_directory_is_exit_1(tmp_path: Path) -> None:
    """BUG (low): -o DIRECTORY is exit 0 and Matplotlib writes DIRECTORY.png beside it."""
    pytest.importorskip("matplotlib")
    folder = tmp_path / "plots"
    folder.mkdir()
    clean(run("plot", "sin(x)", "--sweep", "x=0:1:5", "-o", str(folder)), 1, str(folder))
    assert not (tmp_path / "plots.png").exists()
