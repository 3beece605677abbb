"""The argument layer: how commands read their program, bindings, files and options."""

from __future__ import annotations

import contextlib
import os
import re
import sys
from pathlib import Path
from typing import Any, NamedTuple

import click

from ..core.errors import Advice, BackpropError, InputError, Remedy
from ..language.builder import DEFAULT_MAX_BYTES, DEFAULT_MAX_NODES
from ..values import parse_binding, parse_values_file


class FormulaFirstCommand(click.Command):
    """Lets a formula start with '-' (``backprop eval "-x^2" x=3``) without ``--``.

    Known options (and their values) are moved in front of everything else. The first
    other argument is the formula (unless -f gives the program), and it may start with
    '-'; after it come the bindings, which never do, so an argument there that starts
    with '-' is an option click does not know, and click names it as such. Everything
    after ``--`` is a formula or a binding.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        takes_value: dict[str, bool] = {}
        attachable: dict[str, click.ParamType] = {}
        file_options: set[str] = set()
        for param in self.get_params(ctx):
            if isinstance(param, click.Option):
                for opt in (*param.opts, *param.secondary_opts):
                    takes_value[opt] = not param.is_flag and not param.count
                    if len(opt) == 2 and isinstance(param.type, click.Choice | click.IntRange):
                        attachable[opt] = param.type
                    if param.name == "file":
                        file_options.add(opt)
        options: list[str] = []
        positional: list[str] = []  # before any '--'
        literal: list[str] = []  # after '--'
        has_file = False
        i = 0
        while i < len(args):
            arg = args[i]
            if arg == "--":
                literal.extend(args[i + 1:])
                break
            name = arg.split("=", 1)[0] if arg.startswith("--") else arg
            if name in takes_value:
                has_file = has_file or name in file_options
                options.append(arg)
                if takes_value[name] and "=" not in arg:
                    if i + 1 >= len(args):
                        if ctx.resilient_parsing:  # completing the option's value
                            break
                        raise click.UsageError(f"Option '{arg}' requires an argument.", ctx=ctx)
                    options.append(args[i + 1])
                    i += 1
            elif arg[:2] in attachable and _fits(attachable[arg[:2]], arg[2:]):
                options.extend((arg[:2], arg[2:]))  # -Fjson, -p3
            elif arg.startswith("--") and len(arg) > 2:
                options.append(arg)  # unknown long option: let click name it
            else:
                positional.append(arg)
            i += 1
        first = 0 if has_file or not positional else 1  # the formula's place
        bindings = []
        for arg in positional[first:]:
            if arg.startswith("-") and len(arg) > 1:
                options.append(arg)  # not a binding: an unknown option, named by click
            else:
                bindings.append(arg)
        arguments = [*positional[:first], *bindings, *literal]
        return super().parse_args(ctx, [*options, "--", *map(argument_text, arguments)])

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BackpropError as error:
            error.options = frozenset(p.name for p in self.params if p.name)
            raise


class Finite(click.ParamType):
    """A finite decimal number within bounds: no nan, no inf."""

    name = "number"

    def __init__(self, low: float | None = None, high: float | None = None, *,
                 low_open: bool = False, high_open: bool = False) -> None:
        self.low, self.high = low, high
        self.low_open, self.high_open = low_open, high_open

    def convert(self, value: Any, param: Any, ctx: Any) -> float:
        import math

        if isinstance(value, float):
            number = value
        else:
            try:
                number = float(str(value))
            except ValueError:
                self.fail(f"{value!r} is not a number", param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        low, high = self.low, self.high
        if low is not None and (number < low or (self.low_open and number == low)):
            self.fail(f"{value} must be {'above' if self.low_open else 'at least'} {low:g}",
                      param, ctx)
        if high is not None and (number > high or (self.high_open and number == high)):
            self.fail(f"{value} must be {'below' if self.high_open else 'at most'} {high:g}",
                      param, ctx)
        return number


# How the command line words a remedy (core.errors.Remedy), by the option it names.
CLI_ADVICE = {
    "allow_nonfinite": "use --allow-nonfinite to let non-finite numbers through",
    "max_nodes": "raise the limit with --max-nodes",
    "max_bytes": "raise the limit with --max-bytes",
    "exact": "drop --exact to evaluate it in floating point",
    "max_digits": "raise the limit with --max-digits",
    "lr": "try a smaller learning rate, such as --lr {value}",
    "program": "use --program: it names each shared subexpression once",
}
# the parameter that holds the setting, where its name differs
PARAMETERS = {"exact": "exact_mode", "program": "as_program"}


def cli_advice(options: frozenset[str]) -> Advice:
    """Words for a remedy, naming an option only if the command that failed has it."""

    def advice(remedy: Remedy) -> str | None:
        if PARAMETERS.get(remedy.setting, remedy.setting) not in options:
            return None
        return CLI_ADVICE[remedy.setting].format(value=remedy.value)

    return advice


def argument_text(arg: str) -> str:
    """A command-line argument as UTF-8, whatever locale decoded it.

    Under ``LC_ALL=C`` (without Python's UTF-8 mode) each byte of a non-ASCII argument
    arrives as a lone surrogate; the bytes are recovered and decoded as UTF-8, so that
    ``z=−3`` is read as the U+2212 MINUS SIGN it is and named as the parser names it.
    An argument that is not UTF-8 at all is left as it was (a file name may be so).
    """
    if arg.isascii() or not any("\udc80" <= ch <= "\udcff" for ch in arg):
        return arg
    try:
        return os.fsencode(arg).decode("utf-8")
    except UnicodeError:
        return arg


def not_utf8(what: str, text: str) -> InputError:
    """The error for an argument that is not UTF-8: the first byte that is not."""
    try:
        data = os.fsencode(text)
        data.decode("utf-8")
    except UnicodeEncodeError as error:
        where = f"at character {error.start + 1}"
    except UnicodeDecodeError as error:
        where = f"byte 0x{data[error.start]:02x} at offset {error.start}"
    else:
        where = "a lone surrogate"
    return InputError(f"{what} is not valid UTF-8 ({where})")


def _fits(kind: click.ParamType, text: str) -> bool:
    """Whether ``text`` is a value of an option of this type (so ``-Fjson`` is an option)."""
    if isinstance(kind, click.Choice):
        return text in kind.choices
    return text.isdigit()



def read_program(program: str | None, file: str | None, max_bytes: int) -> tuple[str, str]:
    """The program text and its origin, from an argument, a file, or stdin ('-')."""
    if file is not None:
        origin = "<stdin>" if file == "-" else file
        try:
            if file == "-":
                data = sys.stdin.buffer.read(max_bytes + 1)
            else:
                with open(file, "rb") as handle:
                    data = handle.read(max_bytes + 1)
        except OSError as error:
            raise InputError(f"cannot read {file}: {error.strerror or error}") from None
    elif program == "-":
        origin = "<stdin>"
        data = sys.stdin.buffer.read(max_bytes + 1)
    else:
        text = argument_text(program or "")
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise not_utf8("the program argument", text) from None
        return text, "<argument>"
    if len(data) > max_bytes:
        raise InputError(
            f"{origin} is over the limit of {max_bytes:,} bytes",
            hint="raise the limit with --max-bytes",
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise InputError(
            f"{origin} is not valid UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start})"
        ) from None
    return text.removeprefix("\ufeff"), origin


def stdin_bytes() -> Any:
    """Standard input's byte stream, or None when it is closed."""
    stream = sys.stdin
    return None if stream is None else getattr(stream, "buffer", None)


def collect_values(
    ctx: click.Context, bindings: list[str], values_file: str | None, max_bytes: int
) -> dict[str, float]:
    values: dict[str, float] = {}
    if values_file is not None:
        text, origin = read_program(None, values_file, max_bytes)
        values.update(parse_values_file(text, origin))
    seen: set[str] = set()
    for text in bindings:
        try:
            name, value = parse_binding(text)
        except ValueError as error:
            raise click.BadParameter(str(error), ctx=ctx, param_hint="'NAME=VALUE'") from None
        if name in seen:
            shown = name if len(name) <= 40 else name[:39] + "…"
            raise click.BadParameter(f"{shown} is bound twice", ctx=ctx,
                                     param_hint="'NAME=VALUE'")
        seen.add(name)
        values[name] = value
    return values


class ProgramSpec(NamedTuple):
    """How to get the program and its input values: the options eval and graph share."""

    arguments: tuple[str, ...]
    file: str | None
    values_file: str | None
    output: str | None
    expand: bool
    max_nodes: int
    max_bytes: int
    seed: int = 0  # of randn and uniform in the program (the commands with --seed)


def program_options(command: Any) -> Any:
    """The options that read a program and its values, for every command that needs one."""
    decorators = [
        click.argument("arguments", nargs=-1, metavar="[PROGRAM] [NAME=VALUE]..."),
        click.option("-f", "--file", "file", metavar="FILE",
                     help="Read the program from FILE ('-' for stdin) instead of an argument."),
        click.option("--values", "values_file", metavar="FILE",
                     help="Input values from FILE: a JSON object or NAME=VALUE lines. "
                          "Bindings on the command line win."),
        click.option("--output", "output", metavar="NAME",
                     help="Use the named node as the output instead of the last statement."),
        click.option("--expand", is_flag=True,
                     help="Expand blocks (sigmoid, softplus, user defs) into primitive gates."),
        click.option("--max-nodes", default=DEFAULT_MAX_NODES, show_default=True,
                     type=click.IntRange(1), help="Refuse programs with more nodes than this."),
        click.option("--max-bytes", default=DEFAULT_MAX_BYTES, show_default=True,
                     type=click.IntRange(1), help="Refuse programs longer than this."),
    ]
    for decorator in reversed(decorators):
        command = decorator(command)
    return command


# A first argument that is a binding as written on a command line, with no space: the
# formula was forgotten (the program of one assignment is written "x = 1").
BINDING_LIKE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=[+-]?[0-9.][0-9.eE+-]*\Z", re.ASCII)


def forgotten_formula(command: str, first: str) -> InputError:
    return InputError(
        f"missing PROGRAM: {first} is a binding, and the formula comes before the bindings",
        hint=f"write the formula first ({command} FORMULA {first} ...); a program of one "
             f"assignment is written with spaces: \"{first.replace('=', ' = ', 1)}\"",
    )


def split_arguments(ctx: click.Context,
                    spec: ProgramSpec) -> tuple[str | None, list[str], bool]:
    """The program argument (None with -f), the bindings after it, and whether the
    program comes from stdin; checked: a program is there, and is not a binding."""
    args = list(spec.arguments)
    program: str | None = None
    if spec.file is None:
        if not args:
            raise click.UsageError("missing PROGRAM (a formula, '-' for stdin, or -f FILE)",
                                   ctx=ctx)
        program = args.pop(0)
        if BINDING_LIKE.match(program):
            raise forgotten_formula(ctx.command_path, program)
    reads_stdin = spec.file == "-" or (spec.file is None and program == "-")
    if reads_stdin and spec.values_file == "-":
        raise click.UsageError("the program and --values cannot both come from stdin", ctx=ctx)
    return program, args, reads_stdin


def load_program(ctx: click.Context, spec: ProgramSpec, inline_functions: bool = False,
                 input_shapes: dict[str, tuple[int, ...]] | None = None,
                 bind_later: bool = False) -> tuple[Any, dict[str, float], bool]:
    """The graph, the values bound on the command line, and whether any were given.

    The inputs bound to arrays on the command line, and those of ``input_shapes`` (a
    data file's arrays), are built with their shapes, so that ``W @ x`` parses; with
    ``bind_later`` other inputs may still be bound to arrays (``api.parse_program``)."""
    from ..api import array_shapes, parse_program

    program, args, _ = split_arguments(ctx, spec)
    values = collect_values(ctx, args, None, spec.max_bytes)
    text, origin = read_program(program, spec.file, spec.max_bytes)
    shapes = {**dict(input_shapes or {}), **array_shapes(values)}
    values_text = None
    if spec.values_file is not None:
        values_text, values_origin = read_program(None, spec.values_file, spec.max_bytes)
        with contextlib.suppress(InputError):  # read again below, for the program's names
            shapes = {**array_shapes(parse_values_file(values_text, values_origin)), **shapes}
    graph = parse_program(text, origin=origin, output=spec.output, expand=spec.expand,
                          max_nodes=spec.max_nodes, max_bytes=spec.max_bytes,
                          inline_functions=inline_functions, input_shapes=shapes,
                          seed=spec.seed, bind_later=bind_later)
    if values_text is not None:  # the names the program takes; others are skipped
        text, origin = values_text, values_origin
        shared = parse_values_file(text, origin, wanted=set(graph.input_names()))
        values = {**{k: v for k, v in shared.items() if k not in values}, **values}
    return graph, values, bool(args) or spec.values_file is not None



# An output file's extension -> the formats it may hold (the first when -F is not given).
GRAPH_EXTENSIONS: dict[str, tuple[str, ...]] = {
    "svg": ("svg",), "png": ("png",), "pdf": ("pdf",), "dot": ("dot",), "gv": ("dot",),
    "mmd": ("mermaid",), "mermaid": ("mermaid",), "txt": ("tree", "dot", "mermaid"),
    "html": ("html",), "htm": ("html",),
}


def format_from_path(path: str | None, fmt: str | None = None) -> str | None:
    """The format of ``graph -o PATH [-F FMT]``: the extension's, checked against -F.

    An extension that names no format is refused unless -F says what to write (a file
    with no extension, or one whose extension means nothing here); -F that contradicts
    the extension (``-o g.svg -F png``) is refused. Both exit 2, naming the formats."""
    if path is None or path == "-" or Path(path).is_dir():
        return fmt  # stdout; a folder is refused when it is written to
    name = path.rsplit("/", 1)[-1]
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name.lstrip(".") else ""
    allowed = GRAPH_EXTENSIONS.get(suffix)
    known = ", ".join(f".{ext}" for ext in GRAPH_EXTENSIONS)
    if allowed is None:
        if fmt is not None:
            return fmt
        what = f"the extension .{suffix} names no format" if suffix else "no extension"
        raise click.UsageError(
            f"-o {path}: {what}; name the file with one of {known}, "
            "or give the format with -F (tree, dot, mermaid, svg, png, pdf, html)")
    if fmt is not None and fmt not in allowed:
        raise click.UsageError(
            f"-o {path}: a .{suffix} file holds {' or '.join(allowed)}, not {fmt}; "
            f"name the file for its format ({known}) or drop -F")
    return fmt or allowed[0]


def wrt_list(text: str | None) -> list[str] | None:
    if text is None:
        return None
    return [name.strip() for name in text.split(",") if name.strip()]


def open_lines(ctx: click.Context, spec: ProgramSpec) -> tuple[Any, dict[str, float]]:
    """For ``--each-line``: the input as a byte stream (a file, stdin, or the argument's
    own lines) and the values bound on the command line. The caller closes the stream."""
    import contextlib
    import io

    program, args, reads_stdin = split_arguments(ctx, spec)
    values = collect_values(ctx, args, spec.values_file, spec.max_bytes)
    if reads_stdin:
        stream = stdin_bytes()
        if stream is None:
            raise InputError("cannot read <stdin>: it is closed")
        return contextlib.nullcontext(stream), values
    if spec.file is not None:
        try:
            return open(spec.file, "rb"), values
        except OSError as error:
            raise InputError(f"cannot read {spec.file}: {error.strerror or error}") from None
    text, _ = read_program(program, None, spec.max_bytes)
    return io.BytesIO(text.encode("utf-8")), values
