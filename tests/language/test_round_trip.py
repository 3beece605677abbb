"""Printing and parsing again: a node's label, read back as a program, prints the same."""

from __future__ import annotations

from hypothesis import assume, given, settings

from backprop_cli import parse_program
from backprop_cli.core.labels import all_labels
from tests.strategies import programs


@settings(max_examples=100)
@given(programs())
def test_labels_print_parse_print(program: str) -> None:
    graph = parse_program(program)
    label = all_labels(graph)[graph.output]
    assume("#" not in label)
    # names in the label are named nodes; rebuild with every named node as an input
    again = parse_program(label)
    assert all_labels(again)[again.output] == label
