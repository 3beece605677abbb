"""Array programs, text to gradients in process, against hand-written NumPy.

Two cases, each timed as ``backprop_cli.evaluate`` (parse, build with shapes, forward and
backward passes) beside the same maths written by hand in NumPy, measured in the same
run (best of ``--runs``):

- ``quadratic``: the gradient of ``x @ A @ x`` at n = 1,000 (NumPy floor:
  ``(A + A.T) @ x``, plus the value);
- ``mlp``: a 2-16-16-1 MLP with relu over 1,000 rows given as a 1000x2 matrix, the mean
  squared error, every parameter's gradient (NumPy floor: the forward and backward
  passes written out).

    python bench/arrays.py [--runs 20] [--n 1000] [--rows 1000]
"""

from __future__ import annotations

import argparse

import numpy as np
from timing import best_of

from backprop_cli import evaluate

MLP = """
H1 = relu(X @ W1.T + b1)
H2 = relu(H1 @ W2.T + b2)
score = H2 @ w3 + b3
loss = mean((score - y)^2)
"""


def quadratic(n: int, runs: int) -> tuple[float, float]:
    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n))
    x = rng.standard_normal(n)
    result = evaluate("x @ A @ x", {"A": a, "x": x})
    assert np.allclose(result.gradient["x"], (a + a.T) @ x)
    ours = best_of(runs, lambda: evaluate("x @ A @ x", {"A": a, "x": x}))

    def by_hand() -> tuple[float, np.ndarray, np.ndarray]:
        ax = a @ x
        return float(x @ ax), ax + a.T @ x, np.outer(x, x)  # value, dx, dA

    floor = best_of(runs, by_hand)
    return ours, floor


def mlp(rows: int, runs: int) -> tuple[float, float]:
    rng = np.random.default_rng(1)
    values = {
        "X": rng.standard_normal((rows, 2)), "y": rng.standard_normal(rows),
        "W1": rng.standard_normal((16, 2)) * 0.5, "b1": np.zeros(16),
        "W2": rng.standard_normal((16, 16)) * 0.25, "b2": np.zeros(16),
        "w3": rng.standard_normal(16) * 0.25, "b3": 0.0,
    }
    X, y, W1, b1, W2, b2, w3, b3 = (values[k] for k in
                                    ("X", "y", "W1", "b1", "W2", "b2", "w3", "b3"))

    def by_hand() -> tuple[float, ...]:
        z1 = X @ W1.T + b1
        h1 = np.maximum(z1, 0.0)
        z2 = h1 @ W2.T + b2
        h2 = np.maximum(z2, 0.0)
        score = h2 @ w3 + b3
        err = score - y
        loss = float(np.mean(err * err))
        d_score = 2.0 * err / rows
        d_w3 = h2.T @ d_score
        d_b3 = float(d_score.sum())
        d_z2 = np.outer(d_score, w3) * (z2 > 0)
        d_W2 = d_z2.T @ h1
        d_b2 = d_z2.sum(axis=0)
        d_z1 = (d_z2 @ W2) * (z1 > 0)
        d_W1 = d_z1.T @ X
        d_b1 = d_z1.sum(axis=0)
        return loss, d_W1, d_b1, d_W2, d_b2, d_w3, d_b3

    loss, d_W1, _, d_W2, _, d_w3, _ = by_hand()
    result = evaluate(MLP, values)
    assert np.isclose(result.value, loss)
    for name, expected in (("W1", d_W1), ("W2", d_W2), ("w3", d_w3)):
        assert np.allclose(result.gradient[name], expected), name
    ours = best_of(runs, lambda: evaluate(MLP, values))
    floor = best_of(runs, by_hand)
    return ours, floor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--rows", type=int, default=1000)
    args = parser.parse_args()
    print(f"{'case':<28}{'backprop':>12}{'NumPy':>12}{'ratio':>8}")
    for label, (ours, floor) in (
        (f"x @ A @ x, n = {args.n}", quadratic(args.n, args.runs)),
        (f"MLP 2-16-16-1, {args.rows} rows", mlp(args.rows, args.runs)),
    ):
        print(f"{label:<28}{ours * 1e3:>10.3f}ms{floor * 1e3:>10.3f}ms{ours / floor:>7.2f}x")


if __name__ == "__main__":
    main()
