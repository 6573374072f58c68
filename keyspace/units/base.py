"""What every Redis type unit provides, and the registry that finds one by its TYPE reply."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, ClassVar

from keyspace.conf import app_settings
from keyspace.display import is_printable_text, readable_text, truncate_bytes
from keyspace.exceptions import BadRequest
from keyspace.redis.keynames import decode_key, encode_key
from keyspace.redis.scanning import parse_cursor as parse_scan_cursor  # noqa: F401 - re-exported for units
from keyspace.units.declarations import CreateField, ToolbarEntry, toolbar_entries

# key_fingerprint is re-exported: edits that replace another key import it from here.
from keyspace.units.fingerprints import feed, key_fingerprint  # noqa: F401


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


class TemplateLookups:
    """Answers Django's template lookups (`{{ row.token }}`) on their first try.

    Django tries `obj[name]` before `getattr(obj, name)`, and for an object that has no
    `__getitem__` that first try raises and catches an exception: on a page of 1,000 rows,
    ten thousand of them, about a third of the rows' rendering time (measured). Rows and
    their elements answer by name; they are still not sequences."""

    __slots__ = ()
    __iter__ = None

    def __getitem__(self, name: str):
        try:
            return getattr(self, name)
        except (AttributeError, TypeError):
            raise KeyError(name) from None


# Slotted and not frozen, for speed: a 1,000-row page builds up to 2,000 of these, and a
# frozen dataclass sets each field through object.__setattr__ (four times slower). Treat
# them as read-only all the same.
@dataclass(slots=True, unsafe_hash=True)
class Element(TemplateLookups):
    """One stored bytes value, previewed for display with its full size kept."""

    raw: bytes
    text: str
    size: int
    truncated: bool
    # Whether the whole value is not printable text (drawn in the binary colour): decided
    # once here, so a page of 1,000 rows does not decode every value a second time to draw it.
    binary: bool = False
    # Shown as it is, whole, with something to see: the common case, which a row of a
    # 1,000-row page draws with one test instead of one per property.
    plain: bool = False

    @property
    def blank(self) -> bool:
        """Nothing visible to click or to name a link by (empty, or spaces only)."""
        return not self.text.strip()

    @classmethod
    def of(cls, value: bytes, limit: int | None = None) -> Element:
        """`value` previewed up to `limit` bytes (by default DASHBOARD_ELEMENT_PREVIEW_BYTES;
        a page passes the setting it read once, see `elements`)."""
        if limit is None:
            limit = app_settings.ELEMENT_PREVIEW_BYTES
        preview, truncated = truncate_bytes(value, limit)
        text, printable = readable_text(preview)
        if truncated:  # the cut may split a character: the whole value decides
            printable = is_printable_text(value)
        return cls(value, text, len(value), truncated, not printable,
                   printable and not truncated and bool(text.strip()))


def elements(values) -> list[Element]:
    """An Element of each value, reading the preview setting once for all of them."""
    limit = app_settings.ELEMENT_PREVIEW_BYTES
    return [Element.of(value, limit) for value in values]


class TypeUnit:
    """One Redis type: how to measure it, page through it, edit it, and which template shows it.

    Adding a type is one unit module (a subclass registered with `@registry.register` and its
    module imported in `keyspace/units/__init__.py`), one template, and one test file. What the
    rest of the dashboard asks of a unit is declared here:

    - reading: `length_command`, `queue_page`/`parse_page` (one command in the key page's
      pipeline) and, for what that command cannot read, `complete_page` (one more round trip);
      `orders` and `filterable` for the value controls;
    - editing: `operations` and `tools` (allow-lists by name), `create_fields`,
      `check_create` and `queue_create` for the New-key form, `fingerprint_parts` for edits
      that replace the key;
    - rows: `row_token`/`row_from_token` (a row's id in URLs and element ids) and `read_row`;
    - the page: `toolbar` (its entries in the key's toolbar; rename, copy, TTL and delete are
      the key's own) and `get_urls` (extra pages, served under the key's URL + `url_prefix`).

    The template (`keyspace/units/<type_name>.html`) is included in the key page's `#value`
    section and must define these partials (django-template-partials):

    - `rows`: the value's rows (or the whole value); it is also sent alone when htmx asks for
      "Load more" (HX-Target `value-more`) and swapped in at the end of the rows, so in a
      table it is `<tr>`s only (no <thead>, and no <form>, which a parser drops there);
    - `row`: one row (an edit redraws only that row), for units with row operations; its
      first cell holds the row's opener, `<a href="?row={{ row.token }}">`, when `row_actions`
      is not empty (`row.token` is `row_token` of the row's id);
    - `row_name`: what names one row (e.g. "Field <the field>"), for the panel of one row's
      actions that an opener shows without JavaScript.

    Light rows: a page may hold 1,000 rows, so a row carries its token once (in its opener) and
    no actions: `keyspace/_row_menu.html`, included once in the table, declares them, and
    dashboard.js puts them in a row when it is opened. The table loops with `{% for_rows row in
    page.rows %}` (keyspace/templatetags/value_rows.py), which reads the row's markup once per
    template and draws `{{ row.a.b }}` and `{% if row.a.b %}` directly, and decides once per
    table what mentions no row; anything else in a row (an include, a filter) costs Django's
    full price on each row: draw an Element with `{% if e.plain %}<span class="element">
    {{ e.text }}</span>{% else %}{% include "keyspace/_element.html" with element=e %}{% endif %}`,
    and give the row's class `TemplateLookups` and cheap properties for what its cells print.

    Context: `db`, `key` (bytes), `unit`, `detail` (the key's metadata: `type_name`, `ttl_ms`,
    `length`, ...), `page` (a ValuePage: `rows`, `next_cursor`, `notes`, `extra`),
    `more_query` (the query of the next page), `continuing` (a page after the first),
    `row_actions` ((operation, url) for each row operation, empty when the user may not edit),
    `preview_limit`, `user` (edit controls: `user|may_edit`),
    `request`. Shared pieces: `keyspace/_value_controls.html` (filter and order),
    `keyspace/_value_more.html` (Load more, with `columns`), `keyspace/_row_menu.html`,
    `keyspace/_element.html` (one Element, escaped and cut).
    """

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
    # Whether MEMORY USAGE costs Redis time in proportion to the value (a module type whose
    # memory callback walks the whole value, as RedisJSON's does): then the key list and the
    # key page do not ask for it.
    memory_usage_walks_value: ClassVar[bool] = False
    # What the New-key form asks for besides name, type and TTL; empty when the dashboard
    # cannot create such a key.
    create_fields: ClassVar[tuple[CreateField, ...]] = ()
    # A command the server must know before the New-key form offers this type (a module's,
    # e.g. "JSON.SET"); None for the types every server has.
    create_needs_command: ClassVar[str | None] = None

    @property
    def template(self) -> str:
        return f"keyspace/units/{self.type_name}.html"

    @property
    def url_prefix(self) -> str:
        """Where `get_urls` are served, after the key's own URL (`db/<db>/key/<key>/`)."""
        return f"{self.type_name}/"

    def queue_create(self, pipe, key: bytes, data: dict) -> None:
        """Queue the writes that create `key` from the cleaned `create_fields` in `data`."""
        raise NotImplementedError(f"{self.label} keys cannot be created here")

    def check_create(self, data: dict) -> None:
        """Refuse `create_fields` that are each fine but not together (raise
        forms.ValidationError with a dict of field -> message); after they are parsed."""

    def get_urls(self) -> list:
        """Extra pages for keys of this type (`path()` entries relative to the key's URL and
        `url_prefix`; their views take `db` and `key`). Collected by `keyspace/urls.py`."""
        return []

    @property
    def key_operations(self) -> list:
        return [op for op in self.operations.values() if op.scope == "key"]

    @property
    def row_operations(self) -> list:
        return [op for op in self.operations.values() if op.scope == "row"]

    def toolbar(self, db: int, key: bytes, detail) -> list[ToolbarEntry]:
        """This type's entries in the key's toolbar (`detail`: the key as shown): its tools,
        then its key-wide edits."""
        return toolbar_entries(db, key, self.tools.values(), self.key_operations)

    @classmethod
    def row_token(cls, row_id) -> str:
        """A row's id as it appears in URLs (`?row=`) and element ids (`row-<token>`); by
        default the row's bytes (a field, a member)."""
        return encode_key(row_id)

    def row_from_token(self, token: str):
        """The row id a token names (the inverse of `row_token`); BadRequest if it names none."""
        return decode_row_token(token)

    def parse_row_token(self, token: str):
        return self.row_from_token(token)

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
        feed(hashed, self.fingerprint_parts(reader, key))
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

    def complete_page(self, client, key: bytes, page: ValuePage) -> ValuePage:
        """What one page command could not read, in one more round trip once `parse_page`
        has seen the value (a string read as a HyperLogLog: its count); by default nothing."""
        return page


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

    def units(self) -> list[TypeUnit]:
        """Every registered unit, the fallback last (its URLs are served too)."""
        return [*self._units.values(), *([self._fallback] if self._fallback else [])]


registry = Registry()
