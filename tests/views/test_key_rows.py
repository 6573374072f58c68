"""Value rows as light as their data: a row carries its token once (its opener), the table its
actions once, and the opener without JavaScript opens a panel of that row's actions."""

from __future__ import annotations

import html
import re

import pytest

from keyspace.redis.keynames import encode_key
from tests.support.htmx import HTMX
from tests.support.rows import menu_links, opener, row_menu
from tests.support.urls import edit_url, key_url

ACTIONS = {
    "hash": ("hash-set", "hash-delete", "hash-incr"),
    "zset": ("zset-score", "zset-incr", "zset-remove"),
    "set": ("set-remove",),
    "list": ("list-set",),
}


@pytest.fixture
def arrange(r):
    """One key of each type with 300 rows; returns {type: (key, a row's token)}."""
    r.hset("h", mapping={f"field:{i}": f"value {i}" for i in range(300)})
    r.hset("h", "long", "x" * 100)  # a hash table, so HSCAN pages it
    r.zadd("z", {f"player:{i}": i for i in range(300)})
    r.sadd("s", *[f"member:{i}" for i in range(300)])
    r.rpush("l", *[f"element {i}" for i in range(300)])
    return {
        "hash": (b"h", encode_key(b"field:7")),
        "zset": (b"z", encode_key(b"player:7")),
        "set": (b"s", encode_key(b"member:7")),
        "list": (b"l", "7"),
    }


@pytest.mark.parametrize("type_name", ACTIONS)
def test_actions_are_declared_once_per_table_and_rows_carry_only_their_token(
    client, arrange, type_name
):
    key, token = arrange[type_name]
    page = client.get(key_url(key, count=300)).content.decode()
    assert menu_links(page) == [edit_url(key, action) + "?row=" for action in ACTIONS[type_name]]
    rows_part = page.replace(row_menu(page), "")
    assert "/edit/" not in rows_part.split("<tbody>")[1]
    assert rows_part.count('<a href="?row=') >= 300
    assert rows_part.count(f'?row={token}"') == 1
    assert f'id="row-{token}"' not in rows_part and f"/?row={token}" not in rows_part
    assert opener(token) in rows_part


@pytest.mark.parametrize("type_name", ACTIONS)
def test_load_more_rows_are_light_too(client, arrange, type_name):
    key, _ = arrange[type_name]
    first = client.get(key_url(key, count=100)).content.decode()
    more = re.search(r'href="([^"]*cursor=[^"]*)" hx-get', first).group(1)
    part = client.get(html.unescape(more), headers={**HTMX, "HX-Target": "value-more"})
    body = part.content.decode()
    assert "data-row-menu" not in body and "/edit/" not in body.split('id="value-more"')[0]
    assert body.count('<a href="?row=') >= 100


@pytest.mark.parametrize("type_name", ACTIONS)
def test_the_opener_without_javascript_shows_the_rows_actions(client, arrange, type_name):
    key, token = arrange[type_name]
    page = client.get(key_url(key, row=token)).content.decode()
    panel = page[page.index('<section class="row-panel"'):page.index("</section>")]
    for action in ACTIONS[type_name]:
        assert f'href="{edit_url(key, action)}?row={token}"' in panel
    assert "hx-get" not in panel  # plain links: the edit page works without htmx
    # The page under the panel is the value's first page, as without `row`.
    plain = client.get(key_url(key)).content.decode()
    assert page.count('<a href="?row=') == plain.count('<a href="?row=') >= 100


def test_the_panel_names_the_row(client, arrange):
    page = client.get(key_url("h", row=encode_key(b"field:7"))).content.decode()
    title = re.search(r'<h2 id="opened-row-title">(.*?)</h2>', page, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", title).strip() == "Field field:7"
    page = client.get(key_url("l", row="7")).content.decode()
    assert '<h2 id="opened-row-title">Element at index 7</h2>' in page


def test_a_gone_row_says_so(client, arrange, r):
    r.hdel("h", "field:7")
    page = client.get(key_url("h", row=encode_key(b"field:7"))).content.decode()
    assert "This row is gone" in page
    assert "/edit/hash-set/?row=" + encode_key(b"field:7") not in page


def test_a_bad_token_is_a_400(client, arrange):
    assert client.get(key_url("l", row="x")).status_code == 400


@pytest.mark.parametrize("type_name", ACTIONS)
def test_viewers_get_rows_without_openers_or_menu(viewer_client, arrange, type_name):
    key, token = arrange[type_name]
    page = viewer_client.get(key_url(key, row=token)).content.decode()
    assert "data-row-menu" not in page and "row-panel" not in page
    assert "?row=" not in page and "/edit/" not in page


def test_read_only_mode_draws_no_openers(client, arrange, settings):
    settings.DASHBOARD_READONLY = True
    page = client.get(key_url("h")).content.decode()
    assert "data-row-menu" not in page and "?row=" not in page


def test_the_row_view_and_a_redraw_use_the_light_row(client, arrange):
    token = encode_key(b"field:7")
    body = client.get(key_url("h") + f"row/?row={token}", headers=HTMX).content.decode()
    assert body.strip() == (
        f'<tr data-row="{token}"><td class="field">{opener(token)}'
        '<span class="element">field:7</span></a></td>'
        '<td><span class="element">value 7</span></td></tr>'
    )


def test_odd_elements_keep_their_marks(client, r):
    r.hset("odd", mapping={b"": b"x" * 5000, b"bin\xff": b"v", b"  ": b""})
    page = client.get(key_url("odd")).content.decode()
    blanks = page.count('<span class="blank">blank</span>')
    assert blanks == 2  # the empty field and the spaces: each opener still has a name
    assert '<span class="element binary">bin\\xff</span>' in page
    assert '<span class="cut" title="shown in part">… of 4.9 KiB</span>' in page


# Values that take every path a row's cell has: markup and quotes to escape, bytes that are
# not text, nothing visible, a value over the preview limit, other scripts, a line break.
ODD_VALUES = (
    b"<script>alert('x')</script>", b'"quoted" & <b>bold</b>', b"bin\xff\x00", b"", b"   ",
    b"x" * 5000, "caf\u00e9 \u65e5\u672c".encode(), b"two\nlines", "\u202eevil".encode(),
    b"plain", b"{{ row.token }}", b"&amp;",
)


def _arrange_odd(r, type_name: str) -> bytes:
    members = [value + b"!" for value in ODD_VALUES]  # distinct from each other, none empty
    if type_name == "hash":
        r.hset("odd", mapping=dict(zip(ODD_VALUES, members, strict=True)))
        r.hset("odd", mapping=dict(zip(members, ODD_VALUES, strict=True)))
    elif type_name == "zset":
        r.zadd("odd", {member: n * 1.5 - 3 for n, member in enumerate([*ODD_VALUES, *members])})
    elif type_name == "set":
        r.sadd("odd", *ODD_VALUES)
    else:
        r.rpush("odd", *ODD_VALUES, *members)
    return b"odd"


@pytest.mark.parametrize("editing", [True, False], ids=["editor", "viewer"])
@pytest.mark.parametrize("type_name", ACTIONS)
def test_a_table_draws_each_row_as_the_row_alone_is_drawn(
    client, viewer_client, r, type_name, editing
):
    """The table's rows (compiled once per table by {% for_rows %}) are, byte for byte, what
    Django draws for each row alone: the `row` partial an edit or a live redraw sends."""
    client = client if editing else viewer_client
    key = _arrange_odd(r, type_name)
    page = client.get(key_url(key, count=100)).content.decode()
    body = page[page.index("<tbody>"):page.index("</tbody>")]
    rows = re.findall(r'<tr data-row="[^"]*">.*?</tr>\n', body, re.S)
    assert len(rows) == {"set": 12}.get(type_name, 24)
    for drawn in rows:
        token = html.unescape(re.match(r'<tr data-row="([^"]*)"', drawn).group(1))
        alone = client.get(key_url(key) + f"row/?row={token}", headers=HTMX).content.decode()
        assert drawn == alone
    assert "<script>" not in body and "{{" in body  # escaped, and not a template
