"""Replies that module commands (BF.INFO, CF.INFO, TS.INFO) give as name/value pairs."""

from __future__ import annotations

from dataclasses import dataclass

from keyspace.units.base import TemplateLookups


@dataclass(frozen=True)
class InfoRow(TemplateLookups):
    """One name and value of an INFO reply, as a row of a table."""

    label: str
    value: object


def reply_pairs(reply) -> list[tuple[str, object]]:
    """(name, value) of a flat RESP2 list (name, value, name, value, ...) or of a dict (how
    redis-py may parse it), in the server's order; [] for anything else."""
    if isinstance(reply, dict):
        items = list(reply.items())
    elif isinstance(reply, list):
        items = list(zip(reply[::2], reply[1::2], strict=False))
    else:
        return []
    return [(name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name), value)
            for name, value in items]
