"""``backprop plot``: the output and its derivative along a swept input.

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

import numpy as np

from ..core.errors import EvaluationError
from ..core.names import short_name
from ..core.numbers import shown
from ..plot import Curve
from .eval_table import GRAD_STYLE, VALUE_STYLE

VALUE_COLOR = "#1a7f37"
GRAD_COLOR = "#cf222e"

VALUE_CHARS = frozenset("▘▝▀▖▌▞▛▗▚▐▜▄▙▟█")  # uniplot's block set
SLOPE_CHARS = frozenset(chr(c) for c in range(0x2801, 0x2900))  # Braille dots


# -- the window and its labels ---------------------------------------------------------------
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


def to_file(path: str, curve: Curve, output: str, name: str) -> bytes:
    """The picture, as the bytes of the file ``path`` names (by its suffix)."""
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
            shown_fixed = ", ".join(f"{n} = {v:g}" for n, v in fixed[:6])
            more = f" (+{len(fixed) - 6} more)" if len(fixed) > 6 else ""
            figure.text(0.99, 0.005, shown_fixed + more, ha="right", va="bottom", fontsize=8,
                        color="#555555")
        buffer = io.BytesIO()
        figure.savefig(buffer, format=path.rsplit(".", 1)[-1].lower(), dpi=150)
        return buffer.getvalue()
    finally:
        plt.close(figure)
