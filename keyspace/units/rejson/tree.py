"""Reading a RedisJSON document as a tree, one node's children at a time, in bounded reads:
JSON.TYPE, JSON.OBJLEN/ARRLEN/STRLEN for sizes, JSON.OBJKEYS only for objects of bounded
size, and JSON.GET only of scalars (strings only when short). A node never reads its
subtrees: a 1 GB document opens as fast as a small one."""

from __future__ import annotations

import json
from dataclasses import dataclass

from keyspace.conf import app_settings
from keyspace.exceptions import BadRequest
from keyspace.units.base import Element, TemplateLookups
from keyspace.units.rejson.paths import child_path, path_token, writable

CONTAINERS = {"object": "JSON.OBJLEN", "array": "JSON.ARRLEN"}
# JSON.OBJKEYS returns every key of an object at once: objects with more keys are not
# listed (a key is then opened by its path).
MAX_OBJECT_KEYS = 10_000


@dataclass(slots=True)
class JsonNode(TemplateLookups):
    """One value in the document: a row of the tree."""

    path: str
    kind: str
    name: Element | None = None  # the object key it is under (None: an array item, the root)
    index: int | None = None  # its index in the array it is in
    size: int | None = None  # members of an object/array, bytes of a string (about)
    value: Element | None = None  # a scalar's JSON text (a string's text), when read

    @property
    def token(self) -> str:
        return path_token(self.path)

    @property
    def writable(self) -> bool:
        """Whether edits may name it by its path (see paths.UNWRITABLE)."""
        return writable(self.path)

    @property
    def container(self) -> bool:
        return self.kind in CONTAINERS

    @property
    def unread(self) -> bool:
        """A string too long to preview in the tree."""
        return self.kind == "string" and self.value is None


@dataclass(frozen=True)
class NodePage:
    node: JsonNode
    rows: list[JsonNode]
    next_offset: int | None
    withheld: bool = False  # an object too large to list its keys


def first(reply):
    """The one match of a `$` path reply (a list), or None when the path matched nothing."""
    return reply[0] if isinstance(reply, list) and reply else None


def _text(reply) -> str | None:
    found = first(reply)
    return found.decode() if isinstance(found, bytes) else found


def describe(client, key: bytes, nodes: list[JsonNode]) -> list[JsonNode]:
    """Fill in each node's kind, size and (for scalars) value, in at most three pipelines;
    nodes whose path matches nothing (removed meanwhile) are left out."""
    with client.pipeline(transaction=False) as pipe:
        for node in nodes:
            pipe.execute_command("JSON.TYPE", key, node.path)
        kinds = [_text(reply) for reply in pipe.execute()]
    found = []
    for node, kind in zip(nodes, kinds, strict=True):
        if kind:
            node.kind = kind
            found.append(node)
    with client.pipeline(transaction=False) as pipe:
        for node in found:
            command = CONTAINERS.get(node.kind)
            if command is not None:
                pipe.execute_command(command, key, node.path)
            elif node.kind == "string":
                # A string's memory is its length in bytes plus a few, read at once (STRLEN
                # counts characters, scanning the string: 90 ms for 20 MB).
                pipe.execute_command("JSON.DEBUG", "MEMORY", key, node.path)
            else:
                pipe.execute_command("JSON.GET", key, node.path)
        replies = pipe.execute(raise_on_error=False)
    limit = app_settings.ELEMENT_PREVIEW_BYTES
    short_strings = []
    for node, reply in zip(found, replies, strict=True):
        if node.container or node.kind == "string":
            node.size = first(reply) if isinstance(reply, list) else None
            if node.kind == "string" and node.size is not None and node.size <= limit:
                short_strings.append(node)
        elif isinstance(reply, bytes):
            node.value = Element.of(reply[1:-1])  # the one match's JSON text
    if short_strings:
        with client.pipeline(transaction=False) as pipe:
            for node in short_strings:
                pipe.execute_command("JSON.GET", key, node.path)
            for node, reply in zip(short_strings, pipe.execute(raise_on_error=False),
                                   strict=True):
                if isinstance(reply, bytes):
                    node.value = Element.of(json.loads(reply)[0].encode("utf-8",
                                                                        "surrogatepass"))
    return found


def read_node(client, key: bytes, path: str, offset: int, count: int) -> NodePage:
    """The value at `path` and, for an object or array, `count` of its children from
    `offset` on."""
    described = describe(client, key, [JsonNode(path, "")])
    if not described:
        raise BadRequest("nothing in this document is at that path (it may have been removed)")
    node = described[0]
    if not node.container or node.size is None:
        return NodePage(node, [], None)
    end = min(offset + count, node.size)
    if node.kind == "array":
        children = [JsonNode(child_path(path, i), "", index=i) for i in range(offset, end)]
    elif node.size > MAX_OBJECT_KEYS:
        return NodePage(node, [], None, withheld=True)
    else:
        names = first(client.execute_command("JSON.OBJKEYS", key, path)) or []
        children = [JsonNode(child_path(path, name), "", name=Element.of(name))
                    for name in names[offset:end]]
    rows = describe(client, key, children)
    return NodePage(node, rows, end if end < node.size else None)
