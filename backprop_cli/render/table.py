"""``--format table``: a Rich table, one row per node, inputs and output stand out."""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text

from ..api import NodeRecord, Result
from . import RenderOptions

INPUT_STYLE = "cyan"
OUTPUT_STYLE = "bold yellow"
GRAD_STYLE = "red"
VALUE_STYLE = "green"


def number(value: float, precision: int) -> str:
    text = f"{value:.{precision}g}"
    return "0" if text == "-0" else text


def node_text(record: NodeRecord) -> Text:
    """``q = x + y`` for a named gate, the name for a leaf, else the formula."""
    if record.name is not None and record.op not in ("input", "const"):
        text = Text(record.name, style="bold")
        text.append(" = ")
        text.append(record.label)
        return text
    return Text(record.label)


def render(result: Result, options: RenderOptions) -> Table:
    p = options.precision
    graph = result.graph
    records = result.nodes
    output = result.output if len(result.output) <= 60 else result.output[:59] + "…"
    title = Text(f"{output} = {number(result.value, p)}", style=OUTPUT_STYLE)
    table = Table(
        title=title,
        caption=Text(f"grad = d {output} / d node", style="dim"),
        box=box.SIMPLE_HEAD,
        title_justify="left",
        caption_justify="left",
    )
    table.add_column("id", justify="right", style="dim")
    table.add_column("node", overflow="fold", ratio=3)
    table.add_column("op")
    table.add_column("inputs", style="dim")
    table.add_column("value", justify="right", style=VALUE_STYLE, no_wrap=True)
    table.add_column("grad", justify="right", style=GRAD_STYLE, no_wrap=True)
    shown = _rows_to_show(len(records), graph.output, options.max_rows)
    previous = -1
    for i in shown:
        if i != previous + 1:
            skipped = i - previous - 1
            table.add_row("", Text(f"… {skipped:,} nodes not shown (--max-rows)", style="dim"))
        r = records[i]
        op = r.op if r.op != "def" else f"{graph.nodes[i].op.name} (def)"
        style = OUTPUT_STYLE if i == graph.output else (INPUT_STYLE if r.op == "input" else None)
        table.add_row(
            str(r.id), node_text(r), op, ", ".join(map(str, r.inputs)),
            number(r.value, p), number(r.grad, p), style=style,
        )
        previous = i
    return table


def _rows_to_show(count: int, output: int, max_rows: int) -> list[int]:
    if max_rows <= 0 or count <= max_rows:
        return list(range(count))
    head = max_rows // 2
    tail = max_rows - head
    rows = list(range(head)) + list(range(count - tail, count))
    if output not in rows:
        rows.append(output)
    return sorted(set(rows))
