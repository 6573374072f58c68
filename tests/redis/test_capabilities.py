"""The Redis layer on locked-down servers: what the first use of a connection learns (per ACL
user and renamed command), the declared renames, and the fallbacks it offers."""

from __future__ import annotations

import asyncio

import pytest
import redis
from django.core.exceptions import ImproperlyConfigured

from dashboard.local_redis import LocalRedis
from keyspace.conf import validate
from keyspace.redis.capabilities import (
    NOT_AVAILABLE,
    NOT_PERMITTED,
    capabilities,
    reading_pipeline,
)
from keyspace.redis.commands import parse_renames
from keyspace.redis.connection import get_async_client, get_client, reset_pools, server_overview
from keyspace.redis.key_types import REFUSED, types_without_type
from keyspace.redis.scanning import scan_keys
from tests.support.locked import PASSWORD, use_locked


@pytest.fixture(scope="module")
def renamed(tmp_path_factory):
    """CONFIG and CLIENT renamed to secret names, as a hardened redis.conf does."""
    server = LocalRedis(tmp_path_factory.mktemp("renamed"), extra_args=(
        "--rename-command", "CONFIG", "cfg-8c1e", "--rename-command", "CLIENT", "cli-42",
        "--databases", "4")).start()
    yield server
    server.stop()


@pytest.fixture
def admin(locked):
    client = redis.Redis(port=locked.port)
    client.flushall()
    yield client
    client.close()


def test_the_probe_of_a_read_only_user(settings, locked, admin):
    use_locked(settings, locked, "reader")
    facts = capabilities()
    assert facts.user is None  # ACL WHOAMI is refused too
    assert facts.lacks("MULTI") == NOT_PERMITTED
    assert facts.lacks("SELECT") == NOT_PERMITTED
    assert facts.lacks("INFO") == NOT_PERMITTED
    assert facts.lacks("CONFIG") == NOT_AVAILABLE  # renamed away: unknown to everyone
    assert facts.lacks("TYPE") is None
    assert "MULTI" in facts.write_refusal
    assert facts.all_keys


def test_the_probe_of_a_user_limited_to_some_keys(settings, locked, admin):
    use_locked(settings, locked, "app")
    facts = capabilities()
    assert facts.user == "app"
    assert not facts.all_keys
    assert facts.write_refusal is None  # ACL DRYRUN: writes are allowed on its keys
    assert facts.lacks("MULTI") is None and facts.lacks("TYPE") is None


def test_acl_dryrun_finds_a_user_that_may_not_write(settings, locked, admin):
    admin.execute_command("ACL", "SETUSER", "dryrunner", "on", f">{PASSWORD}", "~*", "&*",
                          "+@read", "+multi", "+exec", "+discard", "+acl|whoami",
                          "+acl|dryrun")
    use_locked(settings, locked, "dryrunner")
    facts = capabilities()
    assert facts.user == "dryrunner"
    assert facts.write_refusal and "ACL DRYRUN" in facts.write_refusal


def test_a_user_without_type_is_found_out_by_the_first_page_that_runs_it(settings, locked,
                                                                         admin):
    """The probe sends no TYPE (pages that count their TYPEs would count it): the first
    page that runs TYPE notes the refusal, and edits are no longer offered."""
    from keyspace.services.browse import keys_metadata

    admin.set(b"k", b"v")
    use_locked(settings, locked, "notype")
    assert capabilities().lacks("TYPE") is None
    [row] = keys_metadata(get_client(), [b"k"])
    assert row.type_name == "string"
    assert capabilities().lacks("TYPE") == NOT_PERMITTED
    assert "TYPE is not permitted" in capabilities().write_refusal


def test_the_probe_writes_nothing_and_is_asked_once(settings, locked, admin):
    use_locked(settings, locked, "admin")
    before = admin.info("commandstats")
    first = capabilities()
    assert capabilities() is first
    after = admin.info("commandstats")
    changed = {name for name in after if after[name].get("calls") != before.get(name, {})
               .get("calls")}
    writes = {"cmdstat_set", "cmdstat_hset", "cmdstat_del", "cmdstat_unlink"}
    assert not changed & writes
    assert admin.dbsize() == 0


def test_types_are_worked_out_without_type(settings, locked, admin):
    admin.set(b"s", b"abc")
    admin.hset(b"h", b"f", b"v")
    admin.rpush(b"l", b"x")
    admin.sadd(b"st", b"m")
    admin.zadd(b"z", {b"m": 1})
    admin.xadd(b"x", {b"f": b"v"})
    use_locked(settings, locked, "notype")
    names = [b"s", b"h", b"l", b"st", b"z", b"x", b"gone"]
    assert types_without_type(get_client(), names) == [
        "string", "hash", "list", "set", "zset", "stream", "none"]
    use_locked(settings, locked, "app")
    assert types_without_type(get_client(), [b"s"]) == [REFUSED]


def test_a_scan_leaves_out_names_the_key_patterns_refuse(settings, locked, admin):
    admin.mset({b"app:1": b"x", b"app:2": b"x", b"other:1": b"x", b"other:2": b"x"})
    use_locked(settings, locked, "app")
    for type_name in (None, "string"):
        page = scan_keys(get_client(), cursor="", page_size=100, type_name=type_name,
                         budget_ms=1000)
        assert sorted(page.keys) == [b"app:1", b"app:2"]


def test_reads_without_multi_use_a_plain_pipeline(settings, locked, admin):
    admin.zadd(b"z", {b"a": 1})
    use_locked(settings, locked, "reader")
    with reading_pipeline(get_client()) as pipe:
        pipe.zcard(b"z")
        assert pipe.execute() == [1]
    use_locked(settings, locked, "admin")
    assert reading_pipeline(get_client()).transaction


def test_the_overview_needs_neither_info_nor_config(settings, locked, admin):
    use_locked(settings, locked, "reader")
    overview = server_overview()
    assert overview.version.startswith(("6.", "7."))
    assert [db.number for db in overview.databases] == [0]
    assert "SELECT" in overview.databases_note


def test_a_declared_database_count_stands_in_for_config(settings, locked, admin):
    settings.DASHBOARD_DATABASES = 4
    use_locked(settings, locked, "admin")
    assert [db.number for db in server_overview().databases] == [0, 1, 2, 3]
    assert server_overview().databases_note == ""


# --- renamed commands -------------------------------------------------------------------------

def test_declared_renames_are_sent_under_their_new_names(settings, renamed):
    settings.REDIS_URL = renamed.url
    settings.DASHBOARD_RENAMED_COMMANDS = "CONFIG=cfg-8c1e CLIENT=cli-42"
    reset_pools()
    client = get_client()
    assert client.config_get("databases") == {"databases": "4"}
    names = [entry["name"] for entry in client.client_list()]
    assert "redis-dashboard" in names  # CLIENT SETNAME went out as cli-42 SETNAME
    assert [db.number for db in server_overview().databases] == [0, 1, 2, 3]

    async def from_asyncio():
        async_client = get_async_client()
        try:
            return await async_client.config_get("databases")
        finally:
            await async_client.aclose()

    assert asyncio.run(from_asyncio()) == {"databases": "4"}


def test_without_the_declaration_the_renamed_command_is_unavailable(settings, renamed):
    settings.REDIS_URL = renamed.url
    reset_pools()
    assert capabilities().lacks("CONFIG") == NOT_AVAILABLE
    assert get_client().ping()  # CLIENT SETNAME refused: the connection works all the same


def test_a_command_declared_removed_is_never_asked_for(settings, r):
    """On the session's ordinary server, where CONFIG would answer."""
    settings.DASHBOARD_RENAMED_COMMANDS = "CONFIG="
    reset_pools()
    before = r.info("commandstats").get("cmdstat_config|get", {}).get("calls")
    assert capabilities().lacks("CONFIG") == NOT_AVAILABLE
    assert r.info("commandstats").get("cmdstat_config|get", {}).get("calls") == before


@pytest.mark.parametrize("text, expected", [
    ("", {}),
    ("CONFIG=cfg-8c1e", {"CONFIG": "cfg-8c1e"}),
    ("config=cfg flushall=  KEYS=", {"CONFIG": "cfg", "FLUSHALL": "", "KEYS": ""}),
])
def test_renames_are_parsed(text, expected):
    assert parse_renames(text) == expected


@pytest.mark.parametrize("text", ["CONFIG", "CONFIG=a CONFIG=b", "=x", "CON FIG=x=y",
                                  "9CONFIG=x"])
def test_a_rename_that_is_not_understood_stops_start_up(settings, text):
    settings.DASHBOARD_RENAMED_COMMANDS = text
    with pytest.raises(ImproperlyConfigured, match="DASHBOARD_RENAMED_COMMANDS"):
        validate()


def test_the_analysis_wire_sends_declared_renames_too(settings, renamed):
    from keyspace.services.analysis.wire import Wire

    settings.REDIS_URL = renamed.url
    settings.DASHBOARD_RENAMED_COMMANDS = "CONFIG=cfg-8c1e"
    reset_pools()
    with Wire(get_client()) as wire:
        [reply] = wire.run([(b"CONFIG", b"GET", b"databases")])
    assert reply == [b"databases", b"4"]
