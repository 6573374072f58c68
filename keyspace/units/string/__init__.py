"""Strings: a capped preview shown through the value decoders (text, JSON, hex, msgpack,
pickle…) or through a view of a string (a counter, a bitmap, a HyperLogLog: see `views`);
the full value only by download. Edits (replace, set with expiry, increment, append) live in
`edits`."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.urls import path

from keyspace.conf import app_settings
from keyspace.decoders import Decoded
from keyspace.decoders.choice import show, view_choices
from keyspace.decoders.text import printable_with_newlines
from keyspace.services.editing.guard import allow_list
from keyspace.units.base import (
    CreateField,
    PageRequest,
    ToolbarEntry,
    TypeUnit,
    ValuePage,
    parse_offset,
    registry,
    toolbar_entries,
)
from keyspace.units.string.edits import STRING_OPERATIONS
from keyspace.units.string.values import edit_limit
from keyspace.units.string.views import StringView, string_views


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
    string_view: StringView = field(default_factory=lambda: string_views.default)
    facts: dict[str, Any] = field(default_factory=dict)
    not_shown_as: str = ""  # "<view>: why it cannot read this value", for a view asked for

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
    # For strings the "order" picks how the value is shown: through a decoder, or read as a
    # view of a string; a chosen decoder is remembered per namespace (see decoders.memory).
    order_label = "View as"
    remembers_order = True
    string_view_choices = tuple(string_views.choices())
    operations = allow_list(*STRING_OPERATIONS, *string_views.operations())
    tools = allow_list(*string_views.tools())
    create_fields = (CreateField("value", "Value"),)
    # The download was served at the key's own URL before units declared their URLs.
    url_prefix = ""

    @property
    def orders(self) -> tuple[tuple[str, str], ...]:
        decoders = view_choices()
        taken = set(dict(decoders)) & set(dict(self.string_view_choices))
        if taken:
            raise ImproperlyConfigured(f"decoders and views of a string share names: {taken}")
        return (*decoders, *self.string_view_choices)

    def queue_create(self, pipe, key: bytes, data: dict) -> None:
        pipe.set(key, data["value"])

    def get_urls(self) -> list:
        from keyspace.views.key import key_download  # the views import the units

        return [path("download/", key_download, name="key-download")]

    def toolbar(self, db: int, key: bytes, detail) -> list[ToolbarEntry]:
        """The plain edits, and the edits and tools of the view the value is read through."""
        view = _view_of(detail)
        shown = {op.name for op in STRING_OPERATIONS} - view.hides
        shown |= {op.name for op in view.operations}
        return toolbar_entries(db, key, [self.tools[tool.name] for tool in view.tools],
                               [op for op in self.key_operations if op.name in shown])

    def fingerprint_parts(self, reader, key: bytes) -> list:
        """The whole value up to the edit limit; beyond it, its size and both ends."""
        size, limit = reader.strlen(key), app_settings.MAX_VALUE_BYTES
        if size <= limit:
            return [size, reader.getrange(key, 0, limit - 1)]
        edge = 65536
        return [size, reader.getrange(key, 0, edge - 1), reader.getrange(key, -edge, -1)]

    def queue_page(self, pipe, key: bytes, request: PageRequest) -> None:
        offset = parse_offset(request.cursor)
        chosen = string_views.get(request.order)
        size = (chosen and chosen.page_bytes) or app_settings.PREVIEW_BYTES
        pipe.getrange(key, offset, offset + size - 1)

    def parse_page(self, reply: bytes, request: PageRequest, length: int | None) -> ValuePage:
        offset = parse_offset(request.cursor)
        total = length if length is not None else len(reply)
        chosen = string_views.get(request.order)
        if offset + len(reply) < total and not (chosen and chosen.page_bytes):
            reply = _whole_characters(reply)
        preview = render_preview(reply, offset=offset, total=total,
                                 view=request.order if chosen is None else "auto")
        end = offset + len(reply)
        next_cursor = str(end) if end < total else None
        view, refused = _reading(chosen, request.order, reply, offset, total)
        refused = f"{chosen.label}: {refused}" if chosen and refused else ""
        preview = replace(preview, string_view=view, not_shown_as=refused,
                          facts=view.facts_from(reply, offset, total))
        return ValuePage(rows=[preview], next_cursor=next_cursor)

    def complete_page(self, client, key: bytes, page: ValuePage) -> ValuePage:
        preview = page.rows[0]
        if not preview.string_view.reads:
            return page
        facts = preview.facts | preview.string_view.read(client, key, preview.facts)
        return replace(page, rows=[replace(preview, facts=facts)])


def _reading(chosen: StringView | None, order: str, value: bytes, offset: int,
             total: int) -> tuple[StringView, str]:
    """The view a page is read through, and why the one asked for cannot read it ("")."""
    if chosen is None:
        whole = offset == 0 and len(value) == total
        detected = order == "auto" and offset == 0
        return (string_views.detected(value, whole) if detected else string_views.default), ""
    refused = chosen.refusal(value, offset, total)
    return (string_views.default, refused) if refused else (chosen, "")


def _view_of(detail) -> StringView:
    page = getattr(detail, "page", None)
    rows = page.rows if page is not None else []
    return rows[0].string_view if rows else string_views.default


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
