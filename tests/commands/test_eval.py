"""The command line: in process with click's runner, and the installed command for real."""

from __future__ import annotations

import json
import subprocess

import pytest

from backprop_cli import __version__
from tests.harness import ROOT, backprop_command, run, run_process

EXAMPLE = ("(x+y)*z", "x=1", "y=3", "z=-3")


def test_table_is_the_default() -> None:
    result = run("eval", *EXAMPLE)
    assert result.code == 0, result.err
    assert "(x+y)*z = -12" in result.out
    for column in ("id", "node", "op", "inputs", "value", "grad"):
        assert column in result.out
    assert "\x1b[" not in result.out


def test_json_is_spec_shaped() -> None:
    result = run("eval", *EXAMPLE, "--format", "json")
    data = json.loads(result.out)
    assert data["value"] == -12.0
    assert data["gradient"] == {"x": -3.0, "y": -3.0, "z": 4.0}
    assert [n["op"] for n in data["nodes"]] == ["input", "input", "add", "input", "mul"]
    assert data["nodes"][2]["inputs"] == [0, 1]
    assert data["nodes"][4]["label"] == "(x + y) * z"


def test_csv_and_plain() -> None:
    csv_out = run("eval", *EXAMPLE, "-F", "csv").out.splitlines()
    assert csv_out[0] == "id,name,op,label,inputs,value,grad"
    assert csv_out[3] == "2,,add,x + y,0 1,4,-3"
    plain = run("eval", *EXAMPLE, "-F", "plain").out
    assert plain == "output (x+y)*z\nvalue -12\ngrad x -3\ngrad y -3\ngrad z 4\n"


def test_single_numbers_for_command_substitution() -> None:
    assert run("eval", *EXAMPLE, "--value").out == "-12\n"
    assert run("eval", *EXAMPLE, "--grad", "z").out == "4\n"
    missing = run("eval", *EXAMPLE, "--grad", "w")
    assert missing.code == 2 and "no node named 'w'" in missing.err
    named = run("eval", "q = x + y; f = q * z", "x=-2", "y=5", "z=-4", "--grad", "q")
    assert named.out == "-4\n"


def test_formula_starting_with_minus() -> None:
    result = run("eval", "-x^2", "x=3", "--value")
    assert result.code == 0, result.err
    assert result.out == "-9\n"
    assert run("eval", "--format", "plain", "-x*y", "x=2", "y=5").out.startswith("output -x*y")


def test_full_precision_round_trips() -> None:
    data = json.loads(run("eval", "x / 3", "x=1", "-F", "json").out)
    assert data["value"] == 1 / 3
    assert run("eval", "x / 3", "x=1", "--value").out == "0.3333333333333333\n"


def test_output_option() -> None:
    result = run("eval", "q = x + y; f = q * z", "x=-2", "y=5", "z=-4", "--output", "q",
                 "-F", "json")
    assert json.loads(result.out)["value"] == 3.0
    bad = run("eval", "q = x + y; f = q * z", "x=-2", "y=5", "z=-4", "--output", "qq")
    assert bad.code == 2 and "did you mean 'q'" in bad.err


def test_values_file_json_and_lines(tmp_path) -> None:
    json_file = tmp_path / "point.json"
    json_file.write_text('{"x": 1, "y": 3, "z": -3}')
    assert run("eval", "(x+y)*z", "--values", str(json_file), "--value").out == "-12\n"
    lines = tmp_path / "point.txt"
    lines.write_text("# the point\nx=1\ny = 3\n\nz=-3\n")
    assert run("eval", "(x+y)*z", "--values", str(lines), "--value").out == "-12\n"
    assert run("eval", "(x+y)*z", "--values", str(lines), "z=1", "--value").out == "4\n"
    bad = tmp_path / "bad.json"
    bad.write_text('{"x": NaN}')
    assert run("eval", "x", "--values", str(bad)).code == 2


def test_expand_and_allow_nonfinite() -> None:
    collapsed = json.loads(run("eval", "sigmoid(x)", "x=0.5", "-F", "json").out)
    expanded = json.loads(run("eval", "sigmoid(x)", "x=0.5", "-F", "json", "--expand").out)
    assert [n["op"] for n in collapsed["nodes"]] == ["input", "sigmoid"]
    assert [n["op"] for n in expanded["nodes"]] == [
        "input", "const", "const", "neg", "exp", "add", "div"]
    assert collapsed["gradient"]["x"] == pytest.approx(expanded["gradient"]["x"], rel=1e-12)
    result = run("eval", "log(x)", "x=0", "-F", "json", "--allow-nonfinite")
    assert result.code == 0
    assert json.loads(result.out)["value"] == "-inf"


def test_program_from_file_and_stdin() -> None:
    assert run("eval", "-f", "samples/circuit.bp", "--value").out == "-12\n"
    assert run("eval", "-", "x=2", "--value", stdin="y = x * x\n").out == "4\n"
    assert run("eval", "-f", "-", "x=2", "--value", stdin="x ^ 3").out == "8\n"


def test_ops_listing() -> None:
    table = run("ops")
    assert table.code == 0
    for name in ("sigmoid", "max", "log", "pow", "relu"):
        assert name in table.out
    data = json.loads(run("ops", "-F", "json").out)
    mul = next(op for op in data if op["op"] == "mul")
    assert mul["derivatives"] == {"a": "b", "b": "a"}
    assert mul["arity"] == {"min": 2, "max": 2}


def test_help_and_version() -> None:
    assert run("--version").out.strip().endswith(__version__)
    top = run("--help")
    assert top.code == 0 and "eval" in top.out and "ops" in top.out
    sub = run("eval", "--help")
    assert sub.code == 0 and "Examples:" in sub.out and "--format" in sub.out


@pytest.mark.parametrize(
    ("args", "code", "needle"),
    [
        (("eval", "x +", "x=1"), 2, "expected an expression"),
        (("eval", "2x", "x=1"), 2, "operator missing"),
        (("eval", "x + y", "x=1"), 2, "missing value for input y"),
        (("eval", "x + y + z"), 2, "x, y, z"),
        (("eval", "sinn(x)", "x=1"), 2, "did you mean 'sin'"),
        (("eval", "log(x, 1, 2)", "x=1"), 2, "log takes 1 or 2 arguments, got 3"),
        (("eval", "max(x)", "x=1"), 2, "max takes 2 or more arguments, got 1"),
        (("eval", "x", "x=abc"), 2, "plain decimal number"),
        (("eval", "x", "y=1", "x=1"), 2, "no input named 'y'"),
        (("eval", "x", "x=1", "x=2"), 2, "bound twice"),
        (("eval", "q = x; q", "q=1", "x=1"), 2, "computed"),
        (("eval", "log(x)", "x=-1"), 1, "log of a negative number"),
        (("eval", "1/x", "x=0"), 1, "division by zero"),
        (("eval", "9^9^9^9"), 1, "overflow"),
        (("eval", "x", "x=1", "--format", "yaml"), 2, "yaml"),
        (("eval",), 2, "missing PROGRAM"),
        (("eval", "x", "--bogus"), 2, "--bogus"),
        (("eval", "f(x) = x", "x=1"), 2, "only a plain name can be assigned"),
        (("eval", "def f(a) = a"), 2, "no output"),
        (("eval", "x*y", "x=1", "y=2", "--max-nodes", "2"), 2, "--max-nodes"),
    ],
)
def test_errors_have_their_exit_status(args: tuple, code: int, needle: str) -> None:
    result = run(*args)
    assert result.code == code, (result.out, result.err)
    assert needle in result.err
    assert "Traceback" not in result.err


def test_syntax_error_shows_line_column_and_caret() -> None:
    result = run("eval", "x = 1\ny = (x +* 2)\ny")
    assert result.code == 2
    lines = result.err.splitlines()
    assert lines[0].startswith("error: expected an expression")
    assert "<argument>:2:9" in lines[1]
    assert lines[2].strip() == "2 | y = (x +* 2)"
    assert lines[3].index("^") == lines[2].index("*")


# -- the installed command, for real ---------------------------------------------------------


def test_installed_command_runs_the_worked_example() -> None:
    done = run_process("eval", *EXAMPLE, "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["gradient"] == {"x": -3.0, "y": -3.0, "z": 4.0}
    assert b"\x1b[" not in run_process("eval", *EXAMPLE, env={"NO_COLOR": None}).stdout  # a pipe


def test_installed_command_reads_files_and_stdin_with_crlf(tmp_path) -> None:
    program = tmp_path / "crlf.bp"
    program.write_bytes(b"# comment\r\nq = x + y\r\nf = q * z\r\n")
    done = run_process("eval", "-f", str(program), "x=-2", "y=5", "z=-4", "-F", "plain",
                       cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode() == "output f\nvalue -12\ngrad x -4\ngrad y -4\ngrad z 3\n"
    piped = run_process("eval", "-", "x=-2", "y=5", "z=-4", "--value",
                        stdin=b"q = x + y\r\nf = q * z\r\n")
    assert piped.stdout == b"-12\n"


def test_installed_command_in_a_pipe_closed_early() -> None:
    program = " + ".join(f"x*{i}" for i in range(3000))
    producer = subprocess.Popen(
        [*backprop_command(), "eval", program, "x=1", "-F", "csv"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )
    assert producer.stdout is not None
    first = producer.stdout.readline()
    producer.stdout.close()
    _, err = producer.communicate(timeout=60)
    assert first.startswith(b"id,name")
    assert b"Traceback" not in err and err == b""


def test_module_entry_point() -> None:
    import sys

    done = subprocess.run([sys.executable, "-m", "backprop_cli", "eval", *EXAMPLE, "--value"],
                          capture_output=True, cwd=ROOT, check=False)
    assert done.stdout == b"-12\n"


def test_batch_rows_in_a_pipe_closed_early() -> None:
    producer = subprocess.Popen(
        [*backprop_command(), "eval", "sin(x) * y", "y=2", "--sweep", "x=0:1:2000000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )
    assert producer.stdout is not None
    first = producer.stdout.readline()
    producer.stdout.close()
    _, err = producer.communicate(timeout=60)
    assert first == b"x,y,value,d_x,d_y\n"
    assert b"Traceback" not in err and err == b""
    assert producer.returncode == 1  # the output could not be written, quietly


def test_ctrl_c_while_the_output_pipe_is_full() -> None:
    """A reader that stops reading (a paused pager) must not keep Ctrl-C from working."""
    import signal
    import time

    producer = subprocess.Popen(
        [*backprop_command(), "eval", "x * y", "y=2", "--sweep", "x=0:1:5000000"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT,
    )
    assert producer.stdout is not None
    producer.stdout.read(1000)  # it has started writing; from now on nobody reads
    time.sleep(1.0)  # the pipe and the queue fill up
    producer.send_signal(signal.SIGINT)
    try:
        producer.wait(timeout=20)
    finally:
        producer.kill()
    assert producer.returncode == 130
    assert b"Traceback" not in producer.stderr.read()
