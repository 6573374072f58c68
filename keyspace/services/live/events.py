"""Keyspace notifications: their channels, what each event means for a page, and whether the
server's `notify-keyspace-events` flags let a live page work.

A key's events arrive on `__keyspace@<db>__:<key>` with the event name as the message (flag
K); every key's events of one kind on `__keyevent@<db>__:<event>` with the key as the message
(flag E). Which events are sent depends on the classes in the flags (A is all of them)."""

from __future__ import annotations

from dataclasses import dataclass

import redis

# The server's flags for "every key event", as the page suggests them: K and E channels, all
# classes (A: g $ l s h z x e t d), but not key misses or new keys (m, n).
SUGGESTED_FLAGS = "KEA"
CLASSES = {
    "g": "generic commands (DEL, EXPIRE, RENAME, ...)", "$": "strings", "l": "lists",
    "s": "sets", "h": "hashes", "z": "sorted sets", "t": "streams",
    "x": "expirations", "e": "evictions",
}
# Events after which the key is no longer there under its name.
GONE = frozenset({"del", "expired", "evicted", "rename_from", "move_from"})
# Events that change only the key's metadata: the page re-reads no value for them.
META_ONLY = frozenset({"expire", "persist"})
# Events that are not about a change at all.
IGNORED = frozenset({"new", "keymiss"})


def keyspace_prefix(db: int) -> bytes:
    return b"__keyspace@%d__:" % db


def key_channel(db: int, key: bytes) -> bytes:
    """The channel one key's events arrive on (SUBSCRIBE: the key's bytes are not a glob)."""
    return keyspace_prefix(db) + key


def key_pattern(db: int, match: bytes) -> bytes:
    """The pattern for the events of keys matching a SCAN glob (PSUBSCRIBE)."""
    return keyspace_prefix(db) + match


def event_pattern(db: int) -> bytes:
    """Every event of db `db`, the key as the message (the activity view)."""
    return b"__keyevent@%d__:*" % db


def key_of(db: int, channel: bytes) -> bytes | None:
    prefix = keyspace_prefix(db)
    return channel[len(prefix):] if channel.startswith(prefix) else None


def event_of(channel: bytes) -> str:
    """`__keyevent@0__:hset` -> "hset"."""
    return channel.partition(b"__:")[2].decode("ascii", "replace")


def event_name(data: bytes) -> str:
    return data.decode("ascii", "replace")[:40]


@dataclass(frozen=True)
class Notifications:
    """What the server sends, as far as live pages care. `flags` is None when CONFIG GET is
    refused (managed services often rename or forbid CONFIG)."""

    flags: str | None

    @property
    def readable(self) -> bool:
        return self.flags is not None

    def _has(self, flag: str) -> bool:
        return self.flags is not None and flag in self.flags

    def _has_class(self, cls: str) -> bool:
        return self._has(cls) or self._has("A")

    @property
    def for_keys(self) -> bool:
        """Key pages and lists can be live: keyspace channel and at least one class."""
        return self._has("K") and any(self._has_class(c) for c in CLASSES)

    @property
    def for_activity(self) -> bool:
        return self._has("E") and any(self._has_class(c) for c in CLASSES)

    @property
    def missing_classes(self) -> list[str]:
        """What a live page will not hear about with these flags."""
        return [label for cls, label in CLASSES.items() if not self._has_class(cls)]


def read_notifications(client: redis.Redis) -> Notifications:
    try:
        reply = client.config_get("notify-keyspace-events")
    except redis.ResponseError:  # NOPERM, an unknown (renamed) command
        return Notifications(None)
    flags = reply.get("notify-keyspace-events")
    return Notifications(flags.decode() if isinstance(flags, bytes) else flags)


def enable_notifications(client: redis.Redis, current: Notifications) -> str:
    """Add K, E and A to the server's flags (keeping any others); returns the new flags.
    Only ever called for an admin who confirmed it: never on a page's own initiative."""
    kept = "".join(f for f in (current.flags or "") if f not in SUGGESTED_FLAGS)
    flags = SUGGESTED_FLAGS + kept
    client.config_set("notify-keyspace-events", flags)
    return flags
