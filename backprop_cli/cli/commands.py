"""The commands: their declarations, and the wiring from options to computation."""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from click.core import ParameterSource

from ..core.errors import InputError, OutputError
from .options import (
    Finite,
    FormulaFirstCommand,
    ProgramSpec,
    cli_advice,
    format_from_path,
    load_program,
    open_lines,
    program_options,
    stdin_bytes,
    wrt_list,
)
from .output import make_console, render, show, write

EVAL_EPILOG = """\b
Examples:
  backprop eval "(x+y)*z" x=1 y=3 z=-3
  backprop eval "q = x + y; f = q * z" x=-2 y=5 z=-4 --format json
  backprop eval -f samples/neuron.bp --expand
  cat program.bp | backprop eval - x=1 --format csv
  backprop eval "-x^2" x=3 --value
  dx=$(backprop eval "x^3" x=2 --grad x)
"""


@click.command("eval", cls=FormulaFirstCommand, epilog=EVAL_EPILOG)
@program_options
@click.option("-F", "--format", "fmt", default=None,
              type=click.Choice(["table", "json", "csv", "plain", "jsonl"]),
              help="Output format: table (default), json, csv, plain; with --at or --sweep, "
                   "csv (default) or jsonl.")
@click.option("--at", "at", metavar="FILE",
              help="Evaluate at every row of FILE ('-' for stdin): CSV with a header of input "
                   "names, or JSON Lines (.jsonl). One output row per point.")
@click.option("--sweep", "sweeps", metavar="NAME=START:STOP:COUNT", multiple=True,
              help="Evaluate along a range (x=-5:5:101); several sweeps make a grid.")
@click.option("--chunk-rows", default=65_536, show_default=True, type=click.IntRange(1),
              help="Rows evaluated together with --at or --sweep.")
@click.option("--keep", "keep", metavar="COLUMNS", multiple=True,
              help="With --at, copy these columns of FILE (id,label) verbatim into each "
                   "output row, first; columns that are not inputs are otherwise ignored.")
@click.option("--max-line-bytes", default=8 << 20, show_default=True, type=click.IntRange(1),
              help="With --at, refuse a line of FILE longer than this.")
@click.option("--value", "only_value", is_flag=True,
              help="Print only the output's value (for $(...)).")
@click.option("--grad", "only_grad", metavar="NAME", multiple=True,
              help="Print only d output / d NAME, for an input or a named node (for $(...)); "
                   "repeat it for several, one line each in the order given.")
@click.option("--each-line", is_flag=True,
              help="Evaluate each line of the input (-f FILE, '-' or the argument) as a "
                   "program of its own, at the same bindings: one JSON object per line "
                   "(JSON Lines), the exit status of the worst line.")
@click.option("--allow-nonfinite", is_flag=True,
              help="Let nan and inf through instead of stopping with an error.")
@click.option("-p", "--precision", default=6, show_default=True, type=click.IntRange(1, 17),
              help="Significant digits in the table and the explanation.")
@click.option("--max-rows", default=1000, show_default=True, type=click.IntRange(0),
              help="Rows in the table before the middle is elided (0: all).")
@click.option("--explain", is_flag=True,
              help="Print the backward pass step by step, in the tutorials' notation.")
@click.option("--ties", "tie_rule", default="first", show_default=True,
              type=click.Choice(["first", "split", "all"]),
              help="Who gets max/min's gradient on a tie: the first tied input, all of them "
                   "evenly split, or each of them in full.")
@click.option("--exact", "exact_mode", is_flag=True,
              help="Rational arithmetic (+ - * /, integer powers, abs, relu, max, min): "
                   "d/dx (x/3) is 1/3.")
@click.option("--max-digits", default=None, type=click.IntRange(1), metavar="N",
              help="With --exact, refuse a number of more than N digits (numerator or "
                   "denominator)  [default: 100,000].")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0),
              help="The seed of randn and uniform in the program: the same seed, the same "
                   "numbers.")
@click.pass_context
def eval_command(ctx: click.Context, fmt: str | None, at: str | None, sweeps: tuple[str, ...],
                 chunk_rows: int, keep: tuple[str, ...], max_line_bytes: int,
                 only_value: bool, only_grad: tuple[str, ...],
                 each_line: bool, allow_nonfinite: bool, precision: int, max_rows: int,
                 explain: bool, tie_rule: str, exact_mode: bool, max_digits: int | None,
                 seed: int, **program: Any) -> None:
    """Evaluate PROGRAM at a point: every node's value and gradient.

    PROGRAM is a formula or a program of statements separated by ';' or newlines
    ('-' reads it from stdin; -f reads a file). Each NAME=VALUE binds an input.
    """
    from ..api import evaluate_at
    from ..core.names import named_node

    def refuse(first: str, second: str, why: str) -> None:
        raise click.UsageError(f"{first} and {second} cannot be used together: {why}",
                               ctx=ctx)

    number = "--value" if only_value else "--grad" if only_grad else None
    if only_value and only_grad:
        refuse("--value", "--grad", "use one of them")
    if max_digits is not None and not exact_mode:
        raise click.UsageError("--max-digits bounds --exact: give --exact too", ctx=ctx)
    batch = "--at" if at is not None else "--sweep" if sweeps else None
    if each_line:
        if batch:
            refuse("--each-line", batch, "--each-line evaluates each line at one point")
        for other, given in (("--value", only_value), ("--grad", only_grad),
                             ("--explain", explain)):
            if given:
                refuse("--each-line", other, "--each-line writes one JSON object per line")
        if fmt not in (None, "json", "jsonl"):
            refuse("--each-line", f"--format {fmt}", "--each-line writes JSON Lines")
        evaluate_each_line(ctx, ProgramSpec(**program, seed=seed), allow_nonfinite, tie_rule,
                           exact_mode)
        return
    if batch:
        if number:
            refuse(number, batch, f"{number} prints one point's number")
        if fmt not in (None, "csv", "json", "jsonl"):
            raise click.UsageError(f"--format {fmt} is for one point; with {batch} "
                                   "use csv or jsonl", ctx=ctx)
        for other, given in (("--exact", exact_mode), ("--explain", explain)):
            if given:
                refuse(other, batch, f"{other} is for one point")
        for option, parameter in (("-p/--precision", "precision"), ("--max-rows", "max_rows")):
            if ctx.get_parameter_source(parameter) not in (None, ParameterSource.DEFAULT):
                raise click.UsageError(
                    f"{option} is for the table; with {batch} every number is written "
                    "in full, so that it reads back as the same double", ctx=ctx)
        evaluate_many(ctx, ProgramSpec(**program, seed=seed), at, sweeps, fmt or "csv", chunk_rows,
                      allow_nonfinite, tie_rule, keep=keep, max_line_bytes=max_line_bytes)
        return
    for option, parameter in (("--keep", "keep"), ("--max-line-bytes", "max_line_bytes")):
        if ctx.get_parameter_source(parameter) not in (None, ParameterSource.DEFAULT):
            raise click.UsageError(f"{option} is for --at FILE", ctx=ctx)
    if explain and number:
        refuse("--explain", number, f"{number} prints one number alone")
    if number and fmt is not None:
        refuse(number, f"--format {fmt}", f"{number} prints one number alone")
    if explain and fmt not in (None, "table", "json"):
        refuse("--explain", f"--format {fmt}", "the explanation is text (the default) or json")
    given = {name for name in ("precision", "max_rows", "chunk_rows")
             if ctx.get_parameter_source(name) not in (None, ParameterSource.DEFAULT)}
    if "chunk_rows" in given:
        raise click.UsageError("--chunk-rows is for --at or --sweep", ctx=ctx)
    shown_as = (number or (f"--format {fmt}" if fmt not in (None, "table") else None))
    text_explanation = explain and fmt in (None, "table")
    if "precision" in given and shown_as and not text_explanation:
        refuse("-p/--precision", shown_as, "numbers are written in full there, so that they "
               "read back as the same double; -p is for the table and the explanation")
    if "max_rows" in given and (shown_as or explain):
        refuse("--max-rows", shown_as or "--explain", "--max-rows is for the table")
    fmt = fmt or "table"
    if fmt == "jsonl":
        raise click.UsageError("--format jsonl is for --at, --sweep or --each-line", ctx=ctx)
    graph, values, _ = load_program(ctx, ProgramSpec(**program, seed=seed), bind_later=True)
    result = evaluate_at(graph, values, ties=tie_rule, exact=exact_mode,
                         allow_nonfinite=allow_nonfinite, max_digits=max_digits)
    if explain:
        show(render("explain", "json" if fmt == "json" else "text", result,
                    precision=precision))
        return
    if only_value:
        write(result.number_text(graph.output) + "\n")
        return
    if only_grad:
        nodes = [named_node(graph, name, "--grad") for name in only_grad]
        write("".join(result.number_text(node, grad=True) + "\n" for node in nodes))
        return
    show(render("eval", fmt, result, precision=precision, max_rows=max_rows))


def evaluate_each_line(ctx: click.Context, spec: ProgramSpec, allow_nonfinite: bool,
                       tie_rule: str, exact_mode: bool) -> None:
    """--each-line: one JSON object per line of the input; the worst line's exit status."""
    from ..each_line import LineReport, Settings

    stream, values = open_lines(ctx, spec)
    settings = Settings(output=spec.output, expand=spec.expand, max_nodes=spec.max_nodes,
                        max_bytes=spec.max_bytes, ties=tie_rule, exact=exact_mode,
                        allow_nonfinite=allow_nonfinite)
    advice = cli_advice(frozenset(p.name for p in ctx.command.params if p.name))
    with stream as handle:
        report = LineReport(handle, values, settings, advice)
        show(render("each-line", "jsonl", report))
    if report.worst:
        ctx.exit(report.worst)


def evaluate_many(ctx: click.Context, spec: ProgramSpec, at: str | None,
                  sweep_texts: tuple[str, ...], fmt: str, chunk_rows: int,
                  allow_nonfinite: bool, tie_rule: str = "first", *,
                  keep: tuple[str, ...] = (), max_line_bytes: int = 8 << 20) -> None:
    """Batch mode: one row per point, streamed a chunk at a time."""
    from ..allocator import keep_freed_memory
    from ..batch import BatchReport, bind_columns, choose_columns, evaluate_chunks
    from ..numerics import array_math, ties
    from ..points import check_sweeps, parse_sweep, read_points, sweep_chunks
    from ..values import parse_binding

    if at is not None and sweep_texts:
        raise click.UsageError("use --at or --sweep, not both", ctx=ctx)
    kept = [name.strip() for text in keep for name in text.split(",") if name.strip()]
    if kept and at is None:
        raise click.UsageError("--keep copies columns of --at FILE: a sweep has none", ctx=ctx)
    if len(set(kept)) < len(kept):
        raise click.UsageError("--keep names a column twice", ctx=ctx)
    reads_stdin = spec.file == "-" or (spec.file is None and spec.arguments[:1] == ("-",))
    if at == "-" and reads_stdin:
        raise click.UsageError("the program and --at cannot both come from stdin", ctx=ctx)
    points = read_points(str(at), stdin_bytes(), max_line_bytes) if at is not None else None
    shapes: dict[str, tuple[int, ...]] = {}
    if points is not None:  # element columns and nested lists: arrays, built so
        from ..batch_arrays import header_shapes

        shapes = header_shapes(points.header, points.origin, points.nested)
    graph, values, _ = load_program(ctx, spec, input_shapes=shapes)
    if sweep_texts:
        try:
            sweeps = [parse_sweep(text) for text in sweep_texts]
            check_sweeps(sweeps)
        except ValueError as error:
            raise click.BadParameter(str(error), ctx=ctx, param_hint="'--sweep'") from None
        columns = [s.name for s in sweeps]
        chunks = sweep_chunks(sweeps, chunk_rows)
        origin = "--sweep"
    else:
        assert points is not None
        origin = points.origin
        # a column wins over a --values file; a binding on the command line and a column
        # for the same input is an error (bind_columns)
        arguments = spec.arguments[1:] if spec.file is None else spec.arguments
        on_command_line = {parse_binding(text)[0] for text in arguments}
        header = set(points.header) | set(shapes)
        values = {name: value for name, value in values.items()
                  if name in on_command_line or name not in header}
    keep_freed_memory()  # each chunk's arrays reuse the last one's memory
    if graph.arrays:
        from ..batch_arrays import evaluate_array_chunks, plan_array_columns

        plan = plan_array_columns(graph, values, columns if points is None else points.header,
                                  origin, kept, None if points is None else points.nested,
                                  partial=points is None)
        if points is not None:
            chunks = points.chunks(plan.numbers, kept, chunk_rows, plan.nested)
        evaluated = evaluate_array_chunks(plan.graph, plan.fixed, chunks,
                                          allow_nonfinite=allow_nonfinite, origin=origin,
                                          ties=tie_rule)
        report = BatchReport(plan.names, evaluated, kept, plan.value_names)
    else:
        if points is not None:
            columns = choose_columns(graph, points.header, values, origin, kept)
            chunks = points.chunks(columns, kept, chunk_rows)
        fixed = bind_columns(graph, values, columns, origin)
        evaluated = evaluate_chunks(graph, fixed, chunks, allow_nonfinite=allow_nonfinite,
                                    origin=origin, xp=ties.namespace(array_math, tie_rule))
        report = BatchReport(list(graph.input_names()), evaluated, kept)
    show(render("batch", "jsonl" if fmt in ("json", "jsonl") else "csv", report))


def scalar_or_point(graph: Any) -> Any:
    """The number system of one point: NumPy's for a program with arrays."""
    if graph.arrays:
        from ..numerics.tensor_math import POINT

        return POINT
    from ..core import scalar_math

    return scalar_math


GRAPH_EPILOG = """\b
Examples:
  backprop graph "(x+y)*z" x=1 y=3 z=-3              # a tree, on a terminal
  backprop graph "(x+y)*z"                           # the structure alone
  backprop graph -f samples/sigmoid.bp --expand -o neuron.svg
  backprop graph -f samples/neuron.bp -F dot | dot -Tpng -o neuron.png
  backprop graph -f samples/neuron.bp -F mermaid >> notes.md
  backprop graph -f samples/neuron.bp -o neuron.html # a page to step through, offline
"""

@click.command("graph", cls=FormulaFirstCommand, epilog=GRAPH_EPILOG)
@program_options
@click.option("-F", "--format", "fmt", default=None,
              type=click.Choice(["tree", "dot", "mermaid", "svg", "png", "pdf", "html"]),
              help="tree (the default on a terminal), dot (the default otherwise), mermaid, "
                   "svg/png/pdf rendered by Graphviz (with -o), or html: one offline page "
                   "that steps through the passes, its inputs editable.")
@click.option("-o", "--out", "out", metavar="FILE",
              help="Write to FILE; its extension (.svg .png .pdf .dot .gv .mmd .txt .html) "
                   "sets the format.")
@click.option("--layout", default="auto", show_default=True,
              type=click.Choice(["auto", "dot", "sfdp"]),
              help="Graphviz's layout for dot/svg/png/pdf: dot (ranked left to right, "
                   "numbers on the wires), sfdp (fast for large graphs, numbers in the "
                   "gates), or auto (dot while it is quick).")
@click.option("--allow-nonfinite", is_flag=True,
              help="Let nan and inf through instead of stopping with an error.")
@click.option("-p", "--precision", default=4, show_default=True, type=click.IntRange(1, 17),
              help="Significant digits of the values and gradients shown.")
@click.option("--max-depth", default=None, type=click.IntRange(1),
              help="Levels of the tree before it is cut (default: as many as fit the width).")
@click.pass_context
def graph_command(ctx: click.Context, fmt: str | None, out: str | None, layout: str,
                  allow_nonfinite: bool, precision: int, max_depth: int | None,
                  **program: Any) -> None:
    """Draw PROGRAM's computational graph, with values and gradients at a point.

    With values for every input (bindings, a --values file or the program's own) each
    wire shows its value (green) and gradient (red); with no values, the structure alone.
    """
    from ..api import bind_inputs, shaped_for
    from ..core.engine import evaluate_graph
    from ..render.drawing import Picture
    if out == "-":
        out = None  # '-' is stdout
    fmt = format_from_path(out, fmt) or ("tree" if sys.stdout.isatty() and not out else "dot")
    if fmt in ("png", "pdf") and out is None:
        raise click.UsageError(f"--format {fmt} writes a binary file: give -o FILE", ctx=ctx)
    spec = ProgramSpec(**program)
    graph, values, given = load_program(ctx, spec)
    graph = shaped_for(graph, values)
    try:
        bound = bind_inputs(graph, values)
    except InputError:
        if given or fmt == "html":  # the page starts at a point
            raise
        picture = Picture(graph, layout=layout)
    else:
        xp: Any = scalar_or_point(graph)
        evaluation = evaluate_graph(graph, bound, allow_nonfinite=allow_nonfinite, xp=xp)
        picture = Picture(graph, evaluation.values, evaluation.grads, layout)
    if fmt == "tree":
        # each level indents by 4 columns: keep the deepest line readable
        width = 120 if out else make_console().width
        depth = max_depth or max(4, min(40, (width - 40) // 4))
        show(render("graph", "tree", picture, precision=precision, max_depth=depth), out)
        return
    if fmt == "html":
        from ..render.graph_html import has_blocks, make_page

        pictures = [picture]
        if not spec.expand and has_blocks(graph):  # and the blocks expanded, to toggle
            expanded, _, _ = load_program(ctx, spec._replace(expand=True))
            expanded = shaped_for(expanded, values)
            evaluation = evaluate_graph(expanded, bind_inputs(expanded, values),
                                        allow_nonfinite=allow_nonfinite,
                                        xp=scalar_or_point(expanded))
            pictures.append(Picture(expanded, evaluation.values, evaluation.grads, layout))
        show(render("graph", "html", make_page(pictures), precision=precision), out)
        return
    show(render("graph", fmt, picture, precision=precision), out)


DIFF_EPILOG = """\b
Examples:
  backprop diff "(x+y)*z"                          # dz, one line per input
  backprop diff -f samples/sigmoid.bp --wrt w0
  backprop diff "x^3 * sin(x)" --bare              # the formula alone, for $(...)
  backprop diff -f samples/neuron.bp --program     # shared subexpressions named once
  backprop diff -f samples/neuron.bp --program | backprop eval - --output d_w0 --value
  backprop diff "sigmoid(w*x + b)" -F latex
  backprop diff "x @ A @ x" --shape x=3 --shape A=3x3   # arrays: their shapes
"""


@click.command("diff", cls=FormulaFirstCommand, epilog=DIFF_EPILOG)
@program_options
@click.option("--wrt", metavar="NAMES", help="Differentiate by these inputs only (x,y).")
@click.option("-F", "--format", "fmt", default="plain", show_default=True,
              type=click.Choice(["plain", "json", "latex"]), help="Output format.")
@click.option("--bare", is_flag=True, help="Print the formula alone (one input only).")
@click.option("--shape", "shapes", metavar="NAME=SIZES", multiple=True,
              help="An input the program does not assign is an array of these sizes "
                   "(x=3 a vector, A=2x3 a matrix); repeat for several.")
@click.option("--program", "as_program", is_flag=True,
              help="Print a straight-line program: the program itself, shared subexpressions "
                   "as temporaries (_t1 = ...), then d_NAME = ... for each input; "
                   "backprop eval reads it (--output d_NAME).")
@click.pass_context
def diff_command(ctx: click.Context, wrt: str | None, fmt: str, bare: bool, as_program: bool,
                 shapes: tuple[str, ...], **program: Any) -> None:
    """Derivatives of PROGRAM's output as formulas, by symbolic reverse mode.

    The backward pass runs over expressions instead of numbers, then simplifies them.
    The formulas are in backprop's own language: backprop eval reads them back.
    """
    from ..core.names import choose_inputs
    from ..diff import DiffReport, symbolic_gradient

    graph, _values, given = load_program(ctx, ProgramSpec(**program),
                                         input_shapes=shape_options(ctx, shapes))
    if given:
        raise click.UsageError("diff works on the formula alone: it takes no NAME=VALUE "
                               "bindings (use eval, check or hessian for a point; "
                               "--shape x=3 gives an array input's shape)", ctx=ctx)
    names = choose_inputs(graph, wrt_list(wrt), "--wrt")
    if bare and len(names) != 1:
        raise click.UsageError(
            f"--bare prints one formula: pick one input with --wrt (inputs: "
            f"{', '.join(names[:12])})", ctx=ctx)
    report = DiffReport(graph, symbolic_gradient(graph, names), as_program, bare)
    show(render("diff", fmt, report))


def shape_options(ctx: click.Context, texts: tuple[str, ...]) -> dict[str, tuple[int, ...]]:
    """``--shape x=3 --shape A=2x3`` as input name -> shape."""
    import re

    shapes: dict[str, tuple[int, ...]] = {}
    for text in texts:
        match = re.fullmatch(r"([A-Za-z_][A-Za-z0-9_]*)=([1-9][0-9]{0,8}(?:x[1-9][0-9]{0,8})*)",
                             text.strip(), re.ASCII)
        if match is None:
            raise click.BadParameter(
                f"{text!r}: write NAME=SIZES, such as x=3 (a vector) or A=2x3 (a matrix)",
                ctx=ctx, param_hint="'--shape'")
        shapes[match[1]] = tuple(int(n) for n in match[2].split("x"))
    return shapes


@click.command("check", cls=FormulaFirstCommand, epilog="""\b
Examples:
  backprop check -f samples/neuron.bp
  backprop check "abs(x) * y" x=0 y=2          # a kink is reported, not failed
  backprop check "x^y" x=2 y=3 --tol 1e-8 -F json
""")
@program_options
@click.option("--tol", default=1e-6, show_default=True, type=Finite(0, low_open=True),
              help="An input passes when its absolute or relative error is at most this.")
@click.option("-F", "--format", "fmt", default="table", show_default=True,
              type=click.Choice(["table", "json"]), help="Output format.")
@click.pass_context
def check_command(ctx: click.Context, tol: float, fmt: str, **program: Any) -> None:
    """Check PROGRAM's backprop gradients against central finite differences.

    Exit status 1 when an input fails (a kink, where the function has no derivative,
    is reported as such and does not fail).
    """
    from ..api import bind_inputs, shaped_for
    from ..check import CheckReport, gradient_check

    graph, values, _ = load_program(ctx, ProgramSpec(**program))
    graph = shaped_for(graph, values)
    rows = gradient_check(graph, bind_inputs(graph, values), tol)
    show(render("check", fmt, CheckReport(rows, tol, graph.output_name)))
    if any(row.status == "FAIL" for row in rows):
        ctx.exit(1)


@click.command("hessian", cls=FormulaFirstCommand, epilog="""\b
Examples:
  backprop hessian "(x+y)*z" x=1 y=3 z=-3
  backprop hessian -f samples/neuron.bp -F json
""")
@program_options
@click.option("-F", "--format", "fmt", default="table", show_default=True,
              type=click.Choice(["table", "json"]), help="Output format.")
@click.option("-p", "--precision", default=6, show_default=True, type=click.IntRange(1, 17),
              help="Significant digits in the table.")
@click.pass_context
def hessian_command(ctx: click.Context, fmt: str, precision: int, **program: Any) -> None:
    """The matrix of second derivatives of PROGRAM's output at a point.

    Exact, not finite differences: forward-mode dual numbers run through the backward
    pass, one column per input.
    """
    from ..api import bind_inputs, shaped_for
    from ..hessian import HessianReport, hessian, input_labels

    graph, values, _ = load_program(ctx, ProgramSpec(**program))
    graph = shaped_for(graph, values)
    matrix = hessian(graph, bind_inputs(graph, values))
    names = input_labels(graph)
    report = HessianReport(names, matrix, graph.output_name)
    show(render("hessian", fmt, report, precision=precision))


DESCEND_EPILOG = """\b
Examples:
  backprop descend -f samples/bowl.bp
  backprop descend -f samples/rosenbrock.bp --optimizer adam --lr 0.02 --steps 5000
  backprop descend -f samples/linefit.bp --wrt w,b --trace fit.csv --chart
  backprop descend "-(x - 2)^2" x=0 --maximize -F json
\b
Training on data (the program is the loss of one row; the columns bind the inputs they
name, the other inputs are the parameters):
  backprop descend -f samples/logistic.bp --data samples/moons.csv --lr 0.5 \\
      --steps 200 --metric acc --save params.json
  backprop descend -f samples/logistic.bp --data train.csv --val test.csv \\
      --batch-size 32 --epochs 10 --optimizer adam --lr 0.05 --schedule cosine
  backprop eval -f samples/logistic.bp --values params.json --at test.csv
"""

# options that mean something only with --data, and those of each schedule
DATA_OPTIONS = ("val", "batch_size", "epochs", "shuffle", "reduce", "metrics")
SCHEDULE_OPTIONS = (("lr_end", ("linear", "cosine")), ("step_size", ("step",)),
                    ("gamma", ("step",)))


@click.command("descend", cls=FormulaFirstCommand, epilog=DESCEND_EPILOG)
@program_options
@click.option("--wrt", metavar="NAMES",
              help="Move only these inputs (x,y); default: every input (with --data, "
                   "every input that no column gives).")
@click.option("--lr", default=0.1, show_default=True, type=Finite(0, low_open=True),
              help="Learning rate (the schedule's start).")
@click.option("--steps", default=1000, show_default=True, type=click.IntRange(0),
              help="Stop after this many steps (updates).")
@click.option("--tol", default=1e-8, show_default=True, type=Finite(0),
              help="Stop once the gradient's norm is below this.")
@click.option("--optimizer", default="sgd", show_default=True,
              type=click.Choice(["sgd", "momentum", "adam"]),
              help="Plain gradient descent, SGD with momentum, or Adam (as in PyTorch).")
@click.option("--momentum", default=0.9, show_default=True, type=Finite(0, 1),
              help="Momentum factor (--optimizer momentum only).")
@click.option("--nesterov", is_flag=True,
              help="Nesterov momentum (--optimizer momentum only, with --momentum above 0).")
@click.option("--betas", default="0.9,0.999", show_default=True, metavar="B1,B2",
              help="Adam's decay rates of the gradient's mean and square (--optimizer adam "
                   "only).")
@click.option("--eps", default=1e-8, show_default=True, type=Finite(0, low_open=True),
              help="Adam's term added to the denominator, above 0 (--optimizer adam only).")
@click.option("--weight-decay", default=0.0, show_default=True, type=Finite(0),
              help="As PyTorch: added to the gradient times the parameter (sgd, momentum); "
                   "decoupled, as AdamW, with --optimizer adam.")
@click.option("--schedule", default="constant", show_default=True,
              type=click.Choice(["constant", "linear", "cosine", "step"]),
              help="The learning rate over the steps, as PyTorch's LinearLR, "
                   "CosineAnnealingLR and StepLR.")
@click.option("--lr-end", default=0.0, show_default=True, type=Finite(0),
              help="Where linear and cosine take the learning rate by the last step.")
@click.option("--step-size", default=None, type=click.IntRange(1), metavar="N",
              help="--schedule step: multiply the learning rate by --gamma every N steps.")
@click.option("--gamma", default=0.1, show_default=True, type=Finite(0, low_open=True),
              help="--schedule step: the factor.")
@click.option("--maximize", is_flag=True, help="Climb the output instead of descending it.")
@click.option("--data", "data", metavar="FILE",
              help="Train on FILE's rows (CSV, or JSON Lines for .jsonl; '-' for stdin): "
                   "minimise the mean of the output over them.")
@click.option("--val", "val", metavar="FILE",
              help="Report the loss and the metrics over FILE's rows each epoch (--data).")
@click.option("--batch-size", default=None, type=click.IntRange(1), metavar="N",
              help="Minibatches of N rows, shuffled each epoch (default: every row at once).")
@click.option("--epochs", default=None, type=click.IntRange(1), metavar="N",
              help="Go through the rows N times (instead of --steps).")
@click.option("--seed", default=0, show_default=True, type=click.IntRange(0),
              help="The seed of randn and uniform in the program and of the shuffling: the "
                   "same seed, the same run.")
@click.option("--shuffle/--no-shuffle", default=True, show_default=True,
              help="Shuffle the rows each epoch (with --batch-size).")
@click.option("--reduce", default="mean", show_default=True,
              type=click.Choice(["mean", "sum"]), help="The loss over the rows.")
@click.option("--metric", "metrics", metavar="NAME", multiple=True,
              help="Report the mean of the named node over the rows (acc = step(y*score)).")
@click.option("--save", "save", metavar="FILE",
              help="Write the final inputs that moved to FILE as JSON (eval --values reads "
                   "it); also when interrupted.")
@click.option("--progress/--no-progress", default=None,
              help="A progress bar on stderr (default: on a terminal only; asked for in a "
                   "pipe, plain lines).")
@click.option("--trace", metavar="FILE",
              help="Write one CSV row per step: step, output, each moving input, grad_norm "
                   "(with --data, one per epoch: epoch, step, lr, loss, metrics, inputs).")
@click.option("--chart", is_flag=True,
              help="Draw the output per step in the terminal (a log scale when it spans "
                   "decades).")
@click.option("-F", "--format", "fmt", default="table", show_default=True,
              type=click.Choice(["table", "json"]), help="Output format.")
@click.pass_context
def descend_command(ctx: click.Context, wrt: str | None, lr: float, steps: int, tol: float,
                    optimizer: str, momentum: float, nesterov: bool, betas: str, eps: float,
                    weight_decay: float, schedule: str, lr_end: float, step_size: int | None,
                    gamma: float, maximize: bool, data: str | None, val: str | None,
                    batch_size: int | None, epochs: int | None, seed: int, shuffle: bool,
                    reduce: str, metrics: tuple[str, ...], save: str | None,
                    progress: bool | None, trace: str | None, chart: bool, fmt: str,
                    **program: Any) -> None:
    """Minimise PROGRAM's output by gradient descent (or maximise it), at a point or
    over the rows of a data file.

    The bindings are the starting point; only the --wrt inputs move, so data written as
    inputs can stay fixed while weights learn. With --data, the program is the loss of
    one row: the file's columns bind the inputs they name, and the mean over the rows is
    minimised. Stops after --steps steps (or --epochs), or once the gradient's norm is
    below --tol, and says which. Exit 1 when the run diverges (a loss that is not
    finite, or that ends far above its start); Ctrl-C shows the result so far, writes
    --save and exits 130.
    """
    from ..core.errors import Interrupted
    from ..core.names import choose_inputs
    from ..descend import DescentReport, Settings, descend_inputs
    from ..render.descend import Recorder

    _refuse_other_optimizers_options(ctx, optimizer, momentum, nesterov)
    _refuse_other_schedules_options(ctx, schedule, step_size)
    if data is None:
        for name in DATA_OPTIONS:
            if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE:
                flag = {"metrics": "metric", "shuffle": "shuffle/--no-shuffle"}.get(name, name)
                raise click.UsageError(f"--{flag.replace('_', '-')} goes with --data FILE: "
                                       "it is about the rows of a data file", ctx=ctx)
    if epochs is not None and ctx.get_parameter_source("steps") == ParameterSource.COMMANDLINE:
        raise click.UsageError("give --steps or --epochs, not both", ctx=ctx)
    try:
        beta1, beta2 = (Finite(0, 1, high_open=True).convert(b.strip(), None, ctx)
                        for b in betas.split(","))
    except (ValueError, click.BadParameter):
        raise click.BadParameter("write two numbers from 0 up to (not including) 1, such as "
                                 "0.9,0.999", ctx=ctx, param_hint="'--betas'") from None
    spec = ProgramSpec(**program, seed=seed)
    reads_stdin = spec.file == "-" or (spec.file is None and spec.arguments[:1] == ("-",))
    for option, path in (("--data", data), ("--val", val)):
        if path == "-" and reads_stdin:
            raise click.UsageError(f"the program and {option} cannot both come from stdin",
                                   ctx=ctx)
    if data == "-" and val == "-":
        raise click.UsageError("--data and --val cannot both come from stdin", ctx=ctx)
    graph, values, _ = load_program(ctx, spec, inline_functions=True)
    settings = Settings(lr=lr, steps=steps, tol=tol, optimizer=optimizer, momentum=momentum,
                        nesterov=nesterov, beta1=beta1, beta2=beta2, eps=eps,
                        maximize=maximize, weight_decay=weight_decay, schedule=schedule,
                        lr_end=lr_end, step_size=step_size or 1, gamma=gamma)
    if data is not None:
        train_on_data(ctx, spec, graph, values, settings, wrt, data, val, batch_size,
                      epochs, seed, shuffle, reduce, metrics, save, progress, trace, chart,
                      fmt)
        return
    from ..api import shaped_for

    graph = shaped_for(graph, values)
    names = choose_inputs(graph, wrt_list(wrt), "--wrt")
    recorder = Recorder(trace, names, steps, progress if fmt == "table" or progress
                        else False, chart=chart, shapes=_shapes(graph, names))
    with recorder:
        try:
            outcome = descend_inputs(graph, values, names, settings,
                                     on_step=recorder.record if recorder.wants_steps
                                     else None)
        except KeyboardInterrupt as interrupt:  # before the first step: nothing to show
            raise Interrupted(recorder.stopped_at(graph.output_name)) from interrupt
    report = DescentReport(outcome, graph.output_name, settings, recorder.history)
    _finish(report, recorder, fmt, chart, save)


def train_on_data(ctx: click.Context, spec: ProgramSpec, graph: Any, values: dict[str, float],
                  settings: Any, wrt: str | None, data_path: str, val_path: str | None,
                  batch_size: int | None, epochs: int | None, seed: int, shuffle: bool,
                  reduce: str, metrics: tuple[str, ...], save: str | None,
                  progress: bool | None, trace: str | None, chart: bool, fmt: str) -> None:
    """``descend --data``: the parameters learn from the rows of a file."""
    from ..batch import bind_columns
    from ..core.errors import Interrupted
    from ..core.names import choose_inputs, named_node
    from ..descend import DescentReport
    from ..render.descend import Recorder
    from ..train import Training, read_data, train
    from ..values import parse_binding

    data = read_data(data_path, graph, stdin_bytes(), 8 << 20)
    val = read_data(val_path, graph, stdin_bytes(), 8 << 20, "--val") \
        if val_path is not None else None
    if val is not None:
        missing = [name for name in data.names if name not in val.names]
        if missing:
            raise InputError(f"--val {val.origin} has no column {missing[0]}, which "
                             f"{data.origin} gives")
    arguments = spec.arguments[1:] if spec.file is None else spec.arguments
    on_command_line = {parse_binding(text)[0] for text in arguments}
    # a column wins over --values; a column and a binding for one input is an error
    values = {name: value for name, value in values.items()
              if name in on_command_line or name not in data.names}
    from ..api import shaped_for

    graph = shaped_for(graph, values)
    fixed = bind_columns(graph, values, list(data.names), data.origin)
    if wrt is None:
        names = [name for name in graph.input_names() if name not in data.names]
    else:
        names = choose_inputs(graph, wrt_list(wrt), "--wrt")
        for name in names:
            if name in data.names:
                raise click.UsageError(f"--wrt {name}: {name} is a column of {data.origin}, "
                                       "data rather than a parameter", ctx=ctx)
    if not names:
        raise InputError(f"every input of the program is a column of {data.origin}: "
                         "nothing is left to learn",
                         hint="the parameters are the inputs that no column gives")
    for name in metrics:
        named_node(graph, name, "--metric")
    ids = [graph.names[name] for name in names]
    training = Training(batch_size=batch_size or 0, epochs=epochs, seed=seed,
                        shuffle=shuffle, reduce=reduce, metrics=tuple(dict.fromkeys(metrics)))
    size = min(batch_size or data.rows, data.rows)
    total = epochs * -(-data.rows // size) if epochs is not None else settings.steps
    settings = settings._replace(steps=total)
    recorder = Recorder(trace, names, total, progress if fmt == "table" or progress
                        else False, chart=chart, data=True, metrics=training.metrics,
                        val=val is not None, epochs=epochs or 0,
                        shapes=_shapes(graph, names))
    with recorder:
        try:
            outcome = train(graph, fixed, ids, data, settings, training, val,
                            on_step=recorder.record if recorder.wants_steps else None,
                            on_epoch=recorder.epoch)
        except KeyboardInterrupt as interrupt:
            raise Interrupted(recorder.stopped_at(graph.output_name)) from interrupt
    report = DescentReport(outcome, graph.output_name, settings, recorder.history,
                           data.origin, reduce, batch_size or 0, seed)
    _finish(report, recorder, fmt, chart, save)


def _shapes(graph: Any, names: list[str]) -> list[tuple[int, ...]]:
    """The shape of each named input (the trace has a column per element)."""
    return [graph.nodes[graph.names[name]].shape or () for name in names]


def _finish(report: Any, recorder: Any, fmt: str, chart: bool, save: str | None) -> None:
    """Show the result, draw the chart, write --save; then say why a run that diverged
    or was interrupted ends as it does."""
    from ..core.errors import Interrupted
    from ..descend import check_outcome
    from ..render.descend import save_params

    outcome = report.outcome
    interrupted = outcome.reason == "interrupted"
    if not interrupted:
        check_outcome(outcome, report.settings,
                      "the loss" if report.data is not None else "the output")
    show(render("descend", fmt, report))
    if chart:  # after JSON, on stderr, so the JSON stays a document a script can read
        drawing = render("descend", "chart", report) + "\n"
        if fmt == "json":
            sys.stderr.write(drawing)
        else:
            write(drawing)
    if save is not None:
        save_params(save, outcome)
    if interrupted:
        raise Interrupted(recorder.stopped_at(report.output, outcome))


def _refuse_other_schedules_options(ctx: click.Context, schedule: str,
                                    step_size: int | None) -> None:
    """An option of another schedule would be ignored: a usage error instead."""
    for name, owners in SCHEDULE_OPTIONS:
        if ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE \
                and schedule not in owners:
            flag = "--" + name.replace("_", "-")
            raise click.UsageError(
                f"{flag} is an option of --schedule {' or '.join(owners)}, not of "
                f"--schedule {schedule}: use --schedule {owners[0]}, or drop {flag}", ctx=ctx)
    if schedule == "step" and step_size is None:
        raise click.UsageError("--schedule step needs --step-size N: the steps between two "
                               "cuts of the learning rate", ctx=ctx)


def _refuse_other_optimizers_options(ctx: click.Context, optimizer: str, momentum: float,
                                     nesterov: bool) -> None:
    """An option of another optimizer would be ignored: a usage error instead (exit 2),
    as is Nesterov momentum with no momentum (PyTorch refuses it too)."""
    from click.core import ParameterSource

    def given(name: str) -> bool:
        return ctx.get_parameter_source(name) == ParameterSource.COMMANDLINE

    for name, owners in (("momentum", ("momentum",)), ("nesterov", ("momentum",)),
                         ("betas", ("adam",)), ("eps", ("adam",))):
        if given(name) and optimizer not in owners:
            raise click.UsageError(
                f"--{name} is an option of --optimizer {owners[0]}, not of --optimizer "
                f"{optimizer}{' (the default)' if not given('optimizer') else ''}: use "
                f"--optimizer {owners[0]}, or drop --{name}", ctx=ctx)
    if nesterov and momentum == 0:
        raise click.UsageError("--nesterov needs a momentum: --momentum 0 leaves nothing "
                               "to look ahead with (give --momentum above 0, or drop "
                               "--nesterov)", ctx=ctx)


PLOT_EPILOG = """\b
Examples:
  backprop plot "sigmoid(x)" --sweep x=-6:6:201
  backprop plot "tanh(w*x + b)" --sweep x=-3:3:301 w=2 b=0.5 -o docs/tanh.png
  backprop plot -f samples/sigmoid.bp --sweep w0=-4:4:201 -o neuron-w0.svg
\b
Two sweeps: a heatmap of the output with contour lines, data points on top:
  backprop plot "x^2 - y^2" --sweep x=-2:2:101 --sweep y=-2:2:101
  backprop plot -f samples/logistic.bp --output score --values params.json \\
      --sweep x0=-2:3:200 --sweep x1=-1.5:2:200 --points samples/moons.csv --color y \\
      -o boundary.png
"""


@click.command("plot", cls=FormulaFirstCommand, epilog=PLOT_EPILOG)
@program_options
@click.option("--sweep", "sweeps", metavar="NAME=START:STOP:COUNT", required=True,
              multiple=True,
              help="The input to sweep along (x=-5:5:201); twice for a heatmap over two.")
@click.option("-o", "--out", "out", metavar="FILE",
              help="Draw to FILE (.png, .svg or .pdf, with Matplotlib) instead of the terminal.")
@click.option("--points", "points", metavar="FILE",
              help="Two sweeps: draw FILE's rows (CSV or JSON Lines) on the heatmap, at the "
                   "columns named as the swept inputs.")
@click.option("--color", "color", metavar="COLUMN",
              help="Colour the --points by this column (a label such as y).")
@click.option("--allow-nonfinite", is_flag=True,
              help="Draw the points where the value or gradient is finite; skip the others.")
@click.pass_context
def plot_command(ctx: click.Context, sweeps: tuple[str, ...], out: str | None,
                 points: str | None, color: str | None, allow_nonfinite: bool,
                 **program: Any) -> None:
    """Plot PROGRAM's output and its derivative along one swept input, or its output over
    two (a heatmap with contour lines, and data points with --points).

    The other inputs take their values from the bindings, --values or the program.
    """
    from ..plot import read_overlay, sweep_curve, sweep_surface
    from ..points import parse_sweep
    from ..render import plot

    if len(sweeps) > 2:
        raise click.BadParameter("give one sweep (a curve) or two (a heatmap)", ctx=ctx,
                                 param_hint="'--sweep'")
    if points is not None and len(sweeps) != 2:
        raise click.UsageError("--points goes with two sweeps: the points are drawn on the "
                               "heatmap of the output over the two inputs", ctx=ctx)
    if color is not None and points is None:
        raise click.UsageError("--color colours the --points: give --points FILE", ctx=ctx)
    try:
        axes = [parse_sweep(text) for text in sweeps]
    except ValueError as error:
        raise click.BadParameter(str(error), ctx=ctx, param_hint="'--sweep'") from None
    for axis in axes:
        if axis.count < 2:
            raise click.BadParameter("a plot needs at least 2 points", ctx=ctx,
                                     param_hint="'--sweep'")
    spec = ProgramSpec(**program)
    reads_stdin = spec.file == "-" or (spec.file is None and spec.arguments[:1] == ("-",))
    if points == "-" and reads_stdin:
        raise click.UsageError("the program and --points cannot both come from stdin",
                               ctx=ctx)
    graph, values, _ = load_program(ctx, spec)
    if out is not None:  # before the evaluation, which a huge sweep makes long
        if os.path.isdir(out):
            raise OutputError(f"cannot write {out}: it is a directory")
        if not out.lower().endswith((".png", ".svg", ".pdf")):
            raise click.BadParameter(f"{out}: the file name must end in .png, .svg or .pdf",
                                     ctx=ctx, param_hint="'-o'")
    output = graph.output_name
    use_color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    if len(axes) == 2:
        overlay = (read_overlay(points, axes[0].name, axes[1].name, color, stdin_bytes())
                   if points is not None else None)
        surface = sweep_surface(graph, values, axes[0], axes[1],
                                allow_nonfinite=allow_nonfinite)
        if out is None:
            write(plot.terminal_surface(surface, output, use_color, overlay) + "\n")
            return
        show(plot.surface_to_file(out, surface, output, overlay), out)
        return
    axis = axes[0]
    columns = plot.terminal_columns((axis.start, axis.stop)) if out is None else None
    curve = sweep_curve(graph, values, axis, allow_nonfinite=allow_nonfinite, columns=columns)
    if out is None:
        write(plot.terminal(curve, output, axis.name, use_color) + "\n")
        return
    show(plot.to_file(out, curve, output, axis.name), out)


CODEGEN_EPILOG = """\b
Examples:
  backprop codegen "(x+y)*z"                                # Python, math only
  backprop codegen -f samples/neuron.bp --lang c -o neuron.c
  backprop codegen -f samples/sigmoid.bp --lang numpy --wrt w0,w1
  backprop codegen -f samples/functions.bp --lang js --trace -o loss.mjs
  backprop codegen "sigmoid(w*x + b)" --lang python --name neuron > neuron.py
  backprop codegen -f samples/layer.bp --lang numpy         # arrays: numpy, js or c
"""


@click.command("codegen", cls=FormulaFirstCommand, epilog=CODEGEN_EPILOG)
@program_options
@click.option("--lang", default="python", show_default=True,
              type=click.Choice(["python", "numpy", "c", "js"]),
              help="python (math only), numpy (arrays, vectorised over leading axes), c (C99, "
                   "math.h) or js (an ES module).")
@click.option("--wrt", metavar="NAMES", help="The gradient by these inputs only (x,y).")
@click.option("--name", "function_name", metavar="NAME",
              help="The function's name (default value_and_grad; valueAndGrad in js).")
@click.option("--trace", is_flag=True,
              help="js: also export trace(inputs), every node's value and gradient by id.")
@click.option("-o", "--out", "out", metavar="FILE", help="Write to FILE instead of stdout.")
@click.pass_context
def codegen_command(ctx: click.Context, lang: str, wrt: str | None,
                    function_name: str | None, trace: bool, out: str | None,
                    **program: Any) -> None:
    """Print one standalone function that computes PROGRAM's value and gradient.

    One statement per gate in the program's order, then the backward pass, each with its
    source formula as a comment; user defs are helper functions. Domain errors give NaN
    or an infinity (C also returns 1), as backprop eval --allow-nonfinite shows them.
    """
    import re

    from ..codegen.generate import generate
    from ..core.names import choose_inputs

    if trace and lang != "js":
        raise click.UsageError("--trace is for --lang js (the module a web page imports)",
                               ctx=ctx)
    if function_name is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*",
                                                      function_name):
        raise click.UsageError(f"--name {function_name!r} is not a name: use letters, "
                               "digits and underscores, not starting with a digit", ctx=ctx)
    graph, _values, given = load_program(ctx, ProgramSpec(**program))
    if given:
        raise click.UsageError("codegen works on the program alone: it takes no NAME=VALUE "
                               "bindings or --values (the generated function takes the "
                               "inputs; give array inputs their shapes in the program)",
                               ctx=ctx)
    names = choose_inputs(graph, wrt_list(wrt), "--wrt")
    text = generate(graph, lang, name=function_name, wrt=names, trace=trace)
    show(text, None if out in (None, "-") else out)


@click.command("ops")
@click.option("-F", "--format", "fmt", default="table", show_default=True,
              type=click.Choice(["table", "json"]), help="Output format.")
def ops_command(fmt: str) -> None:
    """List every operation with its arity and local derivative rules."""
    show(render("ops", fmt, None))


COMMANDS = (eval_command, graph_command, diff_command, check_command, hessian_command,
            descend_command, plot_command, ops_command, codegen_command)
