"""Pausing Python's cyclic garbage collector while many small objects are made.

Graphs, records and output lines are tuples and strings that form no reference cycles,
so collection passes triggered by their allocation only cost time (quadratically, in
effect, on large graphs).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
