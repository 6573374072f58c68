"""Helpers that build awkward data quickly, with pipelines."""

from __future__ import annotations

import redis

HOSTILE_NAMES = [
    b"<img src=x onerror=alert(1)>",
    b"<script>alert('key')</script>",
    b"bin:\xff\xfe\x00\x01 end",
    b"path/with?query#frag%20 and spaces",
    b"line\nbreak\r\ttab",
    b"quote\"s and 'apostrophes'",
]


def fill_strings(r: redis.Redis, names, value: bytes = b"v") -> None:
    with r.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.set(name, value)
        pipe.execute()


def numbered(prefix: str, count: int, start: int = 0) -> list[bytes]:
    return [f"{prefix}{i}".encode() for i in range(start, start + count)]
