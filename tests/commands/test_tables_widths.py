"""Tables at any width: every table command at every width from 1 to 200 exits 0 and shows
every number whole (never cropped, elided or split over two lines), or says what it left
out and how to get it."""

from __future__ import annotations

import json
import re

import pytest

from backprop_cli.core.numbers import shown
from tests.harness import clean, run

WIDTHS = range(1, 201)


def tokens(text: str, commas: bool = True) -> set[str]:
    return set(re.split(r"[\s,]+" if commas else r"\s+", text))


def eval_numbers(args: tuple[str, ...]) -> list[str]:
    data = json.loads(clean(run("eval", *args, "-F", "json"), 0).out)
    wanted = [shown(node[key], 6) for node in data["nodes"] for key in ("value", "grad")]
    return wanted + [str(node["id"]) for node in data["nodes"]]


def hessian_numbers(args: tuple[str, ...]) -> list[str]:
    data = json.loads(clean(run("hessian", *args, "-F", "json"), 0).out)
    return [shown(v, 6) for row in data["hessian"] for v in row]


def check_numbers(args: tuple[str, ...]) -> list[str]:
    data = json.loads(clean(run("check", *args, "-F", "json"), 0).out)
    return [text for row in data["inputs"] for text in (
        shown(row["analytic"], 10), shown(row["numeric"], 10),
        f"{row['abs_error']:.2e}", f"{row['rel_error']:.2e}")]


def descend_numbers(args: tuple[str, ...]) -> list[str]:
    data = json.loads(clean(run("descend", *args, "-F", "json"), 0).out)
    return [text for row in data["inputs"].values() for text in (
        shown(row["start"], 8), shown(row["final"], 8), shown(row["grad"], 3))]


def ops_words(args: tuple[str, ...]) -> list[str]:
    data = json.loads(clean(run("ops", "-F", "json"), 0).out)
    words = []
    for entry in data:
        words.append(entry["op"])
        for text in entry["derivatives"].values():
            if entry["op"] != "def":
                words.extend(text.split())
        words.extend((entry["notes"] or "").split())
    return words


CASES = {
    "eval": (("-f", "samples/neuron.bp"), eval_numbers),
    "eval-small": (("(x+y)*z", "x=1", "y=3", "z=-3"), eval_numbers),
    "hessian": (("-f", "samples/neuron.bp"), hessian_numbers),
    "check": (("-f", "samples/neuron.bp"), check_numbers),
    "descend": (("-f", "samples/bowl.bp"), descend_numbers),
    "ops": ((), ops_words),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_width_shows_everything(case: str) -> None:
    args, expected = CASES[case]
    command = case.split("-")[0]
    wanted = expected(args)
    for width in WIDTHS:
        result = run(command, *args, env={"COLUMNS": str(width)})
        assert result.code == 0, (width, result.err)
        assert result.err == ""
        seen = tokens(result.out, commas=command != "ops")
        missing = [w for w in wanted if w not in seen]
        assert not missing, (width, missing[:5], result.out)
        assert "…" not in result.out, (width, result.out)


def test_hessian_of_twenty_inputs_in_a_pipe_has_every_column() -> None:
    names = [f"x{i}" for i in range(20)]
    program = "*".join(names) + "+" + "+".join(f"{n}^2" for n in names)
    point = [f"{n}={i % 3 + 1}" for i, n in enumerate(names)]
    wanted = hessian_numbers((program, *point))
    for env in ({"COLUMNS": None}, {"COLUMNS": "80"}, {"COLUMNS": "40"}):
        result = clean(run("hessian", program, *point, env=env), 0)
        assert "…" not in result.out.split("\n\n", 1)[1]  # (the title names the output short)
        seen = tokens(result.out)
        for name in names:
            assert name in seen, (env, name)
        assert all(w in seen for w in wanted), env
        # every entry of the matrix is there, each once per (row, column)
        numbers = [t for t in re.split(r"\s+", result.out) if re.fullmatch(r"-?\d+", t)]
        assert len(numbers) >= 400, env


def test_narrow_eval_keeps_the_node_column() -> None:
    for width in (10, 20, 40):
        result = clean(run("eval", "-f", "samples/neuron.bp", env={"COLUMNS": str(width)}), 0)
        squeezed = re.sub(r"\s+", "", result.out)
        for label in ("w0*x0+w1*x1+w2", "exp(-(w0*x0+w1*x1+w2))", "f=1/(1+exp("):
            assert label in squeezed, (width, result.out)
        assert "\n\n\n" not in result.out, (width, result.out)
