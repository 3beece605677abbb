"""plot with two sweeps: a heatmap with contour levels, data points on it, to a file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from backprop_cli import parse_program
from backprop_cli.plot import sweep_surface
from backprop_cli.points import parse_sweep
from backprop_cli.render.plot import SHADES
from tests.harness import ROOT, clean, run

MOONS = ROOT / "samples" / "moons.csv"


def test_surface_is_the_output_on_the_grid() -> None:
    graph = parse_program("x^2 - 3*y")
    surface = sweep_surface(graph, {}, parse_sweep("x=-1:2:4"), parse_sweep("y=0:1:3"))
    assert surface.z.shape == (4, 3)
    want = surface.xs[:, None] ** 2 - 3 * surface.ys[None, :]
    assert np.array_equal(surface.z, want)


def test_terminal_heatmap_bands_follow_the_output() -> None:
    out = clean(run("plot", "x + 0*y", "--sweep", "x=-1:1:50", "--sweep", "y=0:1:5"), 0).out
    rows = [line[1:71] for line in out.splitlines() if line.startswith("│")]
    assert len(rows) == 22
    first = rows[0]
    ranks = [SHADES.index(c) for c in first]
    assert ranks == sorted(ranks) and ranks[0] < ranks[-1]  # higher x, a higher band
    assert all(row == first for row in rows)  # y changes nothing
    assert "\x1b[" not in out


def test_points_are_drawn_by_their_colour_column(tmp_path: Path) -> None:
    data = tmp_path / "p.csv"
    data.write_text("a,b,label\n-0.9,0.9,1\n0.9,-0.9,-1\n")
    out = clean(run("plot", "a + b", "--sweep", "a=-1:1:20", "--sweep", "b=-1:1:20",
                    "--points", str(data), "--color", "label"), 0).out
    rows = [line[1:71] for line in out.splitlines() if line.startswith("│")]
    top_left = [r for r, row in enumerate(rows) if "o" in row]
    bottom_right = [r for r, row in enumerate(rows) if "x" in row]
    assert top_left and bottom_right and top_left[0] < bottom_right[0]
    assert rows[top_left[0]].index("o") < 35 < rows[bottom_right[0]].index("x")


def test_output_picked_needs_no_label(tmp_path: Path) -> None:
    result = run("plot", "-f", str(ROOT / "samples" / "logistic.bp"), "--output", "score",
                 "w0=1", "w1=-3", "b=0", "--sweep", "x0=-2:3:40", "--sweep", "x1=-1.5:2:40",
                 "--points", str(MOONS), "--color", "y")
    assert result.code == 0, result.err
    assert "score over x0 and x1" in result.out


@pytest.mark.parametrize("suffix", ["png", "svg"])
def test_to_a_file(tmp_path: Path, suffix: str) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / f"h.{suffix}"
    clean(run("plot", "sin(x) * cos(y)", "--sweep", "x=-3:3:60", "--sweep", "y=-3:3:60",
              "-o", str(path)), 0)
    head = path.read_bytes()[:200]
    assert head.startswith(b"\x89PNG") if suffix == "png" else b"<svg" in path.read_bytes()


def test_usage_errors() -> None:
    assert run("plot", "x*y", "--sweep", "x=0:1:5", "--points", str(MOONS)).code == 2
    assert run("plot", "x*y", "--sweep", "x=0:1:5", "--sweep", "y=0:1:5",
               "--color", "y").code == 2
    assert run("plot", "x*y*z", "--sweep", "x=0:1:5", "--sweep", "y=0:1:5",
               "--sweep", "z=0:1:5").code == 2
    missing = run("plot", "x0*x1", "--sweep", "x0=0:1:5", "--sweep", "x1=0:1:5", "--points",
                  str(MOONS), "--color", "label")
    assert missing.code == 2 and "label" in missing.err
