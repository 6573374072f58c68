"""Links from a recommendation to what it is about: a key's page, or the key list filtered to a
namespace (its prefix as a glob, with glob characters in it escaped)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.urls import reverse

from keyspace.display import bytes_to_text


def key_url(db: int, key: bytes) -> str:
    return reverse("keyspace:key-detail", kwargs={"db": db, "key": key})


def keys_url(db: int, **query) -> str:
    base = reverse("keyspace:keyspace-browse", kwargs={"db": db})
    return f"{base}?{urlencode(query)}" if query else base


def namespace_url(db: int, prefix: bytes, **query) -> str:
    """The key list filtered to keys starting with `prefix` (typed back as the key list reads
    its Pattern: escapes for bytes that are not text, glob characters escaped)."""
    return keys_url(db, match=glob_prefix(prefix) + "*", **query)


def glob_prefix(prefix: bytes) -> str:
    text = bytes_to_text(prefix)
    return "".join("\\" + ch if ch in "*?[]" else ch for ch in text)


def sort_url(db: int, sort: str) -> str:
    return keys_url(db, sort=sort)
