"""A consumer group's pending entries against a real Redis: the summary and pages by ID (10,000
pending, bounded per page), the IDLE and consumer filters, and unsticking work: acknowledge
and claim ticked entries, claim idle ones, each confirmed and refused when another client got
there first."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from keyspace.services.editing import guard
from tests.support.htmx import HTMX
from tests.units.helpers import RedisWork

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py


def pending_url(group=b"g", key=b"s", action=None, db=0) -> str:
    if action:
        return reverse("keyspace:stream-pending-act",
                       kwargs={"db": db, "key": key, "group": group, "action": action})
    return reverse("keyspace:stream-pending", kwargs={"db": db, "key": key, "group": group})


def text(response) -> str:
    plain = html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return " ".join(plain.split())


def selections(body: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'name="selected" value="([^"]*)"', body)]


def form_of(body: str) -> dict:
    """The confirmation form's fields as a browser sends them (repeated names as lists)."""
    fields: dict[str, list[str]] = {}
    for tag in re.findall(r"<input[^>]*>", body):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and name.group(1) != "csrfmiddlewaretoken":
            fields.setdefault(name.group(1), []).append(html.unescape(value.group(1)) if value
                                                        else "")
    return fields


def pending_ids(r, group="g") -> dict[str, tuple[bytes, int]]:
    return {row["message_id"].decode(): (row["consumer"], row["times_delivered"])
            for row in r.xpending_range("s", group, "-", "+", 100_000)}


@pytest.fixture
def work(r):
    """Entries 1-0 .. 20-0; alice was given 1..10, bob 11..15; 16..20 not delivered."""
    for i in range(1, 21):
        r.xadd("s", {"job": f"j{i}"}, id=f"{i}-0")
    r.xgroup_create("s", "g", "0")
    r.xreadgroup("g", "alice", {"s": ">"}, count=10)
    r.xreadgroup("g", "bob", {"s": ">"}, count=5)
    return "s"


def act(client, action, selected, *, consumer=None, htmx=False, **extra):
    data = {"selected": selected, "expected_type": "stream", **extra}
    if consumer is not None:
        data["consumer"] = consumer
    return client.post(pending_url(action=action), data, headers=HTMX if htmx else {})


def confirm(client, action, asked, htmx=False):
    assert asked.status_code == 428, text(asked)[-1500:]
    fields = form_of(asked.content.decode())
    assert fields.get("confirm")
    return client.post(pending_url(action=action), fields, headers=HTMX if htmx else {})


# --- reading -------------------------------------------------------------------------------------


def test_summary_page_and_oldest_entry(client, r, work):
    response = client.get(pending_url())
    assert response.status_code == 200
    said = text(response)
    assert "15 pending entries" in said and "IDs 1-0 to 15-0" in said
    assert "Oldest pending entry: 1-0 , held by alice" in said
    assert "delivered 1 time." in said
    body = response.content.decode()
    assert len(selections(body)) == 15
    assert selections(body)[0].startswith("1-0:1:")
    assert "j1" in said  # the entry's fields are shown beside it


def test_filters_by_consumer_and_idle(client, r, work):
    body = client.get(pending_url(), {"consumer": "bob"}).content.decode()
    assert [s.split(":")[0] for s in selections(body)] == [f"{i}-0" for i in range(11, 16)]
    body = client.get(pending_url(), {"idle": "3600000"}).content.decode()
    assert selections(body) == []
    assert "No pending entries match here" in html.unescape(body)


def test_htmx_asks_for_the_table_only(client, r, work):
    body = client.get(pending_url(), headers={**HTMX, "HX-Target": "pending"}).content.decode()
    assert body.strip().startswith('<section id="pending"') and "<html" not in body


@pytest.mark.one_server  # ~5 s of seeding per server
def test_ten_thousand_pending_are_paged_by_id_with_bounded_work(client, r):
    with r.pipeline(transaction=False) as pipe:
        for i in range(1, 10_001):
            pipe.xadd("s", {"n": str(i)}, id=f"{i}-0")
        pipe.execute()
    r.xgroup_create("s", "g", "0")
    r.xreadgroup("g", "worker", {"s": ">"}, count=10_000)
    seen, query, pages = [], {"count": "500"}, 0
    while True:
        with RedisWork(r) as used:
            body = client.get(pending_url(), query).content.decode()
        assert used.count("xpending") <= 3, used.calls  # summary, oldest, the page
        assert used.count("xrange") <= 500 and used.output_bytes < 200_000
        page = [s.split(":")[0] for s in selections(body)]
        seen += page
        pages += 1
        found = re.search(r'href="\?([^"]*after=[^"]*)"', body)
        if not found:
            break
        query = dict(p.split("=", 1) for p in html.unescape(found.group(1)).split("&"))
    assert pages == 21 and len(seen) == 10_000
    assert seen == [f"{i}-0" for i in range(1, 10_001)]

    # A selection deep in the group: acknowledged, and only it. 101 would be too many.
    body = client.get(pending_url(), {"count": "500", "after": "5000-0"}).content.decode()
    picked = selections(body)[:101]
    assert "more than the 100 one edit may name" in text(act(client, "stream-ack", picked))
    with RedisWork(r) as used:
        done = confirm(client, "stream-ack", act(client, "stream-ack", picked[:100]))
    assert done.status_code == 302 and used.count("xack") == 1
    assert used.output_bytes < 100_000
    left = r.xpending("s", "g")
    assert left["pending"] == 9_900
    assert r.xpending_range("s", "g", "5001-0", "5100-0", 200) == []
    assert len(r.xpending_range("s", "g", "5101-0", "5101-0", 1)) == 1


def test_a_group_that_does_not_exist_is_said_plainly(client, r, work):
    response = client.get(pending_url(group=b"nope"))
    assert response.status_code == 422
    assert "no such consumer group" in text(response)


def test_viewers_see_the_pending_page_without_controls(viewer_client, r, work):
    response = viewer_client.get(pending_url())
    assert response.status_code == 200
    assert selections(response.content.decode()) == []
    assert "Acknowledge selected" not in text(response)


# --- acknowledge and claim ticked entries ------------------------------------------------------


def test_acknowledge_shows_the_entries_then_acks_only_them(client, r, work):
    picked = selections(client.get(pending_url()).content.decode())[2:5]
    asked = act(client, "stream-ack", picked)
    said = text(asked)
    assert "acknowledge" in said and "3 pending entries" in said
    assert "3-0 held by 'alice'" in said and "delivered 1×" in said
    assert len(pending_ids(r)) == 15  # nothing yet
    done = confirm(client, "stream-ack", asked)
    assert done.status_code == 302 and done["Location"] == pending_url()
    assert set(pending_ids(r)) == {f"{i}-0" for i in range(1, 16)} - {"3-0", "4-0", "5-0"}
    assert "acknowledged 3 pending entries" in text(client.get(pending_url()))


def test_claim_gives_entries_to_another_consumer(client, r, work):
    picked = selections(client.get(pending_url()).content.decode())[:2]
    asked = act(client, "stream-claim", picked, consumer="carol", htmx=True)
    done = confirm(client, "stream-claim", asked, htmx=True)
    assert done.headers.get("HX-Redirect") == pending_url()
    assert pending_ids(r)["1-0"] == (b"carol", 2) and pending_ids(r)["2-0"] == (b"carol", 2)
    assert pending_ids(r)["3-0"] == (b"alice", 1)


def test_claim_needs_a_consumer_and_a_selection(client, r, work):
    picked = selections(client.get(pending_url()).content.decode())[:1]
    assert act(client, "stream-claim", picked, consumer="").status_code == 422
    assert act(client, "stream-ack", []).status_code == 422
    assert "tick at least one pending entry" in text(act(client, "stream-ack", []))


def test_an_entry_acked_by_another_client_after_the_confirmation_is_refused(client, r, work):
    picked = selections(client.get(pending_url()).content.decode())[:3]
    asked = act(client, "stream-ack", picked)
    r.xack("s", "g", "2-0")
    refused = confirm(client, "stream-ack", asked)
    assert refused.status_code == 409
    assert "entry 2-0 is no longer pending" in text(refused)
    assert "1-0" in pending_ids(r) and "3-0" in pending_ids(r)  # nothing changed


def test_an_entry_claimed_between_check_and_write_is_refused(client, r, work, monkeypatch):
    """XCLAIM does not touch the key as WATCH sees it: only the script's own check holds."""
    picked = selections(client.get(pending_url()).content.decode())[:3]
    asked = act(client, "stream-claim", picked, consumer="carol")

    def meanwhile(other, keys):
        monkeypatch.setattr(guard, "before_write", None)
        r.xclaim("s", "g", "dave", 0, ["3-0"])

    monkeypatch.setattr(guard, "before_write", meanwhile)
    refused = confirm(client, "stream-claim", asked)
    assert refused.status_code == 409, text(refused)
    assert "entry 3-0 is now held by 'dave', delivered 2 times" in text(refused)
    assert pending_ids(r)["1-0"] == (b"alice", 1) and pending_ids(r)["3-0"] == (b"dave", 2)


def test_a_selection_read_again_meanwhile_is_refused(client, r, work):
    """Same consumer, but delivered once more (its consumer read its history again)."""
    picked = selections(client.get(pending_url()).content.decode())[:1]
    asked = act(client, "stream-ack", picked)
    r.xreadgroup("g", "alice", {"s": "0"}, count=1)
    refused = confirm(client, "stream-ack", asked)
    assert refused.status_code == 409 and "delivered 2 times" in text(refused)
    assert "1-0" in pending_ids(r)


def test_a_damaged_selection_is_refused(client, r, work):
    response = act(client, "stream-ack", ["1-0:1:!!"])
    assert response.status_code == 422 and "damaged" in text(response)


# --- claim idle entries --------------------------------------------------------------------------


def test_autoclaim_shows_the_idle_entries_then_claims_them(client, r, work):
    data = {"consumer": "carol", "min_idle": "0", "count": "4", "expected_type": "stream"}
    asked = client.post(pending_url(action="stream-autoclaim"), data)
    said = text(asked)
    assert asked.status_code == 428 and "4 pending entries" in said and "1-0 held by" in said
    done = confirm(client, "stream-autoclaim", asked)
    assert done.status_code == 302, text(done)
    assert [c for c, _ in pending_ids(r).values()].count(b"carol") == 4
    assert pending_ids(r)["5-0"] == (b"alice", 1)


def test_autoclaim_refuses_when_other_entries_became_idle(client, r, work):
    data = {"consumer": "carol", "min_idle": "0", "count": "100", "expected_type": "stream"}
    asked = client.post(pending_url(action="stream-autoclaim"), data)
    r.xreadgroup("g", "erin", {"s": ">"}, count=2)  # two more pending, idle 0 ms already
    refused = confirm(client, "stream-autoclaim", asked)
    assert refused.status_code in (409, 428)
    assert b"carol" not in {c for c, _ in pending_ids(r).values()}


# --- who may -------------------------------------------------------------------------------------


@pytest.mark.parametrize("action", ["stream-ack", "stream-claim", "stream-autoclaim"])
def test_viewers_and_read_only_mode_are_refused(client, viewer_client, settings, r, work,
                                                action):
    picked = selections(client.get(pending_url()).content.decode())[:2]
    data = {"selected": picked, "consumer": "carol", "min_idle": "0", "count": "5",
            "expected_type": "stream"}
    assert viewer_client.post(pending_url(action=action), data).status_code == 403
    settings.DASHBOARD_READONLY = True
    assert client.post(pending_url(action=action), data).status_code == 403
    assert pending_ids(r)["1-0"] == (b"alice", 1) and len(pending_ids(r)) == 15


def test_unknown_action_is_a_404(client, r, work):
    assert client.post(pending_url(action="stream-trim"), {}).status_code == 404


def test_an_acknowledgement_can_be_undone(client, r, work):
    picked = selections(client.get(pending_url()).content.decode())[:2]
    done = confirm(client, "stream-ack", act(client, "stream-ack", picked))
    assert done.status_code == 302 and "1-0" not in pending_ids(r)
    page = client.get(pending_url()).content.decode()
    undo = re.search(r'action="(/undo/[^"]+/)"', page)
    assert undo, "the message offers no Undo"
    assert client.post(undo.group(1)).status_code in (200, 302)
    assert pending_ids(r)["1-0"] == (b"alice", 1) and len(pending_ids(r)) == 15


def test_binary_group_and_hostile_consumer_names(client, r):
    r.xadd("s", {"f": "<b>v</b>"}, id="1-0")
    r.xgroup_create("s", b"g\xff\x00", "0")
    r.xreadgroup(b"g\xff\x00", "<img src=x onerror=alert(1)>", {"s": ">"})
    response = client.get(pending_url(group=b"g\xff\x00"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "<img src=x" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body
    assert "<b>v</b>" not in body
    [picked] = selections(body)
    asked = client.post(pending_url(group=b"g\xff\x00", action="stream-ack"),
                        {"selected": [picked], "expected_type": "stream"})
    done = confirm_at(client, pending_url(group=b"g\xff\x00", action="stream-ack"), asked)
    assert done.status_code == 302
    assert r.xpending("s", b"g\xff\x00")["pending"] == 0


def confirm_at(client, url, asked):
    assert asked.status_code == 428, text(asked)[-800:]
    return client.post(url, form_of(asked.content.decode()))


def test_consumers_past_the_listing_limit_are_not_asked_for(client, r, work, monkeypatch):
    from keyspace.units.stream import group_guard as groups
    from keyspace.units.stream import pending

    monkeypatch.setattr(pending, "LISTING_LIMIT", 1)
    with RedisWork(r) as used:
        response = client.get(pending_url())
    assert "This group has 2 consumers: too many to list here" in text(response)
    assert "15 pending entries" in text(response) and used.count("xpending") == 2
    assert len(selections(response.content.decode())) == 15
    monkeypatch.setattr(groups, "LISTING_LIMIT", 0)
    response = client.get(pending_url())
    assert response.status_code == 422 and "1 consumer groups, more than the 0" in text(response)
