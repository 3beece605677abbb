"""Data in and out of batch evaluation: columns the program does not read (ignored, or
kept with --keep), --values files shared between programs, options that batch output
would ignore, sweep points as the decimals asked for, lines of any length in bounded
memory, many columns in linear time, and JSON Lines constants named as what they are."""

from __future__ import annotations

import json
import resource
import subprocess
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from backprop_cli.points import parse_sweep, sweep_chunks
from tests.harness import (
    backprop_command,
    clean,
    csv_rows,
    process_env,
    run,
    run_process,
    strict_json,
)

# --------------------------------------------------------------------------------------
# columns and keys the program does not read; --keep
# --------------------------------------------------------------------------------------
LABELLED_CSV = b'id,x,label,y\n007,1,"a, b",2\nq7,3,c\xc3\xa9,4\n'
XY = [{"x": 1.0, "y": 2.0, "value": 2.0, "d_x": 2.0, "d_y": 1.0},
      {"x": 3.0, "y": 4.0, "value": 12.0, "d_x": 4.0, "d_y": 3.0}]


def test_columns_that_are_not_inputs_are_ignored_whatever_they_hold(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(LABELLED_CSV)
    for chunk in ("1", "65536"):
        out = clean(run("eval", "x*y", "--at", str(path), "--chunk-rows", chunk), 0).out
        assert csv_rows(out) == XY
    unnamed = tmp_path / "pandas.csv"  # an index column without a name, as pandas writes
    unnamed.write_bytes(b",x,y\n0,1,2\n1,3,4\n")
    assert csv_rows(clean(run("eval", "x*y", "--at", str(unnamed)), 0).out) == XY
    lines = tmp_path / "data.jsonl"
    lines.write_bytes(b'{"id":"a","x":1,"y":2,"meta":{"k":[1,null]}}\n{"y":4,"x":3,"n":true}\n')
    assert csv_rows(clean(run("eval", "x*y", "--at", str(lines)), 0).out) == XY


def test_a_missing_input_names_the_file_and_its_nearest_column(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(b"x,yy,label\n1,2,a\n")
    result = clean(run("eval", "x*y", "--at", str(path)), 2, "has no column y",
                   "did you mean 'yy'?")
    assert result.out == ""


def test_keep_copies_columns_verbatim_and_first(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(LABELLED_CSV)
    out = clean(run("eval", "x*y", "--at", str(path), "--keep", "id,label"), 0).out
    assert out.splitlines() == ["id,label,x,y,value,d_x,d_y",
                                '007,"a, b",1.0,2.0,2.0,2.0,1.0',
                                "q7,cé,3.0,4.0,12.0,4.0,3.0"]
    out = clean(run("eval", "x*y", "--at", str(path), "--keep", "id", "--keep", "label",
                    "-F", "jsonl", "--chunk-rows", "1"), 0).out
    rows = [strict_json(line) for line in out.splitlines()]
    assert [list(r)[:3] for r in rows] == [["id", "label", "x"]] * 2
    assert rows == [{"id": "007", "label": "a, b", **XY[0]}, {"id": "q7", "label": "cé", **XY[1]}]


def test_keep_from_json_lines_keeps_json_values(tmp_path: Path) -> None:
    path = tmp_path / "data.jsonl"
    path.write_bytes(b'{"id":12345678901234567890123,"x":1,"y":2,"tag":[1,"a"]}\n'
                     b'{"id":"b","x":3,"y":4,"tag":null}\n')
    out = clean(run("eval", "x*y", "--at", str(path), "--keep", "id,tag", "-F", "jsonl"), 0).out
    assert out.splitlines()[0].startswith('{"id":12345678901234567890123,"tag":[1,"a"],"x":1.0')
    assert strict_json(out.splitlines()[1]) == {"id": "b", "tag": None, **XY[1]}
    out = clean(run("eval", "x*y", "--at", str(path), "--keep", "id,tag"), 0).out
    assert out.splitlines()[1:] == ['12345678901234567890123,"[1,""a""]",1.0,2.0,2.0,2.0,1.0',
                                    "b,,3.0,4.0,12.0,4.0,3.0"]


def test_keep_is_checked(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_bytes(LABELLED_CSV)
    clean(run("eval", "x*y", "--at", str(path), "--keep", "lable"), 2, "lable",
          "did you mean 'label'?")
    clean(run("eval", "x*y", "--at", str(path), "--keep", "x"), 2, "--keep x", "input")
    clean(run("eval", "x*y", "--sweep", "x=0:1:2", "y=1", "--keep", "id"), 2, "--keep")
    clean(run("eval", "x*y", "x=1", "y=2", "--keep", "id"), 2, "--keep")
    clean(run("eval", "x*y", "--at", str(path), "--keep", "id,id"), 2, "twice")
    clashing = tmp_path / "value.csv"
    clashing.write_bytes(b"x,y,value\n1,2,3\n")
    clean(run("eval", "x*y", "--at", str(clashing), "--keep", "value"), 2, "value")
    twice = tmp_path / "twice.csv"
    twice.write_bytes(b"x,y,id,id\n1,2,a,b\n")
    assert clean(run("eval", "x*y", "--at", str(twice)), 0).out.count("\n") == 2
    clean(run("eval", "x*y", "--at", str(twice), "--keep", "id"), 2, "twice")


def test_a_values_file_may_hold_names_the_program_does_not_read(tmp_path: Path) -> None:
    shared = tmp_path / "shared.json"
    shared.write_text('{"x": 2, "model": "m-3", "lr": 0.1, "layers": [4, 4], "bad name": 1}')
    assert clean(run("eval", "x*3", "--values", str(shared), "--value"), 0).out == "6\n"
    lines = tmp_path / "shared.txt"
    lines.write_text("x=2\nlr=0.1\nlabel=not a number\n")
    assert clean(run("eval", "x*3", "--values", str(lines), "--value"), 0).out == "6\n"
    # what the program reads is still checked, and a binding no input takes is an error
    shared.write_text('{"x": "2", "lr": 0.1}')
    clean(run("eval", "x*3", "--values", str(shared)), 2, "x")
    clean(run("eval", "alpha*3", "--values", str(lines), "alpah=1"), 2, "alpah",
          "did you mean 'alpha'?")


def test_a_column_wins_over_a_values_file_not_over_a_binding(tmp_path: Path) -> None:
    shared = tmp_path / "shared.json"
    shared.write_text('{"x": 100, "y": 2}')
    data = tmp_path / "data.csv"
    data.write_bytes(b"x,id\n1,a\n3,b\n")
    out = clean(run("eval", "x*y", "--at", str(data), "--values", str(shared)), 0).out
    assert [(r["x"], r["y"]) for r in csv_rows(out)] == [(1.0, 2.0), (3.0, 2.0)]
    clean(run("eval", "x*y", "--at", str(data), "x=1", "y=2"), 2, "both")


# --------------------------------------------------------------------------------------
# -p and --max-rows are for the table
# --------------------------------------------------------------------------------------
def test_table_options_are_refused_in_batch_output(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_bytes(b"x,y\n1,2\n")
    for option in (["-p", "3"], ["--precision=3"], ["--max-rows", "5"]):
        clean(run("eval", "x*y", "--at", str(data), *option), 2, option[0].split("=")[0][:5],
              "table")
        clean(run("eval", "x*y", "--sweep", "x=0:1:2", "y=1", *option), 2, "table")
    assert clean(run("eval", "x*y", "--at", str(data)), 0).out.count("\n") == 2
    assert clean(run("eval", "x/3", "x=1", "-p", "3", "-F", "table"), 0).out
    clean(run("eval", "x", "x=1", "--max-line-bytes", "100"), 2, "--max-line-bytes")


# --------------------------------------------------------------------------------------
# sweeps: the decimals asked for; the three fields named
# --------------------------------------------------------------------------------------
def test_sweep_points_are_the_decimals_asked_for() -> None:
    out = clean(run("eval", "x", "--sweep", "x=-4:4:81"), 0).out
    xs = [line.split(",")[0] for line in out.splitlines()[1:]]
    assert xs == [repr(float(f"{k / 10:.1f}")) for k in range(-40, 41)]
    assert "-3.9000000000000004" not in out
    out = clean(run("eval", "x", "--sweep", "x=0:1:11"), 0).out
    assert [line.split(",")[0] for line in out.splitlines()[1:]] == [
        "0.0", "0.1", "0.2", "0.3", "0.4", "0.5", "0.6", "0.7", "0.8", "0.9", "1.0"]


DECIMALS = st.builds(
    lambda sign, whole, frac, exp: f"{sign}{whole}{'.' + frac if frac else ''}{exp}",
    st.sampled_from(["", "-", "+"]), st.sampled_from(["0", "1", "7", "12", "999", "123456789"]),
    st.sampled_from(["", "1", "05", "3333333333333333333", "25"]),
    st.sampled_from(["", "e3", "e-7", "E+2", "e-300", "e300"]))


@settings(max_examples=300, deadline=None)
@given(DECIMALS, DECIMALS, st.one_of(st.integers(1, 200), st.just(10**9)))
def test_every_sweep_point_is_the_exact_point_rounded_once(start: str, stop: str,
                                                           count: int) -> None:
    if count == 1:
        stop = start
    sweep = parse_sweep(f"x={start}:{stop}:{count}")
    ks = np.unique(np.r_[np.arange(min(count, 200)), count - 1 - np.arange(min(count, 50))])
    ks = ks[(ks >= 0) & (ks < count)]
    from backprop_cli.points import _exact_points

    got = _exact_points(sweep)(ks.astype(np.int64))
    a, b = Fraction(start), Fraction(stop)
    for k, value in zip(ks.tolist(), got.tolist()):
        expected = float(a + k * (b - a) / (count - 1)) if count > 1 else float(a)
        assert value == expected, (start, stop, count, k)


def test_sweep_chunks_give_the_same_points_in_any_chunking() -> None:
    sweep = parse_sweep("x=-0.3:0.7:1001")
    whole = np.concatenate([c.columns["x"] for c in sweep_chunks([sweep], 10_000)])
    parts = np.concatenate([c.columns["x"] for c in sweep_chunks([sweep], 7)])
    assert (whole == parts).all()
    assert whole[0] == -0.3 and whole[-1] == 0.7 and whole[300] == 0.0


def test_sweep_fields_are_named_when_they_look_like_a_step() -> None:
    result = clean(run("eval", "x", "--sweep", "x=0:0.1:1"), 2, "START:STOP:COUNT",
                   "x=0:1:11")
    assert result.out == ""
    clean(run("eval", "x", "--sweep", "x=0:1:0.1"), 2, "START:STOP:COUNT", "whole number")
    clean(run("eval", "x", "--sweep", "x=0:1:1e3"), 2, "START:STOP:COUNT")
    clean(run("eval", "x", "--sweep", "x=0:1"), 2, "START:STOP:COUNT")
    assert clean(run("eval", "x", "--sweep", "x=2:2:1"), 0).out.splitlines()[1] == "2.0,2.0,1.0"


# --------------------------------------------------------------------------------------
# lines of any length, in bounded memory
# --------------------------------------------------------------------------------------
MEMORY = 600 << 20  # address space for the whole process: far less than the 1 GiB lines


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))


def _bounded(*args: str, stdin=None) -> subprocess.CompletedProcess:
    return run_process(*args, stdin=stdin, env={"OPENBLAS_NUM_THREADS": "1"}, timeout=60,
                       preexec_fn=_limited)


def test_a_sparse_gigabyte_without_a_line_end_is_refused_in_bounded_memory(
        tmp_path: Path) -> None:
    path = tmp_path / "z.csv"
    subprocess.run(["truncate", "-s", "1G", str(path)], check=True)
    started = time.monotonic()
    result = _bounded("eval", "x", "--at", str(path))
    assert result.returncode == 2, result.stderr[-500:]
    assert b"line 1 (the header)" in result.stderr and b"--max-line-bytes" in result.stderr
    assert b"Traceback" not in result.stderr
    assert time.monotonic() - started < 30


def test_a_hole_after_the_first_row_keeps_the_first_row(tmp_path: Path) -> None:
    for name, head in (("h.csv", b"x\n1\n"), ("h.jsonl", b'{"x": 1}\n')):
        path = tmp_path / name
        path.write_bytes(head)
        subprocess.run(["truncate", "-s", "1G", str(path)], check=True)
        result = _bounded("eval", "x", "--at", str(path))
        assert result.returncode == 2, result.stderr[-500:]
        assert result.stdout == b"x,value,d_x\n1.0,1.0,1.0\n"
        assert b"row 2" in result.stderr and b"longer than 8,388,608 bytes" in result.stderr


def test_a_long_line_from_a_pipe_is_refused_as_it_comes() -> None:
    producer = subprocess.Popen(["head", "-c", "300000000", "/dev/zero"],
                                stdout=subprocess.PIPE)
    try:
        result = subprocess.run(
            [*backprop_command(), "eval", "x", "--at", "-"], stdin=producer.stdout,
            capture_output=True, env=process_env({"OPENBLAS_NUM_THREADS": "1"}),
            preexec_fn=_limited, timeout=60, check=False)
    finally:
        producer.kill()
        producer.wait()
    assert result.returncode == 2, result.stderr[-500:]
    assert b"<stdin>, line 1 (the header)" in result.stderr


def test_max_line_bytes_names_the_row_after_writing_the_rows_before(tmp_path: Path) -> None:
    path = tmp_path / "p.csv"
    path.write_bytes(b"x\n1\n2\n" + b"3" * 20 + b"\n4\n")
    for chunk in ("1", "2", "65536"):
        result = clean(run("eval", "x", "--at", str(path), "--max-line-bytes", "10",
                           "--chunk-rows", chunk), 2, "row 3 (line 4)", "longer than 10 bytes")
        assert result.out.splitlines() == ["x,value,d_x", "1.0,1.0,1.0", "2.0,2.0,1.0"]
    assert clean(run("eval", "x", "--at", str(path), "--max-line-bytes", "20"), 0).out \
        .count("\n") == 5
    lines = tmp_path / "p.jsonl"
    lines.write_bytes(b'{"x": 1}\n\n{"x": 2.000000000000}\n')
    result = clean(run("eval", "x", "--at", str(lines), "--max-line-bytes", "10"), 2,
                   "row 2 (line 3)")
    assert result.out.splitlines() == ["x,value,d_x", "1.0,1.0,1.0"]


def test_long_number_cells_are_read_by_default(tmp_path: Path) -> None:
    path = tmp_path / "long.csv"
    path.write_bytes(b"x,y\n1." + b"0" * 131_072 + b"1,2\n")
    assert csv_rows(clean(run("eval", "x*y", "--at", str(path)), 0).out)[0]["value"] == 2.0


# --------------------------------------------------------------------------------------
# many columns: linear time
# --------------------------------------------------------------------------------------
def test_a_hundred_thousand_columns_in_a_few_seconds(tmp_path: Path) -> None:
    names = [f"x{k}" for k in range(100_000)]
    data = tmp_path / "wide.csv"
    data.write_text(",".join(names) + "\n" + ",".join(["1"] * len(names)) + "\n")
    program = tmp_path / "wide.bp"
    program.write_text("+".join(names) + "\n")
    started = time.monotonic()
    result = run_process("eval", "-f", str(program), "--at", str(data), timeout=60)
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr[-500:]
    header, row = result.stdout.decode().splitlines()
    assert header.split(",")[100_000] == "value" and row.split(",")[100_000] == "100000.0"
    assert took < 20, took  # quadratic, this took minutes


# --------------------------------------------------------------------------------------
# JSON Lines: NaN and Infinity named as what they are
# --------------------------------------------------------------------------------------
def test_json_lines_constants_are_named(tmp_path: Path) -> None:
    path = tmp_path / "p.jsonl"
    for token in ("NaN", "Infinity", "-Infinity"):
        path.write_text('{"x": 1, "y": 2}\n{"x": 1, "y": ' + token + "}\n")
        result = clean(run("eval", "x*y", "--at", str(path)), 2,
                       f"row 2, column y: {token} is not a finite number")
        assert "beyond the range" not in result.err
        assert result.out.count("\n") == 2
    path.write_text('{"x": 1, "y": 1e400}\n')
    clean(run("eval", "x*y", "--at", str(path)), 2, "column y: a number beyond the range")
    path.write_text('{"x": 1, "y": 2, "note": NaN}\n')  # not read: not an error
    assert json.loads(clean(run("eval", "x*y", "--at", str(path), "-F", "jsonl"), 0)
                      .out)["value"] == 2.0
