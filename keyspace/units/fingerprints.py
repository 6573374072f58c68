"""Fingerprints of whole keys: a short digest of what a key holds now, carried by forms that
remove or replace the whole key (see TypeUnit.fingerprint_parts)."""

from __future__ import annotations

from keyspace.services.editing.guard import type_of


def feed(hashed, part) -> None:
    """Feed nested lists/tuples/dicts of bytes, numbers and text into `hashed`, unambiguously
    (each item tagged with its kind and length)."""
    if isinstance(part, dict):
        part = sorted(part.items())
    if isinstance(part, list | tuple):
        hashed.update(b"[%d" % len(part))
        for item in part:
            feed(hashed, item)
        hashed.update(b"]")
        return
    raw = part if isinstance(part, bytes) else repr(part).encode()
    hashed.update(b"%s%d:" % (type(part).__name__.encode(), len(raw)))
    hashed.update(raw)


ABSENT_KEY = "absent"


def key_fingerprint(reader, key: bytes) -> str:
    """The fingerprint of whatever `key` holds now, of any type ("absent" when nothing)."""
    type_name = type_of(reader, key)
    if type_name == "none":
        return ABSENT_KEY
    from keyspace.units.base import registry  # the units load this module first

    return registry.unit_for(type_name).fingerprint(reader, key)
