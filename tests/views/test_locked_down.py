"""Pages on a locked-down Redis: commands renamed away (CONFIG, MONITOR, DEBUG, KEYS, CLIENT,
MEMORY) and ACL users lacking more. Each bug below was seen on main with these real users;
each view that loses a source says so instead of failing or showing something wrong."""

from __future__ import annotations

import re

import pytest
import redis

from tests.support.htmx import HTMX
from tests.support.locked import PASSWORD, use_locked
from tests.support.urls import edit_url, key_url, tool_url


@pytest.fixture
def seeded(locked):
    admin = redis.Redis(port=locked.port)
    admin.flushall()
    admin.set(b"str", b"a string")
    admin.hset(b"hash", mapping={b"f": b"v"})
    admin.zadd(b"zset", {b"p1": 1, b"p2": 2, b"p3": 3})
    admin.set(b"app:users:1", b"u1")
    admin.zadd(b"app:board", {b"a": 1, b"b": 2})
    admin.set(b"secret:token", b"s")
    admin.hset(b"secret:hash", mapping={b"f": b"v"})
    admin.execute_command("SELECT", 3)  # a non-empty db beyond the first
    redis.Redis(port=locked.port, db=3).set(b"db3:key", b"x")
    yield admin
    admin.close()


def as_user(settings, locked, user):
    use_locked(settings, locked, user)


def picker_dbs(client) -> list[str]:
    html = client.get("/c/default/db/0/server/info/", headers=HTMX).content.decode()
    return re.findall(r'href="/c/default/db/(\d+)/"', html)


# --- CLIENT renamed away --------------------------------------------------------------------

def test_pages_answer_when_client_is_renamed_away(client, settings, locked, seeded):
    as_user(settings, locked, "admin")
    response = client.get("/c/default/db/0/")
    assert response.status_code == 200
    assert b"str" in response.content


# --- a user without TYPE ----------------------------------------------------------------------

def test_a_user_without_type_still_sees_the_keys_and_is_told_why(client, settings, locked,
                                                                   seeded):
    as_user(settings, locked, "notype")
    html = client.get("/c/default/db/0/").content.decode()
    for name in ("str", "hash", "zset"):
        assert f">{name}<" in html or f"{name}</" in html, name
    assert "TYPE" in html and "not permitted" in html


# --- a read-only user (+@read) ------------------------------------------------------------------

def test_a_read_only_user_opens_leaderboards_and_lookups(client, settings, locked, seeded):
    as_user(settings, locked, "reader")
    board = client.get(key_url(b"zset") + "leaderboard/")
    assert board.status_code == 200, board.content[:400]
    assert b"p3" in board.content
    lookup = client.get(tool_url(b"zset", "zset-lookup", run=1, member="p2",
                                 member_format="text"), headers=HTMX)
    assert lookup.status_code == 200, lookup.content[:400]
    assert b"Redis refused" not in lookup.content


def test_a_read_only_user_sees_no_write_controls_and_is_told_why(client, settings, locked,
                                                                  seeded):
    as_user(settings, locked, "reader")
    html = client.get(key_url(b"str")).content.decode()
    assert "/edit/" not in html
    assert "may not write" in html
    listing = client.get("/c/default/db/0/").content.decode()
    assert "/new/" not in listing


def test_a_refused_write_answers_403_not_permitted(client, settings, locked, seeded):
    as_user(settings, locked, "reader")
    response = client.post(edit_url(b"str", "string-append"),
                           {"value": "!", "expected_type": "string"}, headers=HTMX)
    assert response.status_code == 403, re.sub(r"\s+", " ", response.content.decode())[:3000]
    assert b"not permitted" in response.content.lower()
    assert redis.Redis(port=locked.port).get(b"str") == b"a string"


@pytest.mark.parametrize("user", ["readmulti", "appwriter"])
def test_a_write_refused_by_redis_itself_answers_403(client, settings, locked, seeded, user):
    """The user may run MULTI, so the controls are drawn, but Redis refuses the write itself
    (no write command at all; or a write key pattern that leaves this key out)."""
    as_user(settings, locked, user)
    form = client.get(edit_url(b"str", "string-append"))
    assert form.status_code == 200
    response = client.post(edit_url(b"str", "string-append"),
                           {"value": "!", "expected_type": "string"}, headers=HTMX)
    assert response.status_code == 403, re.sub(r"\s+", " ", response.content.decode())[:3000]
    assert b"not permitted" in response.content.lower()
    assert redis.Redis(port=locked.port).get(b"str") == b"a string"


# --- a user limited to ~app:* -------------------------------------------------------------------

def test_a_user_limited_to_app_keys_sees_no_other_names(client, settings, locked, seeded):
    as_user(settings, locked, "app")
    for url in ("/c/default/db/0/", "/c/default/db/0/?type=string",
                "/c/default/db/0/?type=hash", "/c/default/db/0/?type=zset"):
        html = client.get(url).content.decode()
        assert "secret" not in html, url
        assert ">str<" not in html, url
    html = client.get("/c/default/db/0/?type=string").content.decode()
    assert "app:users:1" in html


def test_namespace_counts_leave_out_keys_the_user_may_not_read(client, settings, locked,
                                                               seeded):
    as_user(settings, locked, "app")
    body = ""
    url = "/c/default/db/0/namespaces/count/"
    for _ in range(50):
        response = client.get(url, headers=HTMX)
        assert response.status_code == 200
        body = response.content.decode()
        follow = re.search(r'hx-get="([^"]*namespaces/count/[^"]*)"[^>]*data-auto-follow', body)
        if not follow:
            break
        url = follow.group(1).replace("&amp;", "&")
    assert "secret" not in body
    assert "app" in body


@pytest.mark.parametrize(("mode", "text", "matched"), [
    ("prefix", "secret", 0), ("pattern", "*", 2), ("exact", "secret:token", 0),
    ("prefix", "app:", 2),
])
def test_a_bulk_dry_run_counts_and_names_only_keys_the_user_may_read(
        client, settings, locked, seeded, mode, text, matched):
    from keyspace.models import BulkJob
    from keyspace.services.bulk.jobs import run_job

    as_user(settings, locked, "app")
    response = client.post("/c/default/db/0/bulk/", {"mode": mode, "text": text,
                                                     "type_name": "", "then": "delete",
                                                     "ttl_seconds": ""})
    assert response.status_code == 302
    job = BulkJob.objects.latest("id")
    run_job(job.pk)
    job.refresh_from_db()
    assert (job.state, job.keys_matched) == (BulkJob.DONE, matched)
    html = client.get(response["Location"]).content.decode()
    assert "secret:" not in html.replace(f"&#x27;{text}&#x27;", "")
    assert ">str<" not in html


def test_a_bulk_change_by_a_user_that_may_not_write_fails_saying_which_command(
        client, settings, locked, seeded):
    from django.urls import reverse

    from keyspace.models import BulkJob
    from keyspace.services.bulk.jobs import run_job
    from tests.views.test_bulk import confirmation_of

    as_user(settings, locked, "readmulti")  # neither TIME (for undo copies) nor UNLINK
    response = client.post("/c/default/db/0/bulk/", {"mode": "prefix", "text": "app:",
                                                     "type_name": "", "then": "delete",
                                                     "ttl_seconds": ""})
    preview = BulkJob.objects.latest("id")
    run_job(preview.pk)
    fields = confirmation_of(client.get(response["Location"]).content.decode())
    client.post(reverse("keyspace:bulk-start", kwargs={"db": 0, "job_id": preview.pk}), fields)
    change = BulkJob.objects.latest("id")
    with pytest.raises(redis.ResponseError):  # the job is marked failed, and the task too
        run_job(change.pk)
    change.refresh_from_db()
    assert change.state == BulkJob.FAILED
    assert "unlink" in change.error.lower() and "time" not in change.error.lower()
    assert redis.Redis(port=locked.port).exists(b"app:users:1", b"app:board") == 2


def test_the_console_does_not_list_names_to_a_user_limited_to_some_keys(client, settings,
                                                                       locked, seeded):
    as_user(settings, locked, "app")
    for line in ("SCAN 0 COUNT 1000", "scan 0 match * count 10", "RANDOMKEY"):
        response = client.post("/c/default/db/0/console/", {"line": line}, headers=HTMX)
        html = response.content.decode()
        assert response.status_code == 403, line
        assert "secret" not in html and "ACL key patterns" in html, line
    response = client.post("/c/default/db/0/console/", {"line": "GET app:users:1"},
                           headers=HTMX)
    assert response.status_code == 200 and "u1" in response.content.decode()


def test_the_console_lists_names_to_a_user_that_may_read_every_key(client, settings, locked,
                                                                  seeded):
    as_user(settings, locked, "admin")
    response = client.post("/c/default/db/0/console/", {"line": "SCAN 0 COUNT 1000"},
                           headers=HTMX)
    assert response.status_code == 200 and "secret:token" in response.content.decode()


def exported(client, **query) -> list[dict]:
    """The export's lines after its header (the whole download: an error raised mid-stream,
    which a browser would meet as a cut-off file, fails the test)."""
    import json

    from asgiref.sync import async_to_sync

    response = client.get("/c/default/db/0/export/", {"type_name": "", "encoding": "values",
                                                       **query})
    assert response.status_code == 200

    async def drain():
        return b"".join([chunk async for chunk in response.streaming_content])

    return [json.loads(text) for text in async_to_sync(drain)().splitlines()[1:]]


@pytest.mark.parametrize(("mode", "text"), [("pattern", "*"), ("prefix", "secret"),
                                            ("exact", "secret:token"), ("prefix", "app:")])
def test_an_export_holds_only_keys_the_user_may_read(client, settings, locked, seeded, mode,
                                                     text):
    from keyspace.services.transfer.formats import b64

    as_user(settings, locked, "app")
    names = {line["k"] for line in exported(client, mode=mode, text=text)}
    mine = {b64(b"app:users:1"), b64(b"app:board")}
    assert names == (set() if text.startswith("secret") else mine)


def test_a_read_only_user_exports_with_the_dashboards_clock_for_ttls(client, settings, locked,
                                                                     seeded):
    import time

    from keyspace.services.transfer.formats import b64

    redis.Redis(port=locked.port).pexpire(b"app:users:1", 600_000)
    as_user(settings, locked, "reader")  # TIME is not a read command
    before = time.time() * 1000
    lines = {line["k"]: line for line in exported(client, mode="prefix", text="app:")}
    assert set(lines) == {b64(b"app:users:1"), b64(b"app:board")}
    assert before + 590_000 < lines[b64(b"app:users:1")]["x"] < time.time() * 1000 + 600_001
    assert lines[b64(b"app:board")]["x"] is None


# --- SELECT and CONFIG --------------------------------------------------------------------------

def test_without_select_the_picker_offers_only_the_first_db(client, settings, locked, seeded):
    as_user(settings, locked, "reader")
    dbs = picker_dbs(client)
    assert dbs == ["0"]
    html = client.get("/c/default/db/0/server/info/", headers=HTMX).content.decode()
    assert "SELECT" in html


def test_without_config_the_picker_lists_the_dbs_it_knows_and_says_so(client, settings,
                                                                       locked, seeded):
    as_user(settings, locked, "admin")
    dbs = picker_dbs(client)
    assert "0" in dbs and "3" in dbs
    assert len(dbs) < 16
    html = client.get("/c/default/db/0/server/info/", headers=HTMX).content.decode()
    assert "CONFIG" in html


def test_without_config_the_pubsub_page_does_not_blame_permissions(client, settings, locked,
                                                                    seeded):
    as_user(settings, locked, "admin")
    html = client.get("/c/default/db/0/pubsub/").content.decode()
    assert "may not read the notify-keyspace-events" not in html
    assert "CONFIG is not available on this server (renamed or removed)" in html


def test_the_password_is_never_shown(client, settings, locked, seeded):
    as_user(settings, locked, "reader")
    assert PASSWORD.encode() not in client.get("/c/default/db/0/").content


# --- UNLINK missing -----------------------------------------------------------------------------

@pytest.fixture(scope="module")
def no_unlink(tmp_path_factory):
    from dashboard.local_redis import LocalRedis

    server = LocalRedis(tmp_path_factory.mktemp("nounlink"),
                        extra_args=("--rename-command", "UNLINK", "")).start()
    yield server
    server.stop()


def test_a_delete_uses_del_where_unlink_is_missing(client, settings, no_unlink):
    from keyspace.redis.connection import reset_pools
    from tests.services.editing.forms import submit

    settings.REDIS_URL = no_unlink.url
    reset_pools()
    admin = redis.Redis(port=no_unlink.port)
    admin.set(b"doomed", b"x")
    response = submit(client, b"doomed", "delete", htmx=False)
    assert response.status_code == 302, response.content[:500]
    assert not admin.exists(b"doomed")
    admin.close()
