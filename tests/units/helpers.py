"""Shared by the type-unit tests and the key page tests: URLs, the four ways htmx asks for the
key page, reading value rows back out of the HTML, and measuring what Redis was asked to do."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

from tests.support.htmx import HTMX
from tests.support.urls import key_url

HX_VALUE = {**HTMX, "HX-Target": "value"}
HX_MORE = {**HTMX, "HX-Target": "value-more"}
HX_BOOSTED = {**HTMX, "HX-Boosted": "true", "HX-Target": "main"}
HX_RESTORE = {**HTMX, "HX-History-Restore-Request": "true"}

XSS = "<img src=x onerror=alert(1)>"
XSS_ESCAPED = "&lt;img src=x onerror=alert(1)&gt;"


def fetch(client, name, *, headers=None, status=200, **params) -> str:
    response = client.get(key_url(name, **params), headers=headers or {})
    body = response.content.decode()
    assert response.status_code == status, body[-2000:]
    return body


@dataclass
class Row:
    cells: list[str] = field(default_factory=list)
    elements: list[str] = field(default_factory=list)  # text of each span.element in the row


class _RowParser(HTMLParser):
    """Value rows (`<tr>` with `<td>`s), leaving out the "Load more" and "Empty." rows."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.rows: list[Row] = []
        self._row: Row | None = None
        self._cell: list[str] | None = None
        self._element: list[str] | None = None
        self._element_depth = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr":
            skip = attrs.get("id") == "value-more" or "empty" in (attrs.get("class") or "")
            self._row = None if skip else Row()
        elif tag == "td" and self._row is not None:
            self._cell = []
        elif tag == "span" and self._row is not None:
            if self._element is not None:
                self._element_depth += 1
            elif "element" in (attrs.get("class") or "").split():
                self._element = []
                self._element_depth = 0

    def handle_endtag(self, tag):
        if tag == "span" and self._element is not None:
            if self._element_depth:
                self._element_depth -= 1
            else:
                self._row.elements.append("".join(self._element))
                self._element = None
        elif tag == "td" and self._cell is not None:
            self._row.cells.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            if self._row.cells:
                self.rows.append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._element is not None:
            self._element.append(data)


def rows(body: str) -> list[Row]:
    parser = _RowParser()
    parser.feed(body)
    parser.close()
    return parser.rows


LOAD_MORE = re.compile(r'<a class="button" href="([^"]*)"[^>]*data-scan-continue')


def more_params(body: str) -> dict[str, str] | None:
    """The query of the "Load more" link, or None when the value has no more rows."""
    start = body.find('id="value-more"')
    if start < 0:
        return None
    link = LOAD_MORE.search(body, start)
    assert link, body[start : start + 1000]
    href = html.unescape(link.group(1))
    query = parse_qs(urlsplit(href).query, keep_blank_values=True)
    return {name: values[-1] for name, values in query.items()}


def page_through(client, name, *, max_pages=1000, **params) -> tuple[list[Row], int]:
    """Every row of a value: the first page, then "Load more" as htmx asks for it."""
    body = fetch(client, name, **params)
    collected = rows(body)
    pages = 1
    query = more_params(body)
    while query is not None:
        assert pages < max_pages, "paging does not end"
        body = fetch(client, name, headers=HX_MORE, **query)
        assert "<table" not in body
        collected += rows(body)
        pages += 1
        query = more_params(body)
    return collected, pages


def assert_htmx_modes(client, name, **params) -> str:
    """Full page without htmx (and for boosted or history-restore requests), the #value section
    for HX-Target: value, only the rows for HX-Target: value-more. Returns the full page."""
    url = key_url(name, **params)
    full = client.get(url)
    assert full.status_code == 200
    assert "HX-Request" in full["Vary"]
    page = full.content.decode()
    assert page.lstrip().lower().startswith("<!doctype html>")
    assert '<h1 class="key-title' in page and '<section id="value"' in page

    value = client.get(url, headers=HX_VALUE).content.decode()
    assert value.strip().startswith('<section id="value"')
    assert value.strip().endswith("</section>")
    assert "<html" not in value and "<h1" not in value and 'class="meta"' not in value
    assert value.strip() in page

    more = client.get(url, headers=HX_MORE).content.decode()
    assert "<html" not in more and "<section" not in more and "<table" not in more
    assert "<form" not in more and "<thead" not in more
    assert more.strip() and more.strip() in page

    for headers in (HX_BOOSTED, HX_RESTORE):
        again = client.get(url, headers=headers)
        assert again.status_code == 200
        body = again.content.decode()
        assert body.lstrip().lower().startswith("<!doctype html>")
        assert value.strip() in body
    return page


# --- what Redis was asked to do --------------------------------------------------------------


class RedisWork:
    """INFO commandstats calls and network output, before and after: `with RedisWork(r) as w:`."""

    def __init__(self, r):
        self.r = r

    def _calls(self) -> dict[str, int]:
        stats = self.r.info("commandstats")
        return {name.removeprefix("cmdstat_"): int(v["calls"]) for name, v in stats.items()}

    def __enter__(self):
        self._before = self._calls()
        self._out_before = int(self.r.info("stats")["total_net_output_bytes"])
        return self

    def __exit__(self, *exc):
        out_after = int(self.r.info("stats")["total_net_output_bytes"])
        after = self._calls()
        self.calls = {
            name: count - self._before.get(name, 0)
            for name, count in after.items()
            if count - self._before.get(name, 0)
        }
        self.output_bytes = out_after - self._out_before

    def count(self, command: str) -> int:
        return self.calls.get(command, 0)


WHOLE_VALUE_COMMANDS = (
    "hgetall", "hkeys", "hvals", "smembers", "sinter", "sunion", "keys", "get", "getex", "dump",
    "sort", "sort_ro", "lpos",
)


def assert_bounded(work: RedisWork, *, expected: str, limit_bytes: int = 128 * 1024) -> None:
    """No command that returns a whole value or the keyspace, the paging command once, and a
    reply far smaller than the value."""
    for command in WHOLE_VALUE_COMMANDS:
        assert work.count(command) == 0, (command, work.calls)
    assert work.count(expected) == 1, work.calls
    assert work.output_bytes < limit_bytes, work.output_bytes


def seed(r, command: str, key, items: list, chunk: int = 5000) -> None:
    """`command key *items` in chunks through one pipeline (items already flattened)."""
    with r.pipeline(transaction=False) as pipe:
        for start in range(0, len(items), chunk):
            pipe.execute_command(command, key, *items[start : start + chunk])
        pipe.execute()


def seed_huge_zset(r, key: str = "huge", count: int = 200_000) -> None:
    """A sorted set of `count` members `member:<i>`, each scored i."""
    seed(r, "ZADD", key, [item for i in range(count) for item in (i, f"member:{i}")])
