"""The editors in a real Chromium against a real Redis.

Each test edits through the page the way a person would (clicks, typing, the keyboard) and
checks both what the page shows afterwards and what Redis holds, read through the separate
`r` client. Every request the page makes is recorded, so a test can also say that no
htmx POST was refused by CSRF (403) and that an edit did not reload the page.
"""

from __future__ import annotations

import re

import pytest
import redis
from playwright.sync_api import Page, Request, Response, expect

from keyspace.display import human_bytes
from tests.browser.rows import open_row, value_row
from tests.support.htmx import HTMX
from tests.support.urls import key_url

pytestmark = pytest.mark.browser

VALUE_ROWS = "table.values tbody tr:not(.scan-status):not(.empty)"
EDIT_CONTROLS = (
    'main a[href*="/edit/"], main [hx-get*="/edit/"], main [hx-post], main form[method="post"]'
)
EDIT_LABELS = (
    "Set TTL",
    "Remove TTL",
    "Rename",
    "Copy",
    "Delete",
    "Edit",
    "Push",
    "Add member",
    "Add field",
)


# --------------------------------------------------------------------------- helpers


class Traffic:
    """What the page asked for and got: the requests and responses it made, in order."""

    def __init__(self, page: Page) -> None:
        self.requests: list[Request] = []
        self.responses: list[Response] = []
        page.on("request", lambda request: self.requests.append(request))
        page.on("response", lambda response: self.responses.append(response))

    def posts(self) -> list[Request]:
        return [request for request in self.requests if request.method == "POST"]

    def documents(self) -> list[Request]:
        """Full page loads (not fetch/XHR): an edit that reloads the page shows up here."""
        return [request for request in self.requests if request.resource_type == "document"]

    def assert_no_forbidden(self) -> None:
        refused = [f"{r.request.method} {r.url}" for r in self.responses if r.status == 403]
        assert refused == [], f"requests refused with 403 (CSRF?): {refused}"

    def assert_posts_carry_csrf_header(self) -> None:
        posts = self.posts()
        assert posts, "no POST was made; the check proves nothing"
        for request in posts:
            assert request.headers.get("hx-request") == "true", request.url
            assert request.headers.get("x-csrftoken"), f"no X-CSRFToken header on {request.url}"


@pytest.fixture
def traffic(page: Page) -> Traffic:
    return Traffic(page)


def row(page: Page, token: bytes | str | int):
    """A value row: a field or member (bytes/str) or a list index (int)."""
    return value_row(page, token)


def key_action(page: Page, label: str):
    return page.get_by_role("toolbar", name="Key actions").get_by_role(
        "link", name=label, exact=True
    )


def mark_page(page: Page) -> None:
    """Tag the window and the value section: a reload or a body swap loses the tags."""
    page.evaluate(
        """() => {
          window.__editMarker = "still here";
          document.querySelector("#value").dataset.marker = "original";
        }"""
    )


def assert_page_not_reloaded(page: Page) -> None:
    assert page.evaluate("() => window.__editMarker") == "still here", "the page was reloaded"


def meta(page: Page, term: str):
    """The value cell of the key metadata panel labelled `term` (Type, TTL, Length, ...)."""
    return (
        page.locator("#key-meta > div")
        .filter(has=page.locator("dt", has_text=re.compile(f"^{term}$")))
        .locator("dd")
    )


def seconds_shown(text: str) -> float:
    """'4 s' → 4, '850 ms' → 0.85; anything else (minutes, 'expired') fails the test."""
    match = re.fullmatch(r"(\d+) (s|ms)", text.strip())
    assert match, f"not a short TTL: {text!r}"
    return int(match[1]) / (1000 if match[2] == "ms" else 1)


def tab_to(page: Page, locator, limit: int = 10) -> None:
    """Press Tab until `locator` has the focus, as a keyboard user would."""
    for _ in range(limit):
        if locator.evaluate("el => el === document.activeElement"):
            return
        page.keyboard.press("Tab")
    expect(locator).to_be_focused()


# --------------------------------------------------------------------------- 1. hash field


def test_edit_a_hash_field_in_place(page: Page, url, r: redis.Redis, traffic: Traffic):
    r.hset("user:1", mapping={"name": "Ada", "email": "ada@example.com", "age": "36"})
    page.goto(url(key_url("user:1")))
    mark_page(page)
    loads = len(traffic.documents())

    name = open_row(page, "name")
    expect(name.locator("td").nth(1)).to_have_text("Ada")
    name.get_by_role("link", name="Edit", exact=True).click()

    # The row turns into its form, filled with the value as it is now.
    expect(name).to_have_class(re.compile(r"\bediting\b"))
    form = name.locator("form")
    value = form.get_by_label("Value")
    expect(value).to_have_value("Ada")
    value.fill("Grace Hopper")
    form.get_by_role("button", name="Save").click()

    # The same row shows the new value; nothing else on the page was redrawn.
    expect(name).not_to_have_class(re.compile(r"\bediting\b"))
    expect(name.locator("td.field")).to_have_text("name")
    expect(name.locator("td").nth(1)).to_have_text("Grace Hopper")
    expect(page.locator("tr.editing")).to_have_count(0)
    expect(page.locator(VALUE_ROWS)).to_have_count(3)
    expect(row(page, "email").locator("td").nth(1)).to_have_text("ada@example.com")
    expect(page.locator("#flash")).to_have_text("saved field name")
    assert_page_not_reloaded(page)
    expect(page.locator("#value")).to_have_attribute("data-marker", "original")
    assert len(traffic.documents()) == loads, "saving loaded a new document"
    assert r.hget("user:1", "name") == b"Grace Hopper"

    # The metadata panel (redrawn out of band) still describes this key, as it is now.
    expect(meta(page, "Type")).to_have_text("hash")
    expect(meta(page, "TTL")).to_have_text("no TTL")
    expect(meta(page, "Length")).to_have_text("3 fields")
    expect(meta(page, "Memory")).to_have_text(human_bytes(r.memory_usage("user:1")))
    expect(page.locator("#key-meta")).to_have_count(1)

    traffic.assert_no_forbidden()


def test_hash_edit_conflict_keeps_the_other_clients_value(
    page: Page, url, r: redis.Redis, traffic: Traffic
):
    r.hset("user:1", mapping={"name": "Ada", "email": "ada@example.com"})
    page.goto(url(key_url("user:1")))

    email = open_row(page, "email")
    email.get_by_role("link", name="Edit", exact=True).click()
    form = email.locator("form")
    expect(form.get_by_label("Value")).to_have_value("ada@example.com")

    # Someone else writes the field while the form is open.
    r.hset("user:1", "email", "ada@elsewhere.example")

    form.get_by_label("Value").fill("mine@example.com")
    form.get_by_role("button", name="Save").click()

    problem = email.get_by_role("alert")
    expect(problem).to_contain_text("Changed meanwhile")
    expect(problem).to_contain_text("the field was changed meanwhile; nothing was written")
    expect(problem.locator(".current pre")).to_have_text("ada@elsewhere.example")
    expect(email).to_have_class(re.compile(r"\bediting\b"))  # the form stays open
    assert r.hget("user:1", "email") == b"ada@elsewhere.example"
    assert any(resp.status == 409 for resp in traffic.responses)
    traffic.assert_no_forbidden()


# --------------------------------------------------------------------------- 2. list push


def test_push_an_element_to_the_head_of_a_list(page: Page, url, r: redis.Redis, traffic: Traffic):
    r.rpush("queue:jobs", "job-1", "job-2", "job-3")
    page.goto(url(key_url("queue:jobs")))
    mark_page(page)

    key_action(page, "Push").click()
    form = page.locator("#editor form")
    form.get_by_label("Push to").select_option("head")
    form.get_by_label("Element(s)").fill("urgent")
    form.get_by_role("button", name="Push", exact=True).click()

    elements = page.locator(f"{VALUE_ROWS} td:nth-child(3)")
    expect(elements).to_have_text(["urgent", "job-1", "job-2", "job-3"])
    expect(page.locator(f"{VALUE_ROWS} td:nth-child(1)")).to_have_text(["0", "1", "2", "3"])
    expect(row(page, 0).locator("td").nth(2)).to_have_text("urgent")
    expect(page.locator("#editor")).to_be_empty()
    expect(page.locator("#flash")).to_have_text(
        "pushed urgent to the head; the list has 4 elements"
    )
    expect(meta(page, "Length")).to_have_text("4 elements")
    assert_page_not_reloaded(page)
    assert r.lindex("queue:jobs", 0) == b"urgent"
    assert r.lrange("queue:jobs", 0, -1) == [b"urgent", b"job-1", b"job-2", b"job-3"]
    traffic.assert_no_forbidden()


# --------------------------------------------------------------------------- 3. zset → leaderboard


def test_added_member_tops_the_leaderboard(page: Page, url, r: redis.Redis, traffic: Traffic):
    r.zadd("scores", {"alice": 10, "bob": 20, "carol": 5})
    page.goto(url(key_url("scores")))

    key_action(page, "Add member").click()
    form = page.locator("#editor form")
    form.get_by_label(re.compile(r"^Member")).fill("dave")
    score = form.get_by_label(re.compile(r"^Score"))
    score.fill("99.5")
    score.press("Enter")  # a text input submits its form with Enter

    expect(page.locator("#flash")).to_have_text("added dave with score 99.5")
    expect(page.locator("#editor")).to_be_empty()
    first = page.locator(VALUE_ROWS).first
    expect(first.locator("td")).to_have_text(["1", "dave", "99.5"])
    assert r.zscore("scores", "dave") == 99.5

    page.locator("#value").get_by_role("link", name="Leaderboard").click()
    expect(page).to_have_url(url(key_url("scores") + "leaderboard/"))
    board = page.locator("#board")
    expect(board.locator(".summary")).to_contain_text("Top 4 of 4 members")
    rows = board.locator("tbody tr")
    expect(rows).to_have_count(4)
    top = rows.first
    expect(top.locator("td").nth(0)).to_have_text("1")
    expect(top.locator("td").nth(1)).to_have_text("dave")
    expect(top.locator("td").nth(2)).to_have_text("99.5")
    expect(rows.locator("td:nth-child(2)")).to_have_text(["dave", "bob", "alice", "carol"])
    # Each row has a bar to scale: the top one full, bob's (20) at 20.1% of 99.5.
    bars = rows.locator(".bar")
    expect(bars).to_have_count(4)
    expect(bars.first).to_be_visible()
    box = bars.first.bounding_box()
    assert box and box["width"] > 0 and box["height"] > 0, box
    expect(bars.first).to_have_attribute("title", "100.0% of the largest score shown")
    expect(bars.nth(1)).to_have_attribute("title", "20.1% of the largest score shown")
    traffic.assert_no_forbidden()


# --------------------------------------------------------------------------- 4. TTL


def test_set_ttl_counts_down_and_the_key_expires(page: Page, url, r: redis.Redis, traffic: Traffic):
    r.set("temp:token", "soon gone")
    page.goto(url(key_url("temp:token")))
    ttl = meta(page, "TTL")
    expect(ttl).to_have_text("no TTL")

    key_action(page, "Set TTL").click()
    form = page.locator("#editor form")
    expect(form.get_by_label("Unit")).to_have_value("s")
    amount = form.get_by_label("TTL", exact=False)
    amount.fill("4")
    amount.press("Enter")
    # Four seconds is too short to look at: confirmed like a delete.
    expect(form).to_contain_text("expire almost at once")
    assert r.ttl("temp:token") == -1
    form.get_by_role("button", name="Save").click()

    expect(page.locator("#flash")).to_have_text("TTL set to 4,000 ms")
    assert 0 < r.pttl("temp:token") <= 4_000

    # The cell counts down on its own: a first reading, then a smaller one a moment later.
    expect(ttl).to_have_text(re.compile(r"^[1-4] s$"))
    first = seconds_shown(ttl.text_content())
    page.wait_for_function(
        """([el, first]) => {
          const m = /^(\\d+) (s|ms)$/.exec(el.textContent.trim());
          return m && Number(m[1]) / (m[2] === "ms" ? 1000 : 1) < first;
        }""",
        arg=[ttl.element_handle(), first],
        timeout=3_000,
    )
    second = seconds_shown(ttl.text_content())
    assert second < first
    expect(page.locator(".expired-notice")).to_be_hidden()

    # When it runs out the page says so, and Redis no longer holds the key.
    expect(ttl).to_have_text("expired", timeout=7_000)
    notice = page.locator(".expired-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("This key has expired")
    assert r.exists("temp:token") == 0
    traffic.assert_no_forbidden()


# --------------------------------------------------------------------------- 5. delete


def test_delete_asks_first_and_cancel_keeps_the_key(
    page: Page, url, r: redis.Redis, traffic: Traffic
):
    r.set("doomed", "x")
    r.hset("kept", "f", "v")

    page.goto(url(key_url("doomed")))
    key_action(page, "Delete").click()
    editor = page.locator("#editor")
    expect(editor).to_contain_text("You can undo this for 60 minutes")
    expect(editor.get_by_role("heading")).to_have_text("Delete: doomed")
    assert r.exists("doomed") == 1, "opening the confirmation deleted the key"
    assert traffic.posts() == []

    editor.get_by_role("button", name="Delete the key").click()
    expect(page).to_have_url(url("/c/default/db/0/"))
    expect(page.locator("#flash")).to_contain_text("deleted doomed")
    expect(page.get_by_role("link", name="kept", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="doomed", exact=True)).to_have_count(0)
    assert r.exists("doomed") == 0

    # Cancel on another key's confirmation: the panel closes and nothing is posted.
    page.get_by_role("link", name="kept", exact=True).click()
    expect(page).to_have_url(url(key_url("kept")))
    posts_before = len(traffic.posts())
    key_action(page, "Delete").click()
    expect(editor).to_contain_text("You can undo this for 60 minutes")
    editor.get_by_role("link", name="Cancel").click()
    page.wait_for_load_state("networkidle")
    # One page, not a page nested in the editor panel, and the panel is closed.
    expect(page.locator("header.topbar")).to_have_count(1)
    expect(page.locator("#editor")).to_have_count(1)
    expect(editor).to_be_empty()
    expect(page).to_have_url(url(key_url("kept")))
    expect(page.locator("h1.key-title")).to_have_text("kept")
    assert len(traffic.posts()) == posts_before
    assert r.hgetall("kept") == {b"f": b"v"}
    traffic.assert_no_forbidden()


def test_undo_puts_a_deleted_key_back_and_an_edited_field_back(
    page: Page, url, r: redis.Redis, traffic: Traffic
):
    r.hset("profile", mapping={"name": "ada", "lang": "en"})
    r.expire("profile", 900)
    page.goto(url(key_url("profile")))
    key_action(page, "Delete").click()
    page.locator("#editor").get_by_role("button", name="Delete the key").click()
    expect(page).to_have_url(url("/c/default/db/0/"))
    assert r.exists("profile") == 0

    page.locator("#undo-offer").get_by_role("button", name="Undo").click()
    expect(page).to_have_url(url(key_url("profile")))
    expect(page.locator("#flash")).to_contain_text("undone: deleted profile")
    assert r.hgetall("profile") == {b"name": b"ada", b"lang": b"en"}
    assert 890 < r.ttl("profile") <= 900

    # An in-place edit (htmx) offers Undo next to its message too.
    row = open_row(page, "name")
    row.get_by_role("link", name="Edit").click()
    row = page.locator("tr.editing")
    row.get_by_label("Value").fill("grace")
    row.get_by_role("button", name="Save").click()
    expect(page.locator("#flash")).to_have_text("saved field name")
    assert r.hget("profile", "name") == b"grace"
    page.locator("#undo-offer").get_by_role("button", name="Undo").click()
    expect(page.locator("#flash")).to_contain_text("undone: saved field name")
    assert r.hget("profile", "name") == b"ada"
    traffic.assert_no_forbidden()


# --------------------------------------------------------------------------- 6. keyboard, CSRF


def test_a_field_chosen_before_the_form_settles_keeps_the_focus(page: Page, url, r: redis.Redis):
    """An opened form takes the focus once it settles, unless the person is already in it:
    what they type goes where they put it."""
    r.hset("user:1", mapping={"name": "Ada"})
    page.goto(url(key_url("user:1")))
    page.evaluate("htmx.config.defaultSettleDelay = 1000")
    key_action(page, "Add field").click()
    form = page.locator("#editor form")
    value = form.get_by_label(re.compile(r"^Value"))
    value.focus()
    expect(page.locator("#editor")).not_to_have_class(re.compile(r"\bhtmx-settling\b"),
                                                      timeout=5000)
    page.keyboard.type("blue")
    expect(value).to_have_value("blue")
    expect(form.get_by_label(re.compile(r"^Field"))).to_have_value("")


def test_edit_forms_work_from_the_keyboard_with_csrf(
    page: Page, url, r: redis.Redis, traffic: Traffic, live_server
):
    r.hset("user:1", mapping={"name": "Ada", "email": "ada@example.com"})
    page.goto(url(key_url("user:1")))

    # A row form: type into the textarea, Tab to Save, press Enter.
    name = open_row(page, "name")
    name.get_by_role("link", name="Edit", exact=True).focus()
    page.keyboard.press("Enter")
    value = name.locator("form").get_by_label("Value")
    expect(value).to_have_value("Ada")
    value.focus()
    page.keyboard.press("Control+A")
    page.keyboard.type("Typed")
    save = name.get_by_role("button", name="Save")
    tab_to(page, save)
    page.keyboard.press("Enter")
    expect(name.locator("td").nth(1)).to_have_text("Typed")
    assert r.hget("user:1", "name") == b"Typed"

    # A key form: Enter in a one-line input submits it.
    key_action(page, "Add field").click()
    form = page.locator("#editor form")
    form.get_by_label(re.compile(r"^Value")).fill("blue")
    field = form.get_by_label(re.compile(r"^Field"))
    field.fill("colour")
    field.press("Enter")
    expect(page.locator("#flash")).to_have_text("added field colour")
    expect(row(page, "colour").locator("td").nth(1)).to_have_text("blue")
    assert r.hget("user:1", "colour") == b"blue"

    # Every POST was an htmx one carrying the CSRF header, and none was refused.
    assert len(traffic.posts()) == 2
    traffic.assert_posts_carry_csrf_header()
    traffic.assert_no_forbidden()

    # The check is not vacuous: the same POST without the header or token is refused.
    refused = page.request.post(
        url(key_url("user:1") + "edit/hash-add/"),
        form={"field": "sneaky", "value": "x", "expected_type": "hash"},
        headers=HTMX,
        fail_on_status_code=False,
    )
    assert refused.status == 403
    assert r.hexists("user:1", "sneaky") == 0


# --------------------------------------------------------------------------- 7. read-only


def test_read_only_mode_shows_no_edit_controls(page: Page, url, r: redis.Redis, settings):
    r.hset("user:1", mapping={"name": "Ada"})
    r.rpush("queue:jobs", "job-1")
    r.zadd("scores", {"alice": 10})
    r.set("session:1", "x", ex=3_600)
    keys = ("user:1", "queue:jobs", "scores", "session:1")

    # With editing on, the selector finds the controls (so its absence below means something).
    page.goto(url(key_url("user:1")))
    assert page.locator(EDIT_CONTROLS).count() > 0
    expect(open_row(page, "name").get_by_role("link", name="Edit")).to_be_visible()

    settings.DASHBOARD_READONLY = True
    for name in keys:
        page.goto(url(key_url(name)))
        expect(page.locator("h1.key-title")).to_have_text(name)
        expect(page.locator("#value")).not_to_be_empty()
        expect(page.locator(EDIT_CONTROLS)).to_have_count(0)
        toolbar = page.get_by_role("toolbar", name="Key actions")
        for label in EDIT_LABELS:
            expect(toolbar.get_by_role("link", name=label, exact=True)).to_have_count(0)
        expect(page.locator("td.row-actions")).to_have_count(0)
        expect(page.locator('#value a[href^="?row="]')).to_have_count(0)
        expect(page.locator("#value").get_by_role("link", name="Edit")).to_have_count(0)

    # Read-only tools stay (the sorted set's lookup), and an edit URL opened directly is refused.
    page.goto(url(key_url("scores")))
    expect(page.get_by_role("toolbar", name="Key actions").get_by_role("link")).not_to_have_count(0)
    response = page.goto(url(key_url("user:1") + "edit/ttl/"))
    assert response.status == 403
