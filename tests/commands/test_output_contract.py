"""One output contract: --exact in every format, one number style for CSV, one registry."""

from __future__ import annotations

import math
import struct

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from backprop_cli.core.numbers import csv_number
from backprop_cli.render.registry import RENDERERS, renderer
from tests.harness import run


@pytest.mark.parametrize("fmt", ["table", "json", "csv", "plain"])
def test_exact_is_honoured_by_every_format(fmt: str) -> None:
    result = run("eval", "x/3", "x=1", "--exact", "-F", fmt)
    assert result.code == 0, result.err
    assert "1/3" in result.out
    assert "0.3333333333333333" not in result.out or fmt == "json"  # JSON has both


def test_exact_csv_and_plain_rows() -> None:
    csv_rows = run("eval", "x/3", "x=1", "--exact", "-F", "csv").out.splitlines()
    assert csv_rows[-1].endswith(",1/3,1")
    assert csv_rows[1].endswith(",1,1/3")  # x = 1, d/dx = 1/3
    plain = run("eval", "x/3", "x=1", "--exact", "-F", "plain").out
    assert plain == "output x/3\nvalue 1/3\ngrad x 1/3\n"
    assert run("eval", "x/3", "x=1", "--exact", "--grad", "x").out == "1/3\n"


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_csv_number_is_the_text_of_batch_csv(value: float) -> None:
    assert csv_number(value) == orjson.dumps(value).decode()
    assert float(csv_number(value)) == value


def test_csv_number_at_the_edges_of_its_forms() -> None:
    for bits in range(0, 2**64, 2**64 // 5_000):
        value = struct.unpack("d", struct.pack("Q", bits))[0]
        if math.isfinite(value):
            assert csv_number(value) == orjson.dumps(value).decode()
    for value in (1e-5, -1.5e-5, 9.999e-5, 1e-4, 1e-6, 1e15, 1e16, -0.0, 5e-324):
        assert csv_number(value) == orjson.dumps(value).decode()
    assert [csv_number(v) for v in (math.nan, math.inf, -math.inf)] == ["nan", "inf", "-inf"]


def test_one_point_csv_and_batch_csv_write_the_same_numbers() -> None:
    program = "x * 1e-5 + y^3"
    point = run("eval", program, "x=0.1", "y=1e6", "-F", "csv").out.splitlines()
    value_one_point = point[-1].split(",")[-2]
    batch = run("eval", program, "y=1e6", "--sweep", "x=0.1:0.1:1").out.splitlines()
    column = batch[0].split(",").index("value")
    assert batch[1].split(",")[column] == value_one_point


def test_every_registered_renderer_exists() -> None:
    for command, formats in RENDERERS.items():
        for fmt in formats:
            assert callable(renderer(command, fmt)), (command, fmt)
