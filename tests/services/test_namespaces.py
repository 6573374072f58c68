import re

import pytest

from keyspace.redis.keynames import encode_key
from keyspace.services.namespaces import NamespaceCount, breadcrumbs, count_step, load_count
from tests.seeding import fill_strings, numbered
from tests.support.htmx import HTMX

OWNER = "user-test"
# A running count is kept in the shared cache (a table in the dashboard's database).
pytestmark = [pytest.mark.django_db, pytest.mark.both_databases]


def count_all(client, prefix=b"", delimiter=b":", budget_ms=1000.0) -> NamespaceCount:
    state = load_count("", prefix, delimiter, owner=OWNER)
    while not state.complete:
        state = count_step(client, state, budget_ms)
    return state


def test_counts_keys_by_first_segment(r):
    fill_strings(r, numbered("user:", 40) + numbered("session:", 10) + [b"loose"])
    state = count_all(r)
    assert state.folders == {b"user": 40, b"session": 10}
    assert state.leaves == 1 and state.leaf_sample == [b"loose"]


def test_drill_down_counts_only_under_the_prefix(r):
    fill_strings(r, numbered("user:eu:", 7) + numbered("user:us:", 3) + [b"user:root", b"other:1"])
    state = count_all(r, prefix=b"user:")
    assert state.folders == {b"eu": 7, b"us": 3}
    assert state.leaf_sample == [b"user:root"]


def test_glob_characters_in_a_prefix_are_literal(r):
    fill_strings(r, [b"a*b:1", b"a*b:2", b"axb:1"])
    assert count_all(r, prefix=b"a*b:").leaves == 2


def test_other_delimiters(r):
    fill_strings(r, [b"app/cache/1", b"app/cache/2", b"app/queue"])
    assert count_all(r, prefix=b"app/", delimiter=b"/").folders == {b"cache": 2}


def test_bounded_steps_resume_and_estimate(r, settings):
    fill_strings(r, numbered("a:", 30_000) + numbered("b:", 10_000))
    state = count_step(r, load_count("", b"", b":", owner=OWNER), budget_ms=0)
    assert not state.complete
    assert 0 < state.fraction < 1
    estimate = state.estimate(state.folders[b"a"])
    assert 20_000 < estimate < 40_000
    resumed = load_count(state.token, b"", b":", owner=OWNER)
    assert resumed.cursor == state.cursor and resumed.folders == state.folders
    while not resumed.complete:
        resumed = count_step(r, resumed, budget_ms=5)
    assert resumed.folders == {b"a": 30_000, b"b": 10_000}


def test_folder_count_is_capped(r, settings):
    settings.DASHBOARD_NAMESPACE_MAX_FOLDERS = 5
    fill_strings(r, [f"ns{i}:k".encode() for i in range(12)])
    state = count_all(r)
    assert len(state.folders) == 5 and state.untracked == 7


def test_a_token_for_another_prefix_starts_afresh(r):
    fill_strings(r, numbered("x:", 10))
    state = count_all(r)
    assert load_count(state.token, b"y:", b":", owner=OWNER).folders == {}
    assert load_count("no-such-token", b"", b":", owner=OWNER).folders == {}


def test_breadcrumbs():
    assert breadcrumbs(b"a:b:", b":") == [(b"a", b"a:"), (b"b", b"a:b:")]
    assert breadcrumbs(b"", b":") == []


def test_namespace_page_paints_without_counting(client, r):
    fill_strings(r, numbered("user:", 5))
    html = client.get("/c/default/db/0/namespaces/").content.decode()
    assert "Counting keys by folder" in html
    assert 'hx-trigger="load"' in html
    assert "user:" not in html.split('id="namespace-counts"')[1]


def test_count_fragment_lists_folders_with_drill_down_links(client, r):
    fill_strings(r, numbered("user:", 40) + numbered("session:", 10))
    response = client.get("/c/default/db/0/namespaces/count/", headers=HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="namespace-counts"')
    assert "Counted all 50 keys" in html
    assert re.search(r">user:</a></td>\s*<td class=\"num\">40</td>", html)
    assert f"prefix={encode_key(b'user:')}" in html


def test_a_huge_keyspace_is_counted_in_steps_with_progress(client, r, settings):
    settings.DASHBOARD_NAMESPACE_STEP_MS = 0
    fill_strings(r, numbered("user:", 30_000))
    html = client.get("/c/default/db/0/namespaces/count/", headers=HTMX).content.decode()
    assert "data-auto-follow" in html and "Counting…" in html and "~" in html
    steps = 1
    while "data-auto-follow" in html:
        follow = re.search(r'hx-get="([^"]+)"', html).group(1).replace("&amp;", "&")
        html = client.get(follow, headers=HTMX).content.decode()
        steps += 1
        assert steps < 500
    assert "Counted all 30,000 keys" in html


def test_drilled_page_has_breadcrumbs_and_a_browse_link(client, r):
    fill_strings(r, numbered("user:eu:", 3))
    html = client.get("/c/default/db/0/namespaces/",
                      {"prefix": encode_key(b"user:eu:")}).content.decode()
    assert ">user</a>" in html and ">eu</a>" in html
    assert "match=user%3Aeu%3A%2A" in html


def test_hostile_folder_names_are_escaped(client, r):
    fill_strings(r, [b"<img src=x onerror=alert(1)>:1", b"<b>:2"])
    html = client.get("/c/default/db/0/namespaces/count/").content.decode()
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;:" in html


@pytest.mark.parametrize("query", [{"prefix": "!!!"}, {"delimiter": "x" * 40}])
def test_bad_namespace_parameters_are_a_400(client, query):
    assert client.get("/c/default/db/0/namespaces/", query).status_code == 400


def test_a_count_belongs_to_its_database(r):
    fill_strings(r, numbered("x:", 10))
    state = count_all(r)
    assert load_count(state.token, b"", b":", db=1, owner=OWNER).folders == {}
    assert load_count(state.token, b"", b":", db=0, owner=OWNER).folders == {b"x": 10}
