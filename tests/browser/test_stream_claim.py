"""Claiming pending work in a real Chromium against a real Redis: tick entries on a group's
pending page, name a consumer, read the confirmation, claim; the page then shows the entries
with their new holder, and Redis agrees. Another client's claim in between is refused. And
moving a group's last delivered ID from the key's toolbar."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


@pytest.fixture
def pending(r):
    for i in range(1, 7):
        r.xadd("jobs", {"job": f"job-{i}"}, id=f"{i}-0")
    r.xgroup_create("jobs", "workers", "0")
    r.xreadgroup("workers", "alice", {"jobs": ">"}, count=5)
    return reverse("keyspace:stream-pending",
                   kwargs={"db": 0, "key": b"jobs", "group": b"workers"})


def holder(r, entry_id: str) -> tuple[bytes, int] | None:
    rows = r.xpending_range("jobs", "workers", entry_id, entry_id, 1)
    return (rows[0]["consumer"], rows[0]["times_delivered"]) if rows else None


def choose(page: Page, *entry_ids: str, consumer: str) -> None:
    for entry_id in entry_ids:
        page.get_by_label(f"Select {entry_id}").check()
    page.get_by_label("Claim for consumer").fill(consumer)
    page.get_by_role("button", name="Claim selected…").click()


def test_claim_selected_entries_for_another_consumer(page: Page, url, r, pending):
    page.goto(url(pending))
    expect(page.locator("#pending-summary")).to_contain_text("5 pending entries")
    choose(page, "3-0", "4-0", consumer="carol")

    confirmation = page.locator("#pending-editor form")
    expect(confirmation).to_contain_text("claim (XCLAIM")
    expect(confirmation).to_contain_text("for 'carol' 2 pending entries")
    expect(confirmation).to_contain_text("3-0 held by 'alice'")
    assert holder(r, "3-0") == (b"alice", 1)  # nothing done yet

    confirmation.get_by_role("button", name="Claim", exact=True).click()
    expect(page.locator("#flash")).to_contain_text("claimed 2 pending entries for 'carol'")
    row = page.locator("#pending-3-0")
    expect(row).to_contain_text("carol")
    expect(page.locator("#pending-1-0")).to_contain_text("alice")
    assert holder(r, "3-0") == (b"carol", 2) and holder(r, "4-0") == (b"carol", 2)
    assert holder(r, "5-0") == (b"alice", 1)


def test_a_claim_made_elsewhere_meanwhile_is_refused(page: Page, url, r, pending):
    page.goto(url(pending))
    choose(page, "2-0", consumer="carol")
    confirmation = page.locator("#pending-editor form")
    expect(confirmation).to_contain_text("2-0 held by 'alice'")
    r.xclaim("jobs", "workers", "dave", 0, ["2-0"])  # another client, before the click

    confirmation.get_by_role("button", name="Claim", exact=True).click()
    expect(page.locator("#pending-editor .problem")).to_contain_text(
        "entry 2-0 is now held by 'dave'")
    assert holder(r, "2-0") == (b"dave", 2)


def test_the_pending_page_and_its_confirmation_are_accessible(page: Page, url, r, pending):
    from tests.browser.a11y import assert_accessible

    page.goto(url(pending))
    assert_accessible(page, "pending entries")
    choose(page, "1-0", consumer="carol")
    expect(page.locator("#pending-editor form")).to_contain_text("1-0 held by 'alice'")
    assert_accessible(page, "claim confirmation")


def test_set_a_groups_last_id_from_the_toolbar_says_where_it_is_first(page: Page, url, r,
                                                                      pending):
    """The toolbar's form has the group's name typed, not shown: the first submit says where
    the group is and moves nothing; the second moves it."""
    from tests.support.urls import key_url

    page.goto(url(key_url("jobs")))
    page.get_by_role("toolbar", name="Key actions").get_by_role(
        "link", name="Set group's last ID", exact=True).click()
    form = page.locator("#editor form")
    form.get_by_label("Group").fill("workers")
    form.get_by_label("Last delivered ID").fill("0")
    r.xreadgroup("workers", "bob", {"jobs": ">"}, count=1)  # another consumer reads: 6-0
    form.get_by_role("button", name="Set").click()
    expect(form).to_contain_text("last delivered 6-0")
    assert r.xinfo_groups("jobs")[0]["last-delivered-id"] == b"6-0"
    form.get_by_role("button", name="Set").click()
    expect(page.locator("#flash")).to_contain_text("now delivers entries after 0")
    assert r.xinfo_groups("jobs")[0]["last-delivered-id"] == b"0-0"
