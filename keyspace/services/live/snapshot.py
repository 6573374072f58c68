"""What a live key page shows, as digests, and what changed between two reads of it.

A snapshot is one bounded read of the key (`key_detail` with the page's own request: the
same commands as drawing the page, never more than its visible rows). Rows that carry a
`token` (hash fields, list indexes, set and sorted-set members) are compared one by one, so a
change redraws only its rows; other values (strings, streams, module types) are compared
whole and redrawn as one section."""

from __future__ import annotations

import functools
import hashlib
from dataclasses import dataclass, field, fields, is_dataclass, replace

from keyspace.exceptions import KeyNotFound
from keyspace.services.browse import KeyDetail, key_detail
from keyspace.units import PageRequest
from keyspace.units.base import Element


def row_digest(row) -> str:
    """What a row shows, digested: its fields in order, an Element by its bytes (kept whole,
    so a change past the preview counts), anything else by its repr."""
    hashed = hashlib.sha256()
    for name in _field_names(type(row)):
        value = getattr(row, name)
        part = value.raw if isinstance(value, Element) else repr(value).encode(
            "utf-8", "surrogateescape")
        hashed.update(b"%d:" % len(part))
        hashed.update(part)
    return hashed.hexdigest()[:16]


@functools.cache
def _field_names(cls) -> tuple[str, ...]:
    # A row is a dataclass. Left out: what is derived from its other fields (its `token`,
    # compare=False) and a field that changes by itself (`metadata={"volatile": True}`: a
    # TTL counting down).
    if not is_dataclass(cls):
        return ()
    return tuple(f.name for f in fields(cls) if f.compare and not f.metadata.get("volatile"))


def page_digest(page, digests: list[str] | None = None) -> str:
    """A digest of the visible page (its rows and where the next page starts); `digests`:
    its rows' digests, when already computed."""
    hashed = hashlib.sha256()
    if page is not None:
        for digest in digests if digests is not None else map(row_digest, page.rows):
            hashed.update(digest.encode())
        hashed.update(repr((page.next_cursor, page.notes)).encode())
    return hashed.hexdigest()[:16]


def row_token(row) -> str | None:
    return getattr(row, "token", None)


@dataclass(frozen=True)
class Snapshot:
    detail: KeyDetail | None  # None: the key is gone
    rows: dict[str, str] = field(default_factory=dict)  # token -> digest, in page order
    digest: str = ""

    @property
    def gone(self) -> bool:
        return self.detail is None

    @property
    def keyed(self) -> bool:
        """Rows can be redrawn one by one."""
        page = self.detail.page if self.detail else None
        return bool(page and page.rows) and all(row_token(r) for r in page.rows)

    def row(self, token: str):
        return next(r for r in self.detail.page.rows if row_token(r) == token)


def take(client, key: bytes, request: PageRequest | None) -> Snapshot:
    """The key now: metadata and (with `request`) the visible page, in two round trips."""
    try:
        detail = key_detail(client, key, request)
    except KeyNotFound:
        return Snapshot(None)
    page = detail.page
    digests = [row_digest(r) for r in page.rows] if page is not None else []
    rows = {}
    if page is not None:
        rows = {token: d for r, d in zip(page.rows, digests, strict=True)
                if (token := row_token(r))}
    return Snapshot(detail, rows, page_digest(page, digests))


def with_meta(old: Snapshot, meta: Snapshot) -> Snapshot:
    """`old`'s page under newer metadata (after an event that changes only TTLs)."""
    if meta.gone or old.gone:
        return meta
    detail = replace(meta.detail, request=old.detail.request, page=old.detail.page)
    return Snapshot(detail, old.rows, old.digest)


@dataclass(frozen=True)
class Changes:
    """What to redraw on the page: the metadata, some rows, or the whole value."""

    meta: bool = False
    rows: tuple = ()  # row objects to draw (replacing theirs, or appended)
    removed: tuple[str, ...] = ()  # tokens of rows no longer on the page
    whole_value: bool = False
    gone: bool = False
    back: bool = False  # the key exists again after being gone

    def __bool__(self) -> bool:
        return bool(self.meta or self.rows or self.removed or self.whole_value or self.gone
                    or self.back)


def compare(old: Snapshot, new: Snapshot) -> Changes:
    if new.gone:
        return Changes(gone=not old.gone)
    if old.gone:
        return Changes(meta=True, whole_value=True, back=True)
    if new.detail.type_name != old.detail.type_name:
        return Changes(meta=True, whole_value=True)
    if new.digest == old.digest:
        return Changes(meta=True)
    if not (old.keyed and new.keyed) or not _same_order(old.rows, new.rows):
        return Changes(meta=True, whole_value=True)
    changed = tuple(new.row(t) for t, d in new.rows.items() if old.rows.get(t) != d)
    removed = tuple(t for t in old.rows if t not in new.rows)
    return Changes(meta=True, rows=changed, removed=removed)


def _same_order(old: dict[str, str], new: dict[str, str]) -> bool:
    """Rows kept their places and new ones come after them: each can be drawn where it is
    (or appended) without moving the others."""
    kept_old = [t for t in old if t in new]
    new_order = list(new)
    return new_order[: len(kept_old)] == kept_old
