"""Application patterns recognised on the key page: sessions, locks, rate limiters, sorted sets
of dates. One module per pattern family, each registering its recognisers (see `base`).

Adding one: a `Recogniser` subclass registered with `@registry.register` in a module imported
below, its fragment `keyspace/patterns/_<name>.html`, and its tests in tests/services/patterns/.
"""

from __future__ import annotations

import logging

import redis

from keyspace.services.patterns import (  # noqa: F401 - importing registers them
    caches,
    dates,
    locks,
    queues,
    ratelimits,
    sessions,
)
from keyspace.services.patterns.base import Recognised, Recogniser, Sample, registry
from keyspace.services.patterns.sampling import read_sample

log = logging.getLogger(__name__)

__all__ = ["Recognised", "Recogniser", "Sample", "recognise_key", "recognise_sample", "registry"]


def recognise_sample(sample: Sample) -> list[tuple[Recogniser, Recognised]]:
    """Every recogniser for the sample's type that claims it; generic readings (fallbacks) only
    when nothing specific did."""
    found, fallbacks = [], []
    for recogniser in registry.for_type(sample.type_name):
        try:
            result = recogniser.recognise(sample)
        except Exception:
            # A recogniser is a guess: one tripping over odd data must not break the key page.
            log.exception("pattern recogniser %s failed", recogniser.name)
            continue
        if result is not None:
            (fallbacks if recogniser.fallback else found).append((recogniser, result))
    return found or fallbacks


def recognise_key(client: redis.Redis, detail) -> list[Recognised]:
    """What the key shown on the key page (`detail`) looks like, from one bounded read and at
    most one bounded extra read per pattern found. A refused or failing read shows nothing."""
    try:
        sample = read_sample(client, detail)
        return [recogniser.complete(client, sample, found)
                for recogniser, found in recognise_sample(sample)]
    except redis.ResponseError:
        return []
