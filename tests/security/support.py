"""Shared by the security tests: a small seeded keyspace, a full snapshot of it, write-command
counting from INFO commandstats, the routes of the URLconf, and a same-site crawler."""

from __future__ import annotations

import functools
import html
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import redis
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from django.urls import URLPattern, URLResolver, get_resolver

from keyspace.redis.keynames import encode_key
from tests.support.htmx import HTMX
from tests.support.urls import key_url

# --- the seeded keyspace -------------------------------------------------------------------

# Values that must never show up where they should not (e.g. for an anonymous visitor).
SECRET_VALUES = ["seed-string-value", "seed-hash-value", "seed-list-element", "seed-set-member",
                 "seed-zset-member", "seed-stream-value", "seed-db1-value"]


@functools.cache
def redis_client(port: int, db: int = 0, password: str | None = None) -> redis.Redis:
    """One client per server and db for the whole session (making clients is not free)."""
    return redis.Redis(port=port, db=db, password=password)


def seed(port: int, password: str | None = None) -> None:
    """One key of each type (and a few more) in db 0, one in db 1."""
    with redis_client(port, 0, password).pipeline(transaction=False) as pipe:
        pipe.set(b"str", b"seed-string-value")
        pipe.set(b"num", b"41")
        pipe.set(b"ttl:key", b"expiring", ex=3600)
        pipe.hset(b"hash", mapping={b"f1": b"seed-hash-value", b"f2": b"other-hash-value"})
        pipe.rpush(b"list", b"seed-list-element", b"b", b"c", b"d")
        pipe.sadd(b"set", b"seed-set-member", b"m2", b"m3")
        pipe.sadd(b"set2", b"m2", b"m9")
        pipe.zadd(b"zset", {b"seed-zset-member": 1, b"p2": 2, b"p3": 3})
        pipe.xadd(b"stream", {b"field": b"seed-stream-value"})
        pipe.set(b"app:users:1", b"u1")
        pipe.set(b"app:users:2", b"u2")
        pipe.set(b"app:cache:x", b"cx")
        pipe.set(b"bin:\xff\x00key", b"binary name")
        pipe.execute()
    # The stream's group "g", whose consumer "worker" holds the entry, pending.
    with redis_client(port, 0, password).pipeline(transaction=False) as pipe:
        pipe.xgroup_create(b"stream", b"g", "0")
        pipe.xreadgroup(b"g", b"worker", {b"stream": ">"}, count=1)
        pipe.execute()
    redis_client(port, 1, password).set(b"db1:key", b"seed-db1-value")


def reseed(port: int) -> None:
    redis_client(port).flushall()
    seed(port)


@dataclass(frozen=True)
class Snapshot:
    """Every key of every db: DUMP and PTTL, and when they were read."""

    keys: dict
    at: float

    @classmethod
    def take(cls, port: int) -> Snapshot:
        at = time.monotonic()
        dbs = [int(name[2:]) for name in redis_client(port).info("keyspace")]
        keys = {}
        for db in dbs:
            client = redis_client(port, db)
            names = list(client.scan_iter(count=1000))
            with client.pipeline(transaction=False) as pipe:
                for key in names:
                    pipe.dump(key)
                    pipe.pttl(key)
                replies = pipe.execute()
            for i, key in enumerate(names):
                keys[(db, key)] = (replies[2 * i], replies[2 * i + 1])
        return cls(keys, at)

    def differences(self, earlier: Snapshot) -> list[str]:
        """What changed since `earlier` (a TTL may only have run down meanwhile)."""
        elapsed_ms = (self.at - earlier.at) * 1000
        problems = []
        for name in sorted(set(self.keys) | set(earlier.keys)):
            if name not in self.keys:
                problems.append(f"{name} removed")
            elif name not in earlier.keys:
                problems.append(f"{name} added")
            else:
                (dump_was, ttl_was), (dump_now, ttl_now) = earlier.keys[name], self.keys[name]
                if dump_was != dump_now:
                    problems.append(f"{name} changed value")
                if (ttl_was < 0) != (ttl_now < 0) or ttl_now > ttl_was + 50 or \
                        ttl_now < ttl_was - elapsed_ms - 1_000:
                    problems.append(f"{name} changed TTL {ttl_was} -> {ttl_now}")
        return problems


# --- counting writes ---------------------------------------------------------------------------

# Administrative commands that only read: a dashboard may use these.
READING_ADMIN = {"config|get", "client|list", "client|info", "slowlog|get", "slowlog|len",
                 "latency|latest", "latency|history", "memory|stats", "memory|doctor",
                 "acl|whoami", "acl|cat", "info", "command", "command|info", "command|docs",
                 "command|count", "command|list", "command|getkeys",
                 # Simulates a command for a user without running it (the dashboard asks
                 # whether its Redis user may write at all).
                 "acl|dryrun"}


@functools.cache
def _write_commands(port: int) -> frozenset[str]:
    return frozenset(write_commands(redis_client(port)))


def write_commands(client: redis.Redis) -> set[str]:
    """Every command (and subcommand) that changes data or the server, from COMMAND itself:
    flagged write, may_replicate or admin (less the reading ones above), plus PUBLISH."""
    names = {"publish", "spublish"}
    for name, info in client.command().items():
        flags = {f.decode() if isinstance(f, bytes) else f for f in info.get("flags", [])}
        if flags & {"write", "may_replicate", "admin"}:
            names.add(str(name).lower())
        for sub in info.get("subcommands") or []:
            sub_name = (sub[0].decode() if isinstance(sub[0], bytes) else sub[0]).lower()
            sub_flags = {f.decode() if isinstance(f, bytes) else f for f in sub[2]}
            if sub_flags & {"write", "may_replicate", "admin"}:
                names.add(sub_name)
    return names - READING_ADMIN


def command_calls(client: redis.Redis) -> dict[str, int]:
    stats = client.info("commandstats")
    return {name.removeprefix("cmdstat_").lower(): int(v["calls"]) for name, v in stats.items()}


class WriteCounter:
    """Calls of write commands since `start()` (INFO commandstats is server-wide)."""

    def __init__(self, port: int):
        self.client = redis_client(port)
        self.writes = _write_commands(port)
        self.before = command_calls(self.client)

    def start(self) -> WriteCounter:
        self.before = command_calls(self.client)
        return self

    def since(self) -> dict[str, int]:
        after = command_calls(self.client)
        return {name: after[name] - self.before.get(name, 0) for name in after
                if name in self.writes and after[name] != self.before.get(name, 0)}

    def close(self) -> None:
        pass  # the client is shared


# --- the URLconf --------------------------------------------------------------------------------


def all_patterns(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from all_patterns(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def route_names() -> dict[str, URLPattern]:
    """Every route by name (an unnamed route by its pattern, so it is never skipped)."""
    return {pattern.name or route: pattern for route, pattern in all_patterns()}


# --- a same-site crawler ------------------------------------------------------------------------

_LINK = re.compile(r'(href|hx-get)="(/[^"]*)"')


@dataclass
class Page:
    url: str
    htmx: bool
    status: int
    headers: dict
    body: bytes
    cookies: str = ""


@dataclass
class Crawl:
    pages: list[Page] = field(default_factory=list)

    def urls(self) -> set[str]:
        return {p.url for p in self.pages}

    def by_path(self, fragment: str) -> list[Page]:
        return [p for p in self.pages if fragment in urlsplit(p.url).path]


def content(response) -> bytes:
    """The whole body, a (sync) streaming one included."""
    if not response.streaming:
        return response.content
    return b"".join(response.streaming_content)


def get_async(client, url: str, **headers):
    """GET through an AsyncClient with `client`'s cookies: an async streaming response must be
    read on the event loop that made it."""

    async def fetch():
        async_client = AsyncClient()
        async_client.cookies = client.cookies
        response = await async_client.get(url, **headers)
        if response.streaming and response.is_async:
            body = b"".join([chunk async for chunk in response.streaming_content])
        elif response.streaming:
            body = b"".join(response.streaming_content)
        else:
            body = response.content
        return response, body

    return async_to_sync(fetch)()


def links(body: bytes) -> list[tuple[str, bool]]:
    """(url, asked by htmx) for every link and hx-get in the page."""
    return [(html.unescape(url), attr == "hx-get")
            for attr, url in _LINK.findall(body.decode("utf-8", "replace"))]


_OTHER_DB = re.compile(r"^/c/default/db/(?!0/|1/)")


def _skip(url: str) -> bool:
    path = urlsplit(url).path
    if _OTHER_DB.match(path):  # the db picker links all 16: two are enough
        return True
    # A subscribed stream never ends under the test client; static files are not pages.
    return ("/pubsub/stream/" in path and "?" in url and url.split("?", 1)[1] != "") or \
        path.startswith("/static/") or path == "/sign-out/"


def crawl(client, start: Iterable[str], *, limit: int = 400, follow: bool = True,
          htmx_too: bool = True) -> Crawl:
    """GET every same-site link reachable from `start` (as a page and, for htmx links, as a
    fragment), breadth first, at most `limit` requests."""
    seen: set[tuple[str, bool]] = set()
    queue = [(url, False) for url in start]
    result = Crawl()
    while queue and len(result.pages) < limit:
        url, htmx = queue.pop(0)
        if (url, htmx) in seen or _skip(url):
            continue
        seen.add((url, htmx))
        if urlsplit(url).path.endswith("/download/"):
            response, body = get_async(client, url, headers=HTMX if htmx else {})
        else:
            response = client.get(url, headers=HTMX if htmx else {})
            body = content(response)
        result.pages.append(Page(url, htmx, response.status_code, dict(response.items()), body,
                                 str(response.cookies)))
        if not follow or "html" not in response.get("Content-Type", ""):
            continue
        for found, by_htmx in links(body):
            queue.append((found, by_htmx and htmx_too))
    return result


def start_pages(db: int = 0) -> list[str]:
    """Every kind of page, so the crawl reaches each even if a link is missing."""
    tools = [
        key_url(b"set", db) + "tool/set-contains/?run=1&members=seed-set-member&mode=lines",
        key_url(b"set", db) + "tool/set-random/?run=1&count=2",
        key_url(b"set", db) + "tool/set-compare/?run=1&operation=inter&others=set2"
                                "&others_format=text",
        key_url(b"zset", db) + "tool/zset-lookup/?run=1&member=p2&member_format=text",
    ]
    return [
        "/",
        f"/c/default/db/{db}/",
        f"/c/default/db/{db}/?match=app:*",
        f"/c/default/db/{db}/?type=hash",
        f"/c/default/db/{db}/?key=str",
        f"/c/default/db/{db}/server/",
        f"/c/default/db/{db}/namespaces/",
        f"/c/default/db/{db}/namespaces/count/",
        f"/c/default/db/{db}/namespaces/?prefix={encode_key(b'app:')}",
        f"/c/default/db/{db}/namespaces/count/?prefix={encode_key(b'app:')}",
        f"/c/default/db/{db}/pubsub/",
        f"/c/default/db/{db}/pubsub/?channel=news&pattern=news.*",
        f"/c/default/db/{db}/pubsub/channels/",
        f"/c/default/db/{db}/pubsub/channels/?filter=n",
        f"/c/default/db/{db}/pubsub/stream/",
        "/audit/",
        "/audit/?outcome=ok&key=str",
        "/c/default/db/1/",
        *(key_url(name, db) for name in (b"str", b"num", b"ttl:key", b"hash", b"list", b"set",
                                          b"zset", b"stream", b"bin:\xff\x00key")),
        key_url(b"str", db) + "download/",
        key_url(b"hash", db) + f"row/?row={encode_key(b'f1')}",
        # A row's opener (`?row=`, a link relative to its page): the row's actions with URLs.
        key_url(b"hash", db) + f"?row={encode_key(b'f1')}",
        key_url(b"list", db) + "?row=1",
        key_url(b"set", db) + f"?row={encode_key(b'm2')}",
        key_url(b"zset", db) + f"?row={encode_key(b'p2')}",
        key_url(b"zset", db) + "leaderboard/",
        key_url(b"zset", db) + "leaderboard/?member=p2",
        key_url(b"zset", db) + "leaderboard/?min=1&max=2",
        *tools,
    ]
