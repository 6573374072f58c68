"""One fragment-or-page decision for views and errors alike: htmx swaps get a fragment (an error
goes to the page's banner), while boosted navigation and history restores get the whole page."""

from __future__ import annotations

import pytest

from keyspace.redis.keynames import encode_key

FRAGMENT = {"HTTP_HX_REQUEST": "true"}
WHOLE_PAGE = {
    "boosted": {"HTTP_HX_REQUEST": "true", "HTTP_HX_BOOSTED": "true"},
    "history restore": {"HTTP_HX_REQUEST": "true", "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"},
    "plain": {},
}


def missing_key_url() -> str:
    return f"/c/default/db/0/key/{encode_key(b'no such key')}/"


def test_an_htmx_swap_gets_the_fragment_and_an_error_the_banner(client, r):
    r.set("k", "v")
    page = client.get(f"/c/default/db/0/key/{encode_key(b'k')}/", **FRAGMENT)
    assert page.status_code == 200 and b"<html" not in page.content
    error = client.get(missing_key_url(), **FRAGMENT)
    assert error.status_code == 404 and b"<html" not in error.content
    assert (error["HX-Retarget"], error["HX-Reswap"]) == ("#error-banner", "innerHTML")


@pytest.mark.parametrize("headers", WHOLE_PAGE.values(), ids=WHOLE_PAGE.keys())
def test_other_requests_get_whole_pages_errors_included(client, r, headers):
    r.set("k", "v")
    page = client.get(f"/c/default/db/0/key/{encode_key(b'k')}/", **headers)
    assert page.status_code == 200 and b"<html" in page.content
    error = client.get(missing_key_url(), **headers)
    assert error.status_code == 404 and b"<html" in error.content
    assert "HX-Retarget" not in error


def test_only_the_load_more_target_gets_bare_rows(client, r):
    r.rpush("l", *[f"e{i}" for i in range(5)])
    url = f"/c/default/db/0/key/{encode_key(b'l')}/"
    rows = client.get(url, HTTP_HX_TARGET="value-more", **FRAGMENT).content.decode()
    section = client.get(url, HTTP_HX_TARGET="value", **FRAGMENT).content.decode()
    assert 'id="value"' in section and 'id="value"' not in rows and "e4" in rows
    boosted = client.get(url, HTTP_HX_TARGET="value-more", **WHOLE_PAGE["boosted"])
    assert b"<html" in boosted.content
