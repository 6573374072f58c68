"""Edits over several keys in a Redis Cluster: Redis runs a command (RENAME, COPY,
SINTERSTORE...) or a MULTI/EXEC over several keys only when they all hash to one slot, and
otherwise answers CROSSSLOT. The dashboard checks first and says why next to the field that
named the other key, with the remedy (a hash tag), instead of passing the error on."""

from __future__ import annotations

from keyspace.display import bytes_to_text
from keyspace.redis.cluster import HASH_TAGS, is_cluster_client
from keyspace.redis.cluster_nodes import slot_of
from keyspace.services.editing.inputs import FieldRefused


def slots_described(keys: list[bytes]) -> str:
    return ", ".join(f"{bytes_to_text(key)[:80]} (slot {slot_of(key)})"
                     for key in dict.fromkeys(keys))


def require_one_slot(client, keys: list[bytes], *, field: str) -> None:
    """FieldRefused on `field` when `client` is a cluster client and `keys` span slots."""
    if not is_cluster_client(client) or len({slot_of(key) for key in keys}) <= 1:
        return
    raise FieldRefused(field, f"These keys hash to different slots: {slots_described(keys)}. "
                              + HASH_TAGS)
