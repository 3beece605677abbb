"""Running the CLI in process (with the top-level guard) and as a real subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from backprop_cli.cli.app import main

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Run:
    code: int
    out: str
    err: str


def run(*args: str, stdin: bytes | str | None = None, env: dict | None = None) -> Run:
    """``backprop ARGS`` in process, through ``main`` (exit-status mapping included)."""
    runner = CliRunner()
    environment = {"COLUMNS": "100", "NO_COLOR": "1", **(env or {})}
    with runner.isolation(input=stdin, env=environment) as streams:
        code = main(list(args))
        out, err = streams[0].getvalue(), streams[1].getvalue()
    return Run(code, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"))


def backprop_command() -> list[str]:
    """The installed console script beside this interpreter, else ``python -m``."""
    script = Path(sys.executable).with_name("backprop")
    return [str(script)] if script.exists() else [sys.executable, "-m", "backprop_cli"]


def run_process(*args: str, stdin: bytes | None = None, cwd: Path | None = None,
                env: dict | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "COLUMNS": "100", **(env or {})}
    environment.pop("FORCE_COLOR", None)
    return subprocess.run(
        [*backprop_command(), *args], input=stdin, capture_output=True, cwd=cwd or ROOT,
        env=environment, timeout=120, check=False,
    )
