"""``backprop plot``: the output and its derivative along a swept input; over two swept
inputs, a heatmap of the output with contour lines, data points on top.

In the terminal, uniplot rasterises each curve (the value in block characters, the
derivative in Braille dots, so they differ without colour) and this module draws the
frame, the axes' labels and the legend: the labels are nice numbers (1, 2 or 5 times a
power of ten) on the row or under the column that holds them, written with as many
digits as their spacing needs. Colour, when on, is the tool's: values green, gradients
red. To a file (PNG, SVG, PDF), Matplotlib draws two panels sharing the x axis, values
above and derivatives below, a picture to put in a report. Matplotlib is an optional
extra (``pip install matplotlib``, or from a checkout
``pip install '.[plot]'``), imported only here.
"""

from __future__ import annotations

import io
import math
import os
import sys
import tempfile
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..core.errors import EvaluationError
from ..core.names import short_name
from ..core.numbers import shown
from ..plot import Curve, Points, Surface
from .eval_table import GRAD_STYLE, VALUE_STYLE

VALUE_COLOR = "#1a7f37"
GRAD_COLOR = "#cf222e"

VALUE_CHARS = frozenset("▘▝▀▖▌▞▛▗▚▐▜▄▙▟█")  # uniplot's block set
SLOPE_CHARS = frozenset(chr(c) for c in range(0x2801, 0x2900))  # Braille dots


# -- the window and its labels ---------------------------------------------------------------

def held(name: str, value: Any) -> str:
    """An input held fixed, for the picture's footnote: ``w = 2``, or ``W1 (16x2)``."""
    shape = getattr(value, "shape", ())
    if shape:
        return f"{name} ({'x'.join(map(str, shape))})"
    return f"{name} = {float(value):g}"

def window(low: float, high: float) -> tuple[float, float]:
    """The range a picture spans: the data's, widened around a flat (or nearly flat) one
    to what labels can tell apart."""
    size = max(abs(low), abs(high))
    if high / 2 - low / 2 > max(size * 5e-10, 5e-301):
        return low, high
    middle = low / 2 + high / 2
    half = max(abs(middle) * 0.1, 1e-300) if middle else 1.0
    return middle - half, middle + half


def unit(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """``values`` scaled to [0, 1) over the window (without overflow on any range)."""
    with np.errstate(all="ignore"):
        scaled = (values / 2 - low / 2) / (high / 2 - low / 2)
    return np.clip(scaled, 0.0, np.nextafter(1.0, 0.0))


def ticks(low: float, high: float, most: int) -> list[tuple[float, str]]:
    """Nice numbers in [low, high], evenly spaced, at most ``most`` of them (as many as
    that allows, and at least 2 where the spacing admits them), each with its text."""
    exponent = math.floor(math.log10(high / 2 - low / 2) + math.log10(2) - math.log10(most))
    one: list[tuple[float, str]] = []
    for e in range(exponent - 1, exponent + 3):
        # 1, 2, 2.5 and 5 times a power of ten: 2.5 is 25 of the next power down
        for mult, power in ((1, e), (2, e), (25, e - 1), (5, e)):
            numbers = _multiples(low, high, mult, power)
            if numbers is None or len(numbers) > most or not numbers:
                continue
            if len(numbers) >= 2:
                return _texts(numbers, power)
            one = one or _texts(numbers, power)
    return one


def _multiples(low: float, high: float, mult: int, e: int) -> list[float] | None:
    """The multiples of mult * 10**e in [low, high] (None: too many, or no such step)."""
    def times(k: int) -> float:
        return (k * mult * 10.0**e if e >= 0 else k * mult / 10.0**-e) or 0.0

    step = times(1)
    if step == 0 or not math.isfinite(step):
        return None
    first, last = math.ceil(low / step), math.floor(high / step)
    if last - first > 1000:
        return None
    return [times(k) for k in range(first, last + 1)]


def _texts(numbers: Sequence[float], e: int) -> list[tuple[float, str]]:
    """Each a multiple of 10**e: as many significant digits as that needs."""
    size = max(abs(n) for n in numbers)
    if size == 0:
        return [(n, "0") for n in numbers]
    magnitude = math.floor(math.log10(size))
    digits = magnitude - e + 1
    if 0 <= magnitude < 6:
        digits = max(digits, magnitude + 1)  # 1000, not 1e+03
    digits = min(max(digits, 1), 17)
    return [(n, shown(n, digits)) for n in numbers]


# -- the terminal ----------------------------------------------------------------------------
def terminal(curve: Curve, output: str, name: str, color: bool, width: int = 70,
             height: int = 18) -> str:
    x_low, x_high = window(*curve.x_range)
    ys = (curve.value.ys, curve.slope.ys)
    y_low, y_high = window(min(float(y.min()) for y in ys), max(float(y.max()) for y in ys))
    xs_value, xs_slope = (unit(s.xs, x_low, x_high) for s in (curve.value, curve.slope))
    grid = {"x_gridlines": [float(unit(np.array([0.0]), x_low, x_high)[0])]
            if x_low <= 0 <= x_high else [],
            "y_gridlines": [float(unit(np.array([0.0]), y_low, y_high)[0])]
            if y_low <= 0 <= y_high else []}
    values = _raster(xs_value, unit(curve.value.ys, y_low, y_high), "block", width, height,
                     **grid)
    slopes = _raster(xs_slope, unit(curve.slope.ys, y_low, y_high), "braille", width, height,
                     x_gridlines=[], y_gridlines=[])
    paint = _painter(color)
    cells = []
    for value_row, slope_row in zip(values, slopes):
        row = []
        for v, s in zip(value_row, slope_row):
            if v in VALUE_CHARS:
                row.append(paint(v, VALUE_STYLE))
            elif s in SLOPE_CHARS:
                row.append(paint(s, GRAD_STYLE))
            else:
                row.append(v)
        cells.append(row)

    row_labels = _y_labels(y_low, y_high, height)

    title = f"{output[:50]} and its derivative along {name}"
    value_label, slope_label = ((output, f"d{output}/d{name}") if output.isidentifier()
                                else ("value", f"d/d{name}"))
    legend = (f"{paint('▄▀', VALUE_STYLE)} {value_label}   "
              f"{paint('⠤⠒', GRAD_STYLE)} {slope_label}")
    lines = [_centred(title, width + 2), "┌" + "─" * width + "┐"]
    for row, label in zip(cells, row_labels):
        lines.append(("│" + "".join(row) + "│ " + label).rstrip())
    lines.append("└" + "─" * width + "┘")
    lines.append(_x_labels(x_low, x_high, width))
    lines.append(_centred(legend, width + 2, len(value_label) + len(slope_label) + 9))
    return "\n".join(lines)


def _y_labels(low: float, high: float, height: int) -> list[str]:
    """The label of each row: about one row in three, each on the row that holds it."""
    row_height = (high / 2 - low / 2) / height * 2
    labels = [""] * height
    for most in range(max(2, height // 3), height + 1):
        found = ticks(low, high, most)
        rows = [height - 1 - int(min(height - 1, max(0, (n - low) / row_height)))
                for n, _ in found]
        if len(set(rows)) < len(rows):
            break  # closer than a row: keep the last that were not
        labels = [""] * height
        for row, (_, text) in zip(rows, found):
            labels[row] = text
        if len(found) >= 2:
            break
    return labels


def terminal_columns(x_range: tuple[float, float], width: int = 70):
    """x -> the pixel column uniplot draws it in, in a terminal picture ``width`` wide:
    for ``sweep_curve`` to keep one run of points per column."""
    low, high = window(min(x_range), max(x_range))
    pixels = 2 * width
    pad = 0.5 / pixels

    def columns(xs: np.ndarray) -> np.ndarray:
        at = (pixels - 1) * (unit(xs, low, high) - pad) / ((1 - pad) - pad)
        return np.clip(np.round(at), 0, pixels - 1).astype(np.int64)

    return columns


def _raster(xs: np.ndarray, ys: np.ndarray, characters: str, width: int, height: int,
            **grid: list[float]) -> list[str]:
    """One curve drawn by uniplot over [0, 1) x [0, 1), its frame taken off: pixel p of
    n covers [p / n, (p + 1) / n), so each character cell covers its share exactly."""
    from uniplot import plot_to_string

    across, down = 2, (4 if characters == "braille" else 2)  # pixels a character
    x_pad, y_pad = 0.5 / (across * width), 0.5 / (down * height)
    drawn = plot_to_string(
        [ys], xs=[xs], lines=True, color=False, width=width, height=height,
        character_set=characters, x_labels=False, y_labels=False,
        x_min=x_pad, x_max=1 - x_pad, y_min=y_pad, y_max=1 - y_pad, **grid,
    ).split("\n")
    rows = [line[1:-1] for line in drawn[1:1 + height]]
    if len(rows) != height or any(len(r) != width for r in rows):  # pragma: no cover
        raise RuntimeError("uniplot's frame changed shape")
    return rows


def _painter(color: bool):
    if not color:
        return lambda text, style: text
    from rich.color import ColorSystem
    from rich.style import Style

    codes = {}

    def paint(text: str, style: str) -> str:
        if style not in codes:
            codes[style] = Style.parse(style)
        return codes[style].render(text, color_system=ColorSystem.STANDARD)

    return paint


def _centred(text: str, width: int, length: int | None = None) -> str:
    length = len(text) if length is None else length
    return " " * max(0, (width - length) // 2) + text


def _x_labels(low: float, high: float, width: int) -> str:
    """Labels under the columns that hold them, as many as fit two spaces apart."""
    column_width = (high / 2 - low / 2) / width * 2
    for most in range(max(2, width // 8), 0, -1):
        line = ""
        fits = True
        for number, text in ticks(low, high, most):
            column = int(min(width - 1, max(0, (number - low) / column_width)))
            begin = max(0, column + 1 - (len(text) - 1) // 2)
            if line and begin < len(line) + 2:
                fits = False
                break
            line += " " * (begin - len(line)) + text
        if fits:
            return line
    return ""


# -- a file ----------------------------------------------------------------------------------
def _matplotlib_home() -> None:
    """Give Matplotlib a cache directory that works, quietly: its default (under HOME)
    when that can be made and written, else one of this user's in the temporary folder.
    Matplotlib's own fallback works too, but warns twice on stderr."""
    if os.environ.get("MPLCONFIGDIR"):
        return
    home = os.path.expanduser("~")
    defaults = [os.environ.get("XDG_CONFIG_HOME") or os.path.join(home, ".config"),
                os.environ.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")]
    if sys.platform.startswith(("linux", "freebsd")) and all(
            _writable_dir(os.path.join(d, "matplotlib")) for d in defaults):
        return
    if not sys.platform.startswith(("linux", "freebsd")) and _writable_dir(
            os.path.join(home, ".matplotlib")):
        return
    uid = os.getuid() if hasattr(os, "getuid") else 0
    fallback = os.path.join(tempfile.gettempdir(), f"backprop-matplotlib-{uid}")
    try:
        os.mkdir(fallback, 0o700)
    except FileExistsError:
        pass
    except OSError:
        return
    info = os.lstat(fallback)
    import stat

    if stat.S_ISDIR(info.st_mode) and info.st_uid == uid and os.access(fallback, os.W_OK):
        os.environ["MPLCONFIGDIR"] = fallback


def _writable_dir(path: str) -> bool:
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return False
    return os.path.isdir(path) and os.access(path, os.W_OK)


def _pyplot() -> Any:
    """Matplotlib's pyplot on the Agg backend, or the error that says how to install it."""
    _matplotlib_home()
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise EvaluationError(
            "drawing to a file needs Matplotlib, which is not installed",
            hint="pip install matplotlib (from a checkout: pip install '.[plot]'); "
            "without -o the plot is drawn in the terminal",
        ) from None
    return plt


def to_file(path: str, curve: Curve, output: str, name: str) -> bytes:
    """The picture, as the bytes of the file ``path`` names (by its suffix)."""
    plt = _pyplot()
    label = short_name(output)
    figure, (top, bottom) = plt.subplots(2, 1, sharex=True, figsize=(7, 5.2),
                                         constrained_layout=True)
    try:
        top.plot(curve.value.xs, curve.value.ys, color=VALUE_COLOR, linewidth=1.8)
        top.set_ylabel("value")
        top.set_title(label, fontsize=11)
        bottom.plot(curve.slope.xs, curve.slope.ys, color=GRAD_COLOR, linewidth=1.8)
        bottom.set_ylabel(f"d/d{name}")
        bottom.set_xlabel(name)
        for axes in (top, bottom):
            axes.grid(True, alpha=0.3)
            axes.axhline(0, color="black", linewidth=0.6, alpha=0.5)
        fixed = curve.others
        if fixed:
            shown_fixed = ", ".join(held(n, v) for n, v in fixed[:6])
            more = f" (+{len(fixed) - 6} more)" if len(fixed) > 6 else ""
            figure.text(0.99, 0.005, shown_fixed + more, ha="right", va="bottom", fontsize=8,
                        color="#555555")
        buffer = io.BytesIO()
        figure.savefig(buffer, format=path.rsplit(".", 1)[-1].lower(), dpi=150)
        return buffer.getvalue()
    finally:
        plt.close(figure)


# -- two inputs: a heatmap with contour lines --------------------------------------------------
SHADES = " .:-=+*#%@"  # one character a band, lowest to highest, without colour
DIVERGING = ((33, 102, 172), (247, 247, 247), (178, 24, 43))  # blue, white, red
SEQUENTIAL = ((68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37))


def _levels(z: np.ndarray) -> tuple[np.ndarray, bool]:
    """Nice contour levels inside the finite values' range, and whether the colours
    diverge from 0 (the range spans it)."""
    finite = z[np.isfinite(z)]
    low, high = window(float(finite.min()), float(finite.max()))
    levels = np.array([n for n, _ in ticks(low, high, len(SHADES) - 1)] or [low])
    return levels, bool(low < 0 < high)


def _ramp(stops: Sequence[tuple[int, int, int]], t: float) -> tuple[int, int, int]:
    t = min(max(t, 0.0), 1.0) * (len(stops) - 1)
    k = min(int(t), len(stops) - 2)
    f = t - k
    a, b = stops[k], stops[k + 1]
    return (round(a[0] + (b[0] - a[0]) * f), round(a[1] + (b[1] - a[1]) * f),
            round(a[2] + (b[2] - a[2]) * f))


def _band_colors(levels: np.ndarray, diverging: bool) -> list[tuple[int, int, int]]:
    """A colour for each band (below the first level, between each two, above the last)."""
    bands = len(levels) + 1
    if not diverging:
        return [_ramp(SEQUENTIAL, k / max(1, bands - 1)) for k in range(bands)]
    # 0 is white: the bands below it run to blue, those above to red
    edges = np.r_[levels[0] - (levels[1] - levels[0] if len(levels) > 1 else 1), levels,
                  levels[-1] + (levels[-1] - levels[-2] if len(levels) > 1 else 1)]
    middles = (edges[:-1] + edges[1:]) / 2
    size = max(abs(float(middles[0])), abs(float(middles[-1]))) or 1.0
    return [_ramp(DIVERGING, 0.5 + float(m) / size / 2) for m in middles]


def _sample(axis: np.ndarray, at: np.ndarray) -> np.ndarray:
    """The index of the grid point of ``axis`` nearest each of ``at``."""
    order = np.argsort(axis, kind="stable")
    nearest = np.rint(np.interp(at, axis[order], np.arange(len(axis)))).astype(np.int64)
    return order[np.clip(nearest, 0, len(axis) - 1)]


def terminal_surface(surface: Surface, output: str, color: bool, points: Points | None = None,
                     width: int = 70, height: int = 22) -> str:
    """The output over two inputs: bands of nice levels (shades, or colours with the
    contour lines between them drawn dark), the data points on top (``o`` for the
    higher values of their colour column, ``x`` for the lower)."""
    x_low, x_high = window(float(surface.xs.min()), float(surface.xs.max()))
    y_low, y_high = window(float(surface.ys.min()), float(surface.ys.max()))
    levels, diverging = _levels(surface.z)
    down = 2 if color else 1  # pixels a character cell: half blocks in colour
    across_at = x_low + (np.arange(width) + 0.5) / width * (x_high - x_low)
    down_at = y_high - (np.arange(height * down) + 0.5) / (height * down) * (y_high - y_low)
    z = surface.z[np.ix_(_sample(surface.xs, across_at), _sample(surface.ys, down_at))].T
    band = np.searchsorted(levels, z, side="right")  # rows top to bottom, columns left-right
    band[~np.isfinite(z)] = -1
    edge = np.zeros_like(band, dtype=bool)
    edge[:, :-1] |= (band[:, :-1] != band[:, 1:]) & (band[:, :-1] >= 0) & (band[:, 1:] >= 0)
    edge[:-1, :] |= (band[:-1, :] != band[1:, :]) & (band[:-1, :] >= 0) & (band[1:, :] >= 0)
    marks: dict[tuple[int, int], str] = {}
    if points is not None:
        split = None
        if points.colors is not None and len(points.colors):
            split = (float(points.colors.min()) + float(points.colors.max())) / 2
        cols = np.floor((points.xs - x_low) / (x_high - x_low) * width).astype(np.int64)
        rows = np.floor((y_high - points.ys) / (y_high - y_low) * height).astype(np.int64)
        for k in range(len(cols)):
            c, r = int(cols[k]), int(rows[k])
            if 0 <= c < width and 0 <= r < height:
                high = split is None or float(points.colors[k]) > split  # type: ignore[index]
                marks[(r, c)] = "o" if high else "x"
    colors = _band_colors(levels, diverging)
    lines = [_centred(f"{short_name(output, 50)} over {surface.x_name} and {surface.y_name}",
                      width + 2), "┌" + "─" * width + "┐"]
    row_labels = _y_labels(y_low, y_high, height)
    for r in range(height):
        cells = []
        for c in range(width):
            mark = marks.get((r, c))
            if not color:
                b = band[r, c]
                cells.append(mark or (SHADES[b] if b >= 0 else " "))
                continue
            top, bottom = (band[2 * r, c], edge[2 * r, c]), (band[2 * r + 1, c],
                                                              edge[2 * r + 1, c])
            cells.append(_cell(colors, top, bottom, mark))
        lines.append(("│" + "".join(cells) + "│ " + row_labels[r]).rstrip())
    lines.append("└" + "─" * width + "┘")
    lines.append(_x_labels(x_low, x_high, width))
    lines.append(_legend(levels, colors, color, points))
    return "\n".join(lines)


def _rgb(c: tuple[int, int, int]) -> str:
    return f"rgb({c[0]},{c[1]},{c[2]})"


def _cell(colors: list[tuple[int, int, int]], top: tuple[int, bool],
          bottom: tuple[int, bool], mark: str | None) -> str:
    """One character cell in colour: its upper pixel the foreground of a half block, its
    lower one the background; a contour pixel dark; a data point a bold letter."""
    from rich.color import ColorSystem
    from rich.style import Style

    dark = (40, 40, 40)

    def pixel(band: int, on_edge: bool) -> str | None:
        if band < 0:
            return None
        return _rgb(dark if on_edge else colors[band])

    upper, lower = pixel(*top), pixel(*bottom)
    if mark is not None:
        style = Style(color="black", bgcolor=lower or upper, bold=True)
        return style.render(mark, color_system=ColorSystem.EIGHT_BIT)
    if upper is None and lower is None:
        return " "
    style = Style(color=upper, bgcolor=lower)
    return style.render("▀" if upper is not None else " ", color_system=ColorSystem.EIGHT_BIT)


def _legend(levels: np.ndarray, colors: list[tuple[int, int, int]], color: bool,
            points: Points | None) -> str:
    """The bands from lowest to highest with the levels between them."""
    texts = [text for _, text in _texts_of(levels)]
    parts = []
    for k in range(len(levels) + 1):
        if color:
            from rich.color import ColorSystem
            from rich.style import Style

            parts.append(Style(color=_rgb(colors[k])).render(
                "██", color_system=ColorSystem.EIGHT_BIT))
        else:
            parts.append(f"'{SHADES[k]}'")
        if k < len(levels):
            parts.append(texts[k])
    legend = " ".join(parts)
    if points is not None:
        legend += ("   o x: points" if points.color_name is None else
                   f"   o: higher {points.color_name}, x: lower")
    return legend


def _texts_of(levels: np.ndarray) -> list[tuple[float, str]]:
    numbers = [float(n) for n in levels]
    if len(numbers) > 1:
        step = numbers[1] - numbers[0]
        e = math.floor(math.log10(abs(step))) if step else 0
        return _texts(numbers, e)
    return [(numbers[0], shown(numbers[0], 4))]


def surface_to_file(path: str, surface: Surface, output: str,
                    points: Points | None = None) -> bytes:
    """The heatmap with contour lines (labelled), a colour bar, and the points on top."""
    plt = _pyplot()
    levels, diverging = _levels(surface.z)
    finite = surface.z[np.isfinite(surface.z)]
    low, high = float(finite.min()), float(finite.max())
    fill = np.unique(np.r_[min(low, levels[0]), levels, max(high, levels[-1])])
    figure, axes = plt.subplots(figsize=(7, 5.6), constrained_layout=True)
    try:
        x_order, y_order = np.argsort(surface.xs), np.argsort(surface.ys)
        xs, ys = surface.xs[x_order], surface.ys[y_order]
        z = np.ma.masked_invalid(surface.z[np.ix_(x_order, y_order)].T)
        cmap = "RdBu_r" if diverging else "viridis"
        if diverging:
            from matplotlib.colors import TwoSlopeNorm

            norm = TwoSlopeNorm(0.0, min(low, -1e-300), max(high, 1e-300))
        else:
            norm = None
        filled = axes.contourf(xs, ys, z, levels=fill, cmap=cmap, norm=norm, alpha=0.85)
        lines = axes.contour(xs, ys, z, levels=levels, colors="black", linewidths=0.7)
        axes.clabel(lines, fontsize=7, fmt="%g")
        figure.colorbar(filled, ax=axes, label=short_name(output, 30))
        if points is not None:
            axes.scatter(points.xs, points.ys, c=points.colors if points.colors is not None
                         else "black", cmap="coolwarm", edgecolors="black", linewidths=0.6,
                         s=28, zorder=3)
        axes.set_xlabel(surface.x_name)
        axes.set_ylabel(surface.y_name)
        axes.set_title(f"{short_name(output)} over {surface.x_name} and {surface.y_name}",
                       fontsize=11)
        if surface.others:
            shown_fixed = ", ".join(held(n, v) for n, v in surface.others[:6])
            more = f" (+{len(surface.others) - 6} more)" if len(surface.others) > 6 else ""
            figure.text(0.99, 0.005, shown_fixed + more, ha="right", va="bottom", fontsize=8,
                        color="#555555")
        buffer = io.BytesIO()
        figure.savefig(buffer, format=path.rsplit(".", 1)[-1].lower(), dpi=150)
        return buffer.getvalue()
    finally:
        plt.close(figure)
