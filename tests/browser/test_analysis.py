"""The analysis in Chromium: progress that moves while the job reports, the page turning into
the report when it ends, Stop, and the SVG charts with their tables (axe-checked).

The live server shares the in-memory test database, so progress is driven here by writing the
run's row as the worker would (the worker itself is tested in tests/services/analysis/);
a started run goes through the immediate Tasks backend."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from keyspace.models import AnalysisRun
from keyspace.redis import profiles
from keyspace.services.analysis.runs import start_analysis
from tests.browser.a11y import assert_accessible

pytestmark = pytest.mark.browser

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


def _seed(r):
    with r.pipeline(transaction=False) as pipe:
        for i in range(60):
            pipe.set(f"user:{i}:name".encode(), b"x" * 40)
            pipe.hset(f"cart:{i % 7}:items".encode(), f"f{i}", b"v" * 30)
        pipe.rpush(b"queue:<b>jobs</b>", *range(300))
        pipe.set(b"temp:one", b"v", ex=50)
        pipe.execute()


def _running_run(**fields) -> AnalysisRun:
    now = timezone.now()
    return AnalysisRun.objects.create(**profiles.job_scope(), db=0, state=AnalysisRun.RUNNING,
                                      started=now - timezone.timedelta(seconds=2),
                                      progressed=now, **fields)


def test_progress_moves_and_the_report_replaces_it(page: Page, url, r, settings):
    settings.TASKS = IMMEDIATE
    _seed(r)
    finished = start_analysis(db=0)  # a real result to hand the running row at the end
    run = _running_run(keys_done=100, keys_total=1000)
    page.goto(url(f"/c/default/db/0/analysis/{run.pk}/"))
    progress = page.locator("#analysis-progress")
    expect(progress).to_contain_text("100 of 1,000 keys")
    expect(progress).to_contain_text("keys/s")
    AnalysisRun.objects.filter(pk=run.pk).update(keys_done=600, progressed=timezone.now())
    expect(progress).to_contain_text("600 of 1,000 keys")
    assert page.locator("progress").get_attribute("value") == "600"
    AnalysisRun.objects.filter(pk=run.pk).update(
        state=AnalysisRun.DONE, finished=timezone.now(), result=finished.result,
        keys_done=finished.keys_done)
    expect(page.locator("#analysis-namespaces")).to_be_visible()
    expect(page.locator("#analysis-progress")).to_have_count(0)


def test_stop_cancels_the_run(page: Page, url):
    run = _running_run(keys_done=10, keys_total=1000)
    page.goto(url(f"/c/default/db/0/analysis/{run.pk}/"))
    page.get_by_role("button", name="Stop the analysis").click()
    expect(page.locator("#analysis-progress")).to_contain_text("Stopping")
    run.refresh_from_db()
    assert run.cancel_requested
    # The worker notices at its next step and ends the run: the page then says so.
    AnalysisRun.objects.filter(pk=run.pk).update(state=AnalysisRun.CANCELLED,
                                                 finished=timezone.now())
    expect(page.get_by_text("Stopped after 10 of 1,000 keys")).to_be_visible()


def test_start_then_read_the_charts_and_drill_down(page: Page, url, r, settings):
    settings.TASKS = IMMEDIATE
    _seed(r)
    page.goto(url("/c/default/db/0/analysis/"))
    expect(page.get_by_text("No analysis of db0 yet")).to_be_visible()
    page.get_by_role("button", name="Start the analysis").click()
    expect(page).to_have_url(re.compile(r"/c/default/db/0/analysis/[0-9]+/$"))
    charts = page.locator("figure.chart")
    expect(charts.filter(has_text="Memory by namespace").locator("svg rect")).to_have_count(4)
    expect(charts.filter(has_text="Keys by time to live").locator("svg rect")).to_have_count(6)
    expect(charts.filter(has_text="Memory by type").locator("svg rect")).to_have_count(3)
    # Each bar says what it is to anyone who hovers or reads the SVG's titles; the table
    # below the chart is its text equivalent.
    titles = charts.first.locator("svg title").all_text_contents()
    assert any(title.startswith("user:: ") for title in titles)
    table = page.locator("#analysis-namespaces table")
    expect(table.locator("tbody tr")).to_have_count(4)
    # The escaped key name is a link to the key, never markup.
    expect(page.locator("#top-length a").first).to_have_text("queue:<b>jobs</b>")
    assert_accessible(page, "analysis report")
    page.get_by_role("link", name="Expand cart:").click()
    expect(page.locator("#analysis-namespaces caption")).to_contain_text("under cart:")
    expect(table.locator("tbody tr")).to_have_count(7)
    expect(page).to_have_url(re.compile(r"prefix="))


def test_comparison_draws_growth_and_shrinkage(page: Page, url, r, settings):
    settings.TASKS = IMMEDIATE
    _seed(r)
    first = start_analysis(db=0)
    r.delete(*[f"user:{i}:name".encode() for i in range(30)])
    r.set(b"new:key", b"v" * 500)
    second = start_analysis(db=0)
    page.goto(url(f"/c/default/db/0/analysis/{second.pk}/"))
    page.get_by_label("Compare with").select_option(str(first.pk))
    page.get_by_role("button", name="Compare").click()
    chart = page.locator(".compare figure.chart")
    expect(chart.locator("g.bar.negative rect")).to_have_count(1)  # user: shrank
    expect(chart.locator("g.bar:not(.negative) rect")).to_have_count(1)  # new: appeared
    assert_accessible(page, "analysis comparison")
