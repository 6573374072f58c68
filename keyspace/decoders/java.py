"""Java serialized objects (`ObjectOutputStream`): their structure, read by the grammar in
`java_grammar`; no class is ever looked up or loaded."""

from __future__ import annotations

from keyspace.decoders.base import Decoder, Limits, NotThis
from keyspace.decoders.java_grammar import MAGIC, JavaStream
from keyspace.decoders.tree import TreeBuilder


class JavaDecoder(Decoder):
    name = "java"
    label = "Java serialized"

    def detect(self, data: bytes) -> int:
        return 95 if data.startswith(MAGIC) else 0

    def read(self, data: bytes, limits: Limits, layer: int):
        if not data.startswith(MAGIC):
            raise NotThis("no AC ED 00 05 header")
        builder = TreeBuilder(limits)
        stream = JavaStream(data, builder)
        stream.pos = len(MAGIC)
        parts = []
        while stream.pos < len(data):
            node = stream.contents(f"#{len(parts) + 1}", 0)
            if builder.budget.take():
                parts.append(node)
        if not parts:
            raise NotThis("the stream holds nothing")
        if len(parts) == 1:
            tree = parts[0]
        else:
            tree = builder.container("stream", "stream", parts, len(parts))
        return self.result(tree=tree, notes=tuple(builder.notes()), summary=tree.kind)
