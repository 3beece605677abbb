"""Shared test settings: hypothesis is derandomized so CI runs are repeatable."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

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
