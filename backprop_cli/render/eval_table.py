"""``--format table``: a Rich table, one row per node, inputs and output stand out."""

from __future__ import annotations

from rich import box
from rich.table import Table
from rich.text import Text

from ..api import NodeRecord, Result
from ..core.names import short_name
from ..core.numbers import shown
from .registry import RenderOptions

INPUT_STYLE = "cyan"
OUTPUT_STYLE = "bold yellow"
GRAD_STYLE = "red"
VALUE_STYLE = "green"


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
    output = short_name(result.output)
    output_value = (str(result.exact[0][graph.output]) if result.exact is not None
             else shown(result.value, p))
    title = Text(f"{output} = {output_value}", style=OUTPUT_STYLE)
    table = Table(
        title=title,
        caption=Text(f"grad = d {output} / d node", style="dim"),
        box=box.SIMPLE_HEAD,
        title_justify="left",
        caption_justify="left",
    )
    # Every header and cell is a Text: a str would go through Rich's markup and emoji
    # replacement (the emoji table alone costs about 2 ms to load) to the same Text.
    table.add_column(Text("id"), justify="right", style="dim")
    table.add_column(Text("node"), overflow="fold", ratio=3)
    table.add_column(Text("op"))
    table.add_column(Text("inputs"), style="dim")
    table.add_column(Text("value"), justify="right", style=VALUE_STYLE, no_wrap=True)
    table.add_column(Text("grad"), justify="right", style=GRAD_STYLE, no_wrap=True)
    table.add_column(Text("notes"), style="dim")
    uses, kinks = notes(result)
    rows_shown = _rows_to_show(len(records), graph.output, options.max_rows)
    previous = -1
    for i in rows_shown:
        if i != previous + 1:
            skipped = i - previous - 1
            table.add_row(Text(), Text(f"… {skipped:,} nodes not shown (--max-rows)", style="dim"),
                          *[Text() for _ in range(5)])
        r = records[i]
        op = r.op if r.op != "def" else f"{graph.nodes[i].op.name} (def)"
        style = OUTPUT_STYLE if i == graph.output else (INPUT_STYLE if r.op == "input" else None)
        if result.exact is not None:
            shown_value, shown_grad = str(result.exact[0][i]), str(result.exact[1][i])
        else:
            shown_value, shown_grad = shown(r.value, p), shown(r.grad, p)
        table.add_row(
            Text(str(r.id)), node_text(r), Text(op), Text(", ".join(map(str, r.inputs))),
            Text(shown_value), Text(shown_grad), Text(_note(uses[i], kinks.get(i))), style=style,
        )
        previous = i
    return table


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
        if node.op.kink is not None:
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
