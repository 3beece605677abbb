"""descend's options that would be ignored are usage errors (exit 2) naming them: another
optimizer's option (``--nesterov`` or ``--momentum`` without ``--optimizer momentum``,
``--betas`` or ``--eps`` without ``--optimizer adam``), Nesterov with ``--momentum 0``
(PyTorch refuses it); and ``--eps 0``, which divided by zero, is refused."""

from __future__ import annotations

import math

import pytest

from backprop_cli.optimizers import Adam, Rule
from tests.harness import clean, run

BOWL = "(x-4)^2 + (y+2)^2"


@pytest.mark.parametrize("options, says", [
    (["--nesterov"], ["--nesterov", "--optimizer momentum"]),
    (["--optimizer", "sgd", "--nesterov"], ["--nesterov", "--optimizer sgd"]),
    (["--optimizer", "adam", "--nesterov"], ["--nesterov", "--optimizer adam"]),
    (["--optimizer", "momentum", "--momentum", "0", "--nesterov"], ["--nesterov",
                                                                      "--momentum 0"]),
    (["--momentum", "0.5"], ["--momentum", "--optimizer momentum"]),
    (["--optimizer", "adam", "--momentum", "0.5"], ["--momentum", "--optimizer adam"]),
    (["--betas", "0.9,0.99"], ["--betas", "--optimizer adam"]),
    (["--optimizer", "momentum", "--eps", "1e-6"], ["--eps", "--optimizer adam"]),
    (["--optimizer", "adam", "--eps", "0"], ["--eps", "above 0"]),
])
def test_options_that_would_be_ignored_are_usage_errors(options: list[str],
                                                        says: list[str]) -> None:
    result = clean(run("descend", BOWL, "x=0", "y=0", "--steps", "3", *options), 2, *says)
    assert result.err.startswith("error: ")


@pytest.mark.parametrize("options", [
    ["--optimizer", "momentum", "--momentum", "0.5", "--nesterov"],
    ["--optimizer", "momentum", "--momentum", "0"],
    ["--optimizer", "adam", "--betas", "0.8,0.99", "--eps", "1e-6"],
    ["--optimizer", "momentum", "--nesterov"],  # the default --momentum 0.9
])
def test_each_optimizers_own_options_are_accepted(options: list[str]) -> None:
    clean(run("descend", BOWL, "x=0", "y=0", "--steps", "3", "-F", "json", *options), 0)


def test_adam_where_a_gradient_is_zero_is_not_an_internal_error() -> None:
    """y's gradient is 0 throughout: with the default eps y stays put, and x moves."""
    result = clean(run("descend", "(x-1)^2 + 0*y", "x=0", "y=5", "--optimizer", "adam",
                       "--steps", "5", "-F", "json"), 0)
    assert '"final": 5.0' in result.out


def test_adam_with_eps_zero_in_python_does_not_divide_by_zero() -> None:
    adam = Adam(2, Rule(optimizer="adam", eps=0.0, lr=0.1))
    params = adam.step([1.0, 2.0], [0.5, 0.0], 0.1)
    assert params[1] == 2.0 and math.isclose(params[0], 0.9)
