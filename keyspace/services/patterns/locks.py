"""Distributed locks: `SET name <random token> NX PX <ms>` (redis-py's Lock, Redlock, most
libraries), and Redisson's reentrant lock (a hash holding `<uuid>:<thread id>` -> hold count).

A string is a lock when its value is a random token (a UUID, 16+ hex or base64 characters,
letters and digits mixed) and its name says lock; Redisson's hash is recognised by its fields
alone. A lock without a TTL is flagged: if its owner died holding it, it is held forever.
"""

from __future__ import annotations

import re

from keyspace.decoders.base import Fact
from keyspace.display import exact_ttl, human_ttl
from keyspace.services.patterns.base import Recogniser, Sample, registry

LOCK_WORDS = ("lock", "locks", "locked", "mutex", "redlock", "lease", "semaphore")
_TOKEN = re.compile(rb"[A-Za-z0-9+/=_.:-]{16,128}")
_REDISSON_FIELD = re.compile(rb"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:\d+")
STALE = ("No TTL: if the owner crashed without releasing it, this lock is held forever (a stale "
         "lock). Locks are normally taken with SET … NX PX so they expire on their own.")


def is_token(value: bytes) -> bool:
    """Random-looking: the token alphabet, long enough, letters and digits mixed."""
    return bool(_TOKEN.fullmatch(value) and re.search(rb"\d", value)
                and re.search(rb"[A-Za-z]", value))


def _time_left(sample: Sample) -> list[Fact]:
    return [Fact("Time left", human_ttl(sample.ttl_ms)), Fact("Expires", exact_ttl(sample.ttl_ms))]


@registry.register
class LockRecogniser(Recogniser):
    name = "lock"
    label = "Distributed lock"
    types = ("string",)

    def recognise(self, sample: Sample):
        token = (sample.value or b"").strip()
        if not (is_token(token) and sample.name_has(LOCK_WORDS)):
            return None
        held = "held with no expiry" if sample.ttl_ms == -1 else \
            f"held for another {human_ttl(sample.ttl_ms)}"
        return self.found(
            f"A lock {held}; its owner is whoever set this token.",
            facts=(Fact("Owner token", token.decode("ascii")), *_time_left(sample)),
            warnings=(STALE,) if sample.ttl_ms == -1 else (),
        )


@registry.register
class RedissonLockRecogniser(Recogniser):
    name = "redisson-lock"
    label = "Distributed lock (Redisson)"
    types = ("hash",)

    def recognise(self, sample: Sample):
        fields = sample.fields or {}
        if not fields or len(fields) > 8:
            return None
        if not all(_REDISSON_FIELD.fullmatch(f) and v.isdigit() for f, v in fields.items()):
            return None
        owners = [Fact("Owner (client id:thread)", f.decode("ascii")) for f in fields]
        holds = sum(int(v) for v in fields.values())
        return self.found(
            f"A reentrant lock held {holds} time{'s' if holds != 1 else ''} by "
            f"{len(fields)} owner{'s' if len(fields) != 1 else ''}.",
            facts=(*owners, Fact("Hold count", str(holds)), *_time_left(sample)),
            warnings=(STALE,) if sample.ttl_ms == -1 else (),
        )
