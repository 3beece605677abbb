"""backprop graph of array programs: shapes on the nodes, the numbers of small arrays on
the wires (the shape of larger ones), in every format; --expand."""

from __future__ import annotations

from tests.harness import run

SMALL = "W=[[1,2],[3,4]]; x=[1,-1]; h = tanh(W.T @ x); sum(h) + x[0] + max(W[1, 0:2])"
LARGE = "W=[[1,2,3],[3,4,5],[1,1,1]]; x=[1,-1,2]; sum(tanh(W @ x + 1) * [1,2,3])"
LAYER = "def layer(W, x) = tanh(W @ x); W=[[1,2],[3,4]]; x=[1,-1]; sum(layer(W, x))"


def test_the_tree_shows_shapes_and_numbers() -> None:
    out = run("graph", SMALL, "-F", "tree").out
    assert "W  shape 2x2   value [[1, 2], [3, 4]]" in out
    assert "x  shape 2   value [1, -1]" in out
    assert "W.T  [transpose]  shape 2x2" in out


def test_a_large_array_shows_its_shape_only() -> None:
    tree = run("graph", LARGE, "-F", "tree").out
    assert "W  shape 3x3   9 elements: backprop eval shows them" in tree
    dot = run("graph", LARGE, "-F", "dot").out
    assert 'n0 -> n2 [label=<<font color="#57606a">3x3</font>>]' in dot
    mermaid = run("graph", LARGE, "-F", "mermaid").out
    assert 'n0 -->|"3x3"| n2' in mermaid
    assert '[1, -1, 2] / ' in mermaid  # a vector of 3 is small: its numbers


def test_the_sfdp_layout_puts_shapes_in_the_gates() -> None:
    out = run("graph", SMALL, "-F", "dot", "--layout", "sfdp").out
    assert 'point-size="10">2x2</font>' in out
    assert "[1, -1]" in out


def test_array_gates_are_drawn_as_written() -> None:
    out = run("graph", SMALL, "-F", "mermaid").out
    for text in ('((".T', '(("[1, 0:2]', '(("[0]', '(("max', '(("@'):
        assert text in out


def test_a_bound_array() -> None:
    result = run("graph", "sum(w * w)", "w=[1,2,3]", "-F", "tree")
    assert result.code == 0, result.err
    assert "w  shape 3   value [1, 2, 3]  grad [2, 4, 6]" in result.out


def test_scalar_programs_show_no_shapes() -> None:
    out = run("graph", "(x+y)*z", "x=1", "y=3", "z=-3", "-F", "tree").out
    assert "shape" not in out
