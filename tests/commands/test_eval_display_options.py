"""Display options that only the table (and the explanation) use are refused elsewhere."""

from __future__ import annotations

import pytest

from tests.harness import run


@pytest.mark.parametrize("args", [
    ("--grad", "x", "-p", "3"),
    ("--value", "-p", "3"),
    ("-F", "json", "-p", "3"),
    ("-F", "plain", "-p", "3"),
    ("-F", "csv", "-p", "3"),
    ("-F", "csv", "--max-rows", "2"),
    ("--value", "--max-rows", "3"),
    ("--explain", "--max-rows", "2"),
    ("--chunk-rows", "5"),
])
def test_an_option_that_would_be_ignored_is_refused(args: tuple[str, ...]) -> None:
    result = run("eval", "x/3", "x=1", *args)
    assert result.code == 2, (args, result.out, result.err)
    assert result.err.startswith("error: ")


@pytest.mark.parametrize("args", [
    ("-p", "3"),
    ("--max-rows", "2"),
    ("-F", "table", "-p", "3", "--max-rows", "0"),
    ("--explain", "-p", "3"),
])
def test_the_table_and_the_explanation_take_them(args: tuple[str, ...]) -> None:
    result = run("eval", "x/3", "x=1", *args)
    assert result.code == 0, (args, result.err)


def test_precision_reaches_the_table() -> None:
    assert "0.333" in run("eval", "x/3", "x=1", "-p", "3").out
    assert "0.3333333" not in run("eval", "x/3", "x=1", "-p", "3").out
