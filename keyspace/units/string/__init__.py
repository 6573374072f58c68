"""Strings: a capped preview shown through the value decoders (text, JSON, hex, msgpack,
pickle…); the full value only by download. Edits (replace, set with expiry, increment,
append) live in `edits`."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from keyspace.decoders import Decoded
from keyspace.decoders.choice import show, view_choices
from keyspace.decoders.text import printable_with_newlines
from keyspace.services.editing.guard import allow_list
from keyspace.units.base import PageRequest, TypeUnit, ValuePage, parse_offset, registry
from keyspace.units.string.edits import STRING_OPERATIONS
from keyspace.units.string.values import edit_limit


@dataclass(frozen=True)
class StringPreview:
    offset: int
    shown_bytes: int
    total_bytes: int
    view: str  # the decoder that produced what is shown
    body: str  # its main text, when it has one
    is_binary: bool
    decoded: Decoded | None = None
    failed: Decoded | None = None  # the decoder asked for, when it could not read the value
    recognised: tuple[tuple[str, str], ...] = ()  # decoders that detect the value, best first
    others: tuple[tuple[str, str], ...] = ()
    edit_limit: int = 0

    @property
    def too_large_to_edit(self) -> bool:
        return self.total_bytes > self.edit_limit

    @property
    def truncated(self) -> bool:
        return self.offset > 0 or self.offset + self.shown_bytes < self.total_bytes


@registry.register
class StringUnit(TypeUnit):
    type_name = "string"
    label = "String"
    length_command = "STRLEN"
    length_label = "bytes"
    order_label = "View as"  # for strings, the "order" picks the decoder that shows the value
    remembers_order = True
    operations = allow_list(*STRING_OPERATIONS)
    creation_fields = ("value",)

    @property
    def orders(self) -> tuple[tuple[str, str], ...]:
        return tuple(view_choices())

    def queue_create(self, pipe, key: bytes, data: dict) -> None:
        pipe.set(key, data["value"])

    def fingerprint_parts(self, reader, key: bytes) -> list:
        """The whole value up to the edit limit; beyond it, its size and both ends."""
        size, limit = reader.strlen(key), settings.DASHBOARD_MAX_VALUE_BYTES
        if size <= limit:
            return [size, reader.getrange(key, 0, limit - 1)]
        edge = 65536
        return [size, reader.getrange(key, 0, edge - 1), reader.getrange(key, -edge, -1)]

    def queue_page(self, pipe, key: bytes, request: PageRequest) -> None:
        offset = parse_offset(request.cursor)
        pipe.getrange(key, offset, offset + settings.DASHBOARD_PREVIEW_BYTES - 1)

    def parse_page(self, reply: bytes, request: PageRequest, length: int | None) -> ValuePage:
        offset = parse_offset(request.cursor)
        total = length if length is not None else len(reply)
        if offset + len(reply) < total:
            reply = _whole_characters(reply)
        preview = render_preview(reply, offset=offset, total=total, view=request.order)
        end = offset + len(reply)
        next_cursor = str(end) if end < total else None
        return ValuePage(rows=[preview], next_cursor=next_cursor)


def render_preview(value: bytes, *, offset: int, total: int, view: str) -> StringPreview:
    shown = show(value, whole=offset == 0 and len(value) == total, view=view)
    return StringPreview(
        offset=offset,
        shown_bytes=len(value),
        total_bytes=total,
        view=shown.decoded.decoder,
        body=shown.main_text,
        is_binary=not printable_with_newlines(value),
        decoded=shown.decoded,
        failed=shown.failed,
        recognised=shown.recognised,
        others=shown.others,
        edit_limit=edit_limit(),
    )


def _whole_characters(chunk: bytes) -> bytes:
    """A cut preview of UTF-8 text ends on a character boundary: a character cut in two moves
    to the next part instead of turning the whole preview into a hex dump."""
    try:
        chunk.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.reason == "unexpected end of data" and exc.end == len(chunk) and exc.start > 0:
            return chunk[: exc.start]
    return chunk
