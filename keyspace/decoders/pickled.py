"""Python pickles, Django's cache values among them (its Redis cache stores pickles): shown as
the structure the restricted reader rebuilt, the names loading would import and call, and
an opcode listing. Nothing is ever unpickled."""

from __future__ import annotations

from keyspace.decoders.base import Decoded, Decoder, Fact, Limits, Node, NotThis, cut_text
from keyspace.decoders.pickle_reader import Buffer, Call, Global, PList, PSet, Reading, read_pickle
from keyspace.decoders.text import printable_with_newlines
from keyspace.decoders.tree import Pairs, TreeBuilder, scalar_text

# Protocol 0 and 1 pickles have no header; they start with one of these opcodes.
OLD_STARTS = frozenset(b"(]})NIJKLFSUVXcdlt\x88\x89GMJ")


def looks_like_pickle(data: bytes) -> int:
    if len(data) >= 2 and data[0] == 0x80 and 2 <= data[1] <= 5:
        return 90
    if not data or data[0] not in OLD_STARTS or not data.rstrip(b"\n").endswith(b"."):
        return 0
    try:
        reading = read_pickle(data)
    except (NotThis, ValueError, IndexError, EOFError, OverflowError):
        return 0
    return 60 if reading.end == len(data) else 0


def describe(reading: Reading, data: bytes, limits: Limits) -> tuple[Node, list, list]:
    """(the structure as a tree, facts, notes) for a finished reading."""
    builder = TreeBuilder(limits)
    tree = Converter(builder).node(reading.value, "value", 0)
    names = list(dict.fromkeys(reading.names))
    facts = [Fact("Protocol", str(reading.protocol))]
    if names:
        facts.append(Fact("Loading it would import", ", ".join(names)))
    if reading.calls:
        facts.append(Fact("Calls it asks for on loading", f"{reading.calls:,}"))
    notes = builder.notes()
    if reading.end < len(data):
        notes.append(f"{len(data) - reading.end:,} bytes after the pickle's end are not shown")
    return tree, facts, notes


def disassembly(reading: Reading, limits: Limits) -> tuple[str, list[str]]:
    lines = [f"{pos:>8}  {name:<18} {arg}".rstrip() for pos, name, arg in reading.ops]
    return cut_text("\n".join(lines), limits.text_chars)


class PickleDecoder(Decoder):
    name = "pickle"
    label = "Python pickle"

    def detect(self, data: bytes) -> int:
        return looks_like_pickle(data)

    def read(self, data: bytes, limits: Limits, layer: int) -> Decoded:
        if not data:
            raise NotThis("the value is empty")
        reading = read_pickle(data)
        tree, facts, notes = describe(reading, data, limits)
        listing, cut = disassembly(reading, limits)
        summary = f"pickle protocol {reading.protocol}, {tree.kind}"
        if printable_with_newlines(data):
            notes.append("protocol 0 pickles are text: the Text view shows them as stored")
        return self.result(
            tree=tree,
            text=listing,
            text_title="Opcodes (what loading would do, step by step)",
            facts=tuple(facts),
            notes=(*notes, *cut),
            summary=summary,
        )


class Converter:
    """The reader's placeholders as `Node`s, within the builder's bounds. Shared objects are
    shown where they occur (bounded by the node budget); cycles stop at the depth limit."""

    def __init__(self, builder: TreeBuilder) -> None:
        self.builder = builder

    def node(self, value, label: str, depth: int) -> Node:
        if isinstance(value, Global):
            return self.builder.scalar(label, "global", str(value))
        if isinstance(value, Buffer):
            return self.builder.scalar(label, "buffer", str(value))
        if depth >= self.builder.limits.depth:
            return self.builder.deep(label, _kind(value))
        if isinstance(value, Call):
            return self._call(value, label, depth)
        if isinstance(value, Pairs):
            return self._many(label, _kind(value), value, depth, keyed=True)
        if isinstance(value, list | tuple):
            pairs = [(str(i), item) for i, item in enumerate(value)]
            return self._many(label, _kind(value), pairs, depth, keyed=False)
        kind, text = scalar_text(value)
        return self.builder.scalar(label, kind, text)

    def _call(self, call: Call, label: str, depth: int) -> Node:
        parts = [("arguments", call.args)]
        if call.state is not None:
            parts.append(("state", call.state))
        if call.items:
            parts.append(("items", PList(call.items)))
        func = str(call.func) if isinstance(call.func, Global) else f"a {_kind(call.func)}"
        kind = f"instance of {func}" if call.kind == "instance" else f"call {func}"
        return self._many(label, kind, parts, depth, keyed=False)

    def _many(self, label: str, kind: str, items: list, depth: int, *, keyed: bool) -> Node:
        children = []
        for key, item in items:
            if not self.builder.budget.take():
                break
            name = key if not keyed else self.builder.short(_key_text(key))
            children.append(self.node(item, name, depth + 1))
        return self.builder.container(label, kind, children, len(items))


def _key_text(key) -> str:
    if isinstance(key, Global | Call | list | tuple):
        return f"({_kind(key)})"
    return scalar_text(key)[1]


def _kind(value) -> str:
    if isinstance(value, Pairs):
        return f"dict ({len(value):,})"
    if isinstance(value, PSet):
        return f"set ({len(value):,})"
    if isinstance(value, list):
        return f"list ({len(value):,})"
    if isinstance(value, tuple):
        return f"tuple ({len(value):,})"
    if isinstance(value, Call):
        return "call" if value.kind == "call" else "instance"
    return type(value).__name__
