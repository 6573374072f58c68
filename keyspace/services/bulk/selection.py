"""Which keys a bulk job touches, matched exactly as the user meant.

A *prefix* and an *exact* name are literals: their glob characters are escaped in the SCAN
pattern, and every key SCAN returns is checked again here, so `foo[1]:` matches only itself
and selecting the key `foo:` never drags `foo:*` along. A *pattern* is a glob as typed, with
Redis's own matching.
"""

from __future__ import annotations

from dataclasses import dataclass

from keyspace.display import bytes_to_text
from keyspace.redis.keynames import escape_glob


@dataclass(frozen=True)
class Selection:
    mode: str  # "prefix", "pattern" or "exact" (BulkJob.MODES)
    text: bytes
    type_name: str = ""  # a TYPE reply, or "" for every type

    @property
    def pattern(self) -> bytes:
        if self.mode == "pattern":
            return self.text
        if self.mode == "prefix":
            return escape_glob(self.text) + b"*"
        return escape_glob(self.text)

    def matches(self, key: bytes) -> bool:
        if self.mode == "prefix":
            return key.startswith(self.text)
        if self.mode == "exact":
            return key == self.text
        return True  # SCAN MATCH decided

    def describe(self) -> str:
        said = {"prefix": "keys starting with", "pattern": "keys matching",
                "exact": "the key"}[self.mode]
        kind = f" of type {self.type_name}" if self.type_name else ""
        return f"{said} {bytes_to_text(self.text)!r}{kind}"
