"""The one test harness: running backprop, checking what it printed, numeric references.

``run`` is ``backprop ARGS`` in process, through ``backprop_cli.cli.app.main`` (the
top-level guard that maps errors to exit statuses), with click's runner: a fixed width
(COLUMNS=100), no colour, no BACKPROP_DEBUG, so the output is the same on every machine.
``run_process`` is the installed command in a real subprocess, for what only a process
has: argv bytes, pipes, signals, file descriptors.

Plain functions rather than fixtures so that property tests (hypothesis) and
parametrised cases can call them freely; ``conftest.py`` adds the pytest side (options,
the ``golden`` fixture, hypothesis profiles).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from backprop_cli import evaluate
from backprop_cli.cli.app import main
from backprop_cli.core.graph import Graph

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "backprop_cli"
GOLDEN = ROOT / "tests" / "golden"  # reviewed outputs, one file per behaviour

# Programs many modules run: the first worked example, and two that are deep.
NEURON = "(x+y)*z"
POINT = ["x=1", "y=3", "z=-3"]
DEEP_SIN = "sin(" * 10_000 + "x" + ")" * 10_000
DEEP_PARENS = "(" * 100_000 + "x" + ")" * 100_000

# The environment every run sees; a value of None removes the variable.
ENVIRONMENT: dict[str, str | None] = {"COLUMNS": "100", "NO_COLOR": "1", "BACKPROP_DEBUG": None,
                                      "FORCE_COLOR": None}


# -- running the command -------------------------------------------------------------------
@dataclass
class Run:
    code: int
    out: str
    err: str


def run(*args: str, stdin: bytes | str | None = None, env: dict | None = None) -> Run:
    """``backprop ARGS`` in process, through ``main`` (exit-status mapping included)."""
    runner = CliRunner()
    with runner.isolation(input=stdin, env={**ENVIRONMENT, **(env or {})}) as streams:
        code = main(list(args))
        out, err = streams[0].getvalue(), streams[1].getvalue()
    return Run(code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))


def backprop_command() -> list[str]:
    """The installed console script beside this interpreter, else ``python -m``."""
    script = Path(sys.executable).with_name("backprop")
    return [str(script)] if script.exists() else [sys.executable, "-m", "backprop_cli"]


def process_env(env: dict | None = None) -> dict[str, str]:
    """``os.environ`` with the harness's settings and ``env`` on top (None: unset)."""
    environment = dict(os.environ)
    for name, value in {**ENVIRONMENT, **(env or {})}.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return environment


def run_process(*args: str, stdin: bytes | None = None, cwd: Path | None = None,
                env: dict | None = None, timeout: float = 120,
                **kwargs) -> subprocess.CompletedProcess:
    """The installed command, ``backprop ARGS``, in a subprocess (stdout, stderr piped)."""
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    return subprocess.run(
        [*backprop_command(), *args], input=stdin, cwd=cwd or ROOT, env=process_env(env),
        timeout=timeout, check=False, **kwargs,
    )


# -- what an error looks like ---------------------------------------------------------------
# Characters that must never reach a terminal raw: C0/C1 controls (but newline), DEL,
# and the invisible formatting characters (bidi overrides and isolates, zero widths).
DANGEROUS = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]"
)


def char_name(ch: str) -> str:
    return f"U+{ord(ch):04X}"


def no_traceback(err: str) -> None:
    assert "Traceback" not in err, err
    assert 'File "' not in err, err


def check_error(result: Run, code: int, *needles: str) -> None:
    """A backprop error: the status, `error:` first, a few lines, nothing on stdout."""
    assert result.code == code, f"exit {result.code}, expected {code}\n{result.err}"
    no_traceback(result.err)
    assert result.err.startswith("error: "), result.err
    assert result.out == "", f"stdout should be empty on an error, got {result.out!r}"
    assert 1 <= len(result.err.splitlines()) <= 12, result.err
    for needle in needles:
        assert needle in result.err, f"{needle!r} not in:\n{result.err}"


def check_usage_error(result: Run, *needles: str) -> None:
    """A usage error: exit 2, click's `Usage:`/`Error:` (or backprop's `error:`)."""
    assert result.code == 2, f"exit {result.code}, expected 2\n{result.err}"
    no_traceback(result.err)
    assert result.err.startswith(("Usage:", "Error:", "error:")), result.err
    assert result.out == "", result.out
    for needle in needles:
        assert needle in result.err, f"{needle!r} not in:\n{result.err}"


def check_points_at(err: str, line: int, column: int, origin: str = "<argument>") -> None:
    """``origin:line:column``, then the source line, then a caret under ``column``."""
    assert f"{origin}:{line}:{column}" in err, err
    lines = err.splitlines()
    gutter = re.compile(rf"^\s*{line} \| ")
    for k, text in enumerate(lines[:-1]):
        match = gutter.match(text)
        if match:
            caret_line = lines[k + 1]
            assert caret_line.strip() and set(caret_line.strip()) <= {"^"}, err
            assert caret_line.index("^") == match.end() + column - 1, err
            return
    raise AssertionError(f"no source line {line} with a caret in:\n{err}")


def clean(result: Run, code: int, *says: str) -> Run:
    """The exit status is ``code``; an error is a short message that says ``says``."""
    assert result.code == code, (result.code, result.out[-500:], result.err[-800:])
    assert "Traceback" not in result.err and "Traceback" not in result.out
    assert "internal error" not in result.err
    if code != 0:
        assert result.err.startswith(("error:", "Usage:", "Error:")), result.err[:300]
        assert len(result.err.splitlines()) <= 12, result.err[:1000]
    for text in says:
        assert text in result.err, (text, result.err)
    return result


def check_clean(result: Run, allowed: frozenset = frozenset({0, 1, 2})) -> None:
    """The guard's promise: a known status, never a traceback, errors look like errors."""
    code, out, err = result.code, result.out, result.err
    assert code != 70, f"internal error (exit 70):\n{err}"
    assert code in allowed, f"exit {code}, expected one of {sorted(allowed)}:\n{err}"
    assert "Traceback" not in err, err
    if code == 0:
        assert err == "", f"exit 0 but stderr says:\n{err}"
        assert out != ""
    else:
        assert err.startswith(("error: ", "Usage:", "Error:")), err
        assert out == "", f"exit {code} but stdout has:\n{out}"
        assert len(err.splitlines()) <= 12, err


def timed(*args: str, limit: float = 10.0, stdin: str | None = None) -> Run:
    """``run`` that must finish within ``limit`` seconds and never hit RecursionError."""
    start = time.perf_counter()
    result = run(*args, stdin=stdin)
    elapsed = time.perf_counter() - start
    assert elapsed < limit, f"{args[0]} took {elapsed:.1f}s"
    assert "RecursionError" not in result.err
    return result


# -- reading what it printed ----------------------------------------------------------------
def binds(point: dict[str, float]) -> list[str]:
    """``NAME=VALUE`` arguments for a point, every value written in full (repr)."""
    return [f"{name}={value!r}" for name, value in point.items()]


def csv_rows(text: str) -> list[dict[str, float]]:
    return [{k: float(v) for k, v in row.items()} for row in csv.DictReader(io.StringIO(text))]


def strict_json(text: str):
    """RFC 8259 JSON: NaN and Infinity are not numbers."""
    def refuse(name: str):
        raise AssertionError(f"non-standard JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


def eval_json(program: str, point: dict[str, float], *options: str) -> dict:
    result = clean(run("eval", program, *binds(point), "-F", "json", *options), 0)
    return json.loads(result.out)


def value_of(formula: str, point: dict[str, float]) -> float:
    """``backprop eval FORMULA --value``, binding only the names the formula reads."""
    used = set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", formula))
    result = clean(run("eval", formula, *binds({k: v for k, v in point.items() if k in used}),
                       "--value"), 0)
    return float(result.out)


# -- numeric references --------------------------------------------------------------------
def parenthesized(graph: Graph, node_id: int | None = None) -> str:
    """The tree under a node with every operation in parentheses (small graphs only)."""
    node_id = graph.output if node_id is None else node_id
    node = graph.nodes[node_id]
    op = node.op
    if op.is_leaf:
        if node.name is not None:
            return node.name
        return repr(node.value).removesuffix(".0")
    parts = [parenthesized(graph, a) for a in node.args]
    if op.form == "infix":
        return f"({parts[0]} {op.symbol} {parts[1]})"
    if op.form == "prefix":
        return f"({op.symbol}{parts[0]})"
    return f"{op.name}({', '.join(parts)})"


def central_difference(f: Callable[[float], float], x: float) -> float:
    """d f / d x by a central difference with a step scaled to x."""
    h = 1e-6 * max(1.0, abs(x))
    return (f(x + h) - f(x - h)) / (2 * h)


def numeric_gradient(program: str, point: Mapping[str, float]) -> dict[str, float]:
    """d output / d input for every bound input, by central differences."""
    result = {}
    for name, value in point.items():
        def at(v: float, name: str = name) -> float:
            return evaluate(program, {**point, name: v}).value

        result[name] = central_difference(at, value)
    return result


def close(a: float, b: float, rel: float = 1e-5, abs_tol: float = 1e-6) -> bool:
    return math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol)
