"""In-process cost per node of each phase, on random programs of 1e3 to 1e6 nodes.

A seeded generator writes program TEXT: statements ``tK = tanh(...)`` or ``tK = sin(...)``
over a handful of inputs and earlier temporaries (so nodes have fan-out), mixing
``+ - * /`` with sin, cos, tanh, exp and negation; every temporary is bounded, a division
is by ``2 + sin(...)`` and an exponential is of a sine, so values and gradients stay finite.
The last statement adds up every temporary no later statement reads, so the output depends
on every node.

Phases, timed separately (median of several runs; the node count is ``len(graph.nodes)``):

    parse+build  backprop_cli.parse_program(text)
    forward      backprop_cli.core.engine.forward(graph, bound)
    backward     backprop_cli.core.engine.backward(graph, values)
    end to end   backprop_cli.evaluate(text, values): text to gradients, finiteness checks
                 included

Goals: cost linear in size, and at most 10 µs per node end to end at 1e5 nodes.

    python bench/size.py              # 1e3, 1e4, 1e5 and 1e6 nodes
    python bench/size.py --max 1e5    # skip 1e6
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from backprop_cli import bind_inputs, evaluate, parse_program
from backprop_cli.core.engine import backward, forward
from backprop_cli.language.builder import DEFAULT_MAX_NODES

INPUTS = ("x", "y", "z", "u", "v")
VALUES = {"x": 0.3, "y": -1.2, "z": 0.7, "u": 2.0, "v": -0.4}
SIZES = (1_000, 10_000, 100_000, 1_000_000)
GOAL_US_PER_NODE = 10.0
GOAL_AT = 100_000
LINEAR_SLACK = 1.5  # µs per node may grow this much from the smallest size to the largest


class ProgramWriter:
    """Writes a random program of about ``target`` nodes; ``nodes`` counts as it goes."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.temps: list[str] = []
        self.unread: dict[str, None] = {}  # temporaries no statement has read yet, in order
        self.inputs_seen: set[str] = set()
        self.nodes = 0

    def leaf(self) -> str:
        r = self.rng.random()
        if r < 0.12:
            self.nodes += 1
            return f"{self.rng.uniform(0.1, 2.0):.3g}"
        if r < 0.35 or not self.temps:
            name = self.rng.choice(INPUTS)
            if name not in self.inputs_seen:
                self.inputs_seen.add(name)
                self.nodes += 1
            return name
        name = self.rng.choice(self.temps)
        self.unread.pop(name, None)
        return name

    def expr(self, depth: int) -> str:
        rng = self.rng
        if depth == 0 or rng.random() < 0.25:
            return self.leaf()
        kind = rng.random()
        if kind < 0.55:
            op = rng.choice("+-*")
            self.nodes += 1
            return f"({self.expr(depth - 1)} {op} {self.expr(depth - 1)})"
        if kind < 0.65:  # a / (2 + sin(b)): the divisor is in [1, 3]
            self.nodes += 4
            return f"({self.expr(depth - 1)} / (2 + sin({self.expr(depth - 1)})))"
        if kind < 0.72:  # exp(sin(a)) is in [1/e, e]
            self.nodes += 2
            return f"exp(sin({self.expr(depth - 1)}))"
        if kind < 0.80:
            self.nodes += 1
            return f"-{self.expr(depth - 1)}"
        self.nodes += 1
        return f"{rng.choice(('sin', 'cos', 'tanh'))}({self.expr(depth - 1)})"

    def statement(self) -> str:
        squash = self.rng.choice(("tanh", "sin"))  # every temporary is in [-1, 1]
        self.nodes += 1
        body = self.expr(self.rng.randint(2, 4))
        name = f"t{len(self.temps)}"
        self.temps.append(name)
        self.unread[name] = None
        return f"{name} = {squash}({body})"

    def program(self, target: int) -> str:
        lines: list[str] = []
        # Stop early enough that the last statement (one add per unread temporary) fits.
        while self.nodes + len(self.unread) < target:
            lines.append(self.statement())
        unread = list(self.unread)
        self.nodes += len(unread) - 1
        lines.append("out = " + " + ".join(unread))
        return "\n".join(lines) + "\n"


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    """Median seconds of ``repeat`` calls, and the last call's result."""
    times: list[float] = []
    result: Any = None
    for _ in range(repeat):
        result = None
        gc.collect()
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def default_repeat(size: int) -> int:
    return max(3, min(7, 300_000 // size))


def phases(text: str, repeat: int) -> tuple[int, float, float, float]:
    """Node count and the seconds of parse+build, forward and backward."""
    t_parse, graph = timed(lambda: parse_program(text), repeat)
    bound = bind_inputs(graph, VALUES)
    t_forward, values = timed(lambda: forward(graph, bound), repeat)
    t_backward, _grads = timed(lambda: backward(graph, values), repeat)
    return len(graph.nodes), t_parse, t_forward, t_backward


def chain_passes(size: int, repeat: int) -> tuple[int, float, float]:
    """Control: forward and backward over ``x + 1 + 1 + ...``, whose nodes read only
    their neighbours, so memory is read in order."""
    graph = parse_program("x" + " + 1" * (size // 2))
    bound = bind_inputs(graph, {"x": VALUES["x"]})
    t_forward, values = timed(lambda: forward(graph, bound), repeat)
    t_backward, _grads = timed(lambda: backward(graph, values), repeat)
    return len(graph.nodes), t_forward, t_backward


def measure(size: int, seed: int, repeat: int) -> dict[str, float]:
    writer = ProgramWriter(seed)
    text = writer.program(size)
    nodes, t_parse, t_forward, t_backward = phases(text, repeat)
    t_total, result = timed(lambda: evaluate(text, VALUES), repeat)
    assert len(result.graph.nodes) == nodes
    value = result.value
    del result
    chain_nodes, chain_forward, chain_backward = chain_passes(size, repeat)
    return {
        "chain nodes": chain_nodes,
        "chain forward": chain_forward,
        "chain backward": chain_backward,
        "target": size,
        "nodes": nodes,
        "statements": len(writer.temps) + 1,
        "bytes": len(text),
        "repeat": repeat,
        "parse": t_parse,
        "forward": t_forward,
        "backward": t_backward,
        "total": t_total,
        "value": value,
    }


PHASES = (("parse", "parse+build"), ("forward", "forward"), ("backward", "backward"),
          ("total", "end to end"))


def parse_size(text: str) -> int:
    return int(float(text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max", type=parse_size, default=SIZES[-1],
                        help="largest size to run, e.g. 1e5 (default 1e6)")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--repeat", type=int, default=0,
                        help="runs of each phase (default: 7 up to 1e4 nodes, 3 above)")
    args = parser.parse_args()
    sizes = [s for s in SIZES if s <= args.max]
    if not sizes:
        parser.error(f"--max must be at least {SIZES[0]:g}")
    if sizes[-1] > DEFAULT_MAX_NODES:
        parser.error(f"the default node limit is {DEFAULT_MAX_NODES:,}")

    print(f"Python {platform.python_version()} on {platform.machine()}, "
          f"{os.cpu_count()} cores; seed {args.seed}; median of the runs shown")
    print()
    header = (f"{'nodes':>9} {'stmts':>7} {'text MB':>7} {'runs':>4} "
              + " ".join(f"{label:>11}" for _, label in PHASES))
    print(f"{'':>31}{'µs per node':^48}")
    print(header)
    print("-" * len(header))
    rows = []
    for size in sizes:
        row = measure(size, args.seed, args.repeat or default_repeat(size))
        rows.append(row)
        n = row["nodes"]
        cells = " ".join(f"{row[key] / n * 1e6:>11.2f}" for key, _ in PHASES)
        print(f"{n:>9,} {row['statements']:>7,} {row['bytes'] / 1e6:>7.2f} {row['repeat']:>4} "
              f"{cells}", flush=True)

    print()
    print("seconds per phase:")
    for row in rows:
        cells = "  ".join(f"{label} {row[key]:.3f}" for key, label in PHASES)
        print(f"  {row['nodes']:>9,} nodes: {cells}")

    print()
    print("control: forward and backward over a chain x + 1 + 1 + ... (memory read in order)")
    print(f"  {'nodes':>9} {'forward':>11} {'backward':>11}  µs per node")
    for row in rows:
        n = row["chain nodes"]
        print(f"  {n:>9,} {row['chain forward'] / n * 1e6:>11.2f} "
              f"{row['chain backward'] / n * 1e6:>11.2f}")

    print()
    print("goals:")
    first, last = rows[0], rows[-1]

    def growth(key: str, nodes: str = "nodes") -> float:
        return (last[key] / last[nodes]) / (first[key] / first[nodes])

    if len(rows) > 1:
        g = growth("total")
        verdict = "yes" if g <= LINEAR_SLACK else "NO"
        print(f"  cost linear in size: end-to-end µs/node x{g:.2f} from {first['nodes']:,} to "
              f"{last['nodes']:,} nodes (goal: at most x{LINEAR_SLACK}): {verdict}")
    else:
        print("  cost linear in size: needs two sizes or more")
    at_goal = [row for row in rows if row["target"] == GOAL_AT]
    if at_goal:
        us = at_goal[0]["total"] / at_goal[0]["nodes"] * 1e6
        verdict = "yes" if us <= GOAL_US_PER_NODE else "NO"
        print(f"  end to end at {GOAL_AT:,} nodes: {us:.2f} µs/node "
              f"(goal: at most {GOAL_US_PER_NODE:g}): {verdict}")
    else:
        print(f"  end to end at {GOAL_AT:,} nodes: not run (--max below it)")
    if len(rows) > 1:
        phases_text = ", ".join(f"{label} x{growth(key):.2f}" for key, label in PHASES)
        print(f"growth of µs/node per phase, {first['nodes']:,} to {last['nodes']:,} nodes: "
              f"{phases_text}; chain control: forward "
              f"x{growth('chain forward', 'chain nodes'):.2f}, backward "
              f"x{growth('chain backward', 'chain nodes'):.2f}")


if __name__ == "__main__":
    sys.exit(main())
