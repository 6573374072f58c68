"""PHP's serialize() format, read by a parser of its grammar (nothing is unserialized):
N; b:1; i:5; d:0.5; s:3:"abc"; a:1:{...} O:8:"stdClass":1:{...} C:..., E:..., r:/R:."""

from __future__ import annotations

import re

from keyspace.decoders.base import Decoder, Limits, Node, NotThis
from keyspace.decoders.tree import TreeBuilder, scalar_text

_START = re.compile(rb"(?:N;|b:[01];|i:-?\d+;|d:[-+.\w]+;|[sSaOCE]:\d+:|[rR]:\d+;)")
_NUMBER = re.compile(rb"-?\d{1,20}")
_FLOAT = re.compile(rb"-?(?:INF|NAN|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?)")


class Reader:
    def __init__(self, data: bytes, builder: TreeBuilder) -> None:
        self.data, self.pos, self.builder = data, 0, builder

    def expect(self, token: bytes) -> None:
        if self.data[self.pos : self.pos + len(token)] != token:
            raise NotThis(f"expected {token.decode()!r} at byte {self.pos}")
        self.pos += len(token)

    def until(self, pattern: re.Pattern, end: bytes) -> bytes:
        match = pattern.match(self.data, self.pos)
        if match is None:
            raise NotThis(f"expected a number at byte {self.pos}")
        self.pos = match.end()
        self.expect(end)
        return match.group()

    def sized(self, count: int) -> bytes:
        if self.pos + count > len(self.data):
            raise NotThis(f"a string of {count:,} bytes runs past the end")
        chunk = self.data[self.pos : self.pos + count]
        self.pos += count
        return chunk

    def quoted(self) -> bytes:
        size = int(self.until(_NUMBER, b':"'))
        text = self.sized(size)
        self.expect(b'"')
        return text

    def value(self, label: str, depth: int) -> Node:
        if self.pos >= len(self.data):
            raise NotThis(f"the value ends early (at byte {self.pos:,})")
        tag = self.data[self.pos : self.pos + 1]
        if tag not in b"NbidsSrREaOC":
            raise NotThis(f"unknown type {tag.decode('latin-1')!r} at byte {self.pos:,}")
        self.pos += 1
        if tag == b"N":
            self.expect(b";")
            return self.builder.scalar(label, "null", "null")
        self.expect(b":")
        if tag in (b"b", b"i"):
            number = int(self.until(_NUMBER, b";"))
            if tag == b"b":
                return self.builder.scalar(label, "bool", "true" if number else "false")
            return self.builder.scalar(label, "int", str(number))
        if tag == b"d":
            return self.builder.scalar(label, "float", self.until(_FLOAT, b";").decode())
        if tag in (b"s", b"S"):
            text = self.quoted()
            self.expect(b";")
            return self.builder.scalar(label, "string", scalar_text(text)[1])
        if tag in (b"r", b"R"):
            target = int(self.until(_NUMBER, b";"))
            return self.builder.scalar(label, "reference", f"to value #{target}")
        if tag == b"E":
            case = self.quoted()
            self.expect(b";")
            return self.builder.scalar(label, "enum", scalar_text(case)[1])
        if tag == b"a":
            return self.members(label, "array", depth)
        if tag == b"O":
            class_name = scalar_text(self.quoted())[1]
            self.expect(b":")
            return self.members(label, f"object {class_name}", depth)
        # C: a class that serialized itself; its own format, shown as it is.
        class_name = scalar_text(self.quoted())[1]
        self.expect(b":")
        size = int(self.until(_NUMBER, b":{"))
        payload = self.sized(size)
        self.expect(b"}")
        return self.builder.scalar(label, f"custom {class_name}", scalar_text(payload)[1])

    def members(self, label: str, kind: str, depth: int) -> Node:
        count = int(self.until(_NUMBER, b":{"))
        if depth >= self.builder.limits.depth:
            raise NotThis(f"nested deeper than {self.builder.limits.depth} levels")
        children = []
        for _ in range(count):
            key = self.value("", depth + 1)
            item = self.value(_member_name(key.value), depth + 1)
            if self.builder.budget.take():
                children.append(item)
        self.expect(b"}")
        return self.builder.container(label, f"{kind} ({count:,})", children, count)


def _member_name(name: str) -> str:
    # Private and protected properties are stored as "\0Class\0name" and "\0*\0name".
    if name.startswith("\\0"):
        scope, _, rest = name[2:].partition("\\0")
        return f"{rest} ({'protected' if scope == '*' else 'private to ' + scope})"
    return name


class PhpDecoder(Decoder):
    name = "php"
    label = "PHP serialized"

    def detect(self, data: bytes) -> int:
        return 80 if _START.match(data) and data.rstrip()[-1:] in (b";", b"}") else 0

    def read(self, data: bytes, limits: Limits, layer: int):
        builder = TreeBuilder(limits)
        reader = Reader(data, builder)
        tree = reader.value("value", 0)
        if data[reader.pos :].strip():
            raise NotThis(f"{len(data) - reader.pos:,} bytes follow the value")
        return self.result(tree=tree, notes=tuple(builder.notes()), summary=tree.kind)
