"""eval --each-line: each line of the input is its own program at the same bindings; one
JSON object per line (SPEC §4's document plus "line"), an error object for a line that
fails, the exit status of the worst line; streamed, and a line's length is bounded."""

from __future__ import annotations

import io
import json
import time

import pytest

from backprop_cli.each_line import LineReport, Settings, read_lines
from tests.harness import check_usage_error, run

LINES = "x*y\n\n# a comment\nlog(x - 1)\nx +\nsin(x)\nx + w\n"


def objects(out: str) -> list[dict]:
    assert out.endswith("\n"), out
    return [json.loads(line) for line in out.splitlines()]


def test_each_line_is_a_program_with_its_own_object(tmp_path) -> None:
    path = tmp_path / "exprs.txt"
    path.write_text(LINES)
    result = run("eval", "--each-line", "-f", str(path), "x=1", "y=2")
    assert result.code == 2, result.err  # the worst line is a syntax error
    assert result.err == ""
    got = objects(result.out)
    assert [o["line"] for o in got] == [1, 4, 5, 6, 7]  # blank and comment lines give nothing
    first = got[0]
    assert list(first)[:5] == ["line", "output", "value", "gradient", "nodes"]
    assert first["value"] == 2.0 and first["gradient"] == {"x": 2.0, "y": 1.0}
    assert first["nodes"][2] == {"id": 2, "name": None, "op": "mul", "label": "x * y",
                                 "inputs": [0, 1], "value": 2.0, "grad": 1.0}
    assert got[1]["error"]["exit_status"] == 1 and "log" in got[1]["error"]["message"]
    assert got[1]["error"]["hint"] == "use --allow-nonfinite to let non-finite numbers through"
    assert got[2]["error"]["exit_status"] == 2 and got[2]["error"]["column"] == 3
    assert got[3]["gradient"] == pytest.approx({"x": 0.5403023058681398})
    assert got[4]["error"]["exit_status"] == 2 and "w" in got[4]["error"]["message"]


@pytest.mark.parametrize(("text", "code"), [("x\nx*2\n", 0), ("x\nlog(x - 1)\n", 1),
                                            ("log(x-1)\n)\nx\n", 2), ("", 0), ("\n#\n", 0)])
def test_the_exit_status_is_the_worst_line(text: str, code: int) -> None:
    result = run("eval", "--each-line", "-", "x=1", stdin=text)
    assert result.code == code, result.out
    assert result.err == ""


def test_a_binding_a_line_does_not_use_is_not_its_error() -> None:
    result = run("eval", "--each-line", "-", "x=2", "y=3", "z=4", stdin="x^2\ny*z\n2\n")
    assert result.code == 0, result.out
    assert [o["value"] for o in objects(result.out)] == [4.0, 12.0, 2.0]


def test_a_binding_of_a_computed_name_is_still_an_error_for_its_line() -> None:
    result = run("eval", "--each-line", "-", "x=2", "q=1", stdin="q = x + 1; q * 2\nx\n")
    assert result.code == 2
    got = objects(result.out)
    assert "computed from other names" in got[0]["error"]["message"]
    assert got[1]["value"] == 2.0


def test_the_program_argument_and_a_values_file_work_too(tmp_path) -> None:
    values = tmp_path / "v.json"
    values.write_text('{"x": 3}')
    result = run("eval", "--each-line", "x\nx*x", "--values", str(values))
    assert [o["value"] for o in objects(result.out)] == [3.0, 9.0]


def test_options_apply_to_every_line() -> None:
    result = run("eval", "--each-line", "-", "x=1", "--exact", "--output", "q",
                 stdin="q = x/3; q*2\nq = x; q\n")
    got = objects(result.out)
    assert result.code == 0, result.out
    assert got[0]["output"] == "q" and got[0]["gradient_exact"] == {"x": "1/3"}
    assert "value_exact" in got[1]["nodes"][0]


def test_a_line_that_is_not_utf8_is_an_error_object() -> None:
    result = run("eval", "--each-line", "-", "x=1", stdin=b"x\n\xff\nx*2\n")
    got = objects(result.out)
    assert result.code == 2
    assert "not valid UTF-8" in got[1]["error"]["message"] and got[2]["value"] == 2.0


def test_a_line_over_the_limit_is_an_error_and_the_next_lines_go_on() -> None:
    text = "x\n" + "x+" * 5000 + "x\nx*3\n"
    result = run("eval", "--each-line", "-", "x=1", "--max-bytes", "1000", stdin=text)
    got = objects(result.out)
    assert result.code == 2
    assert [o["line"] for o in got] == [1, 2, 3]
    assert "over the limit of 1,000 bytes" in got[1]["error"]["message"]
    assert got[1]["error"]["hint"] == "raise the limit with --max-bytes"
    assert got[2]["value"] == 3.0


class Endless(io.RawIOBase):
    """A line of ``size`` bytes, then "\\n1\\n": what it was asked for at most is kept."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.tail = b"\n1\n"
        self.largest = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def]
        self.largest = max(self.largest, len(buffer))
        if self.left:
            n = min(len(buffer), self.left)
            buffer[:n] = b"x" * n
            self.left -= n
            return n
        n = min(len(buffer), len(self.tail))
        buffer[:n] = self.tail[:n]
        self.tail = self.tail[n:]
        return n


def test_a_huge_line_is_skipped_in_pieces_not_held() -> None:
    stream = Endless(200_000_000)  # 200 MB on one line
    started = time.perf_counter()
    lines = list(read_lines(io.BufferedReader(stream, 1 << 16), 1000))
    assert time.perf_counter() - started < 10
    assert lines == [(1, None), (2, b"1")]
    assert stream.largest <= 1 << 17


def test_lines_are_evaluated_as_they_are_read() -> None:
    class Guard(io.BytesIO):
        def readline(self, size: int | None = -1) -> bytes:  # type: ignore[override]
            line = super().readline(size)
            if line.startswith(b"stop"):
                raise AssertionError("read further than the line asked for")
            return line

    report = LineReport(Guard(b"x\nx*2\nstop\n"), {"x": 1.0}, Settings())
    outcomes = iter(report)
    assert next(outcomes).result.value == 1.0  # type: ignore[union-attr]
    assert next(outcomes).result.value == 2.0  # type: ignore[union-attr]


def test_many_lines_stream_out() -> None:
    text = "".join(f"x*{k}\n" for k in range(2000))
    started = time.perf_counter()
    result = run("eval", "--each-line", "-", "x=1", stdin=text)
    assert time.perf_counter() - started < 30
    assert result.code == 0
    got = objects(result.out)
    assert len(got) == 2000 and got[-1]["value"] == 1999.0


@pytest.mark.parametrize(("extra", "other"), [
    (["--value"], "--value"), (["--grad", "x"], "--grad"), (["--explain"], "--explain"),
    (["-F", "csv"], "--format csv"), (["-F", "table"], "--format table"),
    (["--sweep", "x=0:1:3"], "--sweep"), (["--at", "points.csv"], "--at"),
])
def test_each_line_refuses_what_it_would_ignore(extra: list[str], other: str) -> None:
    result = run("eval", "--each-line", "-", "x=1", *extra, stdin="x\n")
    check_usage_error(result, "--each-line", other)


@pytest.mark.parametrize("fmt", ["json", "jsonl"])
def test_each_line_accepts_json_formats(fmt: str) -> None:
    result = run("eval", "--each-line", "-", "x=1", "-F", fmt, stdin="x\n")
    assert result.code == 0 and objects(result.out)[0]["value"] == 1.0


def test_each_line_needs_input() -> None:
    check_usage_error(run("eval", "--each-line"), "missing PROGRAM")
    result = run("eval", "--each-line", "-f", "/nonexistent/exprs.txt", "x=1")
    assert result.code == 2 and "cannot read" in result.err
