"""Fuzzing the command line in process: whatever the input, a clean exit status.

Every run goes through ``backprop_cli.cli.app.main`` (the top-level guard) and must end with
0, 1 or 2 (SPEC §2): never 70 (an internal error, a bug), never a traceback. Errors are
short messages on stderr that start with ``error:`` (or click's ``Usage:``), with nothing
on stdout; successes print to stdout and nothing to stderr.

Inputs: random bytes (as the program argument, decoded as the shell would, and on stdin),
token soups built from the language's own tokens (plus a few lookalikes), well-formed
programs (which must parse: 0 or 1 only), random binding values and random --values
documents. Hypothesis is derandomized, so every run tries the same examples.
"""

from __future__ import annotations

import json
import math
import re

from hypothesis import given
from hypothesis import strategies as st

from tests.harness import check_clean, run
from tests.strategies import (
    EVAL_FORMATS,
    FAST,
    INPUT_NAMES,
    QUICK,
    binding_value,
    bindings,
    options,
    soup,
    well_formed_programs,
)


def inputs_of(program: str) -> list[str]:
    return [n for n in INPUT_NAMES if re.search(rf"(?<![A-Za-z0-9_]){n}(?![A-Za-z0-9_])",
                                                program)]


# --------------------------------------------------------------------------------------
# properties
# --------------------------------------------------------------------------------------
@FAST
@given(data=st.binary(max_size=120), binds=bindings, opts=options)
def test_random_bytes_as_the_program_argument(data: bytes, binds: list[str], opts: list[str]):
    program = data.decode("utf-8", "replace")
    check_clean(run("eval", *opts, "--", program, *binds))


@QUICK
@given(data=st.binary(max_size=120), binds=bindings)
def test_random_bytes_as_argv_would_decode_them(data: bytes, binds: list[str]):
    """On POSIX, argv bytes that are not UTF-8 reach Python as lone surrogates."""
    program = data.decode("utf-8", "surrogateescape")
    check_clean(run("eval", "--", program, *binds))


@FAST
@given(data=st.binary(max_size=200), binds=bindings, fmt=st.sampled_from(EVAL_FORMATS))
def test_random_bytes_on_stdin(data: bytes, binds: list[str], fmt: str):
    check_clean(run("eval", "-", *binds, "-F", fmt, stdin=data))


@FAST
@given(tokens=soup, glue=st.sampled_from(["", " ", "\n"]), binds=bindings, opts=options)
def test_token_soup(tokens: list[str], glue: str, binds: list[str], opts: list[str]):
    program = glue.join(tokens)
    check_clean(run("eval", *opts, "--", program, *binds))


@FAST
@given(tokens=soup, binds=bindings)
def test_token_soup_on_stdin(tokens: list[str], binds: list[str]):
    program = " ".join(tokens).encode("utf-8")
    check_clean(run("eval", "-", *binds, "-F", "json", stdin=program))


@FAST
@given(program=well_formed_programs(), values=st.lists(binding_value, min_size=5, max_size=5),
       fmt=st.sampled_from(EVAL_FORMATS), expand=st.booleans())
def test_well_formed_programs_parse_and_evaluate_or_fail_cleanly(
    program: str, values: list[str], fmt: str, expand: bool
):
    """A well-formed program with every input bound is never a usage error (exit 2)."""
    binds = [f"{name}={value}" for name, value in zip(inputs_of(program), values)]
    args = ["eval", "-F", fmt, *(["--expand"] if expand else []), "--", program, *binds]
    result = run(*args)
    code, out, err = result.code, result.out, result.err
    check_clean(result, allowed=frozenset({0, 1}))
    if code == 1:
        assert re.search(r"<argument>:\d+:\d+", err), err
    if code == 0 and fmt == "json":
        document = json.loads(out)
        assert isinstance(document["value"], float) and math.isfinite(document["value"])
        assert set(inputs_of(program)) <= set(document["gradient"])
        for node in document["nodes"]:
            assert all(i < node["id"] for i in node["inputs"]), node
