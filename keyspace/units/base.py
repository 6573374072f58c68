"""What every Redis type unit provides, and the registry that finds one by its TYPE reply."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, ClassVar

from django.conf import settings

from keyspace.display import bytes_to_text, truncate_bytes
from keyspace.services.editing.guard import type_of
from keyspace.exceptions import BadRequest
from keyspace.redis.keynames import decode_key
from keyspace.redis.scanning import parse_cursor as parse_scan_cursor  # noqa: F401 - re-exported for units


@dataclass(frozen=True)
class PageRequest:
    """Which part of a value to show: parsed from the query string by the view."""

    cursor: str = ""
    count: int = 100
    match: bytes | None = None
    order: str = ""
    # An order remembered from earlier (the string view per namespace); used only when no
    # order was asked for and this type has it, so it never makes a request fail.
    preferred: str = ""


@dataclass(frozen=True)
class ValuePage:
    rows: list[Any]
    next_cursor: str | None
    notes: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Element:
    """One stored bytes value, previewed for display with its full size kept."""

    raw: bytes
    text: str
    size: int
    truncated: bool

    @classmethod
    def of(cls, value: bytes) -> Element:
        preview, truncated = truncate_bytes(value, settings.DASHBOARD_ELEMENT_PREVIEW_BYTES)
        return cls(raw=value, text=bytes_to_text(preview), size=len(value), truncated=truncated)


class TypeUnit:
    """One Redis type: how to measure it, page through it, and which template shows it."""

    type_name: ClassVar[str]
    label: ClassVar[str]
    length_command: ClassVar[str | None] = None
    length_label: ClassVar[str] = "elements"
    orders: ClassVar[tuple[tuple[str, str], ...]] = ()
    order_label: ClassVar[str] = "Order"
    # Whether a chosen order is remembered per namespace in the session (the string "View as").
    remembers_order: ClassVar[bool] = False
    filterable: ClassVar[bool] = False
    # This type's edits and read-only tools by name: the allow-lists views look actions up in.
    operations: ClassVar[dict[str, Any]] = {}
    tools: ClassVar[dict[str, Any]] = {}

    @property
    def template(self) -> str:
        return f"keyspace/units/{self.type_name}.html"

    # What the "new key" form needs for this type besides name and TTL ("field", "value",
    # "score"); empty when the dashboard cannot create such a key.
    creation_fields: ClassVar[tuple[str, ...]] = ()

    def queue_create(self, pipe, key: bytes, data: dict) -> None:
        raise NotImplementedError(f"{self.label} keys cannot be created here")

    @property
    def key_operations(self) -> list:
        return [op for op in self.operations.values() if op.scope == "key"]

    @property
    def row_operations(self) -> list:
        return [op for op in self.operations.values() if op.scope == "row"]

    def parse_row_token(self, token: str) -> bytes:
        """A row's id from its URL token; by default the row's bytes (field, member)."""
        return decode_row_token(token)

    def read_row(self, client, key: bytes, row_id: bytes):
        """The row `row_id` as it is now (after an edit), or None if it is gone."""
        return None

    @property
    def default_order(self) -> str:
        return self.orders[0][0] if self.orders else ""

    # How many elements at each end (or of the first SCAN page) a fingerprint samples.
    fingerprint_sample: ClassVar[int] = 50

    def fingerprint_parts(self, reader, key: bytes) -> list:
        """What a key's fingerprint is made of: bounded reads through `reader` (a client or a
        watching pipeline). By default nothing but the type (module types)."""
        return []

    def fingerprint(self, reader, key: bytes) -> str:
        """A short digest of the key as it is now, carried by forms that remove or replace the
        whole key (delete, rename or copy over it). Exact for values up to the edit limit;
        for collections, the length plus a bounded sample (see each unit), so a change that
        keeps the length and misses the sample goes unnoticed."""
        hashed = hashlib.sha256(self.type_name.encode())
        _feed(hashed, self.fingerprint_parts(reader, key))
        return hashed.hexdigest()[:32]

    def queue_length(self, pipe, key: bytes) -> None:
        if self.length_command:
            pipe.execute_command(self.length_command, key)
        else:
            pipe.exists(key)

    def parse_length(self, reply) -> int | None:
        return reply if self.length_command and isinstance(reply, int) else None

    def validate(self, request: PageRequest) -> PageRequest:
        """Fill in the default order and refuse what this type cannot do."""
        remembered = request.preferred if request.preferred in dict(self.orders) else ""
        order = request.order or remembered or self.default_order
        if self.orders and order not in dict(self.orders):
            raise BadRequest(f"{self.label} values cannot be ordered by {request.order!r}")
        if request.match and not self.filterable:
            raise BadRequest(f"{self.label} values cannot be filtered")
        return PageRequest(request.cursor, request.count, request.match, order)

    def queue_page(self, pipe, key: bytes, request: PageRequest) -> None:
        pipe.exists(key)

    def parse_page(self, reply, request: PageRequest, length: int | None) -> ValuePage:
        return ValuePage(rows=[], next_cursor=None)


def _feed(hashed, part) -> None:
    """Feed nested lists/tuples/dicts of bytes, numbers and text into `hashed`, unambiguously
    (each item tagged with its kind and length)."""
    if isinstance(part, dict):
        part = sorted(part.items())
    if isinstance(part, list | tuple):
        hashed.update(b"[%d" % len(part))
        for item in part:
            _feed(hashed, item)
        hashed.update(b"]")
        return
    raw = part if isinstance(part, bytes) else repr(part).encode()
    hashed.update(b"%s%d:" % (type(part).__name__.encode(), len(raw)))
    hashed.update(raw)


def decode_row_token(token: str) -> bytes:
    """The bytes (a field, a member) a row's URL token names."""
    try:
        return decode_key(token)
    except ValueError:
        raise BadRequest("not a row token") from None


def parse_offset(cursor: str) -> int:
    if cursor == "":
        return 0
    if not (cursor.isascii() and cursor.isdigit()) or len(cursor) > 18:
        raise BadRequest(f"not a position: {cursor[:40]!r}")
    return int(cursor)


class Registry:
    """Units by TYPE reply; registering a type twice is a bug and says so."""

    def __init__(self) -> None:
        self._units: dict[str, TypeUnit] = {}
        self._fallback: TypeUnit | None = None

    def register(self, unit_class: type[TypeUnit]) -> type[TypeUnit]:
        name = unit_class.type_name
        if name in self._units:
            raise ValueError(f"type {name!r} is already registered")
        self._units[name] = unit_class()
        return unit_class

    def register_fallback(self, unit_class: type[TypeUnit]) -> type[TypeUnit]:
        self._fallback = unit_class()
        return unit_class

    def unit_for(self, type_name: str | bytes) -> TypeUnit:
        if isinstance(type_name, bytes):
            type_name = type_name.decode("ascii", "replace")
        unit = self._units.get(type_name)
        if unit is not None:
            return unit
        if self._fallback is None:
            raise LookupError(type_name)
        return self._fallback

    def type_names(self) -> list[str]:
        return list(self._units)


registry = Registry()


ABSENT_KEY = "absent"


def key_fingerprint(reader, key: bytes) -> str:
    """The fingerprint of whatever `key` holds now, of any type ("absent" when nothing)."""
    type_name = type_of(reader, key)
    if type_name == "none":
        return ABSENT_KEY
    return registry.unit_for(type_name).fingerprint(reader, key)
