"""The pytest side of the harness: hypothesis profiles, --regen-golden, the golden fixture.

Hypothesis is derandomized by default (the "ci" profile) so every run tries the same
examples; HYPOTHESIS_PROFILE=dev draws new ones. The runners themselves are plain
functions in ``tests/harness.py``.
"""

from __future__ import annotations

import os
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, settings

from tests.harness import GOLDEN

settings.register_profile(
    "ci",
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile("dev", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_addoption(parser) -> None:
    parser.addoption(
        "--regen-golden", action="store_true",
        help="rewrite tests/golden/ from the current output (review the diff by eye)",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """``golden("diff/neuron.latex", output)``: the output equals the reviewed file.

    With --regen-golden the file is written from the output first (then read the diff,
    ``git diff tests/golden``, by eye before committing it).
    """
    regen = request.config.getoption("--regen-golden")

    def check(name: str, output: str) -> None:
        path = GOLDEN / name
        if regen:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(output.encode("utf-8"))
        assert path.is_file(), f"tests/golden/{name} is missing: run pytest --regen-golden"
        expected = path.read_bytes().decode("utf-8")
        assert output == expected, (
            f"the output differs from tests/golden/{name}; if the change is intended, "
            "run pytest --regen-golden and review the diff")

    return check
