"""A block of CSV data rows read at once into columns of doubles, or None.

None sends the block down the careful path, line by line, which names the first bad row
and column. Only a block that can hold nothing but numbers is parsed here: its bytes are
checked first (number characters and separators only, the same count of commas on every
line), and within those characters every parser used here accepts exactly the cells that
Python's ``float`` accepts, each read as the same correctly rounded double. So the result
does not depend on which parser ran:

- pyarrow's CSV reader, when it is installed (the optional extra ``fast``): several
  threads, about 8x faster than the next;
- otherwise NumPy's ``loadtxt``, which parses in C.

Either way, a block whose shape, empty cells or non-finite numbers do not match goes down
the careful path too.
"""

from __future__ import annotations

import io
import warnings
from typing import Any

import numpy as np

_ALLOWED = b"0123456789.eE+-, \t\r\n"
_NOT_SEPARATORS = b"0123456789.eE+- \t\r"
ARROW_MIN_ROWS = 4_096  # below this, loading pyarrow costs more than it saves


def well_formed(block: bytes, rows: int, width: int) -> bool:
    """Number characters only, and every one of ``rows`` lines ends after ``width - 1`` commas."""
    if block.translate(None, _ALLOWED):
        return False
    return block.translate(None, _NOT_SEPARATORS) == (b"," * (width - 1) + b"\n") * rows


def parse_block(block: bytes, rows: int, width: int, *, engine: str = "auto"
                ) -> list[np.ndarray] | None:
    """The columns of a block of ``rows`` lines of ``width`` finite numbers, or None.

    ``engine``: ``"auto"`` (pyarrow for a large block when installed, else NumPy),
    ``"arrow"`` or ``"numpy"``.
    """
    if not well_formed(block, rows, width):
        return None
    arrow = _arrow() if engine == "arrow" or (engine == "auto" and rows >= ARROW_MIN_ROWS) else None
    columns = _with_arrow(arrow, block, width) if arrow is not None else _with_numpy(block, width)
    if columns is None or any(len(c) != rows for c in columns):
        return None
    if not all(np.isfinite(c).all() for c in columns):
        return None
    return columns


def _with_numpy(block: bytes, width: int) -> list[np.ndarray] | None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "input contained no data", for blank lines
            matrix = np.loadtxt(io.StringIO(block.decode("ascii")), delimiter=",",
                                dtype=np.float64, comments=None, quotechar=None, ndmin=2)
    except ValueError:
        return None
    if matrix.shape[1] != width:
        return None
    return [matrix[:, j] for j in range(width)]


_ARROW: Any = None


def _arrow() -> Any:
    """The pyarrow modules, or False when pyarrow is not installed (looked up once)."""
    global _ARROW
    if _ARROW is None:
        try:
            import pyarrow
            import pyarrow.csv
        except ImportError:
            _ARROW = False
        else:
            _ARROW = (pyarrow, pyarrow.csv)
    return _ARROW or None


def _with_arrow(arrow: Any, block: bytes, width: int) -> list[np.ndarray] | None:
    pa, csv = arrow
    names = [f"c{j}" for j in range(width)]
    try:
        table = csv.read_csv(
            pa.py_buffer(block),
            read_options=csv.ReadOptions(column_names=names),
            parse_options=csv.ParseOptions(quote_char=False, ignore_empty_lines=False),
            convert_options=csv.ConvertOptions(column_types=dict.fromkeys(names, pa.float64()),
                                               null_values=[""], strings_can_be_null=False),
        )
    except pa.ArrowException:
        return None
    if table.num_columns != width or any(column.null_count for column in table.columns):
        return None
    return [column.to_numpy() for column in table.columns]
