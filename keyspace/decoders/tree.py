"""Bounded trees of `Node`s, and the text shown for scalars inside them.

Decoders that parse into plain Python values (msgpack, JSON envelopes) hand them to
`TreeBuilder.from_value`; the hand-written parsers build nodes with `scalar` and `container`.
Either way the builder caps the number of nodes, the nesting depth and each scalar's length,
and says what it left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from keyspace.decoders.base import Budget, Limits, Node
from keyspace.display import bytes_to_text, is_printable_text


class Pairs(list):
    """A map kept as its (key, value) pairs: keys of any type, duplicates and order kept."""


class TreeBuilder:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.budget = Budget(limits.nodes)
        self.too_deep = 0

    def scalar(self, label: str, kind: str, value: str) -> Node:
        return Node(label=label, kind=kind, value=self.short(value))

    def short(self, text: str) -> str:
        limit = self.limits.scalar_chars
        return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"

    def container(self, label: str, kind: str, children: Iterable[Node], total: int) -> Node:
        """A node over `children` already built within the budget; `total` is how many the
        container really holds, so the note can say how many were left out."""
        kept = tuple(children)
        missing = total - len(kept)
        note = f"{missing:,} more not shown" if missing > 0 else ""
        return Node(label=label, kind=kind, children=kept, note=note)

    def deep(self, label: str, kind: str) -> Node:
        self.too_deep += 1
        return Node(label=label, kind=kind, note=f"nested deeper than {self.limits.depth} levels")

    def from_value(self, value: Any, label: str = "", depth: int = 0) -> Node:
        if isinstance(value, Pairs | dict):
            items = value if isinstance(value, Pairs) else list(value.items())
            return self._many(label, f"map ({len(items):,})", items, depth, keyed=True)
        if isinstance(value, list | tuple):
            pairs = [(str(i), item) for i, item in enumerate(value)]
            return self._many(label, f"array ({len(value):,})", pairs, depth, keyed=False)
        kind, text = scalar_text(value)
        return self.scalar(label, kind, text)

    def _many(self, label: str, kind: str, items: list, depth: int, keyed: bool) -> Node:
        if depth >= self.limits.depth:
            return self.deep(label, kind)
        children = []
        for key, item in items:
            if not self.budget.take():
                break
            name = self.short(scalar_text(key)[1]) if keyed else key
            children.append(self.from_value(item, name, depth + 1))
        return self.container(label, kind, children, len(items))

    def notes(self) -> list[str]:
        notes = []
        if self.budget.skipped:
            notes.append(f"only the first {self.limits.nodes:,} entries are shown")
        if self.too_deep:
            notes.append(f"parts nested deeper than {self.limits.depth} levels are not shown")
        return notes


def scalar_text(value: Any) -> tuple[str, str]:
    """(kind, text) for one plain value, readable and reversible where it matters."""
    if value is None:
        return "null", "null"
    if isinstance(value, bool):
        return "bool", "true" if value else "false"
    if isinstance(value, int):
        return "int", int_text(value)
    if isinstance(value, float):
        return "float", repr(value)
    if isinstance(value, str):
        return "str", str_text(value)
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value)
        return f"bytes ({len(raw):,})", bytes_to_text(raw)
    return type(value).__name__, str_text(str(value))


def str_text(value: str) -> str:
    raw = value.encode("utf-8", "backslashreplace")
    return raw.decode("utf-8") if is_printable_text(raw) else bytes_to_text(raw)


def int_text(value: int) -> str:
    # Python refuses to print integers of more than 4,300 digits; say how large it is instead.
    if value.bit_length() > 14000:
        return f"an integer of {value.bit_length():,} bits"
    return str(value)
