"""The training loop's cost per step, against one forward plus one backward pass and micrograd.

1. The sigmoid neuron (samples/sigmoid.bp, every input moving): 10,000 steps of plain
   gradient descent; goal: under a second, and a step costs no more than one forward plus
   one backward pass over the same graph (measured separately in the same run).
2. The least-squares fit (samples/linefit.bp, w and b moving) against micrograd doing the
   same loop: micrograd (karpathy/micrograd on PyPI) rebuilds its graph of Value objects
   every step, as its README's training loop does. micrograd has no exp, so the sigmoid
   neuron cannot be written in it; the fit uses only + * and squares.

micrograd is not a dependency: install it beside the benchmark,
    /tmp/bench-venv/bin/pip install micrograd
Run: python bench/descend.py
"""

from __future__ import annotations

from pathlib import Path

from timing import best_of

from backprop_cli.api import bind_inputs, parse_program
from backprop_cli.core.engine import backward, forward
from backprop_cli.descend import Settings, descend

ROOT = Path(__file__).resolve().parent.parent




def neuron() -> None:
    graph = parse_program((ROOT / "samples/sigmoid.bp").read_text(), inline_functions=True)
    point = bind_inputs(graph, {})
    moving = list(graph.inputs)
    steps = 10_000
    settings = Settings(lr=0.01, steps=steps, tol=0.0)
    loop = best_of(5, lambda: descend(graph, point, moving, settings))
    passes = best_of(5, lambda: [backward(graph, forward(graph, point))
                                 for _ in range(steps + 1)])
    print("sigmoid neuron, 10,000 steps of sgd (every input moving)")
    print(f"  whole loop          {loop:8.3f} s   {loop / (steps + 1) * 1e6:7.2f} us/step")
    print(f"  forward + backward  {passes:8.3f} s   {passes / (steps + 1) * 1e6:7.2f} us/step")
    print(f"  loop / passes       {loop / passes:8.2f}x   (goal: the loop under 1 s)")


DATA = [(0, 1), (1, 2.9), (2, 5.1), (3, 7), (4, 9)]


def micrograd_fit(steps: int, lr: float) -> tuple[float, float]:
    from micrograd.engine import Value

    w, b = 0.0, 0.0
    for _ in range(steps):
        wv, bv = Value(w), Value(b)
        loss = sum(((wv * x + bv - y) ** 2 for x, y in DATA), Value(0.0)) * (1 / len(DATA))
        loss.backward()
        w -= lr * wv.grad
        b -= lr * bv.grad
    return w, b


def fit() -> None:
    # as `backprop descend` does: user functions copied in at their calls
    graph = parse_program((ROOT / "samples/linefit.bp").read_text(), inline_functions=True)
    point = bind_inputs(graph, {})
    moving = [graph.names["w"], graph.names["b"]]
    steps, lr = 2_000, 0.05
    settings = Settings(lr=lr, steps=steps, tol=0.0)
    ours = best_of(5, lambda: descend(graph, point, moving, settings))
    outcome = descend(graph, point, moving, settings)
    print(f"\nleast-squares fit, {steps:,} steps of sgd (lr {lr}), w and b moving")
    print(f"  backprop    {ours:8.3f} s   {ours / steps * 1e6:7.2f} us/step   "
          f"w={outcome.final[0]:.6f} b={outcome.final[1]:.6f}")
    try:
        import micrograd  # noqa: F401
    except ImportError:
        print("  micrograd   not installed (pip install micrograd in the benchmark's venv)")
        return
    theirs = best_of(5, lambda: micrograd_fit(steps, lr))
    w, b = micrograd_fit(steps, lr)
    print(f"  micrograd   {theirs:8.3f} s   {theirs / steps * 1e6:7.2f} us/step   "
          f"w={w:.6f} b={b:.6f}")
    print(f"  micrograd / backprop: {theirs / ours:.2f}x")
    assert abs(w - outcome.final[0]) < 1e-9 and abs(b - outcome.final[1]) < 1e-9


if __name__ == "__main__":
    neuron()
    fit()
