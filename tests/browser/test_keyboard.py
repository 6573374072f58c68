"""The dashboard from the keyboard alone: Tab reaches every main action, each stop shows
where the focus is, an edit is made with Enter and Space, and Escape closes what it opened.

No mouse and no `.focus()` calls: the tests press keys in a real Chromium, from the top of
the page, the way someone who cannot use a pointer does.
"""

from __future__ import annotations

import pytest
import redis
from playwright.sync_api import Page, expect

from keyspace.redis.keynames import encode_key
from tests.browser.rows import value_row

pytestmark = pytest.mark.browser

# What the focused element is called and how its focus shows: a keyboard user must be able
# to see it, so it has to be on screen with an outline drawn.
FOCUSED = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const box = el.getBoundingClientRect();
  return {
    name: (el.getAttribute("aria-label") || el.innerText || el.value || el.name || "").trim(),
    label: el.labels && el.labels.length ? el.labels[0].innerText.trim() : "",
    tag: el.tagName.toLowerCase(),
    outline: style.outlineStyle === "none" ? 0 : parseFloat(style.outlineWidth),
    shown: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0,
  };
}"""

# The key list's actions, in the order the Tab key reaches them.
BROWSE_ACTIONS = (
    *("Skip to the content", "Sign out", "db0"),
    *("Keys", "Namespaces", "Pub/sub", "Audit log"),
    *("Pattern", "Type", "Per page", "Filter", "Exact key", "Look up", "New key"),
)


def key_path(name: str) -> str:
    return f"/c/default/db/0/key/{encode_key(name.encode())}/"


def name_row(page: Page):
    return value_row(page, "name")


def focused(page: Page) -> dict:
    return page.evaluate(FOCUSED)


def assert_visible_focus(stop: dict) -> None:
    assert stop["shown"], f"the focus is on something not on screen: {stop}"
    assert stop["outline"] >= 1, f"no visible focus style on {stop}"


def tab_until(page: Page, wanted, limit: int = 60) -> list[dict]:
    """Press Tab until `wanted(stop)` holds; every stop on the way must show its focus."""
    stops = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        stop = focused(page)
        assert_visible_focus(stop)
        stops.append(stop)
        if wanted(stop):
            return stops
    pytest.fail(f"not reached in {limit} presses of Tab; stops: {[s['name'] for s in stops]}")


def named(text: str):
    return lambda stop: stop["name"] == text or stop["label"].startswith(text)


def wait_for_header(page: Page) -> None:
    expect(page.locator("#server-info .pill").first).to_be_visible()


@pytest.fixture
def user_hash(r: redis.Redis) -> None:
    r.hset("user:1", mapping={"name": "Ada", "email": "ada@example.com"})
    r.set("greeting", "hello")


def test_tab_reaches_every_action_of_the_key_list(page: Page, url, user_hash):
    page.goto(url("/c/default/db/0/"))
    wait_for_header(page)

    stops = tab_until(page, named("user:1"))
    reached = [stop["label"] or stop["name"] for stop in stops]
    order = []
    for action in BROWSE_ACTIONS:
        at = [i for i, name in enumerate(reached) if name.startswith(action)]
        assert at, f"Tab never reached {action}; it reached {reached}"
        order.append(at[0])
    assert order == sorted(order), f"the focus order is not the page's order: {reached}"

    # The db picker opens with Enter, its databases are the next stops, Escape closes it.
    page.goto(url("/c/default/db/0/"))
    wait_for_header(page)
    tab_until(page, named("db0"))
    page.keyboard.press("Enter")
    expect(page.locator(".db-picker ul")).to_be_visible()
    tab_until(page, lambda stop: stop["name"].startswith("db0"), limit=1)
    page.keyboard.press("Escape")
    expect(page.locator(".db-picker ul")).to_be_hidden()
    assert focused(page)["tag"] == "summary"


def test_the_skip_link_goes_straight_to_the_page(page: Page, url, user_hash):
    page.goto(url("/c/default/db/0/"))
    page.keyboard.press("Tab")
    stop = focused(page)
    assert stop["name"] == "Skip to the content"
    assert_visible_focus(stop)
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert focused(page)["label"].startswith("Pattern")


def test_an_edit_made_with_the_keyboard_alone(page: Page, url, r: redis.Redis, user_hash):
    page.goto(url(key_path("user:1")))
    wait_for_header(page)

    stops = tab_until(page, lambda stop: stop["name"] == "name")
    names = [stop["name"] for stop in stops]
    for action in ("Add field", "Set TTL", "Rename", "Copy", "Delete", "Apply"):
        assert action in names, f"Tab never reached {action} on the key page"

    # Enter on the row's first cell shows its actions, the next Tab stops; Enter on Edit opens
    # the row's form with the focus in its value; Space presses Save.
    page.keyboard.press("Enter")
    stops = tab_until(page, lambda stop: stop["name"] == "Edit", limit=1)
    page.keyboard.press("Enter")
    value = name_row(page).get_by_label("Value")
    expect(value).to_be_focused()
    page.keyboard.press("Control+A")
    page.keyboard.type("Grace")
    tab_until(page, named("Save"), limit=5)
    page.keyboard.press("Space")
    expect(name_row(page).locator("td").nth(1)).to_have_text("Grace")
    assert r.hget("user:1", "name") == b"Grace"
    # The focus is back where the edit started, so the next Tab goes on from there.
    edit = name_row(page).get_by_role("link", name="Edit", exact=True)
    expect(edit).to_be_focused()


def test_escape_closes_forms_and_gives_the_focus_back(page: Page, url, r: redis.Redis, user_hash):
    page.goto(url(key_path("user:1")))
    wait_for_header(page)

    tab_until(page, named("Set TTL"))
    page.keyboard.press("Enter")
    # The form's first field (the TTL's unit) has the focus.
    expect(page.locator("#editor form select").first).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.locator("#editor form")).to_have_count(0)
    expect(page.get_by_role("link", name="Set TTL")).to_be_focused()

    # A row's actions open with Enter and close with Escape, the focus back on the row.
    tab_until(page, lambda stop: stop["name"] == "name")
    page.keyboard.press("Enter")
    tab_until(page, lambda stop: stop["name"] == "Edit", limit=1)
    page.keyboard.press("Escape")
    expect(name_row(page).locator("td.row-actions")).to_have_count(0)
    expect(name_row(page).get_by_role("link", name="name", exact=True)).to_be_focused()
    page.keyboard.press("Enter")
    tab_until(page, lambda stop: stop["name"] == "Edit", limit=1)
    page.keyboard.press("Enter")
    expect(name_row(page).get_by_label("Value")).to_be_focused()
    page.keyboard.type(" changed")
    page.keyboard.press("Escape")
    expect(page.locator("tr.editing")).to_have_count(0)
    expect(name_row(page).get_by_role("link", name="Edit", exact=True)).to_be_focused()
    assert r.hget("user:1", "name") == b"Ada"

    # A confirmation takes the focus on its title, not on the button that deletes.
    tab_until(page, named("Delete"), limit=1)
    page.keyboard.press("Enter")
    title = name_row(page).locator("form strong").first
    expect(title).to_have_text("Delete")
    expect(title).to_be_focused()
    stops = tab_until(page, lambda stop: stop["tag"] == "button", limit=3)
    assert stops[-1]["name"] == "Delete this field"
    page.keyboard.press("Space")
    expect(name_row(page)).to_have_count(0)
    assert r.hexists("user:1", "name") == 0
