"""A GET crawl of the dashboard, as a curious person (or a link checker) would make it: every
link and every htmx request a page makes, from the start page on.

A million keys make a million key pages, so each kind of view ("shape": the path with key
names blanked, and the names of its query parameters) is visited a bounded number of times
(`per_shape`). Chains a page follows by itself (`data-auto-follow`: a namespace count, a
sparse filter filling its page) are followed to their end whatever their shape, as the
browser would. Nothing is posted; sign-out and the endless pub/sub stream are left alone.
"""

from __future__ import annotations

import html
import re
from collections import Counter, deque
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qsl, urlsplit

from dashboard_process import HttpClient

SKIP = ("/static/", "/sign-out/", "/sign-in/", "/pubsub/stream/")
KEY_SEGMENT = re.compile(r"/key/[^/]*/")
# Query parameters whose value makes another kind of view (an order, a type, a tool run).
KIND_PARAMETERS = ("order", "type", "run", "operation", "delimiter")
MAX_CHAIN = 20_000


@dataclass(frozen=True)
class Link:
    url: str
    htmx: bool
    target: str = ""
    follows_itself: bool = False

    def headers(self) -> dict[str, str]:
        if not self.htmx:
            return {}
        return {"HX-Request": "true", **({"HX-Target": self.target} if self.target else {})}


class _Links(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.links: list[Link] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        target = (found.get("hx-target") or "").removeprefix("#")
        if target == "this":
            target = found.get("id") or ""
        if found.get("hx-get"):
            self.links.append(Link(found["hx-get"], True, target, "data-auto-follow" in found))
        if tag == "a" and found.get("href"):
            self.links.append(Link(found["href"], False))


def links_in(body: str) -> list[Link]:
    parser = _Links()
    parser.feed(body)
    return [link for link in parser.links
            if link.url.startswith("/") and not any(part in link.url for part in SKIP)]


def shape(url: str) -> str:
    parts = urlsplit(html.unescape(url))
    names = sorted({name for name, _ in parse_qsl(parts.query, keep_blank_values=True)})
    kinds = [f"{name}={value}" for name, value in parse_qsl(parts.query)
             if name in KIND_PARAMETERS]
    return " ".join([KEY_SEGMENT.sub("/key/*/", parts.path), ",".join(names), *sorted(kinds)])


@dataclass
class CrawlResult:
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    shapes: Counter = field(default_factory=Counter)
    chains: int = 0
    longest_chain: int = 0
    unfinished_chains: int = 0  # cut at MAX_CHAIN pages
    failures: list[str] = field(default_factory=list)
    wall_ms: float = 0.0
    worst_ms: float = 0.0
    worst_url: str = ""


class Crawler:
    """Breadth first from the start links; `per_shape` visits of each shape, chains whole."""

    def __init__(self, http: HttpClient, *, per_shape: int, max_requests: int):
        self.http = http
        self.per_shape = per_shape
        self.max_requests = max_requests
        self.seen: set[str] = set()
        self.result = CrawlResult()
        self.last_body = ""

    def crawl(self, start: list[Link], found: list[Link] = ()) -> CrawlResult:
        """Every start link, then what they link to, breadth first."""
        queue: deque[Link] = deque([*start, *found])
        while queue and self.result.requests < self.max_requests:
            link = queue.popleft()
            if not self._take(link, forced=link in start):
                continue
            for found in self._visit_with_chain(link):
                queue.append(found)
        return self.result

    def follow(self, link: Link) -> tuple[list[Link], str]:
        """One page and its chain, whatever the shape budget: the links found, and the body
        of the chain's last page (to check how it ended)."""
        self._take(link, forced=True)
        found = self._visit_with_chain(link)
        return found, self.last_body

    def first_pages(self, link: Link, pages: int) -> list[Link]:
        """A key's page and the next `pages - 1` pages of its value ("Load more"), whatever
        the shape budget; the other links found, for the crawl."""
        found: list[Link] = []
        for _ in range(pages):
            self._take(link, forced=True)
            found += self._visit_with_chain(link)
            link = next((item for item in found if item.target == "value-more"
                         and html.unescape(item.url) not in self.seen), None)
            if link is None:
                break
        return found

    def _take(self, link: Link, *, forced: bool = False) -> bool:
        url = html.unescape(link.url)
        kind = shape(url)
        if url in self.seen or (not forced and self.result.shapes[kind] >= self.per_shape):
            return False
        self.seen.add(url)
        self.result.shapes[kind] += 1
        return True

    def _visit_with_chain(self, link: Link) -> list[Link]:
        """The page and, when it follows itself, every page of its chain: their links."""
        found, length = [], 0
        while link is not None and length < MAX_CHAIN:
            body = self._get(link)
            length += 1
            links = links_in(body)
            follow = next((item for item in links if item.follows_itself), None)
            found += [item for item in links if not item.follows_itself]
            if follow is not None:
                self.seen.add(html.unescape(follow.url))
            link = follow
        if length > 1:
            self.result.chains += 1
            self.result.longest_chain = max(self.result.longest_chain, length)
        if link is not None:
            self.result.unfinished_chains += 1
        return found

    def _get(self, link: Link) -> str:
        url = html.unescape(link.url)
        response = self.http.get(url, link.headers())
        result = self.result
        result.requests += 1
        result.statuses[response.status] += 1
        result.wall_ms += response.wall_ms
        if response.wall_ms > result.worst_ms:
            result.worst_ms, result.worst_url = response.wall_ms, url
        if response.status >= 400 and response.status != 405:
            result.failures.append(f"{response.status} {url[:160]}")
        self.last_body = response.body if response.status == 200 else ""
        return self.last_body
