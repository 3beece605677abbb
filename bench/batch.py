"""Many points at once, against hand-written NumPy measured in the same run.

1. Compute only: the sigmoid neuron (samples/sigmoid.bp) at 1e6 points, value and all
   five gradients, by backprop's batch engine as ``eval --at`` runs it (chunks of 65,536
   rows, each dropped once used) against the same formulas written by hand in NumPy over
   whole arrays (the floor). Goal: at most 1.5x the floor. Also shown: the hand-written
   code run over the same chunks, backprop over one chunk of all the points, and JAX's
   ``jit(vmap(value_and_grad))`` when JAX is installed in this environment.
2. End to end, CSV file to CSV file, 1e6 rows of the neuron's five inputs:
   ``backprop eval -f samples/sigmoid.bp --at points.csv > out.csv`` (a whole process)
   against NumPy's own ``loadtxt`` + ``savetxt`` round trip of the same data. Goal: at
   least 2x faster than that round trip; every float written reads back as the same double.
   Measured with NumPy's parser and, when pyarrow (the extra ``fast``) is installed, with
   pyarrow's.
3. Peak memory (the process's maximum resident set) for 1e7 rows. Goal: under 500 MB.
4. Arrays: a 2-16-16-1 MLP (tanh, squared error; 337 parameters written as matrix
   literals in the program text) over 1,000 rows of x[0], x[1], y, in process, against
   hand-written NumPy in the same run. Two ways: every row's value and gradient of every
   input (``eval --at``: per-row gradients of the shared weights too, 677 columns a row),
   and the loss summed over the rows with the weights' summed gradients (training,
   ``batch_arrays.loss_over_rows``). Goal: at most 2x NumPy.

Run: python bench/batch.py [--rows 1000000] [--big-rows 10000000] [--arrays-only]
"""

from __future__ import annotations

import argparse
import itertools
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


def jax_seconds(columns: dict[str, np.ndarray]) -> float | None:
    """Seconds for JAX's jit(vmap(value_and_grad)) of the neuron, or None without JAX."""
    try:
        import jax
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    def neuron(w0, x0, w1, x1, w2):
        return jax.nn.sigmoid(w0 * x0 + w1 * x1 + w2)

    batched = jax.jit(jax.vmap(jax.value_and_grad(neuron, argnums=(0, 1, 2, 3, 4))))
    args = [jnp.asarray(columns[name]) for name in NAMES]

    def run() -> None:
        value, grads = batched(*args)
        value.block_until_ready()
        for g in grads:
            g.block_until_ready()

    value, _ = batched(*args)  # compiles
    assert np.allclose(np.asarray(value), numpy_floor(columns)[0], rtol=1e-12)
    return best_of(7, run)


# Each compute measurement runs in a process of its own: how freed memory is kept is a
# process-wide setting (backprop's batch engine sets it; see backprop_cli/allocator.py),
# and it changes the floor's time too.
COMPUTE_PARTS = {
    "floor": "NumPy by hand, whole arrays (floor)",
    "floor-kept": "the same, freed memory kept as backprop keeps it",
    "floor-chunked": "NumPy by hand, 65,536-row chunks, memory kept",
    "ours": "backprop, 65,536-row chunks (as eval --at)",
    "ours-one-chunk": "backprop, one chunk of all the points",
    "jax": "JAX jit(vmap(value_and_grad))",
}


def compute_part(part: str, rows: int) -> float | None:
    """Seconds for one way of computing the neuron's value and gradients at ``rows`` points."""
    from backprop_cli.allocator import keep_freed_memory
    from backprop_cli.api import bind_inputs, parse_program
    from backprop_cli.batch import evaluate_chunks
    from backprop_cli.points import CHUNK_ROWS, Chunk

    graph = parse_program((ROOT / "samples/sigmoid.bp").read_text())
    rng = np.random.default_rng(0)
    columns = {name: rng.standard_normal(rows) for name in NAMES}
    fixed = bind_inputs(graph, {})
    slices = [{n: c[k:k + CHUNK_ROWS] for n, c in columns.items()}
              for k in range(0, rows, CHUNK_ROWS)]

    def ours(parts: list[dict[str, np.ndarray]]) -> None:
        chunks = (Chunk(1 + k * CHUNK_ROWS, part, len(part["w0"]))
                  for k, part in enumerate(parts))
        for _ in evaluate_chunks(graph, fixed, chunks):
            pass  # each chunk dropped once used, as when its rows are written

    def floor_chunked() -> None:
        for part in slices:
            numpy_floor(part)

    if part == "jax":
        return jax_seconds(columns)
    if part != "floor":  # as eval --at does, before its first chunk
        keep_freed_memory()
    if part.startswith("ours"):
        (result,) = evaluate_chunks(graph, fixed, [Chunk(1, columns, rows)])
        expected = numpy_floor(columns)
        assert np.allclose(result.value, expected[0], rtol=1e-12)
        assert np.allclose(result.grads[0], expected[1], rtol=1e-9)
    run = {"floor": lambda: numpy_floor(columns), "floor-kept": lambda: numpy_floor(columns),
           "floor-chunked": floor_chunked, "ours": lambda: ours(slices),
           "ours-one-chunk": lambda: ours([columns])}[part]
    return best_of(9, run)


def compute(rows: int) -> None:
    seconds = {}
    for part in COMPUTE_PARTS:
        done = subprocess.run([sys.executable, __file__, "--compute-part", part,
                               "--rows", str(rows)], capture_output=True, text=True, check=True)
        answer = done.stdout.strip()
        seconds[part] = None if answer == "None" else float(answer)
    floor = seconds["floor"]
    print(f"compute only, sigmoid neuron, {rows:,} points (value and 5 gradients), "
          "each in a process of its own")
    for part, label in COMPUTE_PARTS.items():
        t = seconds[part]
        if t is None:
            print(f"  {label:50s} not installed here")
            continue
        note = "   (goal: at most 1.5x)" if part == "ours" else ""
        print(f"  {label:50s} {t:7.4f} s   {t / floor:5.2f}x the floor{note}")
    print(f"  backprop against the same chunks by hand: "
          f"{seconds['ours'] / seconds['floor-chunked']:.2f}x")


def write_points(path: Path, rows: int) -> None:
    rng = np.random.default_rng(1)
    with path.open("w") as handle:
        handle.write(",".join(NAMES) + "\n")
        step = 100_000
        for k in range(0, rows, step):
            block = rng.standard_normal((min(step, rows - k), len(NAMES)))
            handle.write("\n".join(",".join(map(repr, row)) for row in block.tolist()))
            handle.write("\n")


def backprop_command(parser: str) -> list[str]:
    """The whole ``backprop`` process; ``numpy`` hides pyarrow from it."""
    if parser == "numpy":
        return [sys.executable, "-c",
                "import sys; sys.modules['pyarrow'] = None\n"
                "from backprop_cli._entry import run; sys.argv[0] = 'backprop'; run()"]
    script = Path(sys.executable).with_name("backprop")
    return [str(script)] if script.exists() else [sys.executable, "-m", "backprop_cli"]


def has_pyarrow() -> bool:
    try:
        import pyarrow.csv  # noqa: F401
    except ImportError:
        return False
    return True


def end_to_end(rows: int, workdir: Path) -> None:
    points = workdir / "points.csv"
    write_points(points, rows)
    out = workdir / "out.csv"
    parsers = ["numpy", "pyarrow"] if has_pyarrow() else ["numpy"]

    def ours(parser: str) -> float:
        def run() -> None:
            with out.open("wb") as handle:
                subprocess.run([*backprop_command(parser), "eval", "-f",
                                str(ROOT / "samples/sigmoid.bp"), "--at", str(points)],
                               stdout=handle, check=True)
        seconds = best_of(3, run)
        back = np.loadtxt(out, delimiter=",", skiprows=1, max_rows=50_000)
        given = np.loadtxt(points, delimiter=",", skiprows=1, max_rows=50_000)
        assert (back[:, :5] == given).all(), "inputs did not read back as the same doubles"
        return seconds

    def numpy_round_trip() -> None:
        data = np.loadtxt(points, delimiter=",", skiprows=1)
        np.savetxt(workdir / "numpy.csv", data, delimiter=",", fmt="%r")

    t_numpy = best_of(1, numpy_round_trip)
    times = {parser: ours(parser) for parser in parsers}
    size = out.stat().st_size
    print(f"\nend to end, CSV to CSV, {rows:,} rows ({points.stat().st_size / 1e6:.0f} MB in, "
          f"{size / 1e6:.0f} MB out)")
    print(f"  {'numpy loadtxt + savetxt':34s} {t_numpy:7.2f} s   {rows / t_numpy:10,.0f} rows/s")
    for parser, seconds in times.items():
        label = f"backprop eval --at ({parser} parser)"
        print(f"  {label:34s} {seconds:7.2f} s   {rows / seconds:10,.0f} rows/s   "
              f"{t_numpy / seconds:5.2f}x faster   (goal: at least 2x)")
    if not has_pyarrow():
        print("  (pyarrow, the extra 'fast', is not installed here)")


def peak_memory(rows: int, workdir: Path) -> None:
    points = workdir / "big.csv"
    write_points(points, rows)
    print(f"\npeak memory, {rows:,} rows ({points.stat().st_size / 1e6:.0f} MB in)   "
          "(goal: under 500 MB)")
    for parser in ["numpy", "pyarrow"] if has_pyarrow() else ["numpy"]:
        hide = "sys.modules['pyarrow'] = None\n" if parser == "numpy" else ""
        code = (
            f"import sys\n{hide}"
            "from backprop_cli.cli.app import main\n"
            f"code = main(['eval', '-f', {str(ROOT / 'samples/sigmoid.bp')!r}, "
            f"'--at', {str(points)!r}])\n"
            # VmHWM is this process image's own peak; ru_maxrss would also count the
            # benchmark's memory, copied at fork
            "peak = [line for line in open('/proc/self/status') if line.startswith('VmHWM')]\n"
            "sys.stderr.write(peak[0].split()[1])\n"
        )
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-c", code], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, check=True)
        seconds = time.perf_counter() - start
        peak_mb = int(done.stderr.decode().strip().splitlines()[-1]) / 1024
        print(f"  {parser:8s} {peak_mb:5.0f} MB resident at most, {seconds:5.1f} s, "
              f"{rows / seconds:12,.0f} rows/s")
    points.unlink()


# -- 4. arrays: a 2-16-16-1 MLP over rows ---------------------------------------------------

MLP_SIZES = (2, 16, 16, 1)


def mlp_weights(seed: int = 0) -> list[tuple[np.ndarray, np.ndarray]]:
    rng = np.random.default_rng(seed)
    return [(rng.standard_normal((m, n)) / np.sqrt(n), rng.standard_normal(m) * 0.1)
            for n, m in itertools.pairwise(MLP_SIZES)]


def mlp_program(weights: list[tuple[np.ndarray, np.ndarray]]) -> str:
    """The program text: weights as literals, the loss of one row (x, y)."""
    lines = []
    for k, (w, b) in enumerate(weights, 1):
        lines.append(f"W{k} = {w.tolist()!r}")
        lines.append(f"b{k} = {b.tolist()!r}")
    lines += ["x = [0, 0]; y = 0", "h1 = tanh(W1 @ x + b1)", "h2 = tanh(W2 @ h1 + b2)",
              "o = (W3 @ h2 + b3)[0]", "(o - y)^2"]
    return "\n".join(lines) + "\n"


def mlp_numpy(weights: list, x: np.ndarray, y: np.ndarray, per_row: bool) -> tuple:
    """The loss and gradients by hand, rows first: per row (x's too), or summed."""
    (w1, b1), (w2, b2), (w3, b3) = weights
    a1 = x @ w1.T + b1
    h1 = np.tanh(a1)
    h2 = np.tanh(h1 @ w2.T + b2)
    o = (h2 @ w3.T + b3)[:, 0]
    r = o - y
    loss = r * r
    g_o = 2 * r[:, None]  # rows x 1
    g_h2 = g_o @ w3
    g_a2 = g_h2 * (1 - h2 * h2)
    g_h1 = g_a2 @ w2
    g_a1 = g_h1 * (1 - h1 * h1)
    if per_row:
        return (loss, np.einsum("ri,rj->rij", g_a1, x), g_a1, np.einsum("ri,rj->rij", g_a2, h1),
                g_a2, np.einsum("ri,rj->rij", g_o, h2), g_o, g_a1 @ w1, -g_o[:, 0])
    return (loss.sum(), g_a1.T @ x, g_a1.sum(0), g_a2.T @ h1, g_a2.sum(0), g_o.T @ h2,
            g_o.sum(0))


def arrays(rows: int = 1000) -> None:
    from backprop_cli.api import parse_program
    from backprop_cli.batch_arrays import (
        evaluate_array_chunks,
        loss_over_rows,
        plan_array_columns,
        row_values,
    )
    from backprop_cli.points import Chunk

    weights = mlp_weights()
    text = mlp_program(weights)
    rng = np.random.default_rng(1)
    x, y = rng.standard_normal((rows, 2)), rng.standard_normal(rows)
    columns = {"x[0]": x[:, 0], "x[1]": x[:, 1], "y": y}
    graph = parse_program(text)
    plan = plan_array_columns(graph, {}, list(columns), "rows")
    params = [graph.names[f"{kind}{k}"] for k in (1, 2, 3) for kind in "Wb"]

    def eval_at() -> list:
        return list(evaluate_array_chunks(plan.graph, plan.fixed, [Chunk(1, columns, rows)]))

    def training() -> object:
        leaves = row_values(graph, plan.fixed, columns, rows)
        return loss_over_rows(graph, leaves, params, rows)

    # the same numbers first
    (got,) = eval_at()
    want = mlp_numpy(weights, x, y, per_row=True)
    assert np.allclose(got.value, want[0], rtol=1e-12)
    d_w2 = np.column_stack(got.grads[32 + 16:32 + 16 + 256])  # W1 (32), b1 (16), then W2
    assert np.allclose(d_w2, want[3].reshape(rows, -1), rtol=1e-10, atol=1e-14)
    summed = training()
    want_sum = mlp_numpy(weights, x, y, per_row=False)
    assert np.isclose(summed.loss, want_sum[0], rtol=1e-12)  # type: ignore[attr-defined]
    assert np.allclose(summed.grads[2], want_sum[3], rtol=1e-10)  # type: ignore[attr-defined]

    t_parse = best_of(5, lambda: parse_program(text))
    t_eval = best_of(20, eval_at)
    t_eval_np = best_of(20, lambda: mlp_numpy(weights, x, y, per_row=True))
    t_train = best_of(20, training)
    t_train_np = best_of(20, lambda: mlp_numpy(weights, x, y, per_row=False))
    print(f"\narrays: a 2-16-16-1 MLP over {rows:,} rows, forward and backward, in process")
    print(f"  parse the program text (337 parameters as literals)   {t_parse * 1e3:7.2f} ms")
    for label, ours, floor in [
            ("every row's gradients (eval --at, 677 columns)", t_eval, t_eval_np),
            ("summed over rows (training, loss_over_rows)", t_train, t_train_np)]:
        print(f"  {label:48s} backprop {ours * 1e3:7.2f} ms   NumPy {floor * 1e3:7.2f} ms   "
              f"{ours / floor:5.2f}x   (goal: at most 2x)")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--big-rows", type=int, default=10_000_000)
    parser.add_argument("--compute-part", choices=COMPUTE_PARTS, help=argparse.SUPPRESS)
    parser.add_argument("--arrays-only", action="store_true", help="only part 4")
    args = parser.parse_args()
    if args.compute_part:
        print(compute_part(args.compute_part, args.rows))
        return
    if args.arrays_only:
        arrays()
        return
    compute(args.rows)
    with tempfile.TemporaryDirectory() as tmp:
        end_to_end(args.rows, Path(tmp))
        if args.big_rows:
            peak_memory(args.big_rows, Path(tmp))
    arrays()


if __name__ == "__main__":
    main()
