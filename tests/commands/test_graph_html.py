"""graph -F html without a browser: one self-contained file, the same bytes every time,
the format from the extension, the steps' words as --explain says them, and the probed
domain and kink rules agreeing with the table of operations at every point.

The page run in a browser is tests/commands/test_graph_html_browser.py.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backprop_cli.core.ops import OPS
from backprop_cli.render import graph_html
from tests.harness import ROOT, run
from tests.strategies import QUICK

NEURON_FILE = str(ROOT / "samples" / "neuron.bp")


def page_of(*args: str, tmp_path: Path, name: str = "page.html") -> str:
    out = tmp_path / name
    done = run("graph", *args, "-o", str(out))
    assert done.code == 0, done.err
    return out.read_text(encoding="utf-8")


def embedded_data(page: str) -> dict:
    match = re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S)
    assert match is not None
    return json.loads(match.group(1))


# -- 1. one file, offline, the same bytes -------------------------------------------------

def test_the_extension_picks_html_and_the_bytes_repeat(tmp_path: Path) -> None:
    first = page_of("-f", NEURON_FILE, tmp_path=tmp_path, name="a.html")
    second = page_of("-f", NEURON_FILE, tmp_path=tmp_path, name="b.htm")
    assert first == second
    assert first.startswith("<!DOCTYPE html>")
    done = run("graph", "-f", NEURON_FILE, "-F", "html")  # stdout too
    assert done.code == 0 and done.out == first


def test_nothing_is_fetched_from_anywhere(tmp_path: Path) -> None:
    page = page_of("-f", NEURON_FILE, tmp_path=tmp_path)
    lowered = page.lower()
    for sign in ("<link", " src=", "@import", "url(", "@font-face", "fetch(", "xmlhttprequest",
                 "import(", "<iframe", "<img"):
        assert sign not in lowered, sign
    # the only addresses are XML namespaces, which name and never load
    for address in re.findall(r"https?://[^\s\"'<>]+", page):
        assert address.startswith(("http://www.w3.org/",)), address
    assert "default-src 'none'" in page  # and the page forbids itself any request


def test_a_wrong_extension_or_format_is_refused(tmp_path: Path) -> None:
    done = run("graph", "-f", NEURON_FILE, "-F", "html", "-o", str(tmp_path / "g.svg"))
    assert done.code == 2 and "a .svg file holds svg, not html" in done.err
    done = run("graph", "-f", NEURON_FILE, "-F", "svg", "-o", str(tmp_path / "g.html"))
    assert done.code == 2 and "a .html file holds html, not svg" in done.err
    done = run("graph", "-f", NEURON_FILE, "-o", str(tmp_path / "g.xyz"))
    assert done.code == 2 and ".html" in done.err and "html)" in done.err


def test_the_page_needs_a_point(tmp_path: Path) -> None:
    done = run("graph", "x * y", "-F", "html", "-o", str(tmp_path / "g.html"))
    assert done.code == 2
    assert "x" in done.err and "Traceback" not in done.err
    assert not (tmp_path / "g.html").exists()


ARRAY_SAMPLES = [["-f", str(ROOT / "samples" / "neuron-vectors.bp")],
                 ["-f", str(ROOT / "samples" / "layer.bp")],
                 # broadcast: the contributions to v and s summed back to their shapes
                 ["outer(u, v) * 2 + v + s", "u=[1,-2]", "v=[0.5,3,-1]", "s=0.25"]]


@pytest.mark.parametrize("program", ARRAY_SAMPLES)
def test_an_array_program_has_its_shapes_and_numbers(tmp_path: Path, program: list[str]) -> None:
    """Shapes, the first point's numbers as nested lists (eval -F json's), and every
    step's contributions and local derivatives as --explain -F json gives them."""
    data = embedded_data(page_of(*program, tmp_path=tmp_path))
    explained = json.loads(run("eval", *program, "--explain", "-F", "json").out)
    for view in data["views"][:1]:
        assert view["arrays"] is True
        assert [n["shape"] for n in view["nodes"]] == [n["shape"] for n in explained["nodes"]]
        assert view["first"]["values"] == [n["value"] for n in explained["nodes"]]
        assert view["first"]["grads"] == [n["grad"] for n in explained["nodes"]]
        assert [i["value"] for i in view["inputs"]] == [
            n["value"] for n in explained["nodes"] if n["op"] == "input"]
        assert [s["node"] for s in view["backward"]] == [s["node"] for s in explained["steps"]]
        for k, (ours, theirs) in enumerate(zip(view["backward"], explained["steps"])):
            cs = theirs["contributions"]
            assert [c["to"] for c in ours["contributions"]] == [c["to"] for c in cs]
            assert [c["rule"] for c in ours["contributions"]] == [c["rule"] for c in cs]
            assert [c["summed"] for c in ours["contributions"]] == [c["summed"] for c in cs]
            assert [c["formula"] for c in ours["contributions"]] == [
                c["local_formula"] for c in cs]
            assert view["first"]["contributions"][k] == [c["contribution"] for c in cs]
            assert view["first"]["locals"][k] == [c["local"] for c in cs]
            modules = view["nodes"][ours["node"]]["modules"]  # the live numbers' modules
            rules = {c["rule"] for c in cs}
            assert (modules is None) == (rules <= {"chain"})
            assert modules is None or ("local" in modules) == ("elementwise" in rules)
    if program is ARRAY_SAMPLES[2]:
        assert any(c["summed"] for s in data["views"][0]["backward"] for c in s["contributions"])


def test_a_rule_in_numbers_is_filled_in_from_the_live_numbers(tmp_path: Path) -> None:
    """A tensor op's rule with its numbers (``upstream @ x^T = [..] @ [-1, -2]^T``): pieces
    of text and, between them, the upstream gradient (-1) or an operand's node id, which
    put together at the first point give --explain's text."""
    program = ["-f", str(ROOT / "samples" / "layer.bp")]
    view = embedded_data(page_of(*program, tmp_path=tmp_path))["views"][0]
    text = run("eval", *program, "--explain", "-p", "6").out
    from backprop_cli.core.numbers import shown

    def num(v: object) -> str:
        t = shown(v, 6)
        return f"({t})" if t.startswith("-") else t

    filled = 0
    for step in view["backward"]:
        for c in step["contributions"]:
            if c.get("numbers") is None:
                continue
            upstream = view["first"]["grads"][step["node"]]
            words = "".join(part if i % 2 == 0 else
                            num(upstream if part == -1 else view["first"]["values"][part])
                            for i, part in enumerate(c["numbers"]))
            assert f"{c['formula']} = {words} = " in text
            filled += 1
    assert filled == 2  # W @ x: dW and dx


def test_a_domain_error_at_the_first_point_is_the_cli_error(tmp_path: Path) -> None:
    done = run("graph", "log(x)", "x=0", "-o", str(tmp_path / "g.html"))
    assert done.code == 1 and "log of zero" in done.err


# -- 2. the data of the steps: the words of --explain ---------------------------------------

def test_the_steps_are_those_of_explain(tmp_path: Path) -> None:
    page = page_of("-f", NEURON_FILE, tmp_path=tmp_path)
    view = embedded_data(page)["views"][0]
    explained = json.loads(run("eval", "-f", NEURON_FILE, "--explain", "-F", "json").out)
    assert [s["node"] for s in view["backward"]] == [s["node"] for s in explained["steps"]]
    for ours, theirs in zip(view["backward"], explained["steps"]):
        assert ours["pattern"] == theirs["pattern"]
        assert ([c["to"] for c in ours["contributions"]]
                == [c["to"] for c in theirs["contributions"]])
        assert [c["formula"] for c in ours["contributions"]] == [
            c["local_formula"] for c in theirs["contributions"]]
    assert view["first"]["values"] == [n["value"] for n in explained["nodes"]]
    assert view["first"]["grads"] == [n["grad"] for n in explained["nodes"]]
    # every drawn node is a forward step, in the graph's order
    assert view["forward"] == sorted(view["forward"])
    assert set(view["forward"]) >= {n["id"] for n in explained["nodes"] if n["op"] == "input"}


def test_a_program_with_blocks_has_both_views(tmp_path: Path) -> None:
    data = embedded_data(page_of("-f", str(ROOT / "samples" / "sigmoid.bp"), tmp_path=tmp_path))
    assert [v["key"] for v in data["views"]] == ["blocks", "expanded"]
    expanded = json.loads(run("eval", "-f", str(ROOT / "samples" / "sigmoid.bp"), "--expand",
                              "-F", "json").out)
    assert data["views"][1]["first"]["values"] == [n["value"] for n in expanded["nodes"]]
    single = embedded_data(page_of("-f", NEURON_FILE, tmp_path=tmp_path))
    assert [v["key"] for v in single["views"]] == ["blocks"]


def test_the_page_help_has_an_example() -> None:
    done = run("graph", "--help")
    assert "-o neuron.html" in done.out and "html" in done.out


# -- 3. the probed rules agree with the table at every point --------------------------------

CLASS_EDGES = st.sampled_from([-1.0, 0.0, 1.0, -2.0, 2.0, 3.0, -3.0, 0.5])
NUMBERS = st.one_of(st.floats(-50, 50, allow_nan=False), CLASS_EDGES,
                    st.integers(-5, 5).map(float))


def number_class(x: float) -> int:
    """The class page.js gives a number (numberClass), written again to test the probe."""
    if x < -1:
        return 1 if x == int(x) else 0
    if x == -1:
        return 2
    if x < 0:
        return 3
    if x == 0:
        return 4
    if x < 1:
        return 5
    if x == 1:
        return 6
    return 7 if x == int(x) else 8


def test_the_representatives_are_in_their_classes() -> None:
    assert [number_class(p) for p in graph_html.CLASS_POINTS] == list(range(9))
    for k, other in enumerate(graph_html.OTHER_POINTS):
        assert other is None or number_class(other) == k


DOMAIN_OPS = sorted((name, arity) for name, op in OPS.items() if op.domain is not None
                    for arity in range(op.min_args, (op.max_args or op.min_args) + 1)
                    if arity <= graph_html.PROBED_ARGS)


@QUICK
@given(st.sampled_from(DOMAIN_OPS), st.lists(NUMBERS, min_size=2, max_size=2))
def test_the_probed_domain_is_the_op_own(case: tuple[str, int], numbers: list[float]) -> None:
    name, arity = case
    op = OPS[name]
    args = numbers[:arity]
    table = graph_html._probe_domain(op, arity)
    key = ",".join(str(number_class(a)) for a in args)
    assert table.get(key) == op.explain_domain(*args)


KINK_OPS = sorted(name for name, op in OPS.items() if op.kink is not None)


@QUICK
@given(st.sampled_from(KINK_OPS), st.integers(1, 5), st.lists(NUMBERS, min_size=5, max_size=5),
       st.data())
def test_the_probed_kink_is_the_op_own(name: str, arity: int, numbers: list[float],
                                       data: st.DataObject) -> None:
    op = OPS[name]
    arity = max(op.min_args, min(arity, op.max_args or arity))
    args = numbers[:arity]
    # the output: one of the arguments (a tie, or max's own) or a number of its own
    out = data.draw(st.one_of(st.sampled_from(args), NUMBERS))
    table = graph_html._probe_kink(op, arity)
    if arity > graph_html.PROBED_ARGS:
        key = "".join("=" if a == out else "." for a in args)
    else:
        key = ",".join(f"{number_class(a)}{'=' if a == out else ''}" for a in args)
    found = op.kink.at(out, *args)
    assert table.get(key) == (found.reason if found is not None else None)


def test_a_module_becomes_a_function_scope() -> None:
    body, names = graph_html.unexported(
        "const k = 2;\nexport function trace(p) { return k; }\nexport const f = 1;\n"
        "function g() {}\nexport { g as grad, k };\n")
    assert "export" not in body
    assert names == {"trace": "trace", "f": "f", "grad": "g", "k": "k"}
    with pytest.raises(ValueError):
        graph_html.unexported("import x from './x.js';\n")


def test_no_number_in_the_data_is_lost(tmp_path: Path) -> None:
    data = embedded_data(page_of("-f", NEURON_FILE, "w0=1e-300", tmp_path=tmp_path))
    values = data["views"][0]["first"]["values"]
    assert values[0] == 1e-300 and all(math.isfinite(v) for v in values)


@pytest.mark.parametrize("program", ARRAY_SAMPLES)
def test_an_array_gate_graph_gives_the_steps_numbers(program: list[str]) -> None:
    """What the page asks each array gate's generated module, asked here of the engine:
    ``g * op(a...)``'s gradient by ``a_k`` at the gate's upstream gradient is the
    contribution --explain shows; with the operands spread to the gate's shape, at ones,
    it is the local derivative, which taken back to --explain's shape (the first element
    along the axes the local does not vary on) is --explain's."""
    import numpy as np

    from backprop_cli.api import array_shapes, bind_inputs, parse_program, shaped_for
    from backprop_cli.core.engine import evaluate_graph
    from backprop_cli.explain import steps
    from backprop_cli.numerics.tensor_math import POINT
    from backprop_cli.values import parse_value

    text = Path(program[1]).read_text() if program[0] == "-f" else program[0]
    bindings = dict(b.split("=", 1) for b in program[1:] if "=" in b)
    values = {name: parse_value(name, v) for name, v in bindings.items()}
    graph = shaped_for(parse_program(text, input_shapes=array_shapes(values)), values)
    evaluation = evaluate_graph(graph, bind_inputs(graph, values), xp=POINT)
    checked = 0
    for step in steps(graph, evaluation.values, evaluation.grads, POINT):
        node = graph.nodes[step.node]
        args = [evaluation.values[a] for a in node.args]
        if graph_html.scalar_gate(graph, step.node):
            continue
        gate = graph_html.array_gate_graph(graph, step.node)
        run_gate = evaluate_graph(gate, dict(enumerate([step.upstream, *args])), xp=POINT)
        out_shape = np.shape(evaluation.values[step.node])
        if any(c.rule == "elementwise" for c in step.contributions):
            spread = graph_html.array_gate_graph(graph, step.node, spread=True)
            ones = np.ones(out_shape) if out_shape else 1.0
            spread_args = [np.broadcast_to(a, out_shape).copy() if out_shape else a
                           for a in args]
            run_spread = evaluate_graph(spread, dict(enumerate([ones, *spread_args])), xp=POINT)
        position = 0
        for c in step.contributions:
            k = node.args.index(c.target, position)
            position = k + 1
            np.testing.assert_allclose(run_gate.grads[1 + k], c.value, rtol=1e-15)
            if c.rule == "elementwise":
                local = np.asarray(run_spread.grads[1 + k])
                want = np.shape(c.local)
                index = tuple(0 if n != m else slice(None) for n, m in zip(
                    (1,) * (len(out_shape) - len(want)) + want, out_shape))
                np.testing.assert_allclose(np.reshape(local[index], want), c.local, rtol=1e-15)
            checked += 1
    assert checked
