"""What a stream says about itself: `XINFO STREAM` (never `FULL`, which lists entries and
pending entries), `XINFO GROUPS` and `XINFO CONSUMERS`.

Each reply is read as the flat name/value list Redis sends, so a field an older server does
not report (Redis 6.2 has no entries-added, lag or max-deleted ID) is simply absent, and one a
newer server adds is ignored. `XINFO GROUPS` and `XINFO CONSUMERS` have no COUNT: they reply
with every group or consumer, so they are only sent when the count Redis reported beforehand
(the stream's `groups`, a group's `consumers`) is at most `READ_LIMIT`; at most `SHOWN` rows
are drawn."""

from __future__ import annotations

from dataclasses import dataclass, field

import redis

from keyspace.redis.keynames import encode_key
from keyspace.units.base import Element

READ_LIMIT = 1000  # groups or consumers: above this the listing is not asked for at all
SHOWN = 100  # rows drawn


def _pairs(reply) -> dict[str, object]:
    """A flat [name, value, name, value, ...] reply as a dict with text names."""
    names = [n.decode("ascii", "replace") if isinstance(n, bytes) else str(n) for n in reply[::2]]
    return dict(zip(names, reply[1::2], strict=True))


def _text(value) -> str | None:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else value


@dataclass(frozen=True)
class Entry:
    entry_id: str
    fields: list[tuple[Element, Element]]


def _entry(reply) -> Entry | None:
    if not reply:
        return None
    entry_id, flat = reply
    pairs = [(Element.of(flat[i]), Element.of(flat[i + 1])) for i in range(0, len(flat), 2)]
    return Entry(_text(entry_id), pairs)


@dataclass(frozen=True)
class StreamSummary:
    length: int
    groups: int
    last_generated_id: str
    first: Entry | None
    last: Entry | None
    radix_tree_keys: int | None
    radix_tree_nodes: int | None
    # Redis 7.0 and later; None on older servers.
    max_deleted_id: str | None = None
    entries_added: int | None = None
    recorded_first_id: str | None = None


def parse_summary(reply) -> StreamSummary:
    info = _pairs(reply)
    return StreamSummary(
        length=info.get("length", 0),
        groups=info.get("groups", 0),
        last_generated_id=_text(info.get("last-generated-id")),
        first=_entry(info.get("first-entry")),
        last=_entry(info.get("last-entry")),
        radix_tree_keys=info.get("radix-tree-keys"),
        radix_tree_nodes=info.get("radix-tree-nodes"),
        max_deleted_id=_text(info.get("max-deleted-entry-id")),
        entries_added=info.get("entries-added"),
        recorded_first_id=_text(info.get("recorded-first-entry-id")),
    )


@dataclass(frozen=True)
class Group:
    name: bytes
    consumers: int
    pending: int
    last_delivered_id: str
    entries_read: int | None = None  # Redis 7.0+
    lag: int | None = None  # Redis 7.0+; None also when Redis cannot tell
    reports_lag: bool = False

    @property
    def token(self) -> str:
        return encode_key(self.name)

    @property
    def name_element(self) -> Element:
        return Element.of(self.name)


def parse_group(reply) -> Group:
    info = _pairs(reply)
    return Group(
        name=info["name"],
        consumers=info.get("consumers", 0),
        pending=info.get("pending", 0),
        last_delivered_id=_text(info.get("last-delivered-id")),
        entries_read=info.get("entries-read"),
        lag=info.get("lag"),
        reports_lag="lag" in info,
    )


@dataclass(frozen=True)
class Consumer:
    name: bytes
    pending: int
    idle_ms: int
    inactive_ms: int | None = None  # Redis 7.2+: since the last successful read or claim

    @property
    def name_element(self) -> Element:
        return Element.of(self.name)


def parse_consumer(reply) -> Consumer:
    info = _pairs(reply)
    return Consumer(name=info["name"], pending=info.get("pending", 0),
                    idle_ms=info.get("idle", 0), inactive_ms=info.get("inactive"))


@dataclass(frozen=True)
class Listing:
    """Up to SHOWN rows of a listing of `total`; `withheld` when it was too long to ask for."""

    rows: list = field(default_factory=list)
    total: int = 0
    withheld: bool = False
    refused: str | None = None  # the server's reason, e.g. NOPERM for an ACL user

    @property
    def cut(self) -> bool:
        return len(self.rows) < self.total and not self.withheld


@dataclass(frozen=True)
class Overview:
    summary: StreamSummary | None
    groups: Listing
    refused: str | None = None

    @property
    def shown_limit(self) -> int:
        return SHOWN

    @property
    def read_limit(self) -> int:
        return READ_LIMIT


def read_overview(client: redis.Redis, key: bytes) -> Overview:
    """The summary, then the groups if there are any and not too many: two round trips."""
    try:
        summary = parse_summary(client.execute_command("XINFO", "STREAM", key))
    except redis.ResponseError as exc:  # NOPERM, or the key changed type meanwhile
        return Overview(None, Listing(), refused=str(exc))
    return Overview(summary, _listing(client, ("GROUPS", key), summary.groups, parse_group))


def read_consumers(client: redis.Redis, key: bytes, group: Group) -> Listing:
    return _listing(client, ("CONSUMERS", key, group.name), group.consumers, parse_consumer)


def find_group(client: redis.Redis, key: bytes, name: bytes) -> tuple[Listing, Group | None]:
    """The group called `name`, looked up in the bounded groups listing."""
    groups = client.execute_command("XINFO", "STREAM", key)
    count = parse_summary(groups).groups
    listing = _listing(client, ("GROUPS", key), count, parse_group, shown=READ_LIMIT)
    return listing, next((g for g in listing.rows if g.name == name), None)


def _listing(client, args: tuple, total: int, parse, shown: int | None = None) -> Listing:
    if total == 0:
        return Listing()
    if total > READ_LIMIT:
        return Listing(total=total, withheld=True)
    try:
        replies = client.execute_command("XINFO", *args)
    except redis.ResponseError as exc:
        return Listing(total=total, refused=str(exc))
    rows = [parse(reply) for reply in replies[: shown or SHOWN]]
    return Listing(rows=rows, total=len(replies))
