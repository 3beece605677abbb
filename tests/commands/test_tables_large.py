"""A full table of a large program (``--max-rows 0``) is quick and small: rows are laid out
at fixed column widths, not measured cell by cell, and written as they are made."""

from __future__ import annotations

import subprocess
import sys

from tests.harness import ROOT, process_env

STATEMENTS = 50_000  # two nodes a statement: 1e5 nodes

PROBE = """
import resource, sys
from backprop_cli.cli.app import main
code = main(["eval", "-f", sys.argv[1], "x=1", "--max-rows", "0"])
usage = resource.getrusage(resource.RUSAGE_SELF)
# the peak of this process's own memory (ru_maxrss would count the forking parent's)
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(code, usage.ru_utime + usage.ru_stime, peak, file=sys.stderr)
"""


def test_a_full_table_of_1e5_rows_takes_seconds_and_little_memory(tmp_path) -> None:
    lines = ["a0 = x"] + [f"a{i} = a{i - 1} * 1.0001 + 1" for i in range(1, STATEMENTS)]
    program = tmp_path / "big.bp"
    program.write_text("\n".join(lines) + "\n")
    done = subprocess.run([sys.executable, "-c", PROBE, str(program)], cwd=ROOT,
                          env=process_env({"COLUMNS": None}), capture_output=True,
                          timeout=120, check=False)
    code, cpu, peak_kib = done.stderr.split()[-3:]
    code, cpu, peak_kib = int(code), float(cpu), int(peak_kib)
    assert code == 0, done.stderr[-2000:]
    rows = [line for line in done.stdout.decode().splitlines() if line[:8].strip().isdigit()]
    assert len(rows) >= 100_000
    assert "not shown" not in done.stdout.decode()
    # CPU time, not the wall clock, which a busy machine stretches; a CSV of the same
    # program takes about 2 s, the Rich table took over a minute
    assert cpu < 15, f"{cpu:.1f} s of CPU"
    assert peak_kib < 300 * 1024, f"{peak_kib / 1024:.0f} MB"
