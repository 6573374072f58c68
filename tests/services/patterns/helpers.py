"""Recognise a key the way the key page does: its detail, then the bounded sample."""

from __future__ import annotations

from keyspace.redis.connection import get_client
from keyspace.services.browse import key_detail
from keyspace.services.patterns import recognise_key


def recognised(name: str | bytes, db: int = 0) -> dict:
    """{pattern name: Recognised} for the key as it is now."""
    client = get_client(db)
    key = name.encode() if isinstance(name, str) else name
    return {found.pattern: found for found in recognise_key(client, key_detail(client, key))}


def facts(found) -> dict[str, str]:
    return {fact.label: fact.value for fact in found.facts}
