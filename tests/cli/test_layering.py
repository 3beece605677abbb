"""Layering: the engine and the API load neither click nor Rich; JSON never loads Rich."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.harness import ROOT


def _modules_after(code: str) -> set[str]:
    script = f"import sys\n{code}\nprint('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          cwd=ROOT, check=True)
    return set(done.stdout.split())


@pytest.mark.parametrize("code", [
    "import backprop_cli.core.engine",
    "from backprop_cli import evaluate; evaluate('x * y', {'x': 1, 'y': 2}).nodes",
])
def test_engine_and_api_load_neither_click_nor_rich(code: str) -> None:
    loaded = _modules_after(code)
    assert "click" not in loaded
    assert not {m for m in loaded if m == "rich" or m.startswith("rich.")}
    assert "lark" not in loaded


def test_json_output_does_not_load_rich_or_lark() -> None:
    code = (
        "import io, contextlib\n"
        "from backprop_cli.cli.app import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    main(['eval', '(x+y)*z', 'x=1', 'y=3', 'z=-3', '--format', 'json'])"
    )
    loaded = _modules_after(code)
    assert "rich" not in loaded and "lark" not in loaded and "numpy" not in loaded
