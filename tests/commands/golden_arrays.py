"""The reviewed outputs of the array commands (tests/golden/), run by test_golden.py's
``test_golden_command_output`` with the other cases."""

from __future__ import annotations

GRAPH_SMALL = "W=[[1,2],[3,4]]; x=[1,-1]; h = tanh(W.T @ x); sum(h) + x[0] + max(W[1, 0:2])"
GRAPH_LARGE = "W=[[1,2,3],[3,4,5],[1,1,1]]; x=[1,-1,2]; sum(tanh(W @ x + 1) * [1,2,3])"
GRAPH_DEF = "def layer(W, x) = tanh(W @ x); W=[[1,2],[3,4]]; x=[1,-1]; sum(layer(W, x))"
EXPLAIN = "W=[[1,2],[3,4]]; x=[1,-1]; b=0.5; h = tanh(W @ x + b); sum(h * x) + max(x)"
HESSIAN = "W=[[1,2],[3,4]]; x=[0.5,-1]; sum(tanh(W @ x)) + dot(x, x) * x[0]"
CHECK = "W=[[1,2],[3,4]]; x=[1.5,-0.5]; b=[0, 1]; sum(relu(W @ x + b)) + max(x)"

ARRAY_CASES: dict[str, tuple[str, ...]] = {
    **{f"graph/{name}.{fmt}": ("graph", program, "-F", fmt, *extra)
       for name, program, extra in (("arrays", GRAPH_SMALL, ()),
                                    ("arrays-large", GRAPH_LARGE, ()),
                                    ("arrays-def", GRAPH_DEF, ()),
                                    ("arrays-def-expanded", GRAPH_DEF, ("--expand",)))
       for fmt in ("tree", "dot", "mermaid")},
    "explain/arrays.txt": ("eval", EXPLAIN, "--explain", "-p", "4"),
    "explain/arrays.json": ("eval", "W=[[1,2],[3,4]]; x=[1,-1]; sum(W @ x + 1)", "--explain",
                            "-F", "json"),
    "hessian/arrays.table": ("hessian", HESSIAN),
    "hessian/arrays.json": ("hessian", HESSIAN, "-F", "json"),
    "check/arrays.table": ("check", CHECK),
    "check/arrays.json": ("check", CHECK, "-F", "json"),
}
