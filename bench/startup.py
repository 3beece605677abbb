"""Whole-process start-up time of `backprop eval`, as a ratio to `python -c "import click"`.

Runs, alternately and in the same session:

    floor  PYTHON -c "import click"
    json   backprop eval "(x+y)*z" x=1 y=3 z=-3 --format json
    table  backprop eval "(x+y)*z" x=1 y=3 z=-3            (the default, rendered by Rich)

with stdout sent to /dev/null, and reports the median wall-clock time of each and its ratio
to the floor. ``backprop`` is the console script next to PYTHON (``--python``, by default
the interpreter running this script), and the floor uses that same interpreter.

Measure a regular (non-editable) install: an editable install adds an import finder that
users of a wheel never pay for. From the project root:

    python3 -m venv /tmp/bench-venv && /tmp/bench-venv/bin/pip install .
    /tmp/bench-venv/bin/python bench/startup.py

``--importtime`` also prints where the import time goes (``-X importtime``).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

from timing import backprop_beside

PROGRAM = "(x+y)*z"
BINDINGS = ["x=1", "y=3", "z=-3"]
GOALS = {"json": 1.5, "table": 2.0}


def commands(python: str, backprop: str) -> dict[str, list[str]]:
    base = [backprop, "eval", PROGRAM, *BINDINGS]
    return {
        "floor": [python, "-c", "import click"],
        "json": [*base, "--format", "json"],
        "table": base,
    }


def run_once(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(
            f"{' '.join(argv)} exited with {done.returncode}:\n{done.stderr.decode()}"
        )
    return elapsed


def install_kind(python: str) -> tuple[str, str]:
    """'editable' or 'regular' (from direct_url.json, PEP 610), and the Python version.

    Runs with -I, so that a checkout in the current directory does not stand in for the
    installed distribution.
    """
    probe = (
        "import importlib.metadata as m, json, platform\n"
        "d = m.distribution('backprop-cli')\n"
        "u = d.read_text('direct_url.json')\n"
        "print(platform.python_version())\n"
        "print(json.dumps(json.loads(u) if u else {}))\n"
    )
    out = subprocess.run([python, "-I", "-c", probe], capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"{python} cannot see the backprop-cli distribution:\n{out.stderr}")
    version, info_text = out.stdout.splitlines()
    info = json.loads(info_text)
    return ("editable" if info.get("dir_info", {}).get("editable") else "regular"), version


def importtime(argv: list[str], env: dict[str, str], runs: int) -> dict[str, tuple[int, int, str]]:
    """Module -> (self µs, cumulative µs, importer), the smallest of ``runs`` runs.

    The importer is the module whose import statement loaded it first ("" at top level).
    """
    best: dict[str, tuple[int, int, str]] = {}
    for _ in range(runs):
        done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True, env=env)
        rows = []
        for line in done.stderr.splitlines():
            if not line.startswith("import time:") or "self [us]" in line:
                continue
            self_us, cumulative, name = line[len("import time:"):].split("|")
            depth = (len(name) - len(name.lstrip())) // 2
            rows.append((depth, name.strip(), int(self_us), int(cumulative)))
        # -X importtime prints a module after its children: its importer comes later.
        parents: dict[int, str] = {}
        for depth, name, self_us, cumulative in reversed(rows):
            parents[depth] = name
            importer = parents.get(depth - 1, "") if depth > 0 else ""
            if name not in best or cumulative < best[name][1]:
                best[name] = (self_us, cumulative, importer)
    return best


def print_importtime(label: str, table: dict[str, tuple[int, int, str]],
                     floor: dict[str, tuple[int, int, str]], top: int) -> None:
    total = sum(row[0] for row in table.values())
    extra = {name: row for name, row in table.items() if name not in floor}
    extra_total = sum(row[0] for row in extra.values())
    print(f"\nimport time, {label} (best of 5 runs of -X importtime): {len(table)} modules, "
          f"{total / 1000:.1f} ms; beyond the floor's {len(floor)}: {len(extra)} modules, "
          f"{extra_total / 1000:.1f} ms (self times added up)")
    ours = sorted(
        ((name, row) for name, row in table.items() if name.startswith("backprop_cli")),
        key=lambda item: -item[1][1],
    )
    print(f"  {'module under backprop_cli':<34} {'self ms':>8} {'cumul. ms':>10}")
    for name, (self_us, cumulative, _importer) in ours[:top]:
        print(f"  {name:<34} {self_us / 1000:>8.2f} {cumulative / 1000:>10.2f}")
    others = sorted(
        ((name, row) for name, row in extra.items() if not name.startswith("backprop_cli")),
        key=lambda item: -item[1][0],
    )
    print(f"  {'other modules the floor does not load':<34} {'self ms':>8} {'cumul. ms':>10}"
          "  first imported by")
    for name, (self_us, cumulative, importer) in others[:top]:
        where = importer or "(top level)"
        print(f"  {name:<34} {self_us / 1000:>8.2f} {cumulative / 1000:>10.2f}  {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python", default=sys.executable,
                        help="interpreter of the venv to measure (default: this one)")
    parser.add_argument("--runs", type=int, default=30, help="timed runs of each command")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs of each first")
    parser.add_argument("--importtime", action="store_true",
                        help="also print the per-module import cost (-X importtime)")
    parser.add_argument("--top", type=int, default=12, help="rows of the import breakdown")
    args = parser.parse_args()
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    python, backprop = backprop_beside(args.python)
    kind, version = install_kind(python)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    cmds = commands(python, backprop)

    for _ in range(args.warmup):
        for argv in cmds.values():
            run_once(argv, env)
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for _ in range(args.runs):  # alternate: floor, json, table, floor, json, table, ...
        for name, argv in cmds.items():
            times[name].append(run_once(argv, env))

    median = {name: statistics.median(ts) for name, ts in times.items()}
    floor = median["floor"]
    print(f"python:   {python} (Python {version})")
    print(f"backprop: {backprop} ({kind} install)")
    if kind == "editable":
        print("warning: an editable install loads an import finder at every start-up, the"
              " floor's too,\n         so these ratios are not a user's; measure a regular"
              " install (see bench/README.md)")
    print(f"runs:     {args.runs} of each, alternating, after {args.warmup} warm-up rounds; "
          f"cores: {os.cpu_count()}")
    print()
    header = f"{'command':<50} {'median ms':>9} {'min ms':>7} {'ratio':>6} {'goal':>6}  met"
    print(header)
    print("-" * len(header))
    labels = {
        "floor": 'python -c "import click"',
        "json": f'backprop eval "{PROGRAM}" {" ".join(BINDINGS)} --format json',
        "table": f'backprop eval "{PROGRAM}" {" ".join(BINDINGS)}',
    }
    for name in cmds:
        ratio = median[name] / floor
        goal = GOALS.get(name)
        goal_text = f"{goal:.1f}x" if goal else ""
        met = ("yes" if ratio <= goal else "NO") if goal else ""
        print(f"{labels[name]:<50} {median[name] * 1000:>9.1f} {min(times[name]) * 1000:>7.1f} "
              f"{ratio:>5.2f}x {goal_text:>6}  {met}")

    if args.importtime:
        # The console script is a Python file: run it under -X importtime.
        floor_table = importtime([python, "-X", "importtime", *cmds["floor"][1:]], env, 5)
        for name in ("json", "table"):
            table = importtime([python, "-X", "importtime", *cmds[name]], env, 5)
            print_importtime(name, table, floor_table, args.top)


if __name__ == "__main__":
    main()
