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

3. micrograd's demo: the MLP 2-16-16-1 of ``samples/moons.bp`` on ``samples/moons.csv``,
   100 steps of full-batch SGD, the learning rate from 1.0 down to 0.1: the whole
   command (goal: under 1 s), the loop in process per step (goal: no slower than
   PyTorch, at most 3x the NumPy floor), against the same model, data, starting weights
   and steps written by hand in NumPy and in PyTorch (float64, one thread), and against
   micrograd's own demo loop (``--micrograd DIR``: a checkout of karpathy/micrograd; its
   own starting weights), each with its training accuracy.

PyTorch is not a dependency: ``pip install torch==2.13.0`` beside the benchmark.
Run: python bench/train.py [--python PATH] [--before DIR] [--runs N] [--micrograd DIR]
     [--only moons]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

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


# -- 3. the moons MLP ------------------------------------------------------------------------
SAMPLES = Path(__file__).resolve().parent.parent / "samples"
MOONS_STEPS = 100


def moons_lr(step: int) -> float:
    """--lr 1 --schedule linear --lr-end 0.1 over 100 steps (micrograd: 1 - 0.9 k/100)."""
    return 1.0 - 0.9 * step / MOONS_STEPS


def moons_start() -> tuple[list, np.ndarray, np.ndarray]:
    """The starting parameters of samples/moons.bp (seed 0), and the data as rows."""
    from backprop_cli.api import parse_program

    graph = parse_program((SAMPLES / "moons.bp").read_text())
    start = [np.array(graph.nodes[graph.names[n]].value, dtype=float)
             for n in ("W1", "b1", "W2", "b2", "w3", "b3")]
    data = np.loadtxt(SAMPLES / "moons.csv", delimiter=",", skiprows=1)
    return start, data[:, :2].T.copy(), data[:, 2].copy()


def moons_numpy(params: list, x: np.ndarray, y: np.ndarray) -> tuple[list, float, float]:
    """The loop by hand: forward, the backward pass written out, SGD."""
    p = [q.copy() for q in params]
    rows = len(y)
    loss = acc = 0.0
    for step in range(MOONS_STEPS + 1):
        w1, b1, w2, b2, w3, b3 = p
        z1 = w1 @ x + b1[:, None]
        h1 = np.maximum(z1, 0.0)
        z2 = w2 @ h1 + b2[:, None]
        h2 = np.maximum(z2, 0.0)
        score = w3 @ h2 + b3
        margin = 1.0 - y * score
        loss = float(np.maximum(margin, 0.0).mean()) + 1e-4 * sum(float(np.vdot(q, q))
                                                                    for q in p)
        acc = float(np.mean(y * score > 0))
        if step == MOONS_STEPS:
            break
        ds = np.where(margin > 0, -y, 0.0) / rows
        dh2 = np.outer(w3, ds) * (z2 > 0)
        dh1 = (w2.T @ dh2) * (z1 > 0)
        grads = [dh1 @ x.T, dh1.sum(1), dh2 @ h1.T, dh2.sum(1), h2 @ ds, ds.sum()]
        lr = moons_lr(step)
        p = [q - lr * (g + 2e-4 * q) for q, g in zip(p, grads)]
    return p, loss, acc


def moons_torch(params: list, x: np.ndarray, y: np.ndarray, steps: int = MOONS_STEPS
                ) -> tuple[float, float]:
    import torch

    torch.set_num_threads(1)
    p = [torch.tensor(q, requires_grad=True) for q in params]
    xt, yt = torch.tensor(x), torch.tensor(y)
    optimizer = torch.optim.SGD(p, lr=1.0)
    schedule = torch.optim.lr_scheduler.LinearLR(optimizer, 1.0, 0.1, total_iters=steps)

    def loss_of() -> tuple[torch.Tensor, torch.Tensor]:
        w1, b1, w2, b2, w3, b3 = p
        h1 = torch.relu(w1 @ xt + b1[:, None])
        h2 = torch.relu(w2 @ h1 + b2[:, None])
        score = w3 @ h2 + b3
        reg = 1e-4 * sum((q * q).sum() for q in p)
        return torch.relu(1 - yt * score).mean() + reg, score

    for _ in range(steps):
        loss, _ = loss_of()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
    with torch.no_grad():
        loss, score = loss_of()
    return float(loss), float((yt * score > 0).double().mean())


def moons_micrograd(folder: str, x: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """micrograd's demo.ipynb loop as written there (its MLP, its seed 1337, its loss)."""
    import random

    sys.path.insert(0, folder)
    from micrograd.engine import Value
    from micrograd.nn import MLP

    np.random.seed(1337)
    random.seed(1337)
    model = MLP(2, [16, 16, 1])
    xs, ys = x.T.tolist(), y.tolist()

    def loss_of() -> tuple[Value, float]:
        inputs = [list(map(Value, row)) for row in xs]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        accuracy = [(yi > 0) == (si.data > 0) for yi, si in zip(ys, scores)]
        return data_loss + reg_loss, sum(accuracy) / len(accuracy)

    start = time.perf_counter()
    for k in range(MOONS_STEPS):
        total, _ = loss_of()
        model.zero_grad()
        total.backward()
        lr = 1.0 - 0.9 * k / MOONS_STEPS
        for p in model.parameters():
            p.data -= lr * p.grad
    spent = time.perf_counter() - start
    total, acc = loss_of()
    return spent, total.data, acc


def moons_in_process() -> tuple[float, float, float]:
    """``train`` alone on the moons, the program parsed and the data read before."""
    from backprop_cli.api import parse_program
    from backprop_cli.batch import bind_columns
    from backprop_cli.descend import Settings
    from backprop_cli.train import Training, read_data, train

    graph = parse_program((SAMPLES / "moons.bp").read_text(), inline_functions=True)
    data = read_data(str(SAMPLES / "moons.csv"), graph, None, 8 << 20)
    fixed = bind_columns(graph, {}, list(data.names), data.origin)
    moving = [graph.names[n] for n in graph.input_names() if n not in data.names]
    settings = Settings(lr=1.0, steps=MOONS_STEPS, schedule="linear", lr_end=0.1, tol=0.0)
    start = time.perf_counter()
    outcome = train(graph, fixed, moving, data, settings, Training(metrics=("acc",)))
    spent = time.perf_counter() - start
    return spent, outcome.final_output, dict(outcome.metrics)["acc"]


def best_of(runs: int, work: Any) -> Any:
    results = [work() for _ in range(runs)]
    return min(results, key=lambda r: r[0])


def moons(backprop: str, runs: int, micrograd: str | None) -> None:
    steps = MOONS_STEPS
    print(f"\n3. micrograd's moons: MLP 2-16-16-1, 100 rows, {steps} steps of sgd, "
          "lr 1 -> 0.1")
    command = [backprop, "descend", "-f", str(SAMPLES / "moons.bp"), "--data",
               str(SAMPLES / "moons.csv"), "--steps", str(steps), "--lr", "1", "--schedule",
               "linear", "--lr-end", "0.1", "--metric", "acc", "-F", "json"]
    whole = best(runs, command)
    import json

    found = json.loads(subprocess.run(command, check=True, capture_output=True,
                                      text=True).stdout)
    print(f"   backprop descend --data (whole command)  {whole:6.3f} s   (goal 1 s)   "
          f"loss {found['value']:.6f}  accuracy {found['metrics']['acc']:.0%}")
    spent, loss, acc = best_of(runs, moons_in_process)
    print(f"   backprop train() in process               {spent / steps * 1e3:6.3f} ms/step"
          f"   loss {loss:.6f}  accuracy {acc:.0%}")
    start_params, x, y = moons_start()
    timings = []
    for _ in range(runs):
        t = time.perf_counter()
        _, np_loss, np_acc = moons_numpy(start_params, x, y)
        timings.append(time.perf_counter() - t)
    floor = min(timings) / steps
    print(f"   NumPy by hand (the floor)                 {floor * 1e3:6.3f} ms/step"
          f"   loss {np_loss:.6f}  accuracy {np_acc:.0%}   backprop: "
          f"{spent / steps / floor:.1f}x (goal 3x)")
    try:
        import torch  # noqa: F401 - imported before the clock starts
    except ImportError:
        print("   PyTorch: not installed (pip install torch==2.13.0 beside the benchmark)")
    else:
        moons_torch(start_params, x, y, steps=5)  # set-up calls: not timed
        timings = []
        for _ in range(runs):
            t = time.perf_counter()
            torch_loss, torch_acc = moons_torch(start_params, x, y)
            timings.append(time.perf_counter() - t)
        per = min(timings) / steps
        print(f"   PyTorch (float64, one thread)             {per * 1e3:6.3f} ms/step"
              f"   loss {torch_loss:.6f}  accuracy {torch_acc:.0%}   backprop: "
              f"{spent / steps / per:.2f}x")
    if micrograd:
        spent_m, loss_m, acc_m = moons_micrograd(micrograd, x, y)
        print(f"   micrograd demo loop (its own weights)     {spent_m / steps * 1e3:6.1f} "
              f"ms/step   loss {loss_m:.6f}  accuracy {acc_m:.0%}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--before", metavar="DIR", help="a checkout to measure beside")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--micrograd", metavar="DIR",
                        help="a checkout of karpathy/micrograd, to time its demo loop")
    parser.add_argument("--only", choices=["moons"], help="run only this part")
    options = parser.parse_args()
    python, backprop = backprop_beside(options.python)
    if options.only == "moons":
        moons(backprop, options.runs, options.micrograd)
        return

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
    moons(backprop, options.runs, options.micrograd)


if __name__ == "__main__":
    main()
