"""``backprop codegen``: its options, its file output, its refusals; and the JavaScript
module's ``trace``, which a web page reads node by node."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings

from backprop_cli.api import evaluate_at, parse_program
from backprop_cli.codegen.js import javascript_module
from backprop_cli.core.errors import EvaluationError
from tests.harness import check_usage_error, run, run_process
from tests.strategies import programs

from .runners import run_js, run_python, same
from .test_codegen_agreement import ARRAY_SAMPLES, LANGS, SAMPLES


def test_help_shows_examples() -> None:
    result = run("codegen", "--help")
    assert result.code == 0
    assert "Examples:" in result.out and "backprop codegen" in result.out
    for lang in LANGS:
        assert lang in result.out


@pytest.mark.parametrize("lang", LANGS)
def test_output_file_holds_what_stdout_shows(lang: str, tmp_path: Path) -> None:
    path = tmp_path / "out.txt"
    shown = run("codegen", "-f", str(SAMPLES[0]), "--lang", lang)
    written = run("codegen", "-f", str(SAMPLES[0]), "--lang", lang, "-o", str(path))
    assert shown.code == 0 and written.code == 0 and written.out == ""
    assert path.read_text(encoding="utf-8") == shown.out


def test_same_bytes_from_separate_processes() -> None:
    outputs = set()
    for seed in ("1", "2", "3"):
        result = run_process("codegen", "-f", "samples/functions.bp", "--lang", "c",
                             env={"PYTHONHASHSEED": seed})
        assert result.returncode == 0, result.stderr
        outputs.add(result.stdout)
    assert len(outputs) == 1


def test_wrt_and_name(tmp_path: Path) -> None:
    result = run("codegen", "(x+y)*z", "--wrt", "z,x", "--name", "forward_backward")
    assert result.code == 0
    rows = run_python(result.out, [[1.0, 3.0, -3.0]], tmp_path, name="forward_backward")
    assert rows == [(-12.0, [4.0, -3.0])]  # d/dz then d/dx, as asked


def test_refusals() -> None:
    check_usage_error(run("codegen", "(x+y)*z", "--lang", "python", "--trace"), "--trace")
    check_usage_error(run("codegen", "(x+y)*z", "x=1"), "bindings")
    check_usage_error(run("codegen", "(x+y)*z", "--name", "2fast"), "--name")
    check_usage_error(run("codegen", "(x+y)*z", "--lang", "fortran"), "fortran")
    unknown = run("codegen", "(x+y)*z", "--wrt", "w")
    assert unknown.code == 2 and "w" in unknown.err


def test_unwritable_output_file_is_one_line(tmp_path: Path) -> None:
    result = run("codegen", "x*y", "-o", str(tmp_path / "no" / "such" / "dir.py"))
    assert result.code == 1
    assert result.err.startswith("error: cannot write") and "Traceback" not in result.err


def _check_trace(program: str, tmp: Path, points: list[dict[str, float]]) -> None:
    graph = parse_program(program)
    traced = run_js(javascript_module(graph, trace=True), [], tmp, trace=points)
    for point, got in zip(points, traced, strict=True):
        loose = evaluate_at(graph, point, allow_nonfinite=True).evaluation
        assert len(got["values"]) == len(graph.nodes) == len(got["grads"])
        for i, (v, want) in enumerate(zip(got["values"], loose.values)):
            assert same(v, want, 1e-12), f"{program!r} node {i}: {v} != {want}"
        try:
            evaluate_at(graph, point)
        except EvaluationError:
            continue
        for i, (g, want) in enumerate(zip(got["grads"], loose.grads)):
            assert same(g, want, 1e-12), f"{program!r} grad of node {i}: {g} != {want}"


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_trace_gives_every_node_as_eval_json_does(sample: Path, tmp_path: Path) -> None:
    graph = parse_program(sample.read_text(encoding="utf-8"))
    names = graph.input_names()
    points: list[dict[str, float]] = [{}]  # the program's defaults
    points.append({n: 0.25 * (k + 1) for k, n in enumerate(names)})
    if all(graph.nodes[i].value is not None for i in graph.inputs):
        _check_trace(sample.read_text(encoding="utf-8"), tmp_path, points)
    else:
        _check_trace(sample.read_text(encoding="utf-8"), tmp_path, points[1:])


@settings(max_examples=6)
@given(program=programs())
def test_trace_of_random_programs(program: str,
                                  tmp_path_factory: pytest.TempPathFactory) -> None:
    names = parse_program(program).input_names()
    points = [{"x": 0.5, "y": -1.25, "z": 2.0}, {"x": -1.5, "y": 0.75, "z": -0.125}]
    _check_trace(program, tmp_path_factory.mktemp("trace"),
                 [{n: v for n, v in p.items() if n in names} for p in points])


def test_trace_input_left_out_without_default_is_nan(tmp_path: Path) -> None:
    traced = run_js(javascript_module(parse_program("x * y"), trace=True), [], tmp_path,
                    trace=[{"x": 2.0}])
    assert traced[0]["values"][0] == 2.0
    assert traced[0]["values"][1] != traced[0]["values"][1]  # NaN


@pytest.mark.parametrize("sample", ARRAY_SAMPLES, ids=lambda p: p.name)
def test_an_array_program_is_refused_with_a_caret(sample: Path) -> None:
    result = run("codegen", "-f", str(sample))
    assert result.code == 2, result.err
    assert "codegen writes scalar programs" in result.err and "^" in result.err
    assert "Traceback" not in result.err and "internal error" not in result.err
