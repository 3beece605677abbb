"""Many points at once, against hand-written NumPy measured in the same run.

1. Compute only: the sigmoid neuron (samples/sigmoid.bp) at 1e6 points, value and all
   five gradients, by backprop's batch engine against the same formulas written by hand
   in NumPy (the floor). Goal: at most 1.5x the floor.
2. End to end, CSV file to CSV file, 1e6 rows of the neuron's five inputs:
   `backprop eval -f samples/sigmoid.bp --at points.csv > out.csv` (a whole process)
   against NumPy's own `loadtxt` + `savetxt` round trip of the same data. Goal: at least
   2x faster than that round trip; every float written reads back as the same double.
3. Peak memory (the process's maximum resident set) for 1e7 rows. Goal: under 500 MB.

JAX is not measured: it is not installed in the benchmark's environment.
Run: python bench/batch.py [--rows 1000000] [--big-rows 10000000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from timing import best_of

ROOT = Path(__file__).resolve().parent.parent
NAMES = ["w0", "x0", "w1", "x1", "w2"]




def numpy_floor(c: dict[str, np.ndarray]) -> list[np.ndarray]:
    z = c["w0"] * c["x0"] + c["w1"] * c["x1"] + c["w2"]
    s = 1.0 / (1.0 + np.exp(-z))
    ds = s * (1.0 - s)
    return [s, ds * c["x0"], ds * c["w0"], ds * c["x1"], ds * c["w1"], ds]


def compute(rows: int) -> None:
    from backprop_cli.api import bind_inputs, parse_program
    from backprop_cli.batch import Chunk, evaluate_chunks

    graph = parse_program((ROOT / "samples/sigmoid.bp").read_text())
    rng = np.random.default_rng(0)
    columns = {name: rng.standard_normal(rows) for name in NAMES}
    fixed = bind_inputs(graph, {})

    def ours() -> list:
        return list(evaluate_chunks(graph, fixed, [Chunk(1, columns, rows)]))

    def chunked() -> list:
        step = 65_536
        chunks = (Chunk(k + 1, {n: c[k:k + step] for n, c in columns.items()},
                        min(step, rows - k)) for k in range(0, rows, step))
        return list(evaluate_chunks(graph, fixed, chunks))

    (result,) = ours()
    floor = numpy_floor(columns)
    assert np.allclose(result.value, floor[0], rtol=1e-12)
    assert np.allclose(result.grads[0], floor[1], rtol=1e-9)
    t_floor = best_of(5, lambda: numpy_floor(columns))
    t_ours = best_of(5, ours)
    t_chunked = best_of(5, chunked)
    print(f"compute only, sigmoid neuron, {rows:,} points (value and 5 gradients)")
    print(f"  NumPy by hand (floor)     {t_floor:7.3f} s")
    print(f"  backprop, one chunk       {t_ours:7.3f} s   {t_ours / t_floor:5.2f}x the floor")
    print(f"  backprop, 65,536-row chunks {t_chunked:5.3f} s   "
          f"{t_chunked / t_floor:5.2f}x the floor   (goal: at most 1.5x)")


def write_points(path: Path, rows: int) -> None:
    rng = np.random.default_rng(1)
    with path.open("w") as handle:
        handle.write(",".join(NAMES) + "\n")
        step = 100_000
        for k in range(0, rows, step):
            block = rng.standard_normal((min(step, rows - k), len(NAMES)))
            handle.write("\n".join(",".join(map(repr, row)) for row in block.tolist()))
            handle.write("\n")


def backprop_command() -> list[str]:
    script = Path(sys.executable).with_name("backprop")
    return [str(script)] if script.exists() else [sys.executable, "-m", "backprop_cli"]


def end_to_end(rows: int, workdir: Path) -> None:
    points = workdir / "points.csv"
    write_points(points, rows)
    out = workdir / "out.csv"

    def ours() -> None:
        with out.open("wb") as handle:
            subprocess.run([*backprop_command(), "eval", "-f", str(ROOT / "samples/sigmoid.bp"),
                            "--at", str(points)], stdout=handle, check=True)

    def numpy_round_trip() -> None:
        data = np.loadtxt(points, delimiter=",", skiprows=1)
        np.savetxt(workdir / "numpy.csv", data, delimiter=",", fmt="%r")

    t_ours = best_of(3, ours)
    t_numpy = best_of(1, numpy_round_trip)
    back = np.loadtxt(out, delimiter=",", skiprows=1, max_rows=50_000)
    given = np.loadtxt(points, delimiter=",", skiprows=1, max_rows=50_000)
    assert (back[:, :5] == given).all(), "inputs did not read back as the same doubles"
    size = out.stat().st_size
    print(f"\nend to end, CSV to CSV, {rows:,} rows ({points.stat().st_size / 1e6:.0f} MB in, "
          f"{size / 1e6:.0f} MB out)")
    print(f"  numpy loadtxt + savetxt   {t_numpy:7.2f} s   {rows / t_numpy:12,.0f} rows/s")
    print(f"  backprop eval --at        {t_ours:7.2f} s   {rows / t_ours:12,.0f} rows/s   "
          f"{t_numpy / t_ours:5.2f}x faster   (goal: at least 2x)")


def peak_memory(rows: int, workdir: Path) -> None:
    points = workdir / "big.csv"
    write_points(points, rows)
    code = (
        "import resource, sys\n"
        "from backprop_cli.cli import main\n"
        f"code = main(['eval', '-f', {str(ROOT / 'samples/sigmoid.bp')!r}, "
        f"'--at', {str(points)!r}])\n"
        "sys.stderr.write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))\n"
    )
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], stdout=subprocess.DEVNULL,
                          stderr=subprocess.PIPE, check=True)
    seconds = time.perf_counter() - start
    peak_mb = int(done.stderr.decode().strip().splitlines()[-1]) / 1024
    print(f"\npeak memory, {rows:,} rows ({points.stat().st_size / 1e6:.0f} MB in): "
          f"{peak_mb:.0f} MB resident at most, {seconds:.1f} s   (goal: under 500 MB)")
    points.unlink()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big-rows", type=int, default=10_000_000)
    args = parser.parse_args()
    compute(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        end_to_end(args.rows, Path(tmp))
        if args.big_rows:
            peak_memory(args.big_rows, Path(tmp))



if __name__ == "__main__":
    main()
