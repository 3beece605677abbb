"""Deeply nested programs: time and peak memory per level, at depths 1e3, 1e4 and 1e5.

Shapes (d is the depth):

    parens    ((((x))))                          d parentheses around one input: 1 node
    sin       sin(sin(...sin(x)...))             d nested calls: d + 1 nodes
    plus      x + 1 + 1 + ... + 1                a flat left-associative chain: 2d + 1 nodes
    affine    ((x*1.0001 + 1)*1.0001 + 1)...     d nested parentheses with 4 nodes each
    neg       ---...-x                           d prefix minus signs: d + 1 nodes

For each: the end-to-end time of ``backprop_cli.evaluate(text, {"x": 0.5})`` (text to
gradients; median of several runs), the time of ``result.nodes`` (every node's record and
label, which every output format prints), and the peak memory that tracemalloc sees during
``evaluate`` (a separate run, since tracing slows Python down). Linear growth shows as a
flat cost per level.

    python bench/depth.py
    python bench/depth.py --max 1e4
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import time
import tracemalloc
from collections.abc import Callable

from backprop_cli import evaluate

DEPTHS = (1_000, 10_000, 100_000)
VALUES = {"x": 0.5}
LINEAR_SLACK = 1.5  # the cost per level may grow this much from the smallest depth

SHAPES: dict[str, tuple[str, Callable[[int], str]]] = {
    "parens": ("((((x))))", lambda d: "(" * d + "x" + ")" * d),
    "sin": ("sin(sin(...(x)))", lambda d: "sin(" * d + "x" + ")" * d),
    "plus": ("x + 1 + 1 + ...", lambda d: "x" + " + 1" * d),
    "affine": ("((x*1.0001 + 1)*1.0001 + 1)...", lambda d: "(" * d + "x" + "*1.0001 + 1)" * d),
    "neg": ("---...-x", lambda d: "-" * d + "x"),
}


def run(text: str, repeat: int) -> dict[str, float]:
    times: list[float] = []
    record_times: list[float] = []
    nodes = 0
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        result = evaluate(text, VALUES)
        times.append(time.perf_counter() - start)
        start = time.perf_counter()
        records = result.nodes
        record_times.append(time.perf_counter() - start)
        nodes = len(records)
        del result, records
    gc.collect()
    tracemalloc.start()
    result = evaluate(text, VALUES)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "nodes": nodes,
        "total": statistics.median(times),
        "records": statistics.median(record_times),
        "peak": peak,
        "value": result.value,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max", type=lambda s: int(float(s)), default=DEPTHS[-1],
                        help="largest depth, e.g. 1e4 (default 1e5)")
    parser.add_argument("--shapes", default=",".join(SHAPES),
                        help=f"comma-separated subset of {', '.join(SHAPES)}")
    args = parser.parse_args()
    depths = [d for d in DEPTHS if d <= args.max]
    shapes = [s.strip() for s in args.shapes.split(",") if s.strip()]
    unknown = [s for s in shapes if s not in SHAPES]
    if unknown or not depths:
        parser.error(f"unknown shape {unknown[0]}" if unknown else "--max is below 1e3")

    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores;"
          " times are medians; peak memory is tracemalloc's, during evaluate()")
    print()
    header = (f"{'shape':<8} {'depth':>7} {'nodes':>7} {'evaluate s':>10} {'µs/level':>9} "
              f"{'.nodes s':>9} {'µs/level':>9} {'peak MB':>8} {'KB/level':>8}")
    print(header)
    print("-" * len(header))
    verdicts: list[str] = []
    for shape in shapes:
        description, make = SHAPES[shape]
        rows: list[tuple[int, dict[str, float]]] = []
        for depth in depths:
            text = make(depth)
            try:
                row = run(text, repeat=5 if depth <= 10_000 else 3)
            except Exception as error:  # report and go on: a failure is a finding
                print(f"{shape:<8} {depth:>7,}  FAILED: {type(error).__name__}: "
                      f"{str(error).splitlines()[0][:120] if str(error) else ''}", flush=True)
                continue
            rows.append((depth, row))
            print(f"{shape:<8} {depth:>7,} {row['nodes']:>7,} {row['total']:>10.4f} "
                  f"{row['total'] / depth * 1e6:>9.2f} {row['records']:>9.4f} "
                  f"{row['records'] / depth * 1e6:>9.2f} {row['peak'] / 1e6:>8.2f} "
                  f"{row['peak'] / depth / 1e3:>8.2f}", flush=True)
        if len(rows) == len(depths) and len(rows) > 1:
            (d0, first), (d1, last) = rows[0], rows[-1]
            growth = {key: (last[key] / d1) / (first[key] / d0)
                      for key in ("total", "records", "peak")}
            measured = [("total", "evaluate"), ("peak", "memory")]
            if last["nodes"] > first["nodes"]:  # ((((x)))) has one node at every depth
                measured.append(("records", ".nodes"))
            cells = ", ".join(
                f"{label} x{growth[key]:.2f} {'linear' if growth[key] <= LINEAR_SLACK else 'NOT'}"
                for key, label in measured
            )
            verdicts.append(f"  {shape:<8} {description:<32} {cells}")
        elif len(rows) < len(depths):
            verdicts.append(f"  {shape:<8} {description:<32} failed at some depth (see above)")
        print()
    if len(depths) > 1:
        print(f"growth of the cost per level from depth {depths[0]:,} to {depths[-1]:,} "
              f"(linear: at most x{LINEAR_SLACK}):")
    print("\n".join(verdicts))


if __name__ == "__main__":
    main()
