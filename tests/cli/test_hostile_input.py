"""Hostile text: nothing the user wrote reaches the terminal raw, Rich markup, or
eval/exec/compile; a file that cannot be read is an input error.

SPEC §1 and §2. The messages quote a name or a path safely; comments never reach the
output; markup in a program, an option or a label is shown literally."""

from __future__ import annotations

import ast
import builtins
import json
import re

import pytest

from tests.harness import DANGEROUS, PACKAGE, ROOT, check_error, no_traceback, run, run_process


@pytest.mark.parametrize(
    "args",
    [
        ["eval", "x", "x=1", "--grad", "\x1b[31mz"],
        ["eval", "x", "x=1", "--output", "\x1b]0;pwned\x07"],
        ["eval", "x", "x=1", "--grad", "z\u202e"],
        ["eval", "-f", "/nonexistent/\x1b[2Jfile.bp"],
        ["eval", "x", "--values", "/nonexistent/\x1b[2J.json"],
    ],
    ids=["grad-ESC", "output-OSC", "grad-bidi", "file-ESC", "values-ESC"],
)
def test_user_text_in_option_values_is_not_echoed_raw(args: list[str]):
    """A name or path the user typed is quoted safely in the message, not replayed raw."""
    result = run(*args)
    check_error(result, 2)
    leaked = DANGEROUS.findall(result.err.replace("\n", ""))
    assert not leaked, f"raw {leaked!r} echoed to stderr: {result.err!r}"


@pytest.mark.parametrize("target", ["/nonexistent/prog.bp", "."], ids=["missing", "directory"])
def test_unreadable_program_file(target: str):
    check_error(run("eval", "-f", target), 2, target)


# --------------------------------------------------------------------------------------
# Rich markup and eval/exec/compile never see user text
# --------------------------------------------------------------------------------------
MARKUP = "[bold]B[/bold] [link=http://x]L[/link] [/] :smile: [red"


@pytest.mark.parametrize("fmt", ["table", "plain", "json", "csv"])
def test_comments_never_reach_the_output(fmt: str):
    # An unnamed output is named by its source text: comments dropped, one line.
    program = f"(x # {MARKUP}\n + 1)"
    result = run("eval", program, "x=1", "-F", fmt)
    assert result.code == 0, result.err
    no_traceback(result.err)
    for piece in ("[bold]", "[link=", ":smile:", "#"):
        assert piece not in result.out, f"{piece!r} reached the output:\n{result.out}"
    if fmt == "json":
        assert json.loads(result.out)["output"] == "(x + 1)"


@pytest.mark.parametrize(
    ("args", "literal"),
    [
        (["eval", "x + [/bold]", "x=1"], "x + [/bold]"),
        (["eval", "x + [link=http://x]y", "x=1"], "[link=http://x]y"),
        (["eval", "x", "x=1", "--output", "[bold]q[/bold]"], "[bold]q[/bold]"),
        (["eval", "x", "x=1", "--grad", "[/]"], "[/]"),
    ],
)
def test_markup_in_error_messages_is_shown_literally(args: list[str], literal: str):
    result = run(*args)
    check_error(result, 2, literal)


def test_markup_in_program_text_is_literal_in_a_real_process():
    proc = run_process("eval", "x + [link=http://x]L[/link] [/bold]", "x=1")
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 2, err
    assert "x + [link=http://x]L[/link] [/bold]" in err, err


def test_markup_in_labels_is_literal_on_a_colour_terminal():
    """On a terminal Rich styles the table; text from the program must still not be
    parsed as markup (no OSC 8 hyperlink, no bold from a [bold] in a label)."""
    import io

    from rich.console import Console

    from backprop_cli import evaluate
    from backprop_cli.api import NodeRecord, Result
    from backprop_cli.render.eval_table import render
    from backprop_cli.render.registry import RenderOptions

    result = evaluate("x + 1", {"x": 1.0})
    evaluation = result.evaluation._replace(
        graph=result.graph._replace(output_name=MARKUP))
    marked = Result(evaluation)
    marked._records = [NodeRecord(r.id, r.name, r.op, f"{r.label} {MARKUP}", r.inputs,
                                  r.value, r.grad) for r in result.nodes]
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=True, color_system="truecolor", width=400)
    console.print(render(marked, RenderOptions()))
    raw = buffer.getvalue()
    assert "\x1b[" in raw, "expected a styled (terminal) render"
    assert "\x1b]8;" not in raw, f"a [link=...] became a hyperlink: {raw!r}"
    text = re.sub(r"\x1b\[[0-9;]*m", "", raw)
    for piece in ("[bold]B[/bold]", "[link=http://x]L[/link]", "[/]", ":smile:"):
        assert piece in text, f"{piece!r} not shown literally: {text!r}"
    assert "\U0001f604" not in text


def _package_calls(names: set[str]) -> list[str]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else (
                    func.attr if isinstance(func, ast.Attribute)
                    and func.attr in {"literal_eval", "from_markup", "render_markup"} else None)
                if name in names:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {name}")
    return found


def test_package_source_has_no_eval_exec_compile():
    calls = _package_calls({"eval", "exec", "compile", "__import__", "literal_eval",
                            "from_markup", "render_markup"})
    assert not calls, "\n".join(calls)


def test_user_text_never_reaches_eval_exec_compile(monkeypatch: pytest.MonkeyPatch):
    marker = "zq_marker_7"
    programs = [
        [f"{marker} * 2 + exp({marker})", f"{marker}=1"],
        [f"def {marker}f(a) = a^2\n{marker}f(x)", "x=2", "--expand"],
        [f"q{marker} = x + 1\nq{marker} * 2", "x=1", "--output", f"q{marker}", "-F", "json"],
        [f"{marker} + __import__('os')", f"{marker}=1"],
        [f"x + 1 # {marker} ]]; exec('{marker}')", "x=1", "-F", "csv"],
    ]
    for args in programs:  # warm up: import every lazily imported module first
        run("eval", *args)
    seen: list[str] = []

    def spy(real):
        def wrapper(source, *rest, **kwargs):
            if marker in str(source if not isinstance(source, bytes) else source.decode()):
                seen.append(f"{real.__name__}({source!r})")
            return real(source, *rest, **kwargs)
        return wrapper

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, spy(getattr(builtins, name)))
    for args in programs:
        for fmt in (["-F", "table"], ["-F", "plain"], []):
            run("eval", *args, *fmt)
    assert not seen, seen
