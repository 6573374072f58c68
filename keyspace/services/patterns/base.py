"""What a pattern recogniser provides, what it returns, and the registry that holds them.

A recogniser looks at a `Sample` of one key (its metadata and a bounded read made for the key
page, see `sampling`) and says whether the key is one of the shapes applications commonly
store: a session, a lock, a rate limiter... It decides from the value's shape; a key name
only adds to evidence the value gives (a token under `lock:` is a lock, `lock:` alone is not).

Template contract: `Recognised.template` names a fragment under `keyspace/patterns/`, included
by `keyspace/patterns/_patterns.html` with `found` (the Recognised), `db` and `key`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar

from keyspace.decoders.base import Fact


@dataclass(frozen=True)
class Sample:
    """One key as the key page sees it, plus a bounded read of its value."""

    key: bytes
    type_name: str
    ttl_ms: int | None
    length: int | None
    now_ms: int = field(default_factory=lambda: int(time.time() * 1000))
    value: bytes | None = None  # a string's first SAMPLE_BYTES
    fields: dict[bytes, bytes] | None = None  # a small hash, whole
    newest: tuple[tuple[bytes, float], ...] = ()  # a sorted set's highest scores, highest first
    oldest: tuple[bytes, float] | None = None  # its lowest score
    ends: tuple[bytes, ...] = ()  # a list's first and last elements (head, tail)

    @property
    def name_text(self) -> str:
        return self.key.decode("utf-8", "replace").lower()

    def name_has(self, words: tuple[str, ...]) -> bool:
        """Whether one of `words` is a word of the key name (split at : . _ - / and digits)."""
        parts = set(re.split(r"[^a-z]+", self.name_text))
        return bool(parts & set(words))


@dataclass(frozen=True)
class Recognised:
    pattern: str  # the recogniser's name
    label: str  # "Distributed lock"
    summary: str  # one sentence: what the dashboard saw
    facts: tuple[Fact, ...] = ()
    warnings: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def template(self) -> str:
        return f"keyspace/patterns/_{self.pattern.replace('-', '_')}.html"


class Recogniser:
    """One application pattern. Subclasses set `name`, `label` and `types` (TYPE replies they
    look at) and implement `recognise`, which must only read the sample (no Redis)."""

    name: ClassVar[str]
    label: ClassVar[str]
    types: ClassVar[tuple[str, ...]]
    # Shown only when no other recogniser claimed the key (a generic reading of it).
    fallback: ClassVar[bool] = False

    def recognise(self, sample: Sample) -> Recognised | None:
        raise NotImplementedError

    def complete(self, client, sample: Sample, found: Recognised) -> Recognised:
        """One bounded extra read once the key is recognised (a count in a window); by
        default none."""
        return found

    def found(self, summary: str, **parts) -> Recognised:
        return Recognised(pattern=self.name, label=self.label, summary=summary, **parts)


class Registry:
    def __init__(self) -> None:
        self._recognisers: dict[str, Recogniser] = {}

    def register(self, recogniser_class: type[Recogniser]) -> type[Recogniser]:
        name = recogniser_class.name
        if name in self._recognisers:
            raise ValueError(f"a recogniser named {name!r} is already registered")
        self._recognisers[name] = recogniser_class()
        return recogniser_class

    def for_type(self, type_name: str) -> list[Recogniser]:
        return [r for r in self._recognisers.values() if type_name in r.types]

    def names(self) -> list[str]:
        return list(self._recognisers)


registry = Registry()


# Epoch numbers: (unit, per second, lowest, highest), 2001-09-09 to 2099-12-05 in each unit.
EPOCH_UNITS = (
    ("seconds", 1, 1e9, 4.1e9),
    ("milliseconds", 1e3, 1e12, 4.1e12),
    ("microseconds", 1e6, 1e15, 4.1e15),
)


def epoch_unit(values) -> tuple[str, float] | None:
    """The one unit every number in `values` is a date in ((name, per second)), or None."""
    values = list(values)
    for unit, per_second, low, high in EPOCH_UNITS:
        if values and all(low <= v < high for v in values):
            return unit, per_second
    return None


def as_datetime(value: float, per_second: float) -> datetime:
    return datetime.fromtimestamp(value / per_second, UTC)


def date_text(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def number(raw: bytes | str | None) -> float | None:
    if raw is None:
        return None
    try:
        value = float(raw)
    except (TypeError, ValueError):
        return None
    return value if value == value and abs(value) != float("inf") else None
