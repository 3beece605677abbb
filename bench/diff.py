"""Symbolic differentiation at size: `backprop diff --program` on 1e3 and 1e4-node programs.

Reports the seconds to build the symbolic gradient and to print the straight-line
program, and the program's size (statements, characters) against the input's: the
goal is that a 10,000-node program differentiates in seconds and that the output grows
linearly with the program.

Run: python bench/diff.py
"""

from __future__ import annotations

import random
import time

from backprop_cli.api import parse_program
from backprop_cli.core.names import choose_inputs
from backprop_cli.diff import symbolic_gradient
from backprop_cli.render.formula import to_program


def make_program(statements: int, seed: int = 7) -> str:
    """A chain with fan-out: each temporary reads the last one, an older one and a weight."""
    rng = random.Random(seed)
    lines = ["t0 = x"]
    for i in range(1, statements):
        older = rng.randrange(0, i)
        fn = rng.choice(["tanh", "sin", "sigmoid"])
        lines.append(f"t{i} = {fn}(t{i - 1} * w{i % 9} + t{older} * 0.5)")
    return "\n".join(lines)


def main() -> None:
    print(f"{'nodes':>8} {'inputs':>6} {'symbolic s':>11} {'print s':>8} "
          f"{'statements':>10} {'out chars':>10} {'in chars':>9} {'out/in':>7}")
    for statements in (250, 2_500):
        text = make_program(statements)
        graph = parse_program(text)
        names = choose_inputs(graph, None)
        start = time.perf_counter()
        gradient = symbolic_gradient(graph, names)
        built = time.perf_counter()
        program = to_program(list(gradient.derivatives.values()),
                             [f"d_{n}" for n in names], set(graph.names))
        printed = time.perf_counter()
        chars = sum(len(name) + 3 + len(formula) + 1 for name, formula in program)
        print(f"{len(graph.nodes):>8,} {len(names):>6} {built - start:>11.3f} "
              f"{printed - built:>8.3f} {len(program):>10,} {chars:>10,} {len(text):>9,} "
              f"{chars / len(text):>7.2f}")


if __name__ == "__main__":
    main()
