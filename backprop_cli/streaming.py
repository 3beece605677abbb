"""Writing a stream of blocks while the next ones are computed.

A file write releases the interpreter lock, so a writer thread lets the disk work while
the main thread parses and evaluates the next chunk. The queue between them holds at most
two blocks, so memory stays flat. Blocks reach the output in order and in full; an error
in the producer stops the stream after the blocks made before it, and an error in the
writer (a closed pipe, a full disk) is raised in the caller.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable
from typing import IO

_DONE = None


def write_blocks(out: IO[bytes], blocks: Iterable[bytes]) -> None:
    pending: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
    failures: list[BaseException] = []

    def drain() -> None:
        while (block := pending.get()) is not _DONE:
            if not failures:
                try:
                    out.write(block)
                except BaseException as error:
                    failures.append(error)

    writer = threading.Thread(target=drain, name="backprop-writer", daemon=True)
    writer.start()
    try:
        for block in blocks:
            if failures:
                break
            pending.put(block)
    finally:
        pending.put(_DONE)
        writer.join()
    if failures:
        raise failures[0]
    out.flush()
