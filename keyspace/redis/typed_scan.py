"""A SCAN step filtered by type on servers whose SCAN has no TYPE option.

SCAN took TYPE in Redis 6.0; Redis 5 answers `ERR syntax error`, and some proxies in front of
managed services refuse the option too. The connection's probe (keyspace.redis.capabilities)
sends one `SCAN 0 COUNT 1 TYPE string` and keeps the refusal under SCAN_TYPE with its reason;
a refusal a page meets later is kept the same way (`note_scan_type_refusal`).

Without the option a step runs the same SCAN (same cursor, MATCH and COUNT, so it walks the
same buckets and ends at the same cursor) and then asks the TYPE of each key it returned, in
one pipeline. A key gone meanwhile answers "none" and is dropped, as SCAN TYPE would never
have named it; a key the user's ACL key patterns refuse is dropped too, as the listing drops
such keys anyway. When TYPE itself is refused (an ACL user without it, a renamed TYPE), the
types are worked out from the length commands (keyspace.redis.key_types), as the key list's
metadata does.
"""

from __future__ import annotations

import redis

from keyspace.redis.capabilities import (
    capabilities,
    key_refused,
    known,
    note_missing,
    note_refusal,
    refusal_kind,
)
from keyspace.redis.key_types import types_without_type

SCAN_TYPE = "SCAN TYPE"  # its name among the facts' missing commands
NOT_SUPPORTED = "not supported by this server (SCAN has a TYPE option from Redis 6.0 on)"
# Errors that say the server could not answer just now, not that it lacks the option.
TRANSIENT = ("BUSY", "LOADING", "MASTERDOWN", "TRYAGAIN", "CLUSTERDOWN", "MOVED", "ASK",
             "NOSCRIPT", "OOM", "READONLY")
SCAN_TYPE_PROBE = ("SCAN", 0, "COUNT", 1, "TYPE", "string")


def scan_type_refusal(exc: BaseException) -> str | None:
    """Why SCAN ... TYPE cannot be used, read from the error it got; None when the error is
    about something else (SCAN itself refused or renamed away, a server busy or loading)."""
    if not isinstance(exc, redis.ResponseError) or refusal_kind(exc) is not None:
        return None
    text = str(exc).strip()
    if text.split(" ", 1)[0].upper() in TRANSIENT:
        return None
    if "syntax" in text.lower():
        return NOT_SUPPORTED
    return f"refused by this server ({text[:120]})"


def note_scan_type_refusal(exc: BaseException) -> str | None:
    """Keep what a page learned from a refused SCAN ... TYPE; returns the reason, or None when
    `exc` says nothing about the option."""
    reason = scan_type_refusal(exc)
    if reason is not None:
        note_missing(SCAN_TYPE, reason)
    return reason


def filters_here() -> bool:
    """True when a type filter must be applied here: this server's SCAN has no TYPE option.
    Asks the connection's probe (cached); False when it cannot be told (Redis down: the page
    meets the error itself)."""
    try:
        facts = capabilities()
        if not facts.scan_type_checked:
            from keyspace.redis.connection import get_client

            _probe_scan_type(get_client())
            facts.scan_type_checked = True
        return bool(facts.lacks(SCAN_TYPE))
    except (redis.RedisError, ValueError):
        return False


def _probe_scan_type(client: redis.Redis) -> None:
    """One bucket's worth of SCAN with the TYPE option: Redis 5 (and some proxies) refuse it."""
    try:
        client.execute_command(*SCAN_TYPE_PROBE)
    except redis.ResponseError as exc:
        note_scan_type_refusal(exc)


def filter_note() -> str | None:
    """What a type-filtered key list says when it filters here (never asks Redis)."""
    facts = known()
    if not (facts and facts.lacks(SCAN_TYPE)):
        return None
    return (f"{facts.reason(SCAN_TYPE)}: the type filter is applied by the dashboard, which "
            "asks the TYPE of every key each SCAN step returns.")


def scan_step(client: redis.Redis, cursor: int, *, match: bytes | None, count: int,
              type_name: str | None, here: bool) -> tuple[int, list[bytes]]:
    """One SCAN step: (end cursor, keys of `type_name`); with `here`, filtered by TYPE here."""
    if not (type_name and here):
        return client.scan(cursor, match=match, count=count, _type=type_name)
    end, keys = client.scan(cursor, match=match, count=count)
    return end, keys_of_type(client, keys, type_name)


def keys_of_type(client: redis.Redis, keys: list[bytes], type_name: str) -> list[bytes]:
    """`keys` less those not of `type_name` (gone, another type, refused to this user): one
    pipelined TYPE each, or the length commands when TYPE itself is refused."""
    if not keys:
        return keys
    with client.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.type(key)
        replies = pipe.execute(raise_on_error=False)
    return of_type(client, keys, replies, type_name)


def of_type(client: redis.Redis, keys: list[bytes], replies: list, type_name: str) -> list[bytes]:
    """`keys` whose TYPE reply (`replies`, exceptions included) is `type_name`; when TYPE itself
    was refused, the length commands decide (one round trip more)."""
    refusal = next((reply for reply in replies if isinstance(reply, Exception)
                    and refusal_kind(reply) and not key_refused(reply)), None)
    if refusal is not None:
        note_refusal("TYPE", refusal)
        types = types_without_type(client, keys)  # REFUSED, "none" or UNKNOWN never match
        return [key for key, found in zip(keys, types, strict=True) if found == type_name]
    wanted = type_name.encode()
    return [key for key, reply in zip(keys, replies, strict=True)
            if isinstance(reply, bytes | str)
            and (reply if isinstance(reply, bytes) else reply.encode()) == wanted]
