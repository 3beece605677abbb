"""The command line's front door: the group, and the one guard around every command.

Data goes to stdout, messages to stderr. ``main`` is the one guard that turns every
error into a message and an exit status (SPEC §2): 0, 1, 2, 70 or 130.

- An error is ``error: ...`` (then where, and ``hint: ...``), click's usage errors too.
- Output that cannot be written is exit 1: quietly when the reader of a pipe went away
  (``| head``), with one line otherwise (a full disk, a closed stdout).
- Ctrl-C and SIGTERM are exit 130 with one line, ``interrupted``, which says where the
  command had got to when it knows (``core.errors.Interrupted``: descend's step, the rows
  of a batch written).
"""

from __future__ import annotations

import errno
import os
import sys

import click

from .. import __version__
from ..core.errors import BackpropError, ExitStatus, OutputError, format_error
from ..core.source import terminal_safe
from .commands import COMMANDS
from .options import cli_advice
from .output import adopt_standard_streams


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="backprop")
def cli() -> None:
    """backprop: a command-line gradient calculator.

    Give it a formula and values for its inputs; it shows the computational graph node
    by node, with each node's value (forward pass) and gradient d output / d node
    (backward pass, the chain rule from the output back to the inputs).

    \b
    Try:
      backprop eval "(x+y)*z" x=1 y=3 z=-3
      backprop ops
    """


for _command in COMMANDS:
    cli.add_command(_command)


def _report(message: str) -> None:
    try:
        sys.stderr.write(message + "\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass


def _report_click_error(error: click.ClickException) -> None:
    """click's message in backprop's voice: ``error: ...``, then a hint naming --help."""
    lines = [f"error: {error.format_message()}"]
    ctx = getattr(error, "ctx", None)
    if isinstance(error, click.UsageError) and ctx is not None:
        listed = "commands" if isinstance(ctx.command, click.Group) else "options"
        lines.append(f"hint: {ctx.command_path} --help lists the {listed}")
    _report(terminal_safe("\n".join(lines)))


def _report_interrupt(interrupt: BaseException | None) -> int:
    """One line for Ctrl-C or SIGTERM, with where the command stopped if it said."""
    detail = getattr(interrupt, "detail", "")
    _report(terminal_safe(f"interrupted {detail}" if detail else "interrupted"))
    return ExitStatus.INTERRUPTED


def _unpacify() -> bool:
    """Undo click's wrapper after a closed pipe (it caught the EPIPE): True if there was one."""
    wrapped = getattr(sys.stdout, "wrapped", None)
    if wrapped is None:
        return False
    sys.stdout = wrapped
    sys.stderr = getattr(sys.stderr, "wrapped", sys.stderr)
    _silence_stdout()
    return True


def _silence_stdout() -> None:
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every outcome becomes an exit status, never a traceback."""
    adopt_standard_streams()
    try:
        result = cli.main(args=argv, prog_name="backprop", standalone_mode=False)
        code = result if isinstance(result, int) else ExitStatus.OK
    except click.exceptions.Exit as exit_:
        code = exit_.exit_code
    except click.ClickException as error:
        _report_click_error(error)
        code = error.exit_code
    except click.Abort as abort:  # click's form of KeyboardInterrupt, which is its cause
        code = _report_interrupt(abort.__cause__)
    except KeyboardInterrupt as interrupt:
        code = _report_interrupt(interrupt)
    except BackpropError as error:
        _report(format_error(error, cli_advice(error.options)))
        code = error.exit_code
    except BrokenPipeError:
        _silence_stdout()
        code = OutputError.exit_code
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    except OSError as error:
        if error.errno == errno.EPIPE:
            _silence_stdout()
        else:
            _report(f"error: could not write the output: {error.strerror or error}")
        code = OutputError.exit_code
    except Exception as error:
        if os.environ.get("BACKPROP_DEBUG") == "1":
            import traceback

            traceback.print_exc()
        detail = " ".join(str(error).split())[:200]
        _report(terminal_safe(
            f"error: internal error ({type(error).__name__}: {detail}); this is a bug, please "
            "report it with the command that caused it (BACKPROP_DEBUG=1 shows the traceback)"
        ))
        code = ExitStatus.INTERNAL
    if _unpacify():  # a closed pipe, which click turned into exit 1
        code = code or OutputError.exit_code
    try:
        sys.stdout.flush()
    except OSError as error:
        _silence_stdout()
        if error.errno != errno.EPIPE:
            _report(f"error: could not write the output: {error.strerror or error}")
        code = code or OutputError.exit_code
    return code


def run() -> None:
    sys.exit(main())
