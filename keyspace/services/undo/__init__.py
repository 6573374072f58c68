"""Undo: every edit keeps, for a while, what it changed, so that it can be put back.

While an edit runs under `capturing()`, `guarded` measures each watched key (MEMORY USAGE,
under the WATCH) and, when all of them are small enough, queues in the same MULTI as the
write: the server's TIME, each key's DUMP and PTTL before the write, and each key's DUMP
after it. Before and after are therefore exactly what the write changed, with nothing in
between. The payloads are kept in the dashboard's database (`UndoRecord`), never in the
audit log, for DASHBOARD_UNDO_SECONDS, within a total of DASHBOARD_UNDO_MAX_TOTAL_BYTES
(the oldest go first). Keys over DASHBOARD_UNDO_MAX_KEY_BYTES are not copied: such an edit
says beforehand that it cannot be undone.

Undoing RESTOREs each key as it was (value and absolute expiry time), or deletes a key the
edit created, and only if every key is still exactly as the edit left it (the digest of its
DUMP), checked and written under one WATCH/MULTI; otherwise it is a conflict that says what
the key holds now and what the edit had left.
"""

from keyspace.services.undo.capture import (
    ABSENT,
    MAX_ELEMENTS,
    Capture,
    KeptKey,
    active,
    capturing,
    not_capturing,
    promise,
    too_large_to_keep,
)
from keyspace.services.undo.records import check_connection, find, keep, kept_keys, restore

__all__ = [
    "ABSENT", "MAX_ELEMENTS", "Capture", "KeptKey", "active", "capturing", "check_connection",
    "find", "keep", "kept_keys", "not_capturing", "promise", "restore", "too_large_to_keep",
]
