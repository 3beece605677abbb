"""plot in the terminal: every axis label is where its number is, at every size; the value
and the derivative are told apart without colour, and coloured green and red with it."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import numpy as np
import pytest

from backprop_cli.api import parse_program
from backprop_cli.plot import sweep_curve
from backprop_cli.points import Sweep
from backprop_cli.render import plot
from tests.harness import clean, run

BLOCKS = set("▘▝▀▖▌▞▛▗▚▐▜▄▙▟█")  # the value's characters
BRAILLE = {chr(c) for c in range(0x2801, 0x2900)}  # the derivative's


def _sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


# program, sweep, value, derivative (written here, not by the tool)
PROGRAMS: list[tuple[str, tuple[float, float, int], Callable[[float], float],
                     Callable[[float], float]]] = [
    ("sigmoid(x)", (-6, 6, 201), _sigmoid, lambda x: _sigmoid(x) * (1 - _sigmoid(x))),
    ("x/10", (1, 9, 101), lambda x: x / 10, lambda x: 0.1),
    ("x^3 - 2*x", (-2, 2, 301), lambda x: x**3 - 2 * x, lambda x: 3 * x**2 - 2),
    ("1000*sin(x) + 5000", (0, 10, 501), lambda x: 1000 * math.sin(x) + 5000,
     lambda x: 1000 * math.cos(x)),
    ("0.000001*x^2", (0, 3, 61), lambda x: 1e-6 * x * x, lambda x: 2e-6 * x),
    ("2.5 + 0*x", (-1, 1, 11), lambda x: 2.5, lambda x: 0.0),
    ("x + 1000000", (0, 0.001, 101), lambda x: x + 1e6, lambda x: 1.0),
]
SIZES = [(70, 18), (40, 10), (100, 30), (30, 6), (60, 4)]


def _parse(text: str) -> tuple[list[str], dict[int, float], list[tuple[int, str]]]:
    """The rows inside the frame, the y labels by row, the x labels by their centre."""
    lines = text.split("\n")
    top = next(k for k, line in enumerate(lines) if line.startswith("┌"))
    bottom = next(k for k, line in enumerate(lines) if line.startswith("└"))
    rows, labels = [], {}
    for r, line in enumerate(lines[top + 1:bottom]):
        assert line.startswith("│"), line
        close = line.rindex("│")
        rows.append(line[1:close])
        label = line[close + 1:].strip()
        if label:
            labels[r] = float(label)
    ticks = [(m.start() + (len(m.group()) - 1) / 2, m.group())
             for m in re.finditer(r"\S+", lines[bottom + 1])]
    return rows, labels, ticks


def _check_picture(text: str, sweep: tuple[float, float, int], f: Callable, df: Callable,
                   width: int, height: int) -> None:
    start, stop, count = sweep
    xs = np.linspace(start, stop, count)
    values = np.array([f(x) for x in xs])
    slopes = np.array([df(x) for x in xs])
    lo, hi = min(values.min(), slopes.min()), max(values.max(), slopes.max())
    rows, labels, ticks = _parse(text)
    assert len(rows) == height and all(len(row) == width for row in rows)
    assert len(labels) >= 2, text
    h = (hi - lo) / height
    slack = 1e-9 * max(abs(lo), abs(hi), hi - lo)
    for r, label in labels.items():
        low, high = lo + (height - 1 - r) * h, lo + (height - r) * h
        assert low - slack <= label <= high + slack, (
            f"label {label} on row {r} of {height}, which holds {low:.6g} to {high:.6g}\n{text}")
    # the curves' characters sit where the data is (within a row)
    w = (stop - start) / width
    for r, row in enumerate(rows):
        low, high = lo + (height - 1 - r) * h, lo + (height - r) * h
        for c, ch in enumerate(row):
            series = values if ch in BLOCKS else slopes if ch in BRAILLE else None
            if series is None:
                continue
            # the line between the points is straight: the data near column c
            near = np.interp(np.linspace(start + (c - 1) * w, start + (c + 2) * w, 64), xs,
                             series)
            assert near.min() <= high + h and near.max() >= low - h, (
                f"{ch!r} at row {r}, column {c} but the data there is not near "
                f"{low:.6g}..{high:.6g}\n{text}")
    # each x label is under the column of its number
    assert len(ticks) >= 2, text
    for centre, label in ticks:
        column = centre - 1  # the frame's left edge is column 0 of the line
        x = float(label)
        assert start + (column - 1) * w <= x <= start + (column + 2) * w, (label, text)


@pytest.mark.parametrize("program, sweep, f, df", PROGRAMS, ids=[p[0] for p in PROGRAMS])
@pytest.mark.parametrize("width, height", SIZES)
def test_axis_labels_are_where_their_numbers_are(program: str, sweep: tuple, f: Callable,
                                                 df: Callable, width: int, height: int) -> None:
    curve = sweep_curve(parse_program(program), {}, Sweep("x", *sweep))
    text = plot.terminal(curve, program, "x", color=False, width=width, height=height)
    _check_picture(text, sweep, f, df, width, height)


@pytest.mark.parametrize("program, sweep, f, df", PROGRAMS[:2], ids=["sigmoid", "x/10"])
def test_the_command_labels_its_axes_right(program: str, sweep: tuple, f: Callable,
                                           df: Callable) -> None:
    start, stop, count = sweep
    result = clean(run("plot", program, "--sweep", f"x={start}:{stop}:{count}"), 0)
    _check_picture(result.out, sweep, f, df, 70, 18)


def test_a_flat_curve_gets_a_window_around_it() -> None:
    curve = sweep_curve(parse_program("x - x"), {}, Sweep("x", 0, 1, 11))
    text = plot.terminal(curve, "x - x", "x", color=False, width=40, height=10)
    rows, labels, _ = _parse(text)
    ordered = [labels[r] for r in sorted(labels)]
    assert ordered == sorted(ordered, reverse=True) and len(ordered) >= 2, text
    (r,) = {r for r, row in enumerate(rows) if set(row) & BLOCKS}  # the value, 0, on one row
    assert all(v >= 0 for k, v in labels.items() if k < r), text
    assert all(v <= 0 for k, v in labels.items() if k > r), text
    assert labels.get(r, 0) == 0, text


def test_value_and_derivative_differ_without_colour() -> None:
    out = clean(run("plot", "sigmoid(x)", "--sweep", "x=-6:6:201"), 0).out
    assert "\x1b[" not in out
    rows, _, _ = _parse(out)
    drawn = set("".join(rows))
    assert drawn & BLOCKS and drawn & BRAILLE, out
    legend = out.rstrip("\n").split("\n")[-1].strip()
    value_part, slope_part = legend.split("   ")
    assert set(value_part.split()[0]) <= BLOCKS and value_part.split()[1] == "value", legend
    assert set(slope_part.split()[0]) <= BRAILLE and slope_part.split()[1] == "d/dx", legend


def test_colour_is_the_tools_green_and_red() -> None:
    curve = sweep_curve(parse_program("sigmoid(x)"), {}, Sweep("x", -6, 6, 201))
    text = plot.terminal(curve, "sigmoid(x)", "x", color=True)
    green, red = "\x1b[32m", "\x1b[31m"
    runs = re.findall(r"\x1b\[(\d+)m([^\x1b]+)\x1b\[0m", text)
    assert runs, text
    for code, chars in runs:
        if set(chars) <= BLOCKS:
            assert code == green[2:-1], (code, chars)
        elif set(chars) <= BRAILLE:
            assert code == red[2:-1], (code, chars)
    assert green in text and red in text
    plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
    assert plain == plot.terminal(curve, "sigmoid(x)", "x", color=False)
