"""Every hypothesis strategy the tests draw from, in one module.

Programs (straight-line ones over x, y, z; risky ones that leave the finite numbers;
well-formed ones with defs for the fuzzers; expressions for the grammar), points and
rows of points, the local derivatives' domains of the table of operations, the text of
numbers, bindings, options and token soups for the command line, JSON documents, CSV
cells and legal names.
"""

from __future__ import annotations

import re

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from backprop_cli.core.ops import FUNCTIONS

# -- straight-line programs over x, y, z ---------------------------------------------------
INPUTS = ("x", "y", "z")
UNARY = ("sin", "cos", "tanh", "sigmoid", "atan", "softplus", "exp", "sqrt", "log", "abs")


@st.composite
def programs(draw: st.DrawFn) -> str:
    """A random straight-line program over x, y, z with named temporaries (fan-out)."""
    names = list(INPUTS)
    lines = []
    for i in range(draw(st.integers(1, 6))):
        def operand() -> str:
            return draw(st.one_of(st.sampled_from(names), st.sampled_from(["0.5", "2", "1.5"])))

        kind = draw(st.integers(0, 5))
        a, b = operand(), operand()
        if kind == 0:
            expr = f"{a} {draw(st.sampled_from(['+', '-', '*']))} {b}"
        elif kind == 1:
            fn = draw(st.sampled_from(UNARY))
            if fn in ("sqrt", "log"):
                expr = f"{fn}(1 + {a} * {a})"
            elif fn == "exp":
                expr = f"exp(tanh({a}))"
            else:
                expr = f"{fn}({a})"
        elif kind == 2:
            expr = f"{a} / (2 + sin({b}))"
        elif kind == 3:
            expr = f"(1 + {a} * {a}) ^ {draw(st.sampled_from(['2', '0.5', '-1', '3']))}"
        elif kind == 4:
            expr = f"max({a}, {b}, 0.25) - min({b}, -0.25)"
        else:
            expr = f"-{a} * {b} + {a}"
        name = f"t{i}"
        lines.append(f"{name} = {expr}")
        names.append(name)
    lines.append(" + ".join(draw(st.lists(st.sampled_from(names), min_size=1, max_size=3))))
    return "\n".join(lines)


# A point on x, y, z: rounded to three decimals, and in full.
points = st.fixed_dictionaries({n: st.floats(-2, 2).map(lambda v: round(v, 3)) for n in INPUTS})
input_points = st.fixed_dictionaries({n: st.floats(-2, 2) for n in INPUTS})
# Rows of (x, y, z) for the batch engine.
point_rows = st.lists(st.tuples(*[st.floats(-2, 2)] * 3), min_size=1, max_size=20)


# -- programs that leave the finite numbers --------------------------------------------------
ONE_ARGUMENT_FUNCTIONS = sorted(name for name, op in FUNCTIONS.items()
                                if op.min_args == 1 and not op.tensor)


@st.composite
def risky_programs(draw: st.DrawFn) -> str:
    """Programs whose values or gradients leave the finite numbers at some points."""
    names = list(INPUTS)
    lines = []
    for i in range(draw(st.integers(1, 5))):
        a = draw(st.sampled_from(names))
        b = draw(st.one_of(st.sampled_from(names), st.sampled_from(["0", "0.5", "2"])))
        fn = draw(st.sampled_from(ONE_ARGUMENT_FUNCTIONS))
        expr = draw(st.sampled_from([
            f"{fn}({a})", f"{fn}({a} * {b})", f"{fn}(1 / {a})", f"{a} / {b}", f"{a} ^ {b}",
            f"{a} ^ 0.5", f"{a} ^ -0.5", f"{a} ^ 2", f"{a} ^ -1", f"{a} ^ 3", f"exp({a} * 400)",
            f"1 / (1 + exp(-{a} * 800))", f"log({a}, {b})", f"max({a}, {b}, 0)",
            f"min({a}, {b})", f"{a} * {b}", f"-{a}",
        ]))
        lines.append(f"t{i} = {expr}")
        names.append(f"t{i}")
    return "\n".join(lines)


# Rows of (x, y, z) at the edges: zeros of both signs, tiny, huge, exp's overflow.
risky_point_rows = st.lists(st.tuples(*[st.sampled_from(
    [0.0, -0.0, 1.0, -1.0, 0.5, -2.0, 3.0, 1e-300, 1e300, -1e300, 2.5, 5e-324, 710.0, -745.5]
)] * 3), min_size=1, max_size=12)


# -- the table of operations: where each op is smooth, one strategy per argument ------------
wide = st.floats(-20, 20, allow_nan=False)
positive = st.floats(1e-3, 50)
unit = st.floats(-0.98, 0.98)
small = st.floats(-3, 3)

OP_DOMAINS: dict[str, tuple[st.SearchStrategy[float], ...]] = {
    "add": (wide, wide), "sub": (wide, wide), "mul": (wide, wide),
    "div": (wide, wide.filter(lambda b: abs(b) > 0.1)),
    "neg": (wide,), "pos": (wide,),
    "pow": (st.floats(0.05, 5), small),
    "exp": (small,), "log": (positive, st.floats(0.1, 20).filter(lambda b: abs(b - 1) > 0.05)),
    "ln": (positive,), "log2": (positive,), "log10": (positive,), "sqrt": (positive,),
    "abs": (wide.filter(lambda x: abs(x) > 1e-3),),
    "sin": (wide,), "cos": (wide,), "tan": (st.floats(-1.4, 1.4),),
    "asin": (unit,), "acos": (unit,), "atan": (wide,),
    "sinh": (small,), "cosh": (small,), "tanh": (small,), "sigmoid": (wide,),
    "relu": (wide.filter(lambda x: abs(x) > 1e-3),), "softplus": (wide,),
    "max": (wide, wide, wide), "min": (wide, wide, wide),
    "sign": (wide.filter(lambda x: abs(x) > 1e-3),),
    "step": (wide.filter(lambda x: abs(x) > 1e-3),),
}


# -- expressions for the grammar: the driver against Lark ----------------------------------
grammar_atoms = st.sampled_from(["x", "y", "w0", "1", "2.5", ".5", "3e-4", "pi", "e"])


def grammar_expressions() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(inner, st.sampled_from(["+", "-", "*", "/", "^", "**"]), inner).map(
            lambda t: f"{t[0]} {t[1]} {t[2]}")
        return st.one_of(
            binary,
            inner.map(lambda s: f"({s})"),
            inner.map(lambda s: f"-{s}"),
            inner.map(lambda s: f"+{s}"),
            inner.map(lambda s: f"exp({s})"),
            st.tuples(inner, inner).map(lambda t: f"max({t[0]}, {t[1]})"),
        )

    return st.recursive(grammar_atoms, extend, max_leaves=12)


# -- the command line, fuzzed: its settings, and its pieces of text --------------------------
FAST = settings(
    derandomize=True, deadline=None, max_examples=150, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
QUICK = settings(FAST, max_examples=80)

EVAL_FORMATS = ["table", "json", "csv", "plain"]
INPUT_NAMES = ["x", "y", "w0", "learning_rate", "_z"]
FUZZ_UNARY = ["exp", "log", "ln", "log2", "log10", "sqrt", "abs", "sin", "cos", "tan",
              "asin", "acos", "atan", "sinh", "cosh", "tanh", "sigmoid", "relu",
              "softplus"]
# The reference for a binding's value (SPEC §2): a plain decimal literal, optional sign.
PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?",
                           re.ASCII)

number_text = st.one_of(
    st.integers(0, 10**6).map(str),
    st.floats(0, 1e6, allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from([".5", "3e-4", "1E6", "2.", "0", "1e308", "1e-320", "0.0", "007"]),
)

binding_value = st.one_of(
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False).map(repr),
    st.integers(-1000, 1000).map(str),
    st.sampled_from(["0", "-0", "1e-300", "1e300", "-3e-4", ".5"]),
)

bindings = st.dictionaries(st.sampled_from(INPUT_NAMES), binding_value, max_size=5).map(
    lambda d: [f"{name}={value}" for name, value in d.items()]
)

# The text after ``x=``: anything, plain decimals, and plain decimals with odd spaces.
binding_value_texts = st.one_of(
    st.text(max_size=12),
    st.from_regex(PLAIN_DECIMAL, fullmatch=True),
    st.tuples(st.sampled_from(["", " ", "\u00a0", "\u2009", "\x1f", "\t"]),
              st.from_regex(PLAIN_DECIMAL, fullmatch=True),
              st.sampled_from(["", " ", "\u3000", "\x1c", "_0", "\u0661"])).map("".join),
)

options = st.lists(
    st.one_of(
        st.sampled_from(EVAL_FORMATS).map(lambda f: ["-F", f]),
        st.just(["--expand"]),
        st.just(["--allow-nonfinite"]),
        st.just(["--value"]),
        st.sampled_from(INPUT_NAMES).map(lambda n: ["--grad", n]),
        st.integers(1, 40).map(lambda n: ["--max-nodes", str(n)]),
        st.integers(1, 60).map(lambda n: ["--max-bytes", str(n)]),
    ),
    max_size=3,
).map(lambda groups: [arg for group in groups for arg in group])

TOKENS = [
    "1", "0", "2.5", ".5", "3e-4", "1E6", "1e308", "9", "x", "y", "w0", "learning_rate", "_z",
    "+", "-", "*", "/", "^", "**", "(", ")", ",", "=", ";", "\n", "def", "pi", "e",
    "exp", "log", "sqrt", "max", "min", "sigmoid", "pow", "abs", "relu", "f", "g",
    "# note", "#", " ", "\t", "\r",
    # characters outside the language
    "\u2212", "\u00d7", "\u00f7", "\u00a0", "\u202e", "\x1b", "\x00", "\u0661", "[/bold]",
]

soup = st.lists(st.sampled_from(TOKENS), min_size=0, max_size=25)


def expressions(leaves: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Well-formed expressions over ``leaves``: every concatenation stays in the grammar."""

    def extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        binary = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "^", "**"]),
                           children, st.booleans())
        return st.one_of(
            binary.map(lambda t: f"({t[0]} {t[1]} {t[2]})" if t[3] else f"{t[0]} {t[1]} {t[2]}"),
            st.tuples(st.sampled_from(["-", "+"]), children).map(lambda t: f"{t[0]}{t[1]}"),
            st.tuples(st.sampled_from(FUZZ_UNARY), children).map(
                lambda t: f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(["max", "min"]), st.lists(children, min_size=2,
                                                                max_size=4)).map(
                lambda t: f"{t[0]}({', '.join(t[1])})"),
            st.tuples(st.sampled_from(["log", "pow"]), children, children).map(
                lambda t: f"{t[0]}({t[1]}, {t[2]})"),
        )

    return st.recursive(leaves, extend, max_leaves=10)


program_leaves = st.one_of(st.sampled_from(INPUT_NAMES), number_text,
                           st.sampled_from(["pi", "e"]))


@st.composite
def well_formed_programs(draw) -> str:
    """A well-formed program: a def, some assignments, then an output expression."""
    statements = []
    names = list(INPUT_NAMES)
    use_def = draw(st.booleans())
    if use_def:
        body = draw(expressions(st.one_of(st.sampled_from(["p", "q"]), number_text,
                                          st.sampled_from(["pi", "e"]))))
        statements.append(f"def f(p, q) = {body}")
    for k in range(draw(st.integers(0, 3))):
        expr = draw(expressions(st.one_of(st.sampled_from(names), number_text)))
        statements.append(f"t{k} = {expr}")
        names.append(f"t{k}")
    final = draw(expressions(st.one_of(st.sampled_from(names), number_text)))
    if use_def:
        final = f"f({final}, {draw(st.sampled_from(names))}) + {final}"
    statements.append(final)
    separator = draw(st.sampled_from(["\n", "; ", " ;\n# comment\n"]))
    return separator.join(statements)


# -- JSON documents for --values ---------------------------------------------------------------
json_scalars = st.one_of(
    st.none(), st.booleans(), st.floats(), st.integers(-10**6, 10**6),
    st.sampled_from([10**309, -(10**400), 2**1100]), st.text(max_size=5),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.text(max_size=4), children, max_size=3)),
    max_leaves=8,
)
values_documents = st.one_of(
    st.dictionaries(st.sampled_from(["x", "y", "x y", "", "1x"]),
                    st.one_of(json_scalars, json_values), max_size=3),
    json_values,
)


# -- CSV cells and blocks ---------------------------------------------------------------------
csv_cell_text = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.floats(allow_nan=False, allow_infinity=False, width=32).map(lambda x: f"{x:.9e}"),
    st.integers(-10**30, 10**30).map(str),
    st.text(alphabet="0123456789.eE+- \t\r", min_size=0, max_size=8),
    st.sampled_from(["1.", ".5", "+1", "-0", "1e5", "1E+05", "1e999", "-1e-999", " 1", "1 ",
                     "\t2", ".", "e1", "1e", "+-1", "1-2", "1.2.3", "", " ", "00012"]),
)
# A table of 1 to 6 rows, all of one width (1 to 4 cells).
csv_tables = st.integers(1, 4).flatmap(
    lambda width: st.lists(st.lists(csv_cell_text, min_size=width, max_size=width),
                           min_size=1, max_size=6))


# -- names ------------------------------------------------------------------------------------
# Legal names (SPEC §2: an ASCII letter or underscore, then letters, digits, underscores),
# built from pieces so that near-collisions (x1 and x_1, x and x_, w00 and w_00) are common.
NAME_PIECES = ["x", "w", "lr", "min", "a", "B", "_", "__", "0", "1", "12", "007"]
legal_names = st.one_of(
    st.lists(st.sampled_from(NAME_PIECES), min_size=1, max_size=4).map("".join),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,6}", fullmatch=True),
).filter(lambda name: not name[0].isdigit())
# The names of one program: a few, all different.
name_sets = st.lists(legal_names, min_size=1, max_size=6, unique=True)
