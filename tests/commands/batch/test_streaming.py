"""Blocks written by a background thread: in order, in full, errors on both sides."""

from __future__ import annotations

import io
import itertools
from collections.abc import Iterator

import pytest

from backprop_cli.streaming import write_blocks


def test_blocks_arrive_in_order_and_flushed() -> None:
    out = io.BytesIO()
    blocks = [str(k).encode() * (k % 7 + 1) for k in range(500)]
    write_blocks(out, iter(blocks))
    assert out.getvalue() == b"".join(blocks)


def test_a_producer_error_comes_after_the_blocks_made_before_it() -> None:
    def blocks() -> Iterator[bytes]:
        yield b"a"
        yield b"b"
        raise ValueError("row 3")

    out = io.BytesIO()
    with pytest.raises(ValueError, match="row 3"):
        write_blocks(out, blocks())
    assert out.getvalue() == b"ab"


class ClosedPipe(io.RawIOBase):
    def __init__(self) -> None:
        self.writes = 0

    def writable(self) -> bool:
        return True

    def write(self, block) -> int:
        self.writes += 1
        if self.writes > 2:
            raise BrokenPipeError(32, "Broken pipe")
        return len(block)


def test_a_writer_error_stops_an_endless_producer_and_is_raised() -> None:
    out = ClosedPipe()
    with pytest.raises(BrokenPipeError):
        write_blocks(out, (b"x" * 100 for _ in itertools.count()))
    assert out.writes == 3
