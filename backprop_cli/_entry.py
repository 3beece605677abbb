"""The ``backprop`` console script: Ctrl-C and SIGTERM are exit 130 from the first instant.

SIGTERM (``kill``, a timeout, a service manager) is handled as Ctrl-C is: the handler
raises ``KeyboardInterrupt``, so every path that ends cleanly on Ctrl-C (the streaming
writer, descend's report of where it got to, a Graphviz child) ends the same way, with
exit 130 and the one line ``interrupted``.
"""

import contextlib
import signal
import sys


def _terminated(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _interrupted() -> None:
    with contextlib.suppress(AttributeError, OSError, ValueError):  # stderr closed
        sys.stderr.write("interrupted\n")
    sys.exit(130)


def run() -> None:
    try:
        if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:  # ignored stays ignored
            signal.signal(signal.SIGTERM, _terminated)
        import gc

        gc.disable()  # a short-lived process: no cyclic collection passes
        from .cli.app import main
    except KeyboardInterrupt:
        _interrupted()
    try:
        code = main()
    except KeyboardInterrupt:  # a second Ctrl-C while the first was being reported
        code = 130
    sys.exit(code)
