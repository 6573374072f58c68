"""Every page on a locked-down Redis: CONFIG, MONITOR, DEBUG, KEYS, CLIENT and MEMORY renamed
away, and ACL users lacking more. A crawl of every page (as an editor of the dashboard) as each
Redis user meets no server error; each page refused says why, and each view that lost a
source says so."""

from __future__ import annotations

import collections
import html

import pytest

from tests.security.support import SECRET_VALUES, crawl, seed, start_pages
from tests.support.locked import use_locked


@pytest.fixture(scope="module")
def seeded(locked):
    seed(locked.port)
    return locked


def text_of(page) -> str:
    return html.unescape(page.body.decode("utf-8", "replace"))


# Each user, and what some page of the crawl must say about what it lacks.
USERS = {
    "reader": ["This Redis user may not write here, so edit controls are hidden",
               "Other databases are hidden: SELECT is not permitted for this Redis user",
               "CONFIG is not available on this server"],
    "app": ["This Redis user may read only some keys (its ACL key patterns)"],
    "notype": ["TYPE is not permitted for this Redis user: each key's type is worked out",
               "and TYPE is not permitted for this Redis user"],
    "readmulti": ["MEMORY is not available on this server (renamed or removed): sizes (~) are "
                  "estimated"],
    "appwriter": [],
    "admin": ["Only databases that hold keys are listed: CONFIG is not available"],
}


@pytest.mark.parametrize("user", list(USERS))
def test_crawling_every_page_meets_no_server_error(client, settings, seeded, user):
    use_locked(settings, seeded, user)
    result = crawl(client, start_pages(), limit=400)
    statuses = collections.Counter(page.status for page in result.pages)
    assert statuses[200] > 100, statuses
    assert [p.url for p in result.pages if p.status >= 500] == []
    refused = [p for p in result.pages if p.status == 403]
    assert all("not permitted" in text_of(p).lower() for p in refused)
    others = [(p.url, p.status) for p in result.pages if p.status >= 400 and p.status != 403
              and "/pubsub/stream/" not in p.url]  # a stream with no channel: 400, as ever
    assert others == []
    everything = "\n".join(text_of(p) for p in result.pages if p.status == 200)
    for said in USERS[user]:
        assert said in everything, said


def test_a_user_limited_to_its_keys_is_shown_no_other_value(client, settings, seeded):
    use_locked(settings, seeded, "app")
    result = crawl(client, start_pages(), limit=400)
    for page in result.pages:
        if page.status == 200:
            assert not [v for v in SECRET_VALUES if v in text_of(page)], page.url
