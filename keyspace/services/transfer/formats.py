"""The export file, one JSON object per line.

The first line says what the file is: `{"format": "redis-dashboard-export", "version": 1,
"encoding": "values" | "dump", ...}`. Then each key takes one or more consecutive lines:

- `{"k": key, "t": type, "x": expiry, "new": true, "v": chunk}` starts a key, and
  `{"k": key, "t": type, "v": chunk}` lines after it add to it, so a key of any size is
  written and read a bounded chunk at a time. A chunk is, by type: string, bytes (appended);
  hash, `[[field, value], ...]`; list, `[element, ...]` (pushed at the tail); set,
  `[member, ...]`; zset, `[[member, score], ...]` (scores as text, exact for every double);
  stream, `[[id, [[field, value], ...]], ...]` (entries with their IDs; consumer groups are
  not part of this encoding, DUMP keeps them).
- `{"k": key, "t": type, "x": expiry, "new": true, "dump": payload}`: the key's DUMP (the
  "dump" encoding, and module types in the "values" one).
- `{"k": key, "skipped": reason}`: a key that was not exported.

Bytes (key names, values, payloads) are base64; `x` is the absolute expiry in Unix
milliseconds, or null for no TTL.
"""

from __future__ import annotations

import base64
import json

FORMAT = "redis-dashboard-export"
VERSION = 1
VALUES, DUMP = "values", "dump"
ENCODINGS = (VALUES, DUMP)


def b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def unb64(text) -> bytes:
    if not isinstance(text, str):
        raise ValueError("expected base64 text")
    return base64.b64decode(text.encode("ascii"), validate=True)


def line(obj: dict) -> bytes:
    return json.dumps(obj, separators=(",", ":")).encode() + b"\n"


def header(encoding: str, *, server: str, db: int, created: str) -> bytes:
    return line({"format": FORMAT, "version": VERSION, "encoding": encoding,
                 "server": server, "db": db, "created": created})
