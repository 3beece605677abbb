"""What the README and the hints tell a new user to run exists: the distribution is not
on PyPI, so an extra is installed from a checkout ('.[plot]') or by its package's name;
after the quick start, the README says how ``backprop`` gets onto PATH."""

from __future__ import annotations

import re
import sys

from tests.harness import PACKAGE, ROOT, check_error, run


def test_no_hint_names_an_extra_of_a_distribution_that_is_not_on_pypi() -> None:
    texts = [path.read_text() for path in PACKAGE.rglob("*.py")]
    texts.append((ROOT / "README.md").read_text())
    assert not [t for t in texts if "backprop-cli[" in t]


def test_the_matplotlib_hint_names_what_installs(tmp_path, monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if it were not installed
    result = run("plot", "x^2", "--sweep", "x=-1:1:5", "-o", str(tmp_path / "p.png"))
    check_error(result, 1, "pip install matplotlib", "pip install '.[plot]'")


def test_the_quick_start_says_how_to_put_backprop_on_path() -> None:
    readme = (ROOT / "README.md").read_text()
    quick = readme[readme.index("## Quick start"):readme.index("## Using it")]
    assert "source .venv/bin/activate" in quick
    assert "pipx install ." in quick
    assert re.search(r"pip install '\.\[plot\]'", quick)
