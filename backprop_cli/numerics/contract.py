"""Every number system, as the contract ``core.namespace.NumberSystem`` types it.

The assignments are the static check: the type checker (``.ci/run``) refuses one that
lacks a member or has an incompatible one. ``tests/test_number_contract.py`` walks the
same list at run time. Nothing on a command's path imports this module.
"""

from __future__ import annotations

from ..core import scalar_math
from ..core.namespace import ArraySystem, NumberSystem
from . import array_math, dual, exact_math
from .exact_arrays import ExactTensor
from .symbolic import Symbolic
from .tensor_math import TensorMath
from .ties import WithTies

POINT: NumberSystem = scalar_math
ROWS: NumberSystem = array_math
EXACT: NumberSystem = exact_math
DUAL: NumberSystem = dual
SYMBOLIC: NumberSystem = Symbolic()
TIES_AT_A_POINT: NumberSystem = WithTies(scalar_math, "split")
TIES_OVER_ROWS: NumberSystem = WithTies(array_math, "all")
EXACT_TIES: NumberSystem = WithTies(exact_math, "split")
TENSOR_AT_A_POINT: ArraySystem = TensorMath(rows=False)
TENSOR_OVER_ROWS: ArraySystem = TensorMath(rows=True, keep_rows=False)

ARRAY_SYSTEMS: dict[str, ArraySystem] = {
    "tensor_math": TENSOR_AT_A_POINT,
    "tensor_math(rows)": TENSOR_OVER_ROWS,
    "exact_arrays": ExactTensor(),
    "symbolic": Symbolic(),
}

SYSTEMS: dict[str, NumberSystem] = {
    "scalar_math": POINT,
    "array_math": ROWS,
    "exact_math": EXACT,
    "dual": DUAL,
    "symbolic": SYMBOLIC,
    "ties(scalar_math)": TIES_AT_A_POINT,
    "ties(array_math)": TIES_OVER_ROWS,
    "ties(exact_math)": EXACT_TIES,
}
