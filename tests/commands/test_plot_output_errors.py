"""plot -o: a file that cannot be written is one line, worded as graph words it; Matplotlib
says nothing on stderr when HOME is unusable."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import clean, run, run_process

pytest.importorskip("matplotlib")


def test_an_unwritable_path_is_one_plain_line() -> None:
    result = clean(run("plot", "sin(x)", "--sweep", "x=0:1:5", "-o", "/nonexistent/dir/p.png"), 1)
    assert result.err == "error: cannot write /nonexistent/dir/p.png: No such file or directory\n"
    assert result.out == ""
    graph = run("graph", "sin(x)", "x=1", "-o", "/nonexistent/dir/g.dot")
    assert graph.code == result.code
    assert graph.err.replace("g.dot", "p.png") == result.err


def test_a_file_where_a_folder_should_be(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    target = tmp_path / "f" / "p.svg"
    result = clean(run("plot", "sin(x)", "--sweep", "x=0:1:5", "-o", str(target)), 1)
    assert result.err == f"error: cannot write {target}: Not a directory\n"


def test_nothing_is_written_when_the_drawing_fails(tmp_path: Path) -> None:
    target = tmp_path / "p.png"
    clean(run("plot", "log(x)", "--sweep", "x=-1:1:5", "-o", str(target)), 1, "log")
    assert not target.exists()


def test_an_unusable_home_leaves_stderr_clean(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.write_text("a file, not a folder")  # root ignores modes: this stops writes for all
    target = tmp_path / "p.png"
    done = run_process("plot", "tanh(x)", "--sweep", "x=-2:2:21", "-o", str(target),
                       env={"HOME": str(home), "MPLCONFIGDIR": None, "XDG_CONFIG_HOME": None,
                            "XDG_CACHE_HOME": None, "TMPDIR": str(tmp_path)}, timeout=60)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stderr == b""
    assert target.read_bytes().startswith(b"\x89PNG")
