"""Capturing what an edit changes, inside its own transaction (see the package's docstring)."""

from __future__ import annotations

import base64
import contextlib
import contextvars
import hashlib
from dataclasses import dataclass, field

import redis

from keyspace.conf import app_settings
from keyspace.redis.cluster import queue_time

ABSENT = "absent"

_active: contextvars.ContextVar[Capture | None] = contextvars.ContextVar("undo", default=None)


def fingerprint(payload: bytes | None) -> str:
    return ABSENT if payload is None else hashlib.sha256(payload).hexdigest()


# Keys with more elements than this are not copied: measuring one exactly (MEMORY USAGE
# SAMPLES 0) costs time in Redis in proportion to its elements.
MAX_ELEMENTS = 20_000
# Two expiry times computed from TIME and PTTL at different moments agree within this.
EXPIRY_SLACK_MS = 5


@dataclass
class KeptKey:
    name: bytes
    before: bytes | None  # DUMP payload; None: the key did not exist
    expire_at_ms: int | None  # absolute expiry before the edit, None: no TTL
    after: str  # fingerprint of the key's DUMP as the edit left it
    after_expire_at_ms: int | None = None  # and its absolute expiry then

    def stored(self) -> dict:
        """As kept in the dashboard's database (JSON: bytes as base64)."""
        return {
            "name": base64.b64encode(self.name).decode(),
            "before": None if self.before is None else base64.b64encode(self.before).decode(),
            "expire_at_ms": self.expire_at_ms,
            "after": self.after,
            "after_expire_at_ms": self.after_expire_at_ms,
        }

    @classmethod
    def from_stored(cls, item: dict) -> KeptKey:
        return cls(
            name=base64.b64decode(item["name"]),
            before=None if item["before"] is None else base64.b64decode(item["before"]),
            expire_at_ms=item["expire_at_ms"],
            after=item["after"],
            after_expire_at_ms=item.get("after_expire_at_ms"),
        )

    def left_as(self, payload: bytes | None, expire_at_ms: int | None, now_ms: int) -> bool:
        """Whether a key now holding `payload` (expiring at `expire_at_ms`) is as the edit
        left it. A key the edit left to expire, gone once that time has passed, is."""
        if payload is None and self.after != ABSENT:
            expired = self.after_expire_at_ms is not None
            return expired and now_ms + EXPIRY_SLACK_MS >= self.after_expire_at_ms
        if fingerprint(payload) != self.after:
            return False
        if (expire_at_ms is None) != (self.after_expire_at_ms is None):
            return False
        return expire_at_ms is None or abs(expire_at_ms - self.after_expire_at_ms) <= (
            EXPIRY_SLACK_MS
        )


def server_ms(time_reply) -> int:
    seconds, micros = time_reply
    return int(seconds) * 1000 + int(micros) // 1000


def absolute_expiry(now_ms: int, pttl) -> int | None:
    return now_ms + pttl if pttl is not None and pttl >= 0 else None


@dataclass
class Capture:
    """What one edit changed, filled in by `guarded`."""

    keys: list[KeptKey] = field(default_factory=list)
    # Why the edit cannot be undone ("" when it can, or when nothing was captured yet).
    refused: str = ""

    # Set when Redis refused the copying commands: the edit's retries copy nothing.
    copying_refused: str = ""

    def plan(self, pipe, keys: list[bytes]) -> list[bytes]:
        """Under the WATCH: the keys to copy, or [] when one is too large (or unmeasurable)."""
        self.refused = self.copying_refused or too_large_to_keep(pipe, keys)
        return [] if self.refused else list(dict.fromkeys(keys))

    def refuse(self, reason: str) -> None:
        self.copying_refused = self.refused = reason

    @staticmethod
    def queue_before(pipe, keys: list[bytes]) -> None:
        queue_time(pipe)
        for key in keys:
            pipe.dump(key)
            pipe.pttl(key)

    @staticmethod
    def queue_after(pipe, keys: list[bytes]) -> None:
        for key in keys:
            pipe.dump(key)
            pipe.pttl(key)

    def take(self, results: list, keys: list[bytes]) -> list:
        """Keep the copies; return the write's own replies."""
        now_ms = server_ms(results[0])
        size = 2 * len(keys)
        before, after = results[1 : 1 + size], results[len(results) - size :]
        self.keys = []
        for index, key in enumerate(keys):
            payload, pttl = before[2 * index], before[2 * index + 1]
            left, left_pttl = after[2 * index], after[2 * index + 1]
            expire_at = absolute_expiry(now_ms, pttl)
            left_expire_at = absolute_expiry(now_ms, left_pttl)
            if payload == left and expire_at == left_expire_at:
                continue  # read, not changed (e.g. the other sets of a comparison)
            self.keys.append(
                KeptKey(key, payload, expire_at, fingerprint(left), left_expire_at)
            )
        return results[1 + size : len(results) - size]


def too_large_to_keep(reader, keys: list[bytes]) -> str:
    """Why these keys cannot be kept for undo ("" when they can). Each is measured exactly
    and in bounded time: its length first (O(1)), then MEMORY USAGE with every element
    counted (SAMPLES 0), only for keys of at most MAX_ELEMENTS."""
    limit, total = app_settings.UNDO_MAX_KEY_BYTES, 0
    for key in dict.fromkeys(keys):
        try:
            size = _exact_size(reader, key)
        except redis.ResponseError:
            return "this Redis does not let the dashboard measure the key (MEMORY USAGE)"
        if isinstance(size, str):
            return size
        total += size
        if size > limit:
            return (
                f"the key takes {size:,} bytes in Redis, more than the {limit:,} the "
                "dashboard keeps a copy of"
            )
        if total > 2 * limit:
            return (
                f"the keys it writes take {total:,} bytes in Redis together, more than the "
                f"{2 * limit:,} the dashboard keeps a copy of for one edit"
            )
    return ""


def _exact_size(reader, key: bytes) -> int | str:
    """The key's size in Redis (0 when absent), or why it is not measured."""
    from keyspace.services.editing.guard import type_of
    from keyspace.units.base import registry

    type_name = type_of(reader, key)
    if type_name == "none":
        return 0
    unit = registry.unit_for(type_name)
    if unit.memory_usage_walks_value:
        return (f"a {unit.label} key cannot be measured without reading all of it, so the "
                "dashboard keeps no copy of it")
    if unit.length_command and type_name != "string":
        length = reader.execute_command(unit.length_command, key)
        if length > MAX_ELEMENTS:
            return (
                f"the key has {length:,} {unit.length_label}, more than the "
                f"{MAX_ELEMENTS:,} the dashboard keeps a copy of"
            )
        return reader.memory_usage(key, samples=0) or 0
    return reader.memory_usage(key) or 0


def active() -> Capture | None:
    return _active.get()


@contextlib.contextmanager
def capturing():
    """Capture what the guarded edits inside the block change."""
    capture = Capture()
    token = _active.set(capture)
    try:
        yield capture
    finally:
        _active.reset(token)


@contextlib.contextmanager
def not_capturing():
    token = _active.set(None)
    try:
        yield
    finally:
        _active.reset(token)


def promise(client, keys: list[bytes]) -> str:
    """What a confirmation says about undoing the edit, before the user confirms."""
    refused = too_large_to_keep(client, keys)
    if refused:
        return f"This cannot be undone: {refused}."
    minutes = app_settings.UNDO_SECONDS // 60
    return f"You can undo this for {minutes:,} minutes afterwards (Undo, in the message)."


