"""Tables in a pipe: as wide as their content needs (COLUMNS unset is not 80 columns), no
spaces at line ends, and words of ``ops`` never split in the middle."""

from __future__ import annotations

import json
import re

import pytest

from tests.harness import clean, run, run_process

PIPE = {"COLUMNS": None}
TABLES = [
    ("eval", "-f", "samples/neuron.bp"),
    ("eval", "(x+y)*z", "x=1", "y=3", "z=-3"),
    ("hessian", "-f", "samples/neuron.bp"),
    ("check", "-f", "samples/neuron.bp"),
    ("descend", "-f", "samples/bowl.bp"),
    ("ops",),
    ("graph", "-f", "samples/neuron.bp"),
]


@pytest.mark.parametrize("args", TABLES, ids=lambda args: " ".join(args[:3]))
@pytest.mark.parametrize("env", [PIPE, {"COLUMNS": "100"}, {"COLUMNS": "30"}])
def test_no_spaces_at_line_ends(args: tuple[str, ...], env: dict) -> None:
    out = clean(run(*args, env=env), 0).out
    for line in out.splitlines():
        assert line == line.rstrip(), repr(line)


def test_a_pipe_is_not_eighty_columns() -> None:
    label = "f = 1 / (1 + exp(-(w0 * x0 + w1 * x1 + w2)))"
    out = clean(run("eval", "-f", "samples/neuron.bp", env=PIPE), 0).out
    assert any(label in line for line in out.splitlines()), out
    done = run_process("eval", "-f", "samples/neuron.bp", env=PIPE)
    assert done.returncode == 0
    assert label in done.stdout.decode()
    assert not any(line.endswith(" ") for line in done.stdout.decode().splitlines())


def test_ops_in_a_pipe_keeps_every_note_on_one_line() -> None:
    out = clean(run("ops", env=PIPE), 0).out
    for entry in json.loads(clean(run("ops", "-F", "json"), 0).out):
        if entry["notes"]:
            assert entry["notes"] in out, entry["notes"]


@pytest.mark.parametrize("width", [20, 40, 60, 80, 100, 120])
def test_ops_never_splits_a_word(width: int) -> None:
    out = clean(run("ops", env={"COLUMNS": str(width)}), 0).out
    words = set(re.split(r"\s+", out))
    for entry in json.loads(clean(run("ops", "-F", "json"), 0).out):
        for word in (entry["notes"] or "").split():
            assert word in words, (width, word)
