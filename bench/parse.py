"""In-process cost of the lexer, the parser's driver and the graph builder, per node.

For each program of eval_json.py (about 1e5 nodes or 1e5 levels each), the fastest of
``--runs`` runs, in CPU time of this process (less disturbed than wall-clock time by other
work on the machine), with the garbage collector off as in ``build_graph``:

    lex      every token of ``lexer.tokenize``, consumed as the parser consumes them
    driver   ``parser.parse`` over a list of the tokens, into callbacks that do nothing
    build    ``parser.parse`` over a list of the tokens into a ``GraphBuilder``
    text     ``parser.parse(source, tokenize(source), GraphBuilder(...))``: text to graph

Run from the project root:

    python bench/parse.py
    python bench/parse.py --shapes random,sin --runs 9
"""

from __future__ import annotations

import argparse
import gc
import platform
import time
from collections.abc import Callable
from typing import Any

from eval_json import SHAPES
from timing import chosen_shapes

from backprop_cli.core.source import Source
from backprop_cli.language.builder import GraphBuilder
from backprop_cli.language.lexer import tokenize
from backprop_cli.language.parser import parse

MAX_NODES = 10**7


class _Nothing:
    """Callbacks that do nothing: the driver's own cost."""

    def __getattr__(self, name: str) -> Callable[[list, int, int], None]:
        def callback(children: list, start: int, end: int) -> None:
            return None

        setattr(self, name, callback)
        return callback


def fastest(runs: int, fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(runs):
        gc.collect()
        gc.disable()
        try:
            start = time.process_time()
            fn()
            times.append(time.process_time() - start)
        finally:
            gc.enable()
    return min(times)


def consume(tokens: Any) -> None:
    for _token in tokens:
        pass


def phases(source: Source, tokens: list) -> dict[str, Callable[[], Any]]:
    def graph(tokens: Any) -> Any:
        return parse(source, tokens, GraphBuilder(source, max_nodes=MAX_NODES))

    return {
        "lex": lambda: consume(tokenize(source)),
        "driver": lambda: parse(source, iter(tokens), _Nothing()),
        "build": lambda: graph(iter(tokens)),
        "text": lambda: graph(tokenize(source)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each phase")
    parser.add_argument("--shapes", default=",".join(SHAPES),
                        help=f"comma-separated subset of {', '.join(SHAPES)}")
    args = parser.parse_args()
    shapes = chosen_shapes(parser, args.shapes, SHAPES)
    print(f"Python {platform.python_version()}; CPU time, fastest of {args.runs} runs; "
          "µs per node (ns per token)")
    print()
    header = (f"{'shape':<7} {'nodes':>7} {'tokens':>7} {'lex':>12} {'driver':>12} "
              f"{'build':>12} {'text':>12}")
    print(header)
    print("-" * len(header))
    for shape in shapes:
        source = Source(SHAPES[shape][0]())
        tokens = list(tokenize(source))
        builder = GraphBuilder(source, max_nodes=MAX_NODES)
        parse(source, iter(tokens), builder)
        nodes = len(builder.nodes)
        cells = []
        for fn in phases(source, tokens).values():
            seconds = fastest(args.runs, fn)
            cells.append(f"{seconds / nodes * 1e6:5.2f} ({seconds / len(tokens) * 1e9:4.0f})")
        print(f"{shape:<7} {nodes:>7,} {len(tokens):>7,} " + " ".join(f"{c:>12}" for c in cells),
              flush=True)


if __name__ == "__main__":
    main()
