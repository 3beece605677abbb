"""Writing a stream of blocks while the next ones are computed.

A file write releases the interpreter lock, so a writer thread lets the disk work while
the main thread parses and evaluates the next chunk. The queue between them holds at most
two blocks, so memory stays flat. Blocks reach the output in order and in full; an error
in the producer stops the stream after the blocks made before it, and an error in the
writer (a closed pipe, a full disk) is raised in the caller.

Where the output has a file descriptor, the thread writes to it directly, past Python's
buffer, so that Ctrl-C can end the process at once even while the thread waits on a full
pipe (a pager that is not reading): the buffer is never held by a thread left behind.
Every write is checked to the last byte (a write cut short is finished, or raises).

On Ctrl-C the writer stops before its next write, and the interruption says how many rows
reached the output in full (``core.errors.Interrupted``): the complete lines written, less
the header's.
"""

from __future__ import annotations

import errno
import io
import os
import queue
import threading
from collections.abc import Iterable
from typing import IO

from .core.errors import Interrupted

_DONE = None
WAIT_ON_INTERRUPT = 0.5  # seconds Ctrl-C waits for a write under way, to count it


class _Counted:
    """Writes blocks in full to ``out`` (its descriptor where it has one), counting the
    complete lines that have reached it."""

    def __init__(self, out: IO[bytes]) -> None:
        self.lines = 0
        self.out = out
        try:
            self.fd: int | None = out.fileno()
        except (AttributeError, OSError, io.UnsupportedOperation):
            self.fd = None
        else:
            out.flush()

    def write(self, block: bytes) -> None:
        view = memoryview(block)
        done = 0
        while done < len(block):
            written = (os.write(self.fd, view[done:]) if self.fd is not None
                       else self.out.write(view[done:]))
            if not written:  # None (would block) or 0: no progress is an error, not a loop
                raise OSError(errno.EIO, "the output accepted no more bytes")
            self.lines += block.count(b"\n", done, done + written)
            done += written


def write_blocks(out: IO[bytes], blocks: Iterable[bytes], header_lines: int = 0) -> None:
    """Write ``blocks`` to ``out`` in order, computing the next while one is written.

    ``header_lines``: the lines of the first block that are not rows (a CSV header).
    """
    counted = _Counted(out)
    pending: queue.Queue[bytes | None] = queue.Queue(maxsize=2)
    failures: list[BaseException] = []
    writing = threading.Lock()  # held for each write: Ctrl-C counts what is whole
    stopped = threading.Event()

    def drain() -> None:
        while (block := pending.get()) is not _DONE:
            with writing:
                if failures or stopped.is_set():
                    continue
                try:
                    counted.write(block)
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
    except KeyboardInterrupt as interrupt:
        # no waiting on the writer beyond a moment: it may be stuck on a full pipe
        stopped.set()
        whole = writing.acquire(timeout=WAIT_ON_INTERRUPT)
        rows = max(0, counted.lines - header_lines)
        raise Interrupted(f"after writing {'' if whole else 'at least '}{rows:,} "
                          f"row{'' if rows == 1 else 's'}") from interrupt
    except BaseException:
        finish()  # the blocks made before the error are written first
        raise
    finish()
    if failures:
        raise failures[0]
    out.flush()
