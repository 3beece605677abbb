"""Training on data and the scalar loop, whole process and in process, against NumPy and PyTorch.

1. The scalar loop of ``descend`` on ``(x-3)^2+(y+1)^2+0.5*x*y`` (10,000 steps, lr 0.01,
   ``--tol 0``): the whole command minus the same command with ``--steps 0`` (start-up,
   parsing, the output), per step. Goal: at most 5.7 us a step. With ``--before DIR``
   (a checkout of an earlier commit, run with this interpreter), the same for it, in
   the same run.
2. A logistic regression with scalar parameters ``w0..w9, b`` on 100,000 rows x 10
   features (made here, seeded), 5 epochs of minibatches of 256: the whole
   ``descend --data`` command (goal: under 5 s), against the same loop written by hand
   in NumPy and in PyTorch (CPU), same data, same batch order, same steps.

PyTorch is not a dependency: ``pip install torch==2.13.0`` beside the benchmark.
Run: python bench/train.py [--python PATH] [--before DIR] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from timing import backprop_beside

BOWL = "(x-3)^2+(y+1)^2+0.5*x*y"
ROWS, FEATURES, EPOCHS, BATCH, LR = 100_000, 10, 5, 256, 0.1


def timed(command: list[str], env: dict | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    return time.perf_counter() - start


def best(runs: int, command: list[str], env: dict | None = None) -> float:
    return min(timed(command, env) for _ in range(runs))


def scalar_loop(command: list[str], runs: int, env: dict | None = None) -> tuple[float, float]:
    args = ["descend", BOWL, "x=0", "y=0", "--lr", "0.01", "--tol", "0", "-F", "json"]
    whole = best(runs, [*command, *args, "--steps", "10000"], env)
    start = best(runs, [*command, *args, "--steps", "0"], env)
    return whole, (whole - start) / 10_000


def logistic_data(folder: Path) -> tuple[Path, Path, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(42)
    x = rng.normal(size=(ROWS, FEATURES))
    w = rng.normal(size=FEATURES)
    y = np.where(x @ w + 0.3 + rng.normal(scale=0.5, size=ROWS) > 0, 1.0, -1.0)
    data = folder / "logistic.csv"
    names = [f"x{k}" for k in range(FEATURES)]
    np.savetxt(data, np.column_stack([x, y]), delimiter=",", fmt="%.17g",
               header=",".join([*names, "y"]), comments="")
    program = folder / "logistic.bp"
    terms = " + ".join(f"w{k}*x{k}" for k in range(FEATURES))
    program.write_text("".join(f"w{k} = 0\n" for k in range(FEATURES)) + "b = 0\n"
                       f"score = {terms} + b\nacc = step(y * score)\n"
                       "loss = softplus(-y * score)\n")
    return data, program, x, y


def batches(seed: int = 0):
    """The batch order of ``descend --data --seed 0``: a permutation per epoch."""
    rng = np.random.default_rng(seed)
    for _ in range(EPOCHS):
        order = rng.permutation(ROWS)
        for first in range(0, ROWS, BATCH):
            yield order[first:first + BATCH]


def numpy_loop(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    w = np.zeros(FEATURES)
    b = 0.0
    for k in batches():
        xb, yb = x[k], y[k]
        z = xb @ w + b
        d = -yb / (1.0 + np.exp(yb * z))  # d softplus(-y z) / d z
        w = w - LR * (xb.T @ d) / len(k)
        b = b - LR * float(np.mean(d))
    return np.r_[w, b]


def torch_loop(x: np.ndarray, y: np.ndarray, limit: int | None = None) -> np.ndarray:
    import torch

    torch.set_num_threads(1)
    xt, yt = torch.tensor(x), torch.tensor(y)
    w = torch.zeros(FEATURES, dtype=torch.float64, requires_grad=True)
    b = torch.zeros((), dtype=torch.float64, requires_grad=True)
    optimizer = torch.optim.SGD([w, b], lr=LR)
    for step, k in enumerate(batches()):
        if limit is not None and step >= limit:
            break
        index = torch.from_numpy(k)
        xb, yb = xt[index], yt[index]
        loss = torch.nn.functional.softplus(-yb * (xb @ w + b)).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return np.r_[w.detach().numpy(), b.detach().numpy()]


def in_process(program: Path, data_path: Path) -> float:
    """The training loop of ``descend --data`` alone, the data read before the clock."""
    from backprop_cli.api import parse_program
    from backprop_cli.batch import bind_columns
    from backprop_cli.descend import Settings
    from backprop_cli.train import Training, read_data, train

    graph = parse_program(program.read_text(), inline_functions=True)
    data = read_data(str(data_path), graph, None, 8 << 20)
    fixed = bind_columns(graph, {}, list(data.names), data.origin)
    moving = [graph.names[f"w{k}"] for k in range(FEATURES)] + [graph.names["b"]]
    start = time.perf_counter()
    train(graph, fixed, moving, data, Settings(lr=LR, tol=0.0),
          Training(batch_size=BATCH, epochs=EPOCHS))
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--before", metavar="DIR", help="a checkout to measure beside")
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()
    python, backprop = backprop_beside(options.python)

    print("1. scalar loop: descend on (x-3)^2+(y+1)^2+0.5*x*y, 10,000 steps of sgd")
    whole, per_step = scalar_loop([backprop], options.runs)
    print(f"   this tree   whole {whole:6.3f} s   per step (minus start-up) "
          f"{per_step * 1e6:6.2f} us   (goal 5.7 us)")
    if options.before:
        env = {**os.environ, "PYTHONPATH": options.before}
        whole_b, per_step_b = scalar_loop([python, "-m", "backprop_cli"], options.runs, env)
        print(f"   {options.before}   whole {whole_b:6.3f} s   per step {per_step_b * 1e6:6.2f} us"
              f"   ({per_step_b / per_step:.2f}x this tree's)")

    with tempfile.TemporaryDirectory() as folder:
        data, program, x, y = logistic_data(Path(folder))
        steps = EPOCHS * -(-ROWS // BATCH)
        print(f"\n2. logistic regression, {ROWS:,} rows x {FEATURES} features, {EPOCHS} epochs "
              f"of batch {BATCH} ({steps:,} steps, lr {LR})")
        command = [backprop, "descend", "-f", str(program), "--data", str(data), "--lr",
                   str(LR), "--epochs", str(EPOCHS), "--batch-size", str(BATCH), "--tol",
                   "0", "--metric", "acc", "-F", "json"]
        ours = min(timed(command) for _ in range(max(1, options.runs // 2)))
        result = subprocess.run(command, check=True, capture_output=True, text=True).stdout
        import json

        found = json.loads(result)
        learned = np.array([found["inputs"][f"w{k}"]["final"] for k in range(FEATURES)]
                           + [found["inputs"]["b"]["final"]])
        print(f"   backprop descend --data (whole command)  {ours:6.3f} s   (goal 5 s)  "
              f"accuracy {found['metrics']['acc']:.4f}")
        spent = in_process(program, data)
        print(f"   backprop train() in process (no reading)  {spent:6.3f} s   "
              f"{spent / steps * 1e6:6.1f} us/step")
        start = time.perf_counter()
        reference = numpy_loop(x, y)
        mine = time.perf_counter() - start
        print(f"   NumPy by hand (in process, no reading)    {mine:6.3f} s   "
              f"{mine / steps * 1e6:6.1f} us/step; parameters agree to "
              f"{float(np.max(np.abs(reference - learned))):.1e}")
        try:
            import torch  # noqa: F401 - imported before the clock starts
        except ImportError:
            print("   PyTorch: not installed (pip install torch==2.13.0 beside the benchmark)")
            return
        torch_loop(x, y, limit=20)  # its first calls set things up: not timed
        start = time.perf_counter()
        theirs = torch_loop(x, y)
        spent = time.perf_counter() - start
        print(f"   PyTorch (in process, no reading)          {spent:6.3f} s   "
              f"{spent / steps * 1e6:6.1f} us/step; parameters agree to "
              f"{float(np.max(np.abs(theirs - learned))):.1e}")


if __name__ == "__main__":
    main()
