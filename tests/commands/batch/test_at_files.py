"""eval --at FILE: CSV and JSON Lines files, good and bad, however the rows are chunked."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import clean, csv_rows, run, strict_json

# --------------------------------------------------------------------------------------
# eval --at FILE
# --------------------------------------------------------------------------------------
CSV_CASES = [
    ("ragged", b"x,y\n1,2\n3\n", 2, ["row 2", "1 cells"]),
    ("trailing comma", b"x,y\n1,2,\n", 2, ["row 1", "3 cells"]),
    ("huge", b"x,y\n1e308,1e309\n", 2, ["row 1", "column y", "1e309"]),
    ("nan cell", b"x,y\nnan,1\n", 2, ["column x", "nan"]),
    ("inf cell", b"x,y\n1,-inf\n", 2, ["column y"]),
    ("empty cell", b"x,y\n1,\n", 2, ["column y"]),
    ("hex", b"x,y\n0x10,1\n", 2, ["column x"]),
    ("underscore", b"x,y\n1_0,1\n", 2, ["column x"]),
    ("arabic digit", "x,y\n\u0663,1\n".encode(), 2, ["row 1"]),
    ("fullwidth digit", "x,y\n\uff11,1\n".encode(), 2, ["row 1"]),
    ("empty file", b"", 2, ["empty"]),
    ("blank file", b"\n\n  \n", 2, ["empty"]),
    ("unknown column", b"x,q\n1,2\n", 2, ["no column y", "x, q"]),  # q is ignored
    ("duplicate column", b"x,x\n1,2\n", 2, ["twice"]),
    ("cyrillic header", "\u0445,y\n1,2\n".encode(), 2, ["no column x"]),
    ("semicolons", b"x,y\n1;2\n", 2, ["row 1"]),
    ("unclosed quote", b'x,y\n"1,2\n', 2, ["row 1"]),
    ("NUL byte", b"x,y\n1,2\x00\n", 2, ["row 1"]),
]


@pytest.mark.parametrize("name, data, code, says", CSV_CASES, ids=[c[0] for c in CSV_CASES])
def test_csv_bad_files(tmp_path: Path, name: str, data: bytes, code: int,
                       says: list[str]) -> None:
    path = tmp_path / "points.csv"
    path.write_bytes(data)
    clean(run("eval", "x*y", "--at", str(path)), code, str(path), *says)


EXPECTED_XY = [{"x": 1.0, "y": 2.0, "value": 2.0, "d_x": 2.0, "d_y": 1.0},
               {"x": 3.0, "y": 4.0, "value": 12.0, "d_x": 4.0, "d_y": 3.0}]


@pytest.mark.parametrize("data", [
    b"x,y\n1,2\n3,4\n", b"x,y\r\n1,2\r\n3,4\r\n", b'"x","y"\n"1","2"\n"3","4"\n',
    b"x, y\n 1 , 2 \n3,4", b"y,x\n2,1\n4,3\n", b"\n\nx,y\n1,2\n3,4\n\n\n",
])
def test_csv_good_variants(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "points.csv"
    path.write_bytes(data)
    for chunk in ("1", "2", "65536"):
        out = clean(run("eval", "x*y", "--at", str(path), "--chunk-rows", chunk), 0).out
        assert csv_rows(out) == EXPECTED_XY


def test_csv_header_only_and_stdin(tmp_path: Path) -> None:
    path = tmp_path / "h.csv"
    path.write_bytes(b"x,y\n")
    assert clean(run("eval", "x*y", "--at", str(path)), 0).out == "x,y,value,d_x,d_y\n"
    out = clean(run("eval", "x*y", "--at", "-", stdin="x,y\n1,2\n3,4\n"), 0).out
    assert csv_rows(out) == EXPECTED_XY
    clean(run("eval", "-", "--at", "-", stdin="x*y"), 2, "stdin")
    clean(run("eval", "x*y", "--at", str(tmp_path / "missing.csv")), 2, "missing.csv")
    clean(run("eval", "x*y", "--at", str(tmp_path)), 2, str(tmp_path))
    clean(run("eval", "x*y", "x=1", "--at", "-", stdin="x,y\n1,2\n"), 2, "x")


def test_csv_with_a_byte_order_mark(tmp_path: Path) -> None:
    """BUG (low): a CSV saved by Excel starts with a UTF-8 BOM; the program reader drops
    it, the CSV reader says 'the header is not ASCII'."""
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbfx,y\r\n1,2\r\n3,4\r\n")
    assert csv_rows(clean(run("eval", "x*y", "--at", str(path)), 0).out) == EXPECTED_XY


def test_csv_cells_do_not_shift_between_rows(tmp_path: Path) -> None:
    """BUG: the fast CSV path checks the comma count per line but the token count only per
    chunk, so '1 2,3' and ',4' are read as the rows (1, 2) and (3, 4), exit 0. With
    --chunk-rows 1 the same file is an error, as it should be."""
    path = tmp_path / "shifted.csv"
    path.write_bytes(b"x,y\n1 2,3\n,4\n")
    clean(run("eval", "x*y", "--at", str(path)), 2, "row 1")


def test_csv_blank_lines_do_not_end_the_file(tmp_path: Path) -> None:
    """BUG: a chunk of --chunk-rows lines that are all blank ends the reading, so every
    row after it is silently dropped (exit 0): with --chunk-rows 1 one blank line is
    enough, with the default 65,536 blank lines in a row."""
    path = tmp_path / "gap.csv"
    path.write_bytes(b"x,y\n1,2\n\n3,4\n")
    for chunk in ("1", "2", "65536"):
        out = clean(run("eval", "x*y", "--at", str(path), "--chunk-rows", chunk), 0).out
        assert csv_rows(out) == EXPECTED_XY, (chunk, out)


def test_csv_huge_field_is_an_input_error(tmp_path: Path) -> None:
    """BUG: a cell over the csv module's field limit (131,072 characters) raises
    _csv.Error: exit 70."""
    path = tmp_path / "long.csv"
    path.write_bytes(b"x,y\n" + b"1" * 200_000 + b",2\n")
    clean(run("eval", "x*y", "--at", str(path)), 2, "row 1")


def test_csv_error_rows_count_blank_lines(tmp_path: Path) -> None:
    """BUG (low): blank lines are dropped before rows are numbered, so the bad cell on the
    4th data line (line 5 of the file) is reported as 'row 2'."""
    path = tmp_path / "gaps.csv"
    path.write_bytes(b"x,y\n1,2\n\n\nbad,4\n")
    result = clean(run("eval", "x*y", "--at", str(path)), 2, "bad")
    assert "row 4" in result.err or "line 5" in result.err, result.err


JSONL_CASES = [
    ("missing key", b'{"x":1,"y":2}\n{"x":3}\n', ["row 2"]),
    ("array", b'{"x":1,"y":2}\n[1,2]\n', ["row 2"]),
    ("scalar", b'"x"\n', ["row 1"]),
    ("string", b'{"x":1,"y":"2"}\n', ["column y"]),
    ("bool", b'{"x":1,"y":true}\n', ["column y"]),
    ("null", b'{"x":1,"y":null}\n', ["column y"]),
    ("NaN", b'{"x":1,"y":NaN}\n', ["column y"]),
    ("1e400", b'{"x":1,"y":1e400}\n', ["column y"]),
    ("truncated", b'{"x":1,"y":2}\n{"x":1,"y":2\n', ["row 2"]),
    ("bad utf-8", b'{"x":1,"y":2}\n\xff\n', ["row 2"]),
    ("deep nesting", b"[" * 100_000 + b"]" * 100_000 + b"\n", ["row 1"]),
    ("empty", b"", ["empty"]),
    ("unknown key", b'{"x":1,"q":3}\n', ["no column y", "q"]),  # q is ignored
    ("bad name", b'{"x ":1,"y":2}\n', ["x "]),
    ("huge integer", b'{"x":1,"y":1' + b"0" * 400 + b"}\n", ["column y"]),
    ("duplicate key", b'{"x":1,"x":2,"y":3}\n', ["x"]),
]


@pytest.mark.parametrize("name, data, says", JSONL_CASES, ids=[c[0] for c in JSONL_CASES])
def test_jsonl_bad_files(tmp_path: Path, name: str, data: bytes, says: list[str]) -> None:
    """BUGS among these: 'huge integer' is exit 70 (OverflowError in math.isfinite), and
    'duplicate key' is silently read as its last value while CSV refuses it."""
    path = tmp_path / "points.jsonl"
    path.write_bytes(data)
    clean(run("eval", "x*y", "--at", str(path)), 2, str(path), *says)


@pytest.mark.parametrize("data", [
    b'{"x":1,"y":2}\n{"x":3,"y":4}\n', b'{"x":1,"y":2}\r\n\r\n{"y":4,"x":3}\r\n',
    b'\xef\xbb\xbf{"x":1,"y":2}\n{"x":3.0,"y":4e0}',
])
def test_jsonl_good_variants(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "points.jsonl"
    path.write_bytes(data)
    out = clean(run("eval", "x*y", "--at", str(path), "--chunk-rows", "1"), 0).out
    assert csv_rows(out) == EXPECTED_XY
    lines = clean(run("eval", "x*y", "--at", str(path), "-F", "jsonl"), 0).out.splitlines()
    assert [strict_json(line) for line in lines] == EXPECTED_XY
