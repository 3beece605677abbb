"""Names in a program: finding them, suggesting them, listing them.

The one home of "did you mean", of the lists that say what a program has, of the map
from an input's name to its node, and of the nodes an output is computed from.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from .errors import InputError
from .graph import Graph


def suggest(name: str, candidates: Iterable[str]) -> str | None:
    """``did you mean 'sin'?`` for the nearest known name, if one is near."""
    import difflib

    # difflib's ratio is at most 2*min(len)/(sum of len): a name far longer than every
    # candidate can match none, and indexing a huge name would take seconds
    near = [c for c in candidates if 10 * min(len(c), len(name)) >= 3 * (len(c) + len(name))]
    if not near:
        return None
    # two letters swapped (tahn for tanh) before what difflib finds nearest (tan)
    swapped = [c for c in near if len(c) == len(name) and sorted(c) == sorted(name)
               and sum(a != b for a, b in zip(c, name)) == 2]
    close = swapped or difflib.get_close_matches(name, near, n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def name_list(names: Sequence[str], limit: int = 12) -> str:
    """``a, b, c`` or ``a, b, c and 997 more``."""
    shown = ", ".join(names[:limit])
    return shown if len(names) <= limit else f"{shown} and {len(names) - limit:,} more"


def unknown_name_hint(name: str, known: Collection[str], kind: str = "inputs") -> str:
    """What to say of a name that is not one of ``known``: the nearest, or the list."""
    return suggest(name, known) or (
        f"its {kind} are {name_list(list(known))}" if known else f"the program has no {kind}"
    )


def input_ids(graph: Graph) -> dict[str, int]:
    """Input name -> node id, in the order the inputs first appear."""
    nodes = graph.nodes
    return {nodes[i].name or "": i for i in graph.inputs}


def depends_on(graph: Graph, node_id: int) -> set[int]:
    """The nodes ``node_id`` is computed from, itself included (a loop, no recursion)."""
    nodes = graph.nodes
    reached = {node_id}
    for i in range(node_id, -1, -1):
        if i in reached:
            reached.update(nodes[i].args)
    return reached


def inputs_under(graph: Graph, node_id: int) -> list[str]:
    """The inputs a node is computed from, in the order they appear."""
    reached = depends_on(graph, node_id)
    return [graph.nodes[i].name or "" for i in graph.inputs if i in reached]


def choose_inputs(graph: Graph, wrt: Sequence[str] | None, what: str = "wrt") -> list[str]:
    """The inputs to work on: all of them, or the ones named (checked, in order, once).

    ``what`` is how the caller's user names the choice (``--wrt`` on the command line).
    """
    names = list(graph.input_names())
    if not wrt:
        return names
    for name in wrt:
        if name not in names:
            raise InputError(f"{what} {name}: the program has no input named '{name}'",
                             hint=unknown_name_hint(name, names))
    return list(dict.fromkeys(wrt))


def named_node(graph: Graph, name: str, what: str) -> int:
    """The node a name gives, or an error that says which names there are."""
    node = graph.names.get(name)
    if node is None:
        named = list(graph.names)
        raise InputError(f"{what} {name}: the program has no node named '{name}'",
                         hint=unknown_name_hint(name, named, "named nodes"))
    return node


def check_input_name(graph: Graph, name: str, what: str) -> None:
    """An error unless ``name`` is an input of the program."""
    names = graph.input_names()
    if name not in names:
        raise InputError(f"{what}: {name} is not an input of the program",
                         hint=unknown_name_hint(name, names))


NAME_LIMIT = 60  # characters of a name in a title or a heading


def short_name(text: str, limit: int = NAME_LIMIT, ellipsis: str = "…") -> str:
    """A name for a title: as it is, or cut to ``limit`` characters ending in '…'.

    Text that backprop reads back (a program's comment) takes ``ellipsis="..."``: the
    language is ASCII.
    """
    return text if len(text) <= limit else text[: limit - len(ellipsis)] + ellipsis
