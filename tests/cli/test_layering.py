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


# -- the folder tree is the pipeline: imports run downward only ------------------------------

LAYERS = ("core", "numerics", "language", "commands", "render", "cli")
PACKAGE = ROOT / "backprop_cli"


def _module_name(path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _layer(module: str) -> str:
    """core, numerics, language, render, cli by folder; the package's own modules (one per
    command's computation, the API) are the commands layer; the console entry is cli."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in LAYERS:
        return parts[1]
    if len(parts) > 1 and parts[1] in ("_entry", "__main__"):
        return "cli"
    return "commands"


def _package_imports() -> dict[str, set[str]]:
    """Every module of the package -> the package modules it imports, at any depth of its
    code (imports inside functions count: they run too)."""
    import ast

    paths = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    imports: dict[str, set[str]] = {m: set() for m in paths}
    for module, path in paths.items():
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    base = package.split(".")[: len(package.split(".")) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                if target.split(".")[0] != "backprop_cli":
                    continue
                for alias in node.names:
                    full = f"{target}.{alias.name}"
                    imports[module].add(full if full in paths else target)
            elif isinstance(node, ast.Import):
                imports[module].update(a.name for a in node.names
                                       if a.name.split(".")[0] == "backprop_cli")
    return imports


def test_every_import_runs_downward() -> None:
    upward = [
        f"{module} ({_layer(module)}) imports {target} ({_layer(target)})"
        for module, targets in _package_imports().items()
        for target in targets
        if LAYERS.index(_layer(target)) > LAYERS.index(_layer(module))
    ]
    assert not upward, "\n".join(upward)


def test_no_import_cycles() -> None:
    imports = _package_imports()
    state: dict[str, int] = {}  # 1 on the path being walked, 2 done
    cycles = []
    for start in imports:
        if state.get(start):
            continue
        path, stack = [start], [iter(sorted(imports[start]))]
        state[start] = 1
        while stack:  # an explicit stack: no recursion
            target = next(stack[-1], None)
            if target is None:
                state[path.pop()] = 2
                stack.pop()
            elif state.get(target) == 1:
                cycles.append(" -> ".join([*path[path.index(target):], target]))
            elif not state.get(target) and target in imports:
                state[target] = 1
                path.append(target)
                stack.append(iter(sorted(imports[target])))
    assert not cycles, "\n".join(cycles)


def test_a_layering_violation_is_caught(monkeypatch) -> None:
    """The check itself can fail: a core module importing the CLI is reported."""
    monkeypatch.setattr(
        "tests.cli.test_layering._package_imports",
        lambda: {"backprop_cli.core.engine": {"backprop_cli.cli.app"}},
    )
    with pytest.raises(AssertionError, match=r"core\.engine \(core\) imports"):
        test_every_import_runs_downward()


def _third_party_importers(name: str) -> set[str]:
    import ast

    found = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom)
                     and not node.level else [])
            if any(n == name or n.startswith(name + ".") for n in names):
                found.add(_module_name(path))
    return found


def test_click_is_imported_by_the_cli_only_and_rich_by_renderers_and_the_cli() -> None:
    assert {_layer(m) for m in _third_party_importers("click")} == {"cli"}
    assert {_layer(m) for m in _third_party_importers("rich")} <= {"render", "cli"}


def test_subpackage_init_files_are_empty() -> None:
    for init in PACKAGE.glob("*/__init__.py"):
        assert init.read_text(encoding="utf-8") == "", init
