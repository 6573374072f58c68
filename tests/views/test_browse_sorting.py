"""The key list for outlier hunting: sorting the loaded rows, and optional columns that really
skip their commands when hidden (remembered in the session)."""

from __future__ import annotations

import html
import re

from tests.support.htmx import HTMX
from tests.units.helpers import RedisWork

LENGTH_COMMANDS = ("strlen", "hlen", "llen", "scard", "zcard", "xlen")


def names(body: str) -> list[str]:
    return [html.unescape(n) for n in
            re.findall(r'<td class="key-name"><a href="[^"]*"[^>]*>(.*?)</a>', body)]


def headers(body: str) -> dict[str, str]:
    """{column label: its sort link's href} (the empty string for a column without one)."""
    thead = body[body.index("<thead>") : body.index("</thead>")]
    found = {}
    for cell in re.findall(r"<th[^>]*>(.*?)</th>", thead, re.S):
        link = re.search(r'href="([^"]*)"', cell)
        label = re.sub(r"<[^>]+>|[▲▼]", "", cell).strip()
        found[label] = html.unescape(link.group(1)) if link else ""
    return found


def seed(r):
    r.set("small", "x", ex=500)
    r.set("big", "x" * 5000)
    r.rpush("long", *range(300))
    r.hset("mid", mapping={f"f{i}": "v" * 20 for i in range(40)})
    r.set("soon", "y" * 100, px=20_000)


def test_sort_by_memory_biggest_first_and_back(client, r):
    seed(r)
    body = client.get("/c/default/db/0/", {"sort": "-memory"}).content.decode()
    memory = {n: r.memory_usage(n) for n in names(body)}
    assert names(body) == sorted(memory, key=memory.get, reverse=True)
    assert names(body)[0] == "big"
    assert 'aria-sort="descending"' in body
    assert headers(body)["Memory"].endswith("sort=memory")  # the next click reverses it
    body = client.get(headers(body)["Memory"]).content.decode()
    assert names(body)[0] != "big" and names(body)[-1] == "big"


def test_sort_by_ttl_soonest_first_keys_without_ttl_last(client, r):
    seed(r)
    body = client.get("/c/default/db/0/", {"sort": "ttl"}).content.decode()
    assert names(body)[:2] == ["soon", "small"]
    assert set(names(body)[2:]) == {"big", "long", "mid"}
    assert "only the keys loaded here are sorted" in body


def test_sort_by_length_and_name(client, r):
    seed(r)
    assert names(client.get("/c/default/db/0/", {"sort": "-length"}).content.decode())[:3] == \
        ["big", "long", "soon"]
    assert names(client.get("/c/default/db/0/", {"sort": "name"}).content.decode()) == \
        ["big", "long", "mid", "small", "soon"]


def test_headers_are_links_that_keep_the_filter_and_the_page(client, r):
    seed(r)
    body = client.get("/c/default/db/0/", {"match": "s*", "count": "50"}).content.decode()
    links = headers(body)
    assert links["Type"] == ""
    assert "match=s%2A" in links["Key"] and "count=50" in links["Key"]
    assert links["Key"].endswith("sort=name") and links["Memory"].endswith("sort=-memory")
    assert links["TTL"].endswith("sort=ttl") and links["Length"].endswith("sort=-length")


def test_load_more_rows_come_sorted_too(client, r):
    for i in range(30):
        r.set(f"k{i:02}", "x" * (i * 50))
    first = client.get("/c/default/db/0/", {"sort": "-memory", "count": "10"}).content.decode()
    more = re.search(r'href="(/c/default/db/0/\?[^"]*cursor=[^"]*)"', first).group(1)
    assert "sort=-memory" in html.unescape(more)
    rows = client.get(html.unescape(more), headers={**HTMX, "HX-Target": "load-more"})
    page = names(rows.content.decode())
    memory = [r.memory_usage(n) for n in page]
    assert page and memory == sorted(memory, reverse=True)


def test_a_bad_sort_is_refused(client, r):
    assert client.get("/c/default/db/0/", {"sort": "type"}).status_code == 400


def test_hidden_columns_skip_their_commands(client, r):
    seed(r)
    with RedisWork(r) as all_columns:
        body = client.get("/c/default/db/0/").content.decode()
    assert all_columns.count("memory|usage") == 5
    assert sum(all_columns.count(c) for c in LENGTH_COMMANDS) == 5
    with RedisWork(r) as hidden:
        body = client.get("/c/default/db/0/", {"columns": "1"}).content.decode()
    assert hidden.count("memory|usage") == 0
    assert sum(hidden.count(c) for c in LENGTH_COMMANDS) == 0
    assert list(headers(body)) == ["Key", "Type", "TTL"]
    assert 'colspan="3"' in body and len(names(body)) == 5


def test_the_choice_is_remembered_in_the_session(client, r, viewer_client):
    seed(r)
    client.get("/c/default/db/0/", {"columns": "1", "show": "length"})
    with RedisWork(r) as work:
        body = client.get("/c/default/db/0/").content.decode()
    assert work.count("memory|usage") == 0
    assert sum(work.count(c) for c in LENGTH_COMMANDS) == 5
    assert list(headers(body)) == ["Key", "Type", "TTL", "Length"]
    assert 'name="show" value="memory">' in body  # unticked in the form
    assert "columns=" not in headers(body)["Key"]  # links follow the session, not the query
    # Another user's session is untouched.
    assert "Memory" in headers(viewer_client.get("/c/default/db/0/").content.decode())
    # A sort by a hidden column is dropped rather than fetching the column.
    with RedisWork(r) as work:
        client.get("/c/default/db/0/", {"sort": "-memory"})
    assert work.count("memory|usage") == 0


def test_with_a_known_type_hidden_length_skips_it_too(client, r):
    seed(r)
    with RedisWork(r) as work:
        client.get("/c/default/db/0/", {"type": "string", "columns": "1", "show": "memory"})
    assert work.count("memory|usage") == 3 and work.count("strlen") == 0
