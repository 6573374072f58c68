"""Cache-aside entries: Django's cache (`<prefix>:<version>:<key>` holding a pickle, or a
plain integer as django-redis stores them) and values under a cache-like name. What matters
about a cache entry is how long it has left and what it holds; one without a TTL never
expires, so it serves stale data and only eviction removes it."""

from __future__ import annotations

import re

from keyspace.decoders import registry as decoders
from keyspace.decoders.base import Fact
from keyspace.display import exact_ttl, human_ttl
from keyspace.services.patterns.base import Recogniser, Sample, registry

_DJANGO_KEY = re.compile(rb"(?P<prefix>[^:]*):(?P<version>\d{1,9}):(?P<key>.+)", re.S)
_INTEGER = re.compile(rb"-?\d{1,19}")
CACHE_WORDS = ("cache", "cached", "caches")
NO_TTL = ("No TTL: this entry never expires, so readers may get stale data for ever and "
          "only eviction (with an allkeys-* policy) removes it.")


def _holds(value: bytes) -> str:
    decoded = decoders.decode_auto(value)
    return decoded.summary or decoded.label


@registry.register
class CacheEntryRecogniser(Recogniser):
    name = "cache-entry"
    label = "Cache entry"
    types = ("string",)

    def recognise(self, sample: Sample):
        value = sample.value or b""
        if b"django.contrib.sessions" in sample.key:
            return None  # a session, said by the session recogniser
        django = _DJANGO_KEY.fullmatch(sample.key)
        if django and (value[:1] == b"\x80" or _INTEGER.fullmatch(value)):
            kind = "Django cache entry"
            facts = [Fact("Cache key", django["key"].decode("utf-8", "replace")),
                     Fact("Version", django["version"].decode())]
            if django["prefix"]:
                facts.append(Fact("Key prefix", django["prefix"].decode("utf-8", "replace")))
        elif sample.name_has(CACHE_WORDS) and value:
            kind, facts = "Cache entry", []
        else:
            return None
        facts += [Fact("Holds", _holds(value)), Fact("Time left", human_ttl(sample.ttl_ms)),
                  Fact("Expires", exact_ttl(sample.ttl_ms))]
        left = "never expires" if sample.ttl_ms == -1 else \
            f"expires in {human_ttl(sample.ttl_ms)}"
        return self.found(f"A {kind.lower()} that {left}.", facts=tuple(facts),
                          warnings=(NO_TTL,) if sample.ttl_ms == -1 else ())
