"""backprop: a command-line gradient calculator.

The Python API: ``evaluate(program, values)`` returns a ``Result`` with ``value``,
``gradient`` (d output / d input) and ``nodes`` (every node's value and gradient).
"""

from .api import NodeRecord, Result, bind_inputs, evaluate, parse_program
from .errors import BackpropError, EvaluationError, InputError

__version__ = "0.1.0"

__all__ = [
    "BackpropError",
    "EvaluationError",
    "InputError",
    "NodeRecord",
    "Result",
    "__version__",
    "bind_inputs",
    "evaluate",
    "parse_program",
]
