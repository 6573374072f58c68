"""A bulk change in a real Chromium: count, confirm, follow its progress to the end. The test
plays the worker: it runs each queued job in a thread, as the worker process would."""

from __future__ import annotations

import threading
import time

import pytest
import redis
from playwright.sync_api import Page, expect

from keyspace.models import BulkJob
from keyspace.services.bulk.jobs import run_job

pytestmark = pytest.mark.browser


def work_on_latest(action: str | None = None) -> threading.Thread:
    """Run the newest job in a thread, as the worker would; with `action`, once the newest
    is of that action (the page's request that makes it may still be on its way)."""
    deadline = time.monotonic() + 10
    latest = BulkJob.objects.order_by("-id").first()
    while (latest is None or action not in (None, latest.action)) and (
            time.monotonic() < deadline):
        time.sleep(0.05)
        latest = BulkJob.objects.order_by("-id").first()
    assert latest is not None and action in (None, latest.action), (latest, action)
    worker = threading.Thread(target=run_job, args=(latest.pk,))
    worker.start()
    return worker


def test_count_confirm_and_follow_a_bulk_delete(page: Page, url, r: redis.Redis):
    with r.pipeline(transaction=False) as pipe:
        for i in range(50_000):
            pipe.set(f"gone:{i}", b"x")
        pipe.set("gone", b"not under the prefix")
        pipe.execute()
    page.goto(url("/c/default/db/0/bulk/"))
    page.locator(".bulk-form").get_by_label("Keys", exact=True).fill("gone:")
    page.get_by_role("button", name="Count the keys").click()
    expect(page.get_by_role("status")).to_contain_text("Waiting for the worker")
    work_on_latest(BulkJob.COUNT).join()
    expect(page.locator("[data-matched]")).to_have_text("50,000")
    expect(page.locator(".bulk-sample li")).to_have_count(20)
    page.get_by_role("button", name="Delete them (50,000 keys)").click()
    expect(page.get_by_role("status")).to_contain_text("Waiting for the worker")
    worker = work_on_latest(BulkJob.DELETE)
    expect(page.locator("[data-changed]")).to_have_text("50,000", timeout=30_000)
    worker.join()
    expect(page.locator(".bulk-result")).to_contain_text("No undo: more than 1,000 keys")
    assert r.dbsize() == 1 and r.exists("gone")
