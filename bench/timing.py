"""Timing helpers shared by the benchmark scripts."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any


def best_of(runs: int, fn: Callable[[], object]) -> float:
    """The fastest of ``runs`` calls, in seconds: the least disturbed by other work."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def chosen_shapes(parser: Any, text: str, known: Sequence[str]) -> list[str]:
    """The shapes named by a comma-separated ``--shapes`` value, each checked."""
    shapes = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [s for s in shapes if s not in known]
    if unknown:
        parser.error(f"unknown shape {unknown[0]}")
    return shapes


def backprop_beside(python: str) -> tuple[str, str]:
    """The interpreter's absolute path and the ``backprop`` script installed beside it."""
    import os
    from pathlib import Path

    python = str(Path(python).absolute())
    backprop = str(Path(python).parent / "backprop")
    if not os.access(backprop, os.X_OK):
        raise SystemExit(f"no backprop executable next to {python} (looked for {backprop})")
    return python, backprop
