"""Time of ``backprop graph PROGRAM -F dot``: DOT text for random programs of 1e3 to 1e5 nodes.

The programs are size.py's (same generator, same seed): statements over five inputs and
earlier temporaries, with fan-out. In process, timed separately (median of several runs;
the node count is ``len(graph.nodes)``):

    parse+build  backprop_cli.api.parse_program(text)
    evaluate     bind_inputs and engine.evaluate_graph: values and gradients
    dot text     render.dot.render(Picture(graph, values, grads), options): the DOT source
    end to end   the three in a row, text to DOT text

with the options of the command's defaults (``RenderOptions(precision=4)``, as
``backprop graph`` passes ``-p 4``). Then the whole command as a subprocess on the 1e4
program (``backprop graph -f FILE -F dot x=... ...``, stdout to a pipe; the console script
next to ``--python``), whose output must be the in-process DOT text, byte for byte.

Goal: a program of 10,000 nodes produces its dot text in well under a second, read as
at most 0.5 s for the whole command, process start included.

For information, Graphviz's own ``dot -Tsvg`` on the 1e3 and 1e4 DOT texts (one run
each, capped by ``--dot-timeout``, 120 s by default); ``--no-dot`` skips it.

    python bench/graph.py                # about 3 minutes, most of it in Graphviz's dot
    python bench/graph.py --no-dot       # about 30 s
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from size import VALUES, ProgramWriter, default_repeat, timed

from backprop_cli.api import bind_inputs, parse_program
from backprop_cli.core.engine import evaluate_graph
from backprop_cli.render.drawing import Picture
from backprop_cli.render.graph_dot import render
from backprop_cli.render.registry import RenderOptions

SIZES = (1_000, 10_000, 100_000)
GOAL_AT = 10_000
GOAL_SECONDS = 0.5  # "well under a second"
COMMAND_RUNS = 5
DOT_SIZES = (1_000, 10_000)
OPTIONS = RenderOptions(precision=4)  # backprop graph's default -p 4
PHASES = (("parse", "parse+build"), ("evaluate", "evaluate"), ("dot", "dot text"),
          ("total", "end to end"))


def dot_text(text: str) -> str:
    """What ``backprop graph -F dot`` prints for ``text`` at VALUES."""
    graph = parse_program(text)
    evaluation = evaluate_graph(graph, bind_inputs(graph, VALUES))
    return render(Picture(graph, evaluation.values, evaluation.grads), OPTIONS)


def warm_up(text: str, seconds: float = 1.0) -> None:
    """Import graphviz and run the whole path for a second before timing anything: the
    first few runs after an idle spell are up to 1.6x slower on this machine."""
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        dot_text(text)


def measure(text: str, repeat: int) -> dict[str, Any]:
    t_parse, graph = timed(lambda: parse_program(text), repeat)
    t_evaluate, evaluation = timed(lambda: evaluate_graph(graph, bind_inputs(graph, VALUES)),
                                   repeat)
    picture = Picture(graph, evaluation.values, evaluation.grads)
    t_dot, dot = timed(lambda: render(picture, OPTIONS), repeat)
    t_total, dot_again = timed(lambda: dot_text(text), repeat)
    assert dot_again == dot
    return {
        "nodes": len(graph.nodes),
        "bytes": len(text),
        "repeat": repeat,
        "parse": t_parse,
        "evaluate": t_evaluate,
        "dot": t_dot,
        "total": t_total,
        "dot text": dot,
    }


def run_command(argv: list[str], env: dict[str, str], runs: int) -> tuple[list[float], str]:
    """Seconds of each run of the command, and its stdout (the same every time)."""
    times: list[float] = []
    out = ""
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(argv, capture_output=True, text=True, env=env)
        times.append(time.perf_counter() - start)
        if done.returncode != 0:
            raise SystemExit(f"backprop graph exited with {done.returncode}:\n{done.stderr}")
        out = done.stdout
    return times, out


def graphviz_dot(dot: str, timeout: float) -> float | None:
    """Seconds of ``dot -Tsvg`` on the text (output discarded); None past the timeout."""
    with tempfile.NamedTemporaryFile("w", suffix=".dot", delete=False) as handle:
        handle.write(dot)
    try:
        start = time.perf_counter()
        try:
            done = subprocess.run(["dot", "-Tsvg", handle.name], stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        elapsed = time.perf_counter() - start
        if done.returncode != 0:
            raise SystemExit(f"dot -Tsvg exited with {done.returncode}:\n{done.stderr[:500]}")
        return elapsed
    finally:
        os.unlink(handle.name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter whose backprop script runs the command (default: "
                             "this one)")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--repeat", type=int, default=0,
                        help="runs of each phase (default: 7 up to 1e4 nodes, 3 above)")
    parser.add_argument("--dot-timeout", type=float, default=120.0,
                        help="seconds Graphviz's dot may take on one text (default 120)")
    parser.add_argument("--no-dot", action="store_true", help="skip Graphviz's dot -Tsvg")
    args = parser.parse_args()
    backprop = Path(args.python).absolute().parent / "backprop"
    if not os.access(backprop, os.X_OK):
        raise SystemExit(f"no backprop executable next to {args.python}")

    print(f"Python {platform.python_version()} on {platform.machine()}, "
          f"{os.cpu_count()} cores; seed {args.seed}; median of the runs shown")
    warm_up(ProgramWriter(args.seed).program(SIZES[0]))
    print()
    print(f"{'':>23}{'seconds':^48}{'µs per node':^48}")
    header = (f"{'nodes':>9} {'DOT MB':>7} {'runs':>4} "
              + " ".join(f"{label:>11}" for _, label in PHASES) + " "
              + " ".join(f"{label:>11}" for _, label in PHASES))
    print(header)
    print("-" * len(header))
    rows: list[dict[str, Any]] = []
    texts: dict[int, str] = {}
    for size in SIZES:
        text = ProgramWriter(args.seed).program(size)
        texts[size] = text
        row = measure(text, args.repeat or default_repeat(size))
        row["target"] = size
        rows.append(row)
        n = row["nodes"]
        seconds = " ".join(f"{row[key]:>11.3f}" for key, _ in PHASES)
        per_node = " ".join(f"{row[key] / n * 1e6:>11.2f}" for key, _ in PHASES)
        print(f"{n:>9,} {len(row['dot text']) / 1e6:>7.2f} {row['repeat']:>4} {seconds} "
              f"{per_node}", flush=True)

    goal_row = next(row for row in rows if row["target"] == GOAL_AT)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    with tempfile.TemporaryDirectory() as tmp:
        program_file = Path(tmp) / "program.bp"
        program_file.write_text(texts[GOAL_AT], encoding="utf-8")
        argv = [str(backprop), "graph", "-f", str(program_file), "-F", "dot",
                *(f"{name}={value}" for name, value in VALUES.items())]
        run_command(argv, env, 1)  # warm-up
        times, out = run_command(argv, env, COMMAND_RUNS)
    command_s = statistics.median(times)
    same = out == goal_row["dot text"]
    print()
    print(f"whole command, {goal_row['nodes']:,} nodes: backprop graph -f PROGRAM -F dot "
          f"x=... (median of {COMMAND_RUNS} runs): {command_s:.3f} s (min {min(times):.3f}), "
          f"{command_s / goal_row['nodes'] * 1e6:.2f} µs per node; output "
          f"{'identical to' if same else 'DIFFERENT from'} the in-process DOT text")

    if not args.no_dot:
        print()
        if shutil.which("dot") is None:
            print("Graphviz's dot: not installed, skipped")
        else:
            print(f"for information, Graphviz's dot -Tsvg on the DOT text (one run each, "
                  f"capped at {args.dot_timeout:g} s):")
            for row in rows:
                if row["target"] not in DOT_SIZES:
                    continue
                seconds = graphviz_dot(row["dot text"], args.dot_timeout)
                shown = (f"over {args.dot_timeout:g} s" if seconds is None
                         else f"{seconds:.1f} s, {seconds / row['nodes'] * 1e6:,.0f} µs per node")
                print(f"  {row['nodes']:>9,} nodes: {shown}", flush=True)

    print()
    print("goals:")
    verdict = "yes" if command_s <= GOAL_SECONDS and same else "NO"
    print(f"  dot text of {goal_row['nodes']:,} nodes well under a second: whole command "
          f"{command_s:.3f} s, in process {goal_row['total']:.3f} s (goal: at most "
          f"{GOAL_SECONDS:g} s for the command): {verdict}")
    first, last = rows[0], rows[-1]
    growth = ", ".join(
        f"{label} x{(last[key] / last['nodes']) / (first[key] / first['nodes']):.2f}"
        for key, label in PHASES
    )
    print(f"growth of µs/node per phase, {first['nodes']:,} to {last['nodes']:,} nodes: {growth}")


if __name__ == "__main__":
    main()
