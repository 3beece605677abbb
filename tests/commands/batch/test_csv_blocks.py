"""Blocks of CSV rows parsed at once: every parser accepts only what the careful path
accepts, and reads each cell as the same double."""

from __future__ import annotations

import io
import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings

from backprop_cli.core.numbers import DECIMAL
from backprop_cli.csv_blocks import parse_block, well_formed
from backprop_cli.points import read_csv
from tests.harness import run
from tests.strategies import csv_tables


def _engines() -> list[str]:
    try:
        import pyarrow.csv  # noqa: F401
    except ImportError:
        return ["numpy"]
    return ["numpy", "arrow"]


def careful(cell: str) -> float | None:
    """The careful path's rule for one cell: a plain decimal number, finite."""
    text = cell.strip()
    if not DECIMAL.match(text) or not math.isfinite(float(text)):
        return None
    return float(text)


@pytest.mark.parametrize("engine", _engines())
@settings(max_examples=300)
@given(csv_tables)
def test_a_parsed_block_holds_exactly_the_careful_values(engine: str, table: list) -> None:
    width = len(table[0])
    block = "".join(",".join(row) + "\n" for row in table).encode()
    columns = parse_block(block, len(table), width, engine=engine)
    expected = [[careful(cell) for cell in row] for row in table]
    if columns is None:
        return  # the careful path decides, line by line
    assert all(v is not None for row in expected for v in row), table
    got = np.column_stack(columns).tolist()
    for got_row, want_row in zip(got, expected, strict=True):
        for g, w in zip(got_row, want_row, strict=True):
            assert g == w and math.copysign(1, g) == math.copysign(1, w), (table, got)


@pytest.mark.parametrize("engine", _engines())
def test_well_formed_blocks_parse_to_the_same_doubles(engine: str) -> None:
    rng = np.random.default_rng(7)
    matrix = rng.standard_normal((5_000, 3)) * 10.0 ** rng.integers(-300, 300, (5_000, 3))
    block = "".join(",".join(map(repr, row)) + "\n" for row in matrix.tolist()).encode()
    columns = parse_block(block, 5_000, 3, engine=engine)
    assert columns is not None
    assert (np.column_stack(columns) == matrix).all()
    crlf = block.replace(b"\n", b"\r\n")
    assert (np.column_stack(parse_block(crlf, 5_000, 3, engine=engine)) == matrix).all()


@pytest.mark.parametrize("engine", _engines())
@pytest.mark.parametrize(("block", "rows", "width"), [
    (b"1,2\n3,4\n", 2, 2),        # well formed: the control
    (b"1,2\n\n3,4\n", 3, 2),      # a blank line
    (b"1\n\n3\n", 3, 1),          # a blank line in one column
    (b"1\n  \n3\n", 3, 1),        # a line of spaces
    (b"1,2\n3,4", 2, 2),          # no end to the last line
    (b"1,2,\n3,4,\n", 2, 2),      # a comma too many
    (b"1,\n3,4\n", 2, 2),         # an empty cell
    (b"inf,2\n", 1, 2),           # letters
    (b"1e999,2\n", 1, 2),         # overflows
    (b'"1",2\n', 1, 2),           # quotes
    (b"1,2\n", 2, 2),             # fewer lines than said
    (b"\n\n", 2, 1),              # blank lines only
    (b"1\r2\n", 1, 1),            # a carriage return inside a line
])
def test_what_goes_down_the_careful_path(engine: str, block: bytes, rows: int,
                                         width: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing reaches the user's terminal
        parsed = parse_block(block, rows, width, engine=engine)
    assert (parsed is not None) == (block == b"1,2\n3,4\n")


def test_well_formed_counts_commas_per_line() -> None:
    assert well_formed(b"1,2\n3,4\n", 2, 2)
    assert not well_formed(b"1,2,3\n4\n", 2, 2)
    assert not well_formed(b"1;2\n", 1, 2)


@pytest.mark.parametrize("engine", _engines())
def test_reading_with_either_parser_gives_the_same_rows(engine: str, monkeypatch) -> None:
    import backprop_cli.points as points

    rng = np.random.default_rng(11)
    matrix = rng.standard_normal((9_000, 2))
    lines = [",".join(map(repr, row)) for row in matrix.tolist()]
    lines.insert(5_000, "")  # a blank line in the middle of a chunk
    text = ("a,b\n" + "\n".join(lines) + "\n").encode()
    monkeypatch.setattr(points, "parse_block",
                        lambda block, rows, width: parse_block(block, rows, width, engine=engine))
    chunks = read_csv(io.BytesIO(text), "t").chunks(["a", "b"], chunk_rows=4_096)
    got = np.concatenate([np.column_stack([c.columns["a"], c.columns["b"]]) for c in chunks])
    assert (got == matrix).all()


def test_a_bad_cell_deep_in_a_large_file_is_named(tmp_path) -> None:
    lines = ["x,y"] + [f"{k},{k / 7!r}" for k in range(20_000)]
    lines[15_001] = "3,1-2"
    data = tmp_path / "p.csv"
    data.write_text("\n".join(lines) + "\n")
    result = run("eval", "x*y", "--at", str(data))
    assert result.code == 2
    assert "row 15,001 (line 15,002), column y: '1-2'" in result.err
    assert result.out.count("\n") == 1 + 15_000  # the header and the rows before it
    streamed = run("eval", "x*y", "--at", str(data), "--chunk-rows", "4096")
    assert (streamed.code, streamed.out, streamed.err) == (result.code, result.out, result.err)
