"""Sessions stored as strings: express-session (connect-redis), Django's cache session
backend (a pickled dict), Django signed session data, and JSON under a `session`/`sess` name.

Each is recognised by its value: express-session's `cookie` object, Django's `_auth_user_id`
(or a pickled dict under Django's `django.contrib.sessions` key prefix), the signed shape; a
JSON object counts as a session only under a session-like name.
"""

from __future__ import annotations

import json
import zlib
from datetime import datetime

from keyspace.decoders.base import Fact, NotThis
from keyspace.decoders.compressed import inflate
from keyspace.decoders.django_signed import split, unbase64
from keyspace.decoders.pickle_reader import read_pickle
from keyspace.decoders.tree import Pairs
from keyspace.display import human_ttl
from keyspace.services.patterns.base import (
    Recogniser,
    Sample,
    as_datetime,
    date_text,
    epoch_unit,
    number,
    registry,
)

SESSION_WORDS = ("session", "sessions", "sess")
USER_FIELDS = ("_auth_user_id", "user_id", "userId", "uid", "user", "username", "email",
               "passport")
EXPIRY_FIELDS = ("_session_expiry", "expires", "expiry", "expiresAt", "expires_at", "exp")
MAX_FIELDS = 50
VALUE_CHARS = 200
INFLATE_LIMIT = 1024 * 1024


def _json_object(data: bytes) -> dict | None:
    if data.strip()[:1] != b"{":
        return None
    try:
        value = json.loads(data)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _pickled_dict(data: bytes) -> dict | None:
    if data[:1] != b"\x80":
        return None
    try:
        value = read_pickle(data).value
    except Exception:  # noqa: BLE001 - any unreadable pickle is simply not a session
        return None
    # The reader keeps a dict as its (key, value) pairs: a session has text keys only.
    if not isinstance(value, Pairs) or not all(isinstance(k, str) for k, _ in value):
        return None
    return dict(value)


def _signed_dict(data: bytes) -> dict | None:
    parts = split(data)
    if parts is None:
        return None
    try:
        raw = unbase64(parts[0])
        if parts[0].startswith(b"."):
            raw, _ = inflate(raw, zlib.MAX_WBITS, INFLATE_LIMIT)
    except (NotThis, zlib.error):
        return None
    return _json_object(raw)


def read_session(sample: Sample) -> tuple[str, dict] | None:
    """(the format's name, the session's data) when the value is a session."""
    data = sample.value or b""
    if (found := _json_object(data)) is not None:
        cookie = found.get("cookie")
        if isinstance(cookie, dict) and {"originalMaxAge", "expires"} & set(cookie):
            return "express-session (connect-redis)", found
        if "_auth_user_id" in found:
            return "Django session (JSON)", found
        return ("JSON session", found) if sample.name_has(SESSION_WORDS) else None
    if (found := _pickled_dict(data)) is not None:
        if "_auth_user_id" in found or "django.contrib.sessions" in sample.name_text:
            return "Django session (cache backend, pickled)", found
        return None
    if (found := _signed_dict(data)) is not None:
        return "Django signed session data", found
    return None


def user_of(data: dict) -> str:
    for name in USER_FIELDS:
        value = data.get(name)
        if isinstance(value, dict):  # passport: {"user": ...}; a user object: its id or name
            value = next((value[k] for k in ("user", "id", "username", "email") if k in value),
                         None)
        if value not in (None, "", {}):
            return _short(value)
    return ""


def expiry_of(data: dict) -> str:
    cookie = data.get("cookie")
    candidates = [*(data.get(name) for name in EXPIRY_FIELDS),
                  cookie.get("expires") if isinstance(cookie, dict) else None]
    for value in candidates:
        if isinstance(value, str) and value:
            try:
                return date_text(datetime.fromisoformat(value.replace("Z", "+00:00")))
            except ValueError:
                return _short(value)
        if (seconds := number(value)) is not None and (unit := epoch_unit([seconds])):
            return date_text(as_datetime(seconds, unit[1]))
        if isinstance(value, int) and value > 0:  # Django: seconds from the last change
            return f"{value:,} s after the last change"
    return ""


def _short(value) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str, ensure_ascii=False)
    return text if len(text) <= VALUE_CHARS else text[:VALUE_CHARS] + "…"


@registry.register
class SessionRecogniser(Recogniser):
    name = "session"
    label = "Session"
    types = ("string",)

    def recognise(self, sample: Sample):
        read = read_session(sample)
        if read is None:
            return None
        kind, data = read
        user = user_of(data)
        facts = [Fact("Format", kind), Fact("User", user or "none (anonymous)"),
                 Fact("Expires", expiry_of(data) or "not in the data"),
                 Fact("Key TTL", human_ttl(sample.ttl_ms))]
        fields = [(str(name), _short(value)) for name, value in list(data.items())[:MAX_FIELDS]]
        warnings = ["This session has no TTL: Redis keeps it until someone deletes it."] \
            if sample.ttl_ms == -1 else []
        more = max(0, len(data) - MAX_FIELDS)
        return self.found(
            f"{kind} with {len(data)} field{'s' if len(data) != 1 else ''}"
            + (f", signed in as {user}." if user else ", not signed in."),
            facts=tuple(facts), warnings=tuple(warnings),
            extra={"fields": fields, "more_fields": more},
        )
