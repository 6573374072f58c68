"""The benchmark's data: a keyspace shaped like a real application's, plus the special keys
each measurement needs (needles for the sparse filter, 1M-element keys and their 100-element
twins, strings around the preview limit).

Names are derived from the key's index, so every run writes the same keyspace. Every TTL is
an hour or more: nothing may expire while the benchmark runs, or counts would drift.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

from bulk import BulkLoader

HOUR = 3600
PLANS = ("free", "pro", "team", "enterprise")
NAMES = ("ada", "grace", "linus", "guido", "barbara", "ken", "margaret", "dennis", "radia")
TAGS = ("redis", "python", "django", "htmx", "ops", "web", "security", "databases")
ELEMENTS_PER_COMMAND = 1000

NEEDLES = tuple(f"needle:{n}".encode() for n in range(1, 5))
NEEDLE_MATCH = "needle:*"

# Command and the arguments each element adds, per container type.
CONTAINERS: dict[str, tuple[str, Callable[[int, random.Random], tuple]]] = {
    "hash": ("HSET", lambda i, rng: (f"field:{i}", f"value {i}")),
    "list": ("RPUSH", lambda i, rng: (f"element {i}",)),
    "set": ("SADD", lambda i, rng: (f"member:{i}",)),
    "zset": ("ZADD", lambda i, rng: (rng.randrange(10**9), f"player:{i}")),
}

Writer = Callable[[BulkLoader, int, random.Random], None]


def _user(load: BulkLoader, i: int, rng: random.Random) -> None:
    name = rng.choice(NAMES)
    load.add(
        "HSET",
        f"user:{i}",
        "name",
        name.title(),
        "email",
        f"{name}{i}@example.com",
        "plan",
        rng.choice(PLANS),
        "created_at",
        1_700_000_000 + i,
        "login_count",
        rng.randrange(400),
    )


def _session(load: BulkLoader, i: int, rng: random.Random) -> None:
    body = f'{{"user_id":{rng.randrange(1, 10**6)},"csrf":"{rng.getrandbits(64):016x}","cart":[]}}'
    load.add("SET", f"session:{rng.getrandbits(128):032x}", body, "EX", 24 * HOUR)


def _product(load: BulkLoader, i: int, rng: random.Random) -> None:
    body = (
        f'{{"id":{i},"name":"Product {i}","price":{rng.uniform(2, 500):.2f},'
        f'"stock":{rng.randrange(900)},"tags":["{rng.choice(TAGS)}"]}}'
    )
    load.add("SET", f"cache:product:{i}", body, "EX", rng.randrange(HOUR, 2 * HOUR))


def _page(load: BulkLoader, i: int, rng: random.Random) -> None:
    load.add(
        "SET", f"cache:page:/blog/post-{i}", f"<html><body>post {i}</body></html>", "EX", 6 * HOUR
    )


def _tags(load: BulkLoader, i: int, rng: random.Random) -> None:
    load.add("SADD", f"tags:post:{i}", *rng.sample(TAGS, 3))


def _counter(load: BulkLoader, i: int, rng: random.Random) -> None:
    load.add("SET", f"counter:views:{i}", rng.randrange(10**6))


def _rate_limit(load: BulkLoader, i: int, rng: random.Random) -> None:
    key = f"ratelimit:ip:10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}"
    stamp = 1_795_000_000_000 + i
    load.add("ZADD", key, stamp, f"{stamp}-a", stamp + 700, f"{stamp}-b", stamp + 900, f"{stamp}-c")
    load.add("EXPIRE", key, 2 * HOUR)


def _queue(load: BulkLoader, i: int, rng: random.Random) -> None:
    load.add("RPUSH", f"queue:jobs:{i}", *(f'{{"job":"email","id":{i * 3 + n}}}' for n in range(3)))


def _leaderboard(load: BulkLoader, i: int, rng: random.Random) -> None:
    pairs = [part for n in range(10) for part in (rng.randrange(10**5), f"player:{n}")]
    load.add("ZADD", f"leaderboard:game:{i}", *pairs)


def _events(load: BulkLoader, i: int, rng: random.Random) -> None:
    for n in (1, 2):
        load.add("XADD", f"events:device:{i}", f"1-{n}", "temp", rng.randrange(15, 30))


def _lock(load: BulkLoader, i: int, rng: random.Random) -> None:
    load.add("SET", f"lock:order:{i}", f"{rng.getrandbits(64):016x}", "PX", 3 * HOUR * 1000)


# Share out of 100 for each namespace, roughly what a web application's cache holds.
MIX: tuple[tuple[int, Writer], ...] = (
    (24, _user),
    (20, _session),
    (18, _product),
    (6, _page),
    (10, _tags),
    (8, _counter),
    (5, _rate_limit),
    (3, _queue),
    (2, _leaderboard),
    (2, _events),
    (2, _lock),
)
SLOTS: tuple[Writer, ...] = tuple(writer for share, writer in MIX for _ in range(share))


def seed_regular(load: BulkLoader, count: int, *, seed: int = 2026) -> None:
    """`count` application-like keys, namespaces interleaved as they would be in real life."""
    rng = random.Random(seed)
    for i in range(count):
        SLOTS[i % len(SLOTS)](load, i, rng)


@dataclass(frozen=True)
class SpecialKeys:
    """Names of the keys the measurements look at, by role."""

    big: dict[str, bytes]
    small: dict[str, bytes]
    strings: dict[str, bytes]
    needles: tuple[bytes, ...] = NEEDLES

    @property
    def count(self) -> int:
        return len(self.big) + len(self.small) + len(self.strings) + len(self.needles)


def special_keys() -> SpecialKeys:
    return SpecialKeys(
        big={kind: f"big:{kind}".encode() for kind in CONTAINERS},
        small={kind: f"small:{kind}".encode() for kind in CONTAINERS},
        strings={"huge": b"big:string", "mid": b"mid:string", "small": b"small:string"},
    )


def seed_special(
    load: BulkLoader, keys: SpecialKeys, *, size: int, string_bytes: int, seed: int = 7
) -> None:
    rng = random.Random(seed)
    for needle in keys.needles:
        load.add("SET", needle, b"found me")
    for kind in CONTAINERS:
        _container(load, kind, keys.big[kind], size, rng)
        _container(load, kind, keys.small[kind], 100, rng)
    load.add("SET", keys.strings["huge"], _text(string_bytes))
    load.add("SET", keys.strings["mid"], _text(512 * 1024))
    load.add("SET", keys.strings["small"], _text(100))


def _container(load: BulkLoader, kind: str, key: bytes, size: int, rng: random.Random) -> None:
    command, element = CONTAINERS[kind]
    for start in range(0, size, ELEMENTS_PER_COMMAND):
        numbers = range(start, min(start + ELEMENTS_PER_COMMAND, size))
        load.add(command, key, *(part for i in numbers for part in element(i, rng)))


def _text(size: int) -> bytes:
    line = b"2026-11-26T06:50:00Z INFO request served in 3 ms path=/api/items status=200\n"
    return (line * (size // len(line) + 1))[:size]
