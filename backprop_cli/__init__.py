"""backprop: a command-line gradient calculator.

The Python API: ``evaluate(program, values)`` returns a ``Result`` with ``value``,
``gradient`` (d output / d input) and ``nodes`` (every node's value and gradient).
Names are loaded on first use, so that the command line starts fast.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "evaluate": "api",
    "evaluate_at": "api",
    "parse_program": "api",
    "bind_inputs": "api",
    "Result": "api",
    "NodeRecord": "api",
    "BackpropError": "core.errors",
    "EvaluationError": "core.errors",
    "InputError": "core.errors",
    "LimitError": "core.errors",
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'backprop_cli' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"backprop_cli.{module}"), name)
    globals()[name] = value
    return value
