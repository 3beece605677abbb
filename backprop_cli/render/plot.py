"""``backprop plot``: the output and its derivative along a swept input.

In the terminal, uniplot draws both curves; to a file (PNG, SVG, PDF), Matplotlib
draws two panels sharing the x axis, values above and derivatives below, a picture to
put in a report. Matplotlib is an optional extra (``pip install matplotlib``, or from a checkout
``pip install '.[plot]'``), imported only here.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..core.errors import EvaluationError
from ..core.names import short_name

VALUE_COLOR = "#1a7f37"
GRAD_COLOR = "#cf222e"


def terminal(xs: np.ndarray, values: np.ndarray, grads: np.ndarray, output: str, name: str,
             color: bool, width: int = 70, height: int = 18) -> str:
    from uniplot import plot_to_string

    return plot_to_string(
        [values, grads], xs=[xs, xs], lines=True, color=color, width=width, height=height,
        legend_labels=[output, f"d{output}/d{name}"] if output.isidentifier()
        else ["value", f"d/d{name}"],
        title=f"{output[:50]} and its derivative along {name}",
    )


def to_file(path: str, xs: np.ndarray, values: np.ndarray, grads: np.ndarray, output: str,
            name: str, fixed: Sequence[tuple[str, float]]) -> None:
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
    top.plot(xs, values, color=VALUE_COLOR, linewidth=1.8)
    top.set_ylabel("value")
    top.set_title(label, fontsize=11)
    bottom.plot(xs, grads, color=GRAD_COLOR, linewidth=1.8)
    bottom.set_ylabel(f"d/d{name}")
    bottom.set_xlabel(name)
    for axes in (top, bottom):
        axes.grid(True, alpha=0.3)
        axes.axhline(0, color="black", linewidth=0.6, alpha=0.5)
    if fixed:
        shown = ", ".join(f"{n} = {v:g}" for n, v in fixed[:6])
        more = f" (+{len(fixed) - 6} more)" if len(fixed) > 6 else ""
        figure.text(0.99, 0.005, shown + more, ha="right", va="bottom", fontsize=8,
                    color="#555555")
    try:
        figure.savefig(path, dpi=150)
    except (OSError, ValueError) as error:
        from ..core.errors import OutputError

        raise OutputError(f"cannot write {path}: {error}") from None
    finally:
        plt.close(figure)
