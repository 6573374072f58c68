"""After sign-out nothing keeps a copy of what was shown: every page (static files aside) is
sent with Cache-Control: no-store, and the sign-in page, where sign-out lands, runs a script
that clears htmx's history snapshots from sessionStorage."""

from __future__ import annotations

import pytest

from tests.security.support import content, crawl, start_pages


def test_every_page_says_no_store(client, seeded):
    pages = crawl(client, start_pages(), limit=120).pages
    assert len(pages) > 50
    missing = [p.url for p in pages if "no-store" not in p.headers.get("Cache-Control", "")]
    assert missing == []


@pytest.mark.parametrize("path", ["/sign-in/", "/c/default/db/0/key/c3Ry/", "/audit/"])
def test_pages_and_refusals_say_no_store(anonymous_client, seeded, path):
    response = anonymous_client.get(path)
    assert "no-store" in response["Cache-Control"]


def test_static_files_may_be_cached(client):
    response = client.get("/static/keyspace/dashboard.css")
    content(response)
    assert "no-store" not in response.get("Cache-Control", "")


def test_sign_out_lands_on_a_page_that_clears_the_history_cache(client, seeded):
    response = client.post("/sign-out/", follow=True)
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == "/sign-in/"
    assert '<script src="/static/keyspace/signed_out.js">' in page
    script = content(client.get("/static/keyspace/signed_out.js")).decode()
    assert 'sessionStorage.removeItem("htmx-history-cache")' in script
