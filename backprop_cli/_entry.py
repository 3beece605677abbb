"""The ``backprop`` console script: Ctrl-C during start-up exits 130 quietly too."""

import sys


def run() -> None:
    try:
        import gc

        gc.disable()  # a short-lived process: no cyclic collection passes
        from .cli.app import main
    except KeyboardInterrupt:
        sys.exit(130)
    sys.exit(main())
