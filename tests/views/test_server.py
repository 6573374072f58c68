"""The Server pages against the session's real Redis: each view, sorting, the dashboard's own
connections, the in-place refresh fragment, and a Redis user whose ACL refuses commands."""

from __future__ import annotations

import re
import time
import uuid

import pytest
import redis
from django.urls import reverse

from tests.support.htmx import HTMX

pytestmark = [pytest.mark.django_db, pytest.mark.servers]  # servers: the matrix

PAGES = ["server", "server-slowlog", "server-clients", "server-latency", "server-commands"]


def url(name: str, **query) -> str:
    path = reverse(f"keyspace:{name}", kwargs={"db": 0})
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.mark.parametrize("name", PAGES)
def test_each_page_renders_with_the_server_tab(client, name):
    response = client.get(url(name))
    assert response.status_code == 200
    body = response.content.decode()
    assert re.search(r'<a href="/c/default/db/0/server/" aria-current="page">Server</a>', body)
    assert 'class="server-nav"' in body


def test_overview_shows_version_memory_persistence_and_keyspace(client, r):
    r.set("a", "1")
    r.expire("a", 1000)
    body = client.get(url("server")).content.decode()
    info = r.info("server")
    if info.get("server_name") == "valkey":  # its own version, not the 7.2.4 it reports as
        assert f"<dd>Valkey {info['valkey_version']}</dd>" in body
    else:
        assert f"<dd>Redis {info['redis_version']}</dd>" in body
    for label in ("Uptime", "Used", "Peak", "RSS", "Fragmentation", "Max memory",
                  "Eviction policy", "Connected clients", "Hit ratio since start",
                  "Last save", "RDB status", "AOF", "Replication offset"):
        assert f"<dt>{label}</dt>" in body, label
    keyspace = body.split('id="server-keyspace"')[1]
    assert re.search(r'db0</a></th><td class="num">1</td><td class="num">1</td>', keyspace)


def test_refresh_asks_for_the_live_fragment_only(client):
    response = client.get(url("server"), headers=HTMX)
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="server-live"')
    assert "<html" not in body
    assert 'hx-trigger="every 5s, visibilitychange from:document"' in body


def test_a_failed_refresh_goes_to_the_error_banner(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get(url("server"), headers=HTMX)
    assert response.status_code == 503
    assert response["HX-Retarget"] == "#error-banner"
    assert "Cannot reach Redis" in response.content.decode()


def test_history_restore_gets_the_whole_page(client):
    response = client.get(url("server"), headers={**HTMX, "HX-History-Restore-Request": "true"})
    assert "<html" in response.content.decode()


def test_slowlog_shows_binary_arguments_escaped_and_cut(client, r):
    r.config_set("slowlog-log-slower-than", 0)
    try:
        r.set(b"bin\xff\x00<b>", b"x" * 300)
    finally:
        r.config_set("slowlog-log-slower-than", 10000)
    body = client.get(url("server-slowlog")).content.decode()
    table = body.split('id="slowlog-table"')[1]
    assert '<code class="argument">bin\\xff\\0&lt;b&gt;</code>' in table
    assert '<code class="argument">' + "x" * 80 + '</code><span class="cut"' in table
    assert "<b>" not in table


def test_slowlog_sorts_by_duration_both_ways(client, r):
    r.config_set("slowlog-log-slower-than", 0)
    r.slowlog_reset()
    r.set("quick", "1")
    busy(r)
    r.config_set("slowlog-log-slower-than", 10000)
    longest = client.get(url("server-slowlog", sort="-duration")).content.decode()
    shortest = client.get(url("server-slowlog", sort="duration")).content.decode()
    assert _first_command(longest) == "EVAL"
    assert _first_command(shortest) != "EVAL"
    assert 'aria-sort="descending" class="num"><a href="?sort=duration">Duration' in longest
    assert 'aria-sort="ascending" class="num"><a href="?sort=-duration">Duration' in shortest


def busy(r) -> None:
    """A command that takes milliseconds (DEBUG SLEEP is disabled on the test server)."""
    r.eval("local i = 0 while i < 3000000 do i = i + 1 end return i", 0)


def _first_command(body: str) -> str:
    table = body.split('id="slowlog-table"')[1]
    return re.search(r'<code class="argument">([^<]*)</code>', table).group(1)


def test_unknown_sort_column_is_a_400_with_a_message(client):
    response = client.get(url("server-clients", sort="nope"))
    assert response.status_code == 400
    assert "no column" in response.content.decode()


def test_clients_mark_the_dashboards_own_connections(client, redis_server):
    other = redis.Redis(port=redis_server.port, client_name="someone-else")
    other.ping()
    try:
        body = client.get(url("server-clients", sort="name")).content.decode()
    finally:
        other.close()
    rows = re.findall(r"<tr( class=\"own\")?>\s*<td class=\"num\">\d+</td>\s*<td>([^<]*)", body)
    marked = {name.strip(): bool(own) for own, name in rows}
    assert marked["redis-dashboard"] is True
    assert marked["someone-else"] is False


def test_clients_rows_are_capped_and_say_so(client, settings, redis_server):
    settings.DASHBOARD_SERVER_TABLE_ROWS = 1
    other = redis.Redis(port=redis_server.port)
    other.ping()
    try:
        body = client.get(url("server-clients")).content.decode()
    finally:
        other.close()
    assert "the first 1 by idle (s) are shown" in body
    assert body.split('id="clients-table"')[1].count("<tr") == 2  # header + one row


def test_clients_are_not_listed_above_the_limit(client, settings):
    settings.DASHBOARD_SERVER_CLIENTS_MAX = 0
    body = client.get(url("server-clients")).content.decode()
    assert "data-too-many" in body
    assert 'id="clients-table"' not in body


def test_latency_says_the_monitor_is_off(client, r):
    r.config_set("latency-monitor-threshold", 0)
    r.execute_command("LATENCY", "RESET")
    body = client.get(url("server-latency")).content.decode()
    assert "The latency monitor is off" in body


def test_latency_lists_events(client, r):
    r.config_set("latency-monitor-threshold", 1)
    try:
        busy(r)
        body = client.get(url("server-latency")).content.decode()
    finally:
        r.config_set("latency-monitor-threshold", 0)
        r.execute_command("LATENCY", "RESET")
    assert "<td>command</td>" in body or "<td>eval</td>" in body


def test_commandstats_sorted_by_calls(client, r):
    r.config_resetstat()  # the session's earlier tests ran commands too
    for _ in range(50):
        r.incr("counter")
    body = client.get(url("server-commands", sort="-calls")).content.decode()
    table = body.split('id="commands-table"')[1]
    assert re.search(r"<tbody>\s*<tr><td><code>incrby</code>", table)


# ACL: a Redis user lacking one command at a time, then all of them.
REFUSALS = {
    "slowlog": ["-slowlog"],
    "client": ["-client", "+client|setname"],
    "latency": ["-latency"],
    "info": ["-info"],
    "config": ["-config"],
}
# Which page's panel needs which command (the pages not listed work for that user).
NEEDS = {
    "slowlog": {"server-slowlog": "SLOWLOG GET"},
    "client": {"server-clients": "CLIENT LIST"},
    "latency": {"server-latency": "LATENCY LATEST"},
    "info": {"server": "INFO", "server-commands": "INFO commandstats"},
    "config": {},
}


@pytest.fixture
def acl_user(r, settings, redis_server):
    made = []

    def make(*rules: str) -> str:
        name = f"limited-{uuid.uuid4().hex[:8]}"
        r.execute_command("ACL", "SETUSER", name, "on", ">secret", "~*", "&*", "+@all", *rules)
        made.append(name)
        settings.REDIS_URL = f"redis://{name}:secret@127.0.0.1:{redis_server.port}/0"
        return name

    yield make
    for name in made:
        r.execute_command("ACL", "DELUSER", name)


@pytest.mark.parametrize("missing", list(REFUSALS))
def test_a_user_lacking_a_command_sees_that_panel_say_so(client, acl_user, missing):
    acl_user(*REFUSALS[missing])
    for name in PAGES:
        response = client.get(url(name))
        body = response.content.decode()
        assert response.status_code == 200, (name, response.status_code)
        needed = NEEDS[missing].get(name)
        if needed:
            assert f'data-refused="{needed}"' in body, name
            assert "may not run" in body
        else:
            assert 'class="panel-refused"' not in body, name


def test_a_user_lacking_config_is_told_the_thresholds_are_unknown(client, acl_user):
    acl_user("-config")
    for name in ("server-slowlog", "server-latency"):
        body = client.get(url(name)).content.decode()
        assert 'data-refused="CONFIG GET"' in body
        assert "table" in body


def test_a_user_lacking_everything_gets_no_500(client, acl_user):
    acl_user("-slowlog", "-client", "+client|setname", "-latency",
             "-info", "-config")
    for name in PAGES:
        response = client.get(url(name))
        assert response.status_code == 200, name
        assert 'class="panel-refused"' in response.content.decode()


def test_the_rule_a_refusal_suggests_fills_the_panel(client, acl_user, r):
    name = acl_user("-slowlog")
    body = client.get(url("server-slowlog")).content.decode()
    assert "ACL SETUSER &lt;user&gt; +slowlog|get</code>" in body
    r.execute_command("ACL", "SETUSER", name, "+slowlog|get")
    body = client.get(url("server-slowlog")).content.decode()
    assert 'id="slowlog-table"' in body
    assert 'data-refused="SLOWLOG GET"' not in body


def test_sparklines_are_drawn_from_stored_readings_with_their_text(client, redis_server):
    from keyspace.models import ServerSample
    from keyspace.services.server.history import reading_target

    now = time.time()
    # Long enough ago that the reading this request takes starts a new run of the lines.
    for offset, commands, clients in ((-100, 0, 0), (-95, 50, 1), (-90, 100, 1)):
        ServerSample.objects.create(
            target=reading_target(), slot=int((now + offset) // 5),
            taken_at=now + offset, commands=commands, hits=0, misses=0, used_memory=1024,
            clients=clients)
    body = client.get(url("server"), headers=HTMX).content.decode()
    ops = body.split("data-chart=\"Commands per second\"")[1].split("</figure>")[0]
    assert re.search(r"Commands per second over the last 10\d s: now 10/s, lowest 10/s", ops)
    assert "<polyline points=" in ops
    clients = body.split("data-chart=\"Connected clients\"")[1].split("</figure>")[0]
    assert "lowest 0, highest" in clients
    assert "(4 readings)" in clients
    ratio = body.split("data-chart=\"Keyspace hit ratio\"")[1].split("</figure>")[0]
    assert "No key was read in this time." in ratio


def test_latency_events_have_their_spikes_drawn(client, r):
    r.config_set("latency-monitor-threshold", 1)
    try:
        busy(r)
        busy(r)
        body = client.get(url("server-latency")).content.decode()
    finally:
        r.config_set("latency-monitor-threshold", 0)
        r.execute_command("LATENCY", "RESET")
    table = body.split('id="latency-table"')[1]
    assert '<th scope="col">Recent spikes</th>' in table
    assert re.search(r'<svg class="sparkline-svg"[^>]*aria-label="[a-z-]+ spikes \(ms\) over the '
                     r'last \d+ s: now \d+ ms', table)
    assert re.search(r"\d+ spikes?, up to \d+ ms", table)


@pytest.fixture
def replica(redis_server, tmp_path):
    from dashboard.local_redis import LocalRedis

    server = LocalRedis(tmp_path / "replica", binary=redis_server.binary,
                        extra_args=("--replicaof", "127.0.0.1", str(redis_server.port)))
    with server:
        link = redis.Redis(port=server.port)
        primary = redis.Redis(port=redis_server.port)
        for _ in range(200):  # the first sync takes a moment, seen from both sides
            up = link.info("replication").get("master_link_status") == "up"
            listed = primary.info("replication").get("slave0", {})
            if up and listed.get("state") == "online" and listed.get("port") == server.port:
                break
            time.sleep(0.05)
        link.close()
        primary.close()
        yield server


def test_replication_on_both_sides(client, settings, replica, redis_server):
    primary = client.get(url("server")).content.decode()
    assert "<h2>Replicas</h2>" in primary
    assert f"<th scope=\"row\">127.0.0.1:{replica.port}</th><td>online</td>" in primary
    settings.REDIS_URL = replica.url
    shown = client.get(url("server")).content.decode()
    assert "<dt>Role</dt><dd>slave</dd>" in shown
    assert f"<dt>Primary</dt><dd>127.0.0.1:{redis_server.port}</dd>" in shown
    assert "<dt>Link</dt><dd>up</dd>" in shown


def test_slowlog_marks_the_dashboards_own_commands(client, r):
    r.config_set("slowlog-log-slower-than", 0)
    try:
        client.get(url("server-slowlog"))  # its own SLOWLOG GET is logged now
        body = client.get(url("server-slowlog", sort="-id")).content.decode()
    finally:
        r.config_set("slowlog-log-slower-than", 10000)
    table = body.split('id="slowlog-table"')[1]
    own = re.findall(r'<tr class="own">.*?</tr>', table, re.S)
    assert own and all("redis-dashboard" in row and "this dashboard" in row for row in own)
    others = re.findall(r"<tr>\s*<td class=\"num\">.*?</tr>", table, re.S)
    assert others and not any("this dashboard" in row for row in others)
