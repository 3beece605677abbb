"""Writing a stream of blocks while the next ones are computed.

A file write releases the interpreter lock, so a writer thread lets the disk work while
the main thread parses and evaluates the next chunk. The queue between them holds at most
two blocks, so memory stays flat. Blocks reach the output in order and in full; an error
in the producer stops the stream after the blocks made before it, and an error in the
writer (a closed pipe, a full disk) is raised in the caller.

Where the output has a file descriptor, the thread writes to it directly, past Python's
buffer, so that Ctrl-C can end the process at once even while the thread waits on a full
pipe (a pager that is not reading): the buffer is never held by a thread left behind.
"""

from __future__ import annotations

import io
import os
import queue
import threading
from collections.abc import Callable, Iterable
from typing import IO

_DONE = None


def _writer_of(out: IO[bytes]) -> Callable[[bytes], object]:
    try:
        fd = out.fileno()
    except (AttributeError, OSError, io.UnsupportedOperation):
        return out.write
    out.flush()

    def write_all(block: bytes) -> None:
        view = memoryview(block)
        while view:
            view = view[os.write(fd, view):]

    return write_all


def write_blocks(out: IO[bytes], blocks: Iterable[bytes]) -> None:
    write = _writer_of(out)
    pending: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
    failures: list[BaseException] = []

    def drain() -> None:
        while (block := pending.get()) is not _DONE:
            if not failures:
                try:
                    write(block)
                except BaseException as error:
                    failures.append(error)

    writer = threading.Thread(target=drain, name="backprop-writer", daemon=True)
    writer.start()

    def finish() -> None:
        pending.put(_DONE)
        writer.join()

    try:
        for block in blocks:
            if failures:
                break
            pending.put(block)
    except KeyboardInterrupt:
        raise  # no waiting on the writer, which may be stuck on a full pipe
    except BaseException:
        finish()  # the blocks made before the error are written first
        raise
    finish()
    if failures:
        raise failures[0]
    out.flush()
