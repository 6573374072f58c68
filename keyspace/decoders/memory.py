"""The "View as" choice, remembered per namespace in the user's session: once a value under
`user:` is viewed as msgpack, the other `user:` keys open as msgpack too.

The namespace is the key name up to and including the first DASHBOARD_NAMESPACE_DELIMITER; a
key without one is its own namespace. Namespaces are stored hashed (key names can be 16 KB),
with the db, and only the most recent MAX_NAMESPACES are kept.
"""

from __future__ import annotations

import hashlib

from django.conf import settings

from keyspace.decoders.registry import registry

SESSION_KEY = "keyspace_view_as"
MAX_NAMESPACES = 100
AUTO = "auto"


def namespace_of(key: bytes) -> bytes:
    delimiter = settings.DASHBOARD_NAMESPACE_DELIMITER.encode("utf-8", "surrogateescape")
    if not delimiter or delimiter not in key:
        return key
    head, sep, _ = key.partition(delimiter)
    return head + sep


def _slot(db: int, key: bytes) -> str:
    return hashlib.sha256(b"%d\0%s" % (db, namespace_of(key))).hexdigest()[:32]


def recall_view(session, db: int, key: bytes) -> str:
    """The decoder chosen last for this key's namespace, or "" (none, or no longer known)."""
    name = session.get(SESSION_KEY, {}).get(_slot(db, key), "")
    return name if name in registry else ""


def remember_view(session, db: int, key: bytes, name: str) -> None:
    """Remember `name` for the key's namespace; "auto" forgets it. The session is written
    only when something changed."""
    memory = dict(session.get(SESSION_KEY, {}))
    slot = _slot(db, key)
    if memory.get(slot) == name or (name == AUTO and slot not in memory):
        return
    memory.pop(slot, None)
    if name != AUTO and name in registry:
        memory[slot] = name  # dicts keep insertion order: the oldest come first
    while len(memory) > MAX_NAMESPACES:
        memory.pop(next(iter(memory)))
    session[SESSION_KEY] = memory
