"""backprop graph: tree, DOT (checked by Graphviz itself), SVG/PNG/PDF, Mermaid."""

from __future__ import annotations

import html
import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given, settings

from backprop_cli import parse_program
from backprop_cli.render import graph_dot
from backprop_cli.render.drawing import Picture, gates
from backprop_cli.render.graph_dot import render as render_dot
from backprop_cli.render.graph_mermaid import render as render_mermaid
from backprop_cli.render.registry import RenderOptions
from tests.harness import NEURON, POINT, clean, run, run_process
from tests.strategies import programs

SAMPLES = ["samples/circuit.bp", "samples/named.bp", "samples/neuron.bp", "samples/sigmoid.bp",
           "samples/functions.bp"]


def dot_accepts(source: str) -> str:
    """Graphviz's own verdict (the wheel's, else the system dot): the SVG of ``source``."""
    argv, env = graph_dot.renderer_command("svg", "dot")
    code, out, err = graph_dot.run_child(argv, env, source.encode())
    said = [line for line in err.decode().splitlines() if not line.startswith("Fontconfig")]
    assert code == 0, err.decode()
    assert not said, said
    return out.decode()


def test_the_expanded_neuron_is_the_tutorials_circuit() -> None:
    graph = parse_program(Path("samples/sigmoid.bp").read_text(), expand=True)
    texts = [g.text for g in gates(graph) if g.kind != "input"]
    assert texts == ["*", "*", "+", "+", "*-1", "exp", "+1", "1/x"]
    collapsed = parse_program(Path("samples/sigmoid.bp").read_text())
    assert [g.text for g in gates(collapsed) if g.kind != "input"] == [
        "*", "*", "+", "+", "sigmoid"]


@pytest.mark.parametrize("sample", SAMPLES)
@pytest.mark.parametrize("expand", [False, True])
def test_dot_of_the_samples_is_valid(sample: str, expand: bool) -> None:
    args = ["graph", "-f", sample, "-F", "dot"] + (["--expand"] if expand else [])
    result = run(*args)
    assert result.code == 0, result.err
    assert result.out.startswith("digraph backprop {")
    dot_accepts(result.out)


@settings(max_examples=40)
@given(programs())
def test_dot_and_mermaid_of_random_programs(program: str) -> None:
    graph = parse_program(program)
    picture = Picture(graph)
    dot_accepts(render_dot(picture, RenderOptions()))
    check_mermaid(render_mermaid(picture, RenderOptions()))


def test_svg_holds_every_label_value_and_gradient(tmp_path) -> None:
    out = tmp_path / "neuron.svg"
    result = run("graph", "-f", "samples/neuron.bp", "-o", str(out), "-p", "4")
    assert result.code == 0, result.err
    svg = out.read_text()
    texts = [html.unescape(t) for t in re.findall(r"<text[^>]*>([^<]*)</text>", svg)]
    from backprop_cli import evaluate

    evaluation = evaluate(Path("samples/neuron.bp").read_text())
    graph = evaluation.graph
    for gate in gates(graph):
        assert gate.text in texts, gate.text
    shown = set(texts)
    for gate in gates(graph):
        for source in gate.wires:
            value = f"{evaluation.evaluation.values[source]:.4g}"
            grad = f"{evaluation.evaluation.grads[source]:.4g}"
            assert value in shown and grad in shown, (source, value, grad)


@pytest.mark.parametrize("fmt", ["png", "pdf"])
def test_binary_formats_are_rendered(tmp_path, fmt: str) -> None:
    out = tmp_path / f"graph.{fmt}"
    result = run("graph", "-f", "samples/sigmoid.bp", "--expand", "-o", str(out))
    assert result.code == 0, result.err
    magic = {"png": b"\x89PNG", "pdf": b"%PDF"}[fmt]
    assert out.read_bytes().startswith(magic)
    refused = run("graph", "-f", "samples/sigmoid.bp", "-F", fmt)
    assert refused.code == 2 and "-o FILE" in refused.err


def check_mermaid(text: str) -> None:
    """Structure: a flowchart header, declared nodes, and edges between declared nodes."""
    lines = text.splitlines()
    assert lines[0] == "flowchart LR"
    declared: set[str] = set()
    node = re.compile(r'^  (n\d+|output)(\["[^"]*"\]|\(\("[^"]*"\)\)|\("[^"]*"\))$')
    edge = re.compile(r'^  (n\d+) -->(\|"[^"]*"\|)? (n\d+|output)$')
    for line in lines[1:]:
        if line.startswith("  %%"):
            continue
        if match := node.match(line):
            declared.add(match.group(1))
        elif match := edge.match(line):
            assert match.group(1) in declared and match.group(3) in declared, line
        else:
            raise AssertionError(f"not a Mermaid node or edge: {line!r}")


@pytest.mark.parametrize("sample", SAMPLES)
def test_mermaid_of_the_samples(sample: str) -> None:
    result = run("graph", "-f", sample, "-F", "mermaid")
    assert result.code == 0, result.err
    check_mermaid(result.out)
    assert '-->|"' in result.out  # evaluated: wires carry value / gradient


def test_structure_alone_without_values() -> None:
    result = run("graph", "(x+y)*z", "-F", "dot")
    assert result.code == 0, result.err
    assert "label=<" not in result.out
    dot_accepts(result.out)
    partial = run("graph", "(x+y)*z", "x=1", "-F", "dot")
    assert partial.code == 2 and "y, z" in partial.err


def test_tree_shows_values_gradients_and_fan_out_once() -> None:
    result = run("graph", "b = a * a; c = b + b", "a=3", "-F", "tree")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("c = b + b")
    assert "grad 1" in lines[0]
    assert sum("shown above" in line for line in lines) == 2  # b again, a again
    assert "value 9" in result.out and "grad 12" in result.out


def test_tree_of_a_ten_thousand_deep_chain_is_cut() -> None:
    depth = 10_000
    result = run("graph", "sin(" * depth + "x" + ")" * depth, "x=0.5", "-F", "tree")
    assert result.code == 0, result.err
    assert "… cut here (--max-depth)" in result.out
    shown = len(result.out.splitlines()) - 2  # the marker and the count
    assert f"{depth + 1 - shown:,} of {depth + 1:,} nodes not shown" in result.out
    assert shown < 40
    for line in result.out.splitlines():
        assert len(line.rstrip()) <= 100


def test_dot_of_ten_thousand_nodes() -> None:
    program = " + ".join(f"sin(x * {i})" for i in range(2500))
    result = run("graph", program, "x=0.1", "-F", "dot")
    assert result.code == 0, result.err
    assert result.out.count("->") >= 7499


def test_output_file_formats_from_extension(tmp_path) -> None:
    for name, start in (("g.dot", "digraph"), ("g.mmd", "flowchart LR"), ("g.svg", "<?xml")):
        out = tmp_path / name
        assert run("graph", "(x+y)*z", "x=1", "y=3", "z=-3", "-o", str(out)).code == 0
        assert out.read_text().startswith(start), name


HAS_DOT = graph_dot.library_available() or shutil.which("dot") is not None


@pytest.mark.parametrize("fmt, marker", [
    ("tree", "value -12"), ("dot", "digraph"), ("mermaid", "flowchart"),
])
def test_graph_text_formats(fmt: str, marker: str) -> None:
    result = clean(run("graph", NEURON, *POINT, "-F", fmt), 0)
    assert marker in result.out


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("suffix, magic", [(".svg", b"<svg"), (".png", b"\x89PNG"),
                                           (".pdf", b"%PDF")])
def test_graph_rendered_files(tmp_path: Path, suffix: str, magic: bytes) -> None:
    target = tmp_path / f"g{suffix}"
    clean(run("graph", NEURON, *POINT, "-o", str(target)), 0)
    assert magic in target.read_bytes()[:400]


@pytest.mark.parametrize("target", [
    "/nonexistent/dir/x.svg", "/nonexistent/dir/x.png", "/nonexistent/dir/x.dot",
    "/nonexistent/dir/x.mmd", "/nonexistent/dir/x.txt",
])
def test_graph_unwritable_output_is_exit_1(target: str) -> None:
    if target.endswith((".svg", ".png")) and not HAS_DOT:
        pytest.skip("Graphviz's dot is not installed")
    clean(run("graph", NEURON, *POINT, "-o", target), 1, "cannot write", target)


def test_graph_output_to_a_directory_is_exit_1(tmp_path: Path) -> None:
    clean(run("graph", NEURON, *POINT, "-o", str(tmp_path)), 1, str(tmp_path))


@pytest.mark.parametrize("options, says", [
    (["-F", "png"], "-o FILE"),
    (["-F", "pdf"], "-o FILE"),
    (["-F", "jpeg"], "--format"),
    (["--max-depth", "0"], "--max-depth"),
    (["--max-depth", "-1"], "--max-depth"),
    (["--max-depth", "1.5"], "--max-depth"),
    (["--max-depth", "nan"], "--max-depth"),
    (["-p", "0"], "--precision"),
    (["-p", "18"], "--precision"),
    (["--bogus"], "--bogus"),
])
def test_graph_bad_options_are_exit_2(options: list[str], says: str) -> None:
    clean(run("graph", NEURON, *POINT, *options), 2, says)


def test_graph_max_depth_cuts_the_tree() -> None:
    out = clean(run("graph", NEURON, *POINT, "-F", "tree", "--max-depth", "1"), 0).out
    assert "cut here" in out and "x   value" not in out
    huge = clean(run("graph", NEURON, *POINT, "-F", "tree", "--max-depth", "10" * 15), 0).out
    assert "x   value 1" in huge


def test_graph_without_values_and_with_some_missing() -> None:
    out = clean(run("graph", NEURON, "-F", "tree"), 0).out
    assert "value" not in out and "x" in out
    clean(run("graph", NEURON, "x=1", "y=3"), 2, "z")


def test_graph_nonfinite_values() -> None:
    clean(run("graph", "log(x)", "x=0", "-F", "mermaid"), 1, "log", "x = 0")
    out = clean(run("graph", "log(x)", "x=0", "-F", "mermaid", "--allow-nonfinite"), 0).out
    assert "-inf" in out


def test_graph_blocks_and_expand() -> None:
    program = "def f(a, b) = a*b + sigmoid(a)\nf(x, y) * 2"
    folded = clean(run("graph", program, "x=1", "y=2", "-F", "tree"), 0).out
    expanded = clean(run("graph", program, "x=1", "y=2", "-F", "tree", "--expand"), 0).out
    assert "[f]" in folded and "exp" not in folded
    assert "[f]" not in expanded and "exp" in expanded


def test_graph_dash_output_means_stdout(tmp_path: Path) -> None:
    """BUG (low): ``-o -`` writes a file literally named '-' instead of stdout."""
    result = run_process("graph", "x*2", "x=1", "-F", "dot", "-o", "-", cwd=tmp_path)
    assert result.returncode == 0
    assert not (tmp_path / "-").exists(), "graph -o - created a file named '-'"
    assert b"digraph" in result.stdout
