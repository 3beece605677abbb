"""``--format table``: a Rich table, one row per node, inputs and output stand out."""

from __future__ import annotations

from rich.text import Text

from ..api import NodeRecord, Result
from ..core.names import short_name
from ..core.numbers import shown
from .registry import RenderOptions
from .tables import FOLD, NUMBER, WORDS, Column, Grid, Note, Row

INPUT_STYLE = "cyan"
OUTPUT_STYLE = "bold yellow"
GRAD_STYLE = "red"
VALUE_STYLE = "green"

# Numbers never wrap; the node's formula folds; the op, input ids and notes wrap at words.
COLUMNS = (
    Column("id", justify="right", style="dim", kind=NUMBER),
    Column("node", kind=FOLD),
    Column("op", kind=WORDS),
    Column("inputs", style="dim", kind=WORDS),
    Column("value", justify="right", style=VALUE_STYLE, kind=NUMBER),
    Column("grad", justify="right", style=GRAD_STYLE, kind=NUMBER),
    Column("notes", style="dim", kind=WORDS),
)


def node_text(record: NodeRecord) -> Text:
    """``q = x + y`` for a named gate, the name for a leaf, else the formula."""
    if record.name is not None and record.op not in ("input", "const"):
        text = Text(record.name, style="bold")
        text.append(" = ")
        text.append(record.label)
        return text
    return Text(record.label)


SHAPE_COLUMN = Column("shape", style="dim", kind=WORDS)


def shape_text(shape: tuple[int, ...]) -> str:
    """``scalar``, ``3``, ``2x3``: a node's shape in the table."""
    return "x".join(map(str, shape)) if shape else "scalar"


def render(result: Result, options: RenderOptions) -> Grid:
    p = options.precision
    graph = result.graph
    records = result.nodes
    output = short_name(result.output)
    output_value = (str(result.exact[0][graph.output]) if result.exact is not None
             else shown(result.value, p))
    uses, kinks = notes(result)
    rows: list[Row | Note] = []
    previous = -1
    for i in _rows_to_show(len(records), graph.output, options.max_rows):
        if i != previous + 1:
            skipped = i - previous - 1
            rows.append(Note(Text(f"… {skipped:,} nodes not shown (--max-rows)", style="dim"),
                             column=1))
        r = records[i]
        op = r.op if r.op != "def" else f"{graph.nodes[i].op.name} (def)"
        style = OUTPUT_STYLE if i == graph.output else (INPUT_STYLE if r.op == "input" else None)
        if result.exact is not None:
            shown_value, shown_grad = str(result.exact[0][i]), str(result.exact[1][i])
        else:
            shown_value, shown_grad = shown(r.value, p), shown(r.grad, p)
        node = node_text(r) if r.name is not None and r.op not in ("input", "const") else r.label
        cells: tuple = (str(r.id), node, op, ", ".join(map(str, r.inputs)),
                        shown_value, shown_grad, _note(uses[i], kinks.get(i)))
        if graph.arrays:
            cells = (*cells[:3], shape_text(graph.nodes[i].shape), *cells[3:])
        rows.append(Row(cells, style))
        previous = i
    columns = COLUMNS if not graph.arrays else (*COLUMNS[:3], SHAPE_COLUMN, *COLUMNS[3:])
    caption = f"grad = d {output} / d node"
    if graph.arrays and graph.nodes[graph.output].shape:  # seeded with ones: of the sum
        caption = f"grad = d sum({output}) / d node (the output is an array)"
    return Grid(columns, rows, title=Text(f"{output} = {output_value}", style=OUTPUT_STYLE),
                caption=Text(caption, style="dim"))


def notes(result: Result) -> tuple[list[int], dict[int, str]]:
    """How many gradients each node's gradient sums, and the gates at a kink or tie."""
    from ..core.kinks import kink_at

    graph = result.graph
    values = result.evaluation.values
    uses = [0] * len(graph.nodes)
    reached = {graph.output}
    kinks: dict[int, str] = {}
    for i in range(graph.output, -1, -1):
        if i not in reached:
            continue
        node = graph.nodes[i]
        for a in node.args:
            if graph.needs_grad[a]:
                uses[a] += 1
        reached.update(node.args)
        if node.op.kink is not None and not graph.arrays:
            kink = kink_at(graph, i, values)
            if kink is not None:
                kinks[i] = kink.kind
    return uses, kinks


def _note(uses: int, kink: str | None) -> str:
    parts = [f"sum of {uses}"] if uses > 1 else []
    if kink:
        parts.append(kink)
    return ", ".join(parts)


def _rows_to_show(count: int, output: int, max_rows: int) -> list[int]:
    if max_rows <= 0 or count <= max_rows:
        return list(range(count))
    head = max_rows // 2
    tail = max_rows - head
    rows = list(range(head)) + list(range(count - tail, count))
    if output not in rows:
        rows.append(output)
    return sorted(set(rows))
