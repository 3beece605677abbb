"""Names in generated code: the user's where they are legal, fresh ones that collide with
nothing, all chosen in one deterministic order.

A backprop name (``[A-Za-z_][A-Za-z0-9_]*``) is an identifier in every target; it is
renamed only where the target reserves it (a keyword, a built-in, a library name the
generated code uses, one of its helpers), by appending ``_`` until it is free.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable


class Namer:
    """One scope of names: ``claim`` gives each wanted name a free spelling."""

    def __init__(self, reserved: Iterable[str], legal: Callable[[str], str] = str,
                 parent: Namer | None = None) -> None:
        self.reserved = frozenset(reserved)
        self.legal = legal
        self.parent = parent
        self.taken: set[str] = set()

    def is_free(self, name: str) -> bool:
        scope: Namer | None = self
        while scope is not None:
            if name in scope.taken or name in scope.reserved:
                return False
            scope = scope.parent
        return True

    def claim(self, wanted: str) -> str:
        name = self.legal(wanted)
        while not self.is_free(name):
            name += "_"
        self.taken.add(name)
        return name

    def child(self) -> Namer:
        return Namer((), self.legal, self)
