"""Whole-process cost per node of `backprop eval -F json` (every node printed) against `-F plain`.

Each program is written to a file and run as

    backprop eval -f PROGRAM BINDINGS -F json  > /dev/null
    backprop eval -f PROGRAM BINDINGS -F plain > /dev/null

(plain prints the output, its value and the input gradients, so the difference is the cost
of printing every node), alternating with the floor `python -c "import click"`, all in the
same run. A row gives the fastest of ``--runs`` runs of each (the least disturbed by other
work on the machine) and µs per node of the whole process: text to the last byte of JSON;
"difference" is json's µs per node less plain's, the cost of printing every node.

Shapes, about 1e5 nodes or 1e5 levels each:

    random   size.py's seeded random program (statements with fan-out, 98,656 nodes)
    sum      x*y + sin(x) + x*y + sin(x) + ...: one wide sum (100,001 nodes)
    sin      sin(sin(...sin(x)...)), depth.py's nested calls (100,001 nodes)
    plus     x + 1 + 1 + ... + 1, depth.py's flat chain (200,001 nodes)
    affine   ((x*1.0001 + 1)*1.0001 + 1)..., depth.py's nested parentheses (400,001 nodes)
    chain    a1 = sin(x) * 1.0001; a2 = sin(a1) * 1.0001; ...: 50,000 named statements
             (150,001 nodes)

Goal: at most 10 µs per node with ``-F json`` for every shape. ``backprop`` is the console
script next to PYTHON (``--python``, by default the interpreter running this script); as for
start-up, measure a regular install (see bench/README.md). Run from the project root:

    python bench/eval_json.py                 # every shape, about two minutes
    python bench/eval_json.py --shapes random,sin --runs 5
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from size import VALUES as RANDOM_VALUES
from size import ProgramWriter
from timing import backprop_beside, best_of, chosen_shapes

from backprop_cli.api import parse_program

SEED = 20261122
GOAL_US_PER_NODE = 10.0
DEEP_VALUES = {"x": 0.5}
WIDE = 100_000
DEEP = 100_000


def _sum(n: int) -> str:
    return " + ".join("x*y" if i % 2 == 0 else "sin(x)" for i in range(n // 2)) + "\n"


def _chain(levels: int) -> str:
    lines = [f"a{i} = sin(a{i - 1}) * 1.0001" for i in range(2, levels + 1)]
    return "\n".join(["a1 = sin(x) * 1.0001", *lines]) + "\n"


SHAPES: dict[str, tuple[Callable[[], str], dict[str, float], int]] = {
    # name: (program text, bindings, levels: the depth, or 0 for a wide program)
    "random": (lambda: ProgramWriter(SEED).program(WIDE), RANDOM_VALUES, 0),
    "sum": (lambda: _sum(WIDE), {"x": 0.3, "y": -1.2}, 0),
    "sin": (lambda: "sin(" * DEEP + "x" + ")" * DEEP + "\n", DEEP_VALUES, DEEP),
    "plus": (lambda: "x" + " + 1" * DEEP + "\n", DEEP_VALUES, DEEP),
    "affine": (lambda: "(" * DEEP + "x" + "*1.0001 + 1)" * DEEP + "\n", DEEP_VALUES, DEEP),
    "chain": (lambda: _chain(DEEP // 2), DEEP_VALUES, DEEP // 2),
}


def run_once(argv: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited with {done.returncode}:\n"
                         f"{done.stderr.decode()}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter of the venv to measure (default: this one)")
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each command")
    parser.add_argument("--shapes", default=",".join(SHAPES),
                        help=f"comma-separated subset of {', '.join(SHAPES)}")
    args = parser.parse_args()
    shapes = chosen_shapes(parser, args.shapes, SHAPES)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    python, backprop = backprop_beside(args.python)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    floor_argv = [python, "-c", "import click"]

    print(f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} cores;"
          f" {backprop}; fastest of {args.runs} runs of each")
    print()
    header = (f"{'shape':<7} {'nodes':>7} {'levels':>7} {'floor s':>7} {'json s':>7} "
              f"{'plain s':>7} {'json µs/node':>12} {'plain µs/node':>13} "
              f"{'difference':>10} {'json µs/level':>13}  goal")
    print(header)
    print("-" * len(header))
    verdicts: list[bool] = []
    with tempfile.TemporaryDirectory() as folder:
        for shape in shapes:
            make, values, levels = SHAPES[shape]
            text = make()
            nodes = len(parse_program(text, max_nodes=10**7).nodes)
            path = Path(folder) / f"{shape}.bp"
            path.write_text(text)
            bindings = [f"{name}={value}" for name, value in values.items()]
            base = [backprop, "eval", "-f", str(path), *bindings, "-F"]
            argvs = {"floor": floor_argv, "json": [*base, "json"], "plain": [*base, "plain"]}
            run_once(argvs["json"], env)  # warm the file cache and check it runs
            times: dict[str, list[float]] = {name: [] for name in argvs}
            for _ in range(args.runs):  # alternate floor, json, plain
                for name, argv in argvs.items():
                    times[name].append(best_of(1, lambda argv=argv: run_once(argv, env)))
            best = {name: min(ts) for name, ts in times.items()}
            per_node = {name: best[name] / nodes * 1e6 for name in ("json", "plain")}
            met = per_node["json"] <= GOAL_US_PER_NODE
            verdicts.append(met)
            per_level = f"{best['json'] / levels * 1e6:>13.2f}" if levels else f"{'':>13}"
            print(f"{shape:<7} {nodes:>7,} {levels or '':>7} {best['floor']:>7.3f} "
                  f"{best['json']:>7.3f} {best['plain']:>7.3f} {per_node['json']:>12.2f} "
                  f"{per_node['plain']:>13.2f} {per_node['json'] - per_node['plain']:>10.2f} "
                  f"{per_level}  {'met' if met else 'NOT met'}",
                  flush=True)
    print()
    print(f"goal: at most {GOAL_US_PER_NODE:g} µs per node with -F json, whole process: "
          f"{'met' if all(verdicts) else 'NOT met'} ({sum(verdicts)} of {len(verdicts)} shapes "
          "within it); the difference is what printing every node costs beyond -F plain")


if __name__ == "__main__":
    main()
