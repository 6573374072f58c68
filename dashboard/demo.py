"""Demo data shaped like what real applications keep in Redis, plus the awkward cases a
dashboard must handle: big keys, a non-UTF-8 name, names with HTML and URL characters.

Names are deterministic, so reseeding replaces exactly the keys an earlier seed wrote and
touches nothing else.
"""

from __future__ import annotations

import json
import random
import time
import uuid
from collections.abc import Iterator

import redis

BIG_SIZE = 100_000
BIG_STRING_BYTES = 2 * 1024 * 1024
BATCH = 2000

FIRST_NAMES = [
    "ada",
    "grace",
    "linus",
    "guido",
    "barbara",
    "ken",
    "margaret",
    "dennis",
    "frances",
    "alan",
    "edsger",
    "radia",
    "tim",
    "katherine",
    "john",
    "hedy",
]
PLANS = ["free", "pro", "team", "enterprise"]
TAGS = ["redis", "python", "django", "htmx", "databases", "performance", "security", "ops", "web"]

AWKWARD_NAMES = [
    b"bin:\xff\xfe\x00\x01 not utf-8",
    b"<img src=x onerror=alert(1)>",
    b"<script>alert('key')</script>",
    b"odd:path/with?query#frag%20 and spaces",
    b"odd:line\nbreak",
    "odd:unicode:caf\u00e9:\u65e5\u672c".encode(),
]


def seed_demo(client: redis.Redis, *, big_size: int = BIG_SIZE) -> int:
    """Write the demo data set (replacing an earlier one); returns the number of keys."""
    rng = random.Random(2026)
    now = time.time()
    writers = [
        _cache_entries,
        _sessions,
        _users,
        _queues,
        _tags,
        _leaderboards,
        _rate_limits,
        _token_buckets,
        _locks,
        _counters,
        _streams,
        _awkward,
    ]
    count = 0
    for writer in writers:
        with client.pipeline(transaction=False) as pipe:
            for key, write in writer(rng, now):
                pipe.unlink(key)
                write(pipe, key)
                count += 1
            pipe.execute()
    count += _big_keys(client, big_size)
    return count


def _cache_entries(rng, now) -> Iterator:
    for product_id in range(1, 201):
        body = json.dumps(
            {
                "id": product_id,
                "name": f"Product {product_id}",
                "price": round(rng.uniform(2, 500), 2),
                "stock": rng.randint(0, 900),
                "tags": rng.sample(TAGS, 2),
            }
        ).encode()
        yield (
            f"cache:product:{product_id}".encode(),
            (lambda p, k, b=body: p.set(k, b, ex=rng.randint(600, 7200))),
        )


def _sessions(rng, now) -> Iterator:
    for _ in range(60):
        session_id = uuid.UUID(int=rng.getrandbits(128), version=4)
        body = json.dumps(
            {
                "user_id": rng.randint(1, 500),
                "csrf": f"{rng.getrandbits(64):016x}",
                "created": int(now),
                "cart": [rng.randint(1, 200) for _ in range(rng.randint(0, 4))],
            }
        ).encode()
        yield f"session:{session_id}".encode(), (lambda p, k, b=body: p.set(k, b, ex=86400))


def _users(rng, now) -> Iterator:
    for user_id in range(1, 501):
        name = rng.choice(FIRST_NAMES)
        fields = {
            "name": name.title(),
            "email": f"{name}{user_id}@example.com",
            "plan": rng.choice(PLANS),
            "created_at": str(int(now) - rng.randint(0, 10**8)),
            "login_count": str(rng.randint(0, 400)),
        }
        yield f"user:{user_id}".encode(), (lambda p, k, f=fields: p.hset(k, mapping=f))


def _queues(rng, now) -> Iterator:
    for queue, size in (
        ("queue:emails", 120),
        ("queue:jobs:default", 40),
        ("queue:jobs:failed", 7),
    ):
        jobs = [
            json.dumps({"job": queue.rsplit(":", 1)[-1], "id": i, "attempts": rng.randint(0, 3)})
            for i in range(size)
        ]
        yield queue.encode(), (lambda p, k, j=jobs: p.rpush(k, *j))


def _tags(rng, now) -> Iterator:
    for post_id in range(1, 81):
        tags = rng.sample(TAGS, rng.randint(1, 4))
        yield f"tags:post:{post_id}".encode(), (lambda p, k, t=tags: p.sadd(k, *t))


def _leaderboards(rng, now) -> Iterator:
    for board, players in (("leaderboard:global", 1000), ("leaderboard:weekly:2026-W48", 250)):
        scores = {f"player:{i}": rng.randint(0, 100_000) for i in range(1, players + 1)}
        yield board.encode(), (lambda p, k, s=scores: p.zadd(k, s))


def _rate_limits(rng, now) -> Iterator:
    # Sliding window: one member per request, scored by its timestamp in milliseconds.
    for user_id in range(1, 21):
        hits = {
            f"{int(now * 1000) - i * 700}-{rng.getrandbits(16):04x}": int(now * 1000) - i * 700
            for i in range(rng.randint(3, 40))
        }
        yield (
            f"ratelimit:api:user:{user_id}".encode(),
            (lambda p, k, h=hits: (p.zadd(k, h), p.expire(k, 3600))),
        )


def _token_buckets(rng, now) -> Iterator:
    for user_id in range(1, 21):
        bucket = {
            "tokens": str(rng.randint(0, 100)),
            "capacity": "100",
            "refill_per_s": "5",
            "last_refill_ms": str(int(now * 1000)),
        }
        yield (
            f"bucket:api:user:{user_id}".encode(),
            (lambda p, k, b=bucket: (p.hset(k, mapping=b), p.expire(k, 3600))),
        )


def _locks(rng, now) -> Iterator:
    for resource in ("invoice:2026-11", "report:daily", "migration:42"):
        token = f"{rng.getrandbits(128):032x}"
        yield (
            f"lock:{resource}".encode(),
            (lambda p, k, t=token: p.set(k, t, nx=True, px=10 * 60 * 1000)),
        )


def _counters(rng, now) -> Iterator:
    for day in range(20, 27):
        views = rng.randint(1000, 90000)
        yield f"stats:pageviews:2026-11-{day}".encode(), (lambda p, k, v=views: p.incrby(k, v))
    yield b"counter:signups", (lambda p, k: p.incrby(k, 4821))
    yield b"counter:errors:5xx", (lambda p, k: p.incrby(k, 17))


def _streams(rng, now) -> Iterator:
    def write(pipe, key):
        for order_id in range(1, 301):
            pipe.xadd(
                key,
                {
                    "order": str(order_id),
                    "status": rng.choice(["new", "paid", "shipped"]),
                    "amount": f"{rng.uniform(5, 400):.2f}",
                },
            )

    yield b"stream:orders", write


def _awkward(rng, now) -> Iterator:
    values = [
        b"\x00\x01\x02binary\xff value",
        b"<b>bold?</b> <script>alert('value')</script>",
        b"a value",
        b"another",
        b"line one\nline two",
        "caf\u00e9 \u2615".encode(),
    ]
    for name, value in zip(AWKWARD_NAMES, values, strict=True):
        yield name, (lambda p, k, v=value: p.set(k, v))
    yield (
        b"html:hash",
        (
            lambda p, k: p.hset(
                k,
                mapping={
                    "<script>alert(1)</script>": "<img src=x onerror=alert(2)>",
                    b"\xff\xfe": b"\x00binary field",
                },
            )
        ),
    )


def _big_keys(client: redis.Redis, size: int) -> int:
    client.unlink(b"big:hash", b"big:list", b"big:set", b"big:zset", b"big:string")
    for start in range(0, size, BATCH):
        stop = min(start + BATCH, size)
        with client.pipeline(transaction=False) as pipe:
            pipe.hset(b"big:hash", mapping={f"field:{i}": f"value {i}" for i in range(start, stop)})
            pipe.rpush(b"big:list", *(f"element {i}" for i in range(start, stop)))
            pipe.sadd(b"big:set", *(f"member:{i}" for i in range(start, stop)))
            pipe.zadd(b"big:zset", {f"player:{i}": i for i in range(start, stop)})
            pipe.execute()
    line = b"All work and no play makes Jack a dull boy. 0123456789abcdef\n"
    client.set(b"big:string", (line * (BIG_STRING_BYTES // len(line) + 1))[:BIG_STRING_BYTES])
    return 5
