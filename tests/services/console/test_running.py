"""The console's rules against a real Redis: roles, smuggled writes, renamed-away commands, the
size guard, confirmations and the audit log."""

import pytest

from dashboard.local_redis import LocalRedis
from keyspace.models import AuditEntry
from keyspace.redis.connection import reset_pools
from keyspace.services.console.running import run_line

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py


def texts(outcome) -> list[str]:
    return [line.prefix + line.text for line in outcome.lines]


def test_a_read_runs_for_a_viewer(viewer, r):
    r.hset("h", mapping={"a": "1"})
    outcome = run_line(viewer, 0, "HGETALL h")
    assert outcome.status == 200
    assert texts(outcome) == ['1) "a"', '2) "1"']


def test_a_viewer_cannot_write(viewer, r):
    outcome = run_line(viewer, 0, "SET k v")
    assert outcome.status == 403
    assert "read-only" in outcome.refusal
    assert r.get("k") is None


def test_an_editor_writes(editor, r):
    assert run_line(editor, 0, 'SET k "a b"').status == 200
    assert r.get("k") == b"a b"


def test_read_only_mode_refuses_writes_to_editors(editor, r, settings):
    settings.DASHBOARD_READONLY = True
    assert run_line(editor, 0, "SET k v").status == 403
    assert r.get("k") is None


@pytest.mark.parametrize("line", [
    "EVAL \"redis.call('SET', 'k', 'v')\" 0",
    "EVAL \"redis.call('FLUSHALL')\" 0",
    "MULTI",
    "EVALSHA 0123456789012345678901234567890123456789 0",
])
def test_writes_cannot_be_smuggled_through_scripts_or_transactions(editor, r, line):
    r.set("keep", "1")
    outcome = run_line(editor, 0, line)
    assert outcome.status == 403
    assert r.get("keep") == b"1" and r.get("k") is None


def test_an_allowed_read_only_script_runs_and_redis_stops_it_writing(editor, r, settings,
                                                                    server_version):
    settings.DASHBOARD_CONSOLE_ALLOW = "eval_ro"
    line = "EVAL_RO \"return redis.call('SET', 'k', 'v')\" 0"
    outcome = run_line(editor, 0, line)
    if server_version < (7,):  # EVAL_RO came with Redis 7.0: the console says so
        assert outcome.status == 403
        assert outcome.refusal.startswith("this Redis does not know EVAL_RO")
        return
    assert outcome.status == 428
    outcome = run_line(editor, 0, line, confirmation=outcome.confirmation)
    assert outcome.status == 200
    assert texts(outcome)[0].startswith("(error)")
    assert r.get("k") is None


@pytest.mark.parametrize("line", [
    "EVAL_RO \"return redis.call('KEYS', '*')\" 0",  # KEYS, refused to everyone
    "EVAL_RO \"return redis.call('HGETALL', KEYS[1])\" 1 big",  # past the size guard
    "EVAL_RO \"local n = 0 while n < 3 do n = n + 1 end return n\" 0",  # a loop, unbounded
])
def test_a_read_only_script_cannot_carry_commands_past_the_rules(viewer, editor, r, line):
    # A script runs any read-only command inside Redis, where the console checks nothing:
    # KEYS over the whole keyspace, HGETALL of a key of any size, or `while true do end`,
    # after which Redis answers every client BUSY until someone runs SCRIPT KILL.
    r.hset("big", mapping={str(n): "v" for n in range(10_001)})
    for user in (viewer, editor):
        outcome = run_line(user, 0, line)
        assert outcome.status == 403, outcome.lines
        assert not outcome.lines


def test_a_command_redis_flags_readonly_runs_for_a_viewer(viewer, r):
    r.set("k", "v")
    outcome = run_line(viewer, 0, "OBJECT ENCODING k")
    assert texts(outcome) == ['"embstr"']


def test_dangerous_commands_are_refused_unless_allowed(editor, r):
    r.set("keep", "1")
    outcome = run_line(editor, 0, "FLUSHDB")
    assert outcome.status == 403 and "DASHBOARD_CONSOLE_ALLOW" in outcome.refusal
    assert outcome.confirmation == ""
    assert r.get("keep") == b"1"


def test_an_allowed_dangerous_command_needs_a_confirmation_for_that_line(editor, r, settings):
    settings.DASHBOARD_CONSOLE_ALLOW = "flushdb"
    r.set("keep", "1")
    first = run_line(editor, 0, "FLUSHDB")
    assert first.status == 428 and first.confirmation
    assert r.get("keep") == b"1"
    other = run_line(editor, 0, "FLUSHDB ASYNC", confirmation=first.confirmation)
    assert other.status == 428 and "something else" in other.refusal
    assert r.get("keep") == b"1"
    assert run_line(editor, 0, "FLUSHDB", confirmation=first.confirmation).status == 200
    assert r.get("keep") is None


def test_a_confirmation_runs_once(editor, r, settings):
    settings.DASHBOARD_CONSOLE_ALLOW = "flushdb"
    token = run_line(editor, 0, "FLUSHDB").confirmation
    r.set("keep", "1")
    assert run_line(editor, 0, "FLUSHDB", confirmation=token).status == 200
    assert r.get("keep") is None
    r.set("keep", "1")
    assert run_line(editor, 0, "FLUSHDB", confirmation=token).status == 428
    assert r.get("keep") == b"1"


def test_a_viewer_cannot_run_an_allowed_dangerous_command(viewer, r, settings):
    settings.DASHBOARD_CONSOLE_ALLOW = "flushdb"
    r.set("keep", "1")
    assert run_line(viewer, 0, "FLUSHDB").status == 403
    assert r.get("keep") == b"1"


def test_reads_of_big_keys_are_refused(viewer, r):
    r.sadd("big", *range(10_001))
    outcome = run_line(viewer, 0, "SMEMBERS big")
    assert outcome.status == 403 and "10,001 elements" in outcome.refusal
    assert run_line(viewer, 0, "SCARD big").status == 200
    assert run_line(viewer, 0, "SSCAN big 0 COUNT 10").status == 200


@pytest.mark.parametrize("command", ["SORT_RO", "SORT"])
def test_a_sort_whose_lookups_pass_the_element_limit_is_refused(viewer, editor, r, settings,
                                                                server_version, command):
    """SORT_RO looks up a key per element for BY and for each GET (GET # repeats the element):
    a list within the limit, GET # given 5,000 times, built 5 * 10^7 replies in Redis. SORT
    (an editor's, where allowed) the same."""
    if command == "SORT_RO" and server_version < (7, 0):
        pytest.skip("SORT_RO came with Redis 7.0")
    user = viewer if command == "SORT_RO" else editor
    settings.DASHBOARD_CONSOLE_ALLOW = "sort"
    r.rpush("l", *range(1_000))
    outcome = run_line(user, 0, f"{command} l BY nosort" + " GET #" * 10)
    assert outcome.status == 403 and "1,000 elements, with 11 look-ups" in outcome.refusal
    assert not outcome.lines
    passed = 200 if command == "SORT_RO" else 428  # past the guard: an allowed SORT confirms
    assert run_line(user, 0, f"{command} l BY nosort" + " GET #" * 8).status == passed
    assert run_line(user, 0, f"{command} l LIMIT 0 5").status == passed
    # GET of another key per element: a few elements, each a large value, is a large reply.
    r.set("p", b"x" * 1000)
    for pattern in ("p*", "h*->f", "#"):
        outcome = run_line(user, 0, f"{command} l LIMIT 0 2 GET # GET {pattern}")
        if pattern == "#":
            assert outcome.status == passed
        else:
            assert outcome.status == 403 and "GET # only" in outcome.refusal, pattern
    # An option's argument spelled "get" is not a GET (BY get: a weight key named "get").
    assert run_line(user, 0, f"{command} l BY get LIMIT 0 2 GET #").status == passed


@pytest.mark.parametrize(("line", "small"), [
    # A negative count repeats members: Redis builds a reply of that many, whatever the size.
    ("SRANDMEMBER s -100000000", "SRANDMEMBER s -5"),
    ("HRANDFIELD h -100000000", "HRANDFIELD h -5"),
    ("ZRANDMEMBER z -100000000", "ZRANDMEMBER z -5"),
    # One SCAN call walks COUNT buckets: a huge COUNT is KEYS in one call.
    ("SCAN 0 COUNT 100000000", "SCAN 0 COUNT 10"),
    ("SSCAN s 0 count 100000000", "SSCAN s 0 count 10"),
])
def test_a_count_argument_past_the_element_limit_is_refused(viewer, r, server_version,
                                                           line, small):
    if server_version < (6, 2) and "RAND" in line and not line.startswith("S"):
        pytest.skip("HRANDFIELD and ZRANDMEMBER came with Redis 6.2")
    r.sadd("s", "a")
    r.hset("h", "f", "v")
    r.zadd("z", {"m": 1})
    outcome = run_line(viewer, 0, line)
    assert outcome.status == 403 and "10,000" in outcome.refusal
    assert not outcome.lines
    assert run_line(viewer, 0, small).status == 200


def test_lcs_of_two_long_strings_is_refused(viewer, r, server_version):
    # LCS fills a table of len(a) x len(b) cells in Redis's memory: two strings of 100 KB are
    # 10^10 cells, 40 GB; each string alone is cheap to read, so the element limit let it by.
    if server_version < (7,):
        pytest.skip("LCS came with Redis 7.0")
    r.set("a", "ab" * 5_000)
    r.set("b", "ba" * 5_000)
    r.set("short", "abc")
    outcome = run_line(viewer, 0, "LCS a b LEN")
    assert outcome.status == 403 and "10,000 bytes" in outcome.refusal
    assert not outcome.lines
    assert texts(run_line(viewer, 0, "LCS a short LEN")) == ["(integer) 2"]


def test_a_reply_is_read_up_to_its_bound(viewer, r, settings):
    settings.DASHBOARD_CONSOLE_MAX_REPLY_BYTES = 100_000
    r.set("s", "x" * 100_001)
    cut = run_line(viewer, 0, "GET s")
    assert "longer than 100,000 bytes" in cut.refusal and not cut.lines
    assert texts(run_line(viewer, 0, "STRLEN s")) == ["(integer) 100001"]
    r.set("s", "x" * 90_000)
    assert texts(run_line(viewer, 0, "GET s"))[0].startswith('"xxx')


def test_deleting_a_big_key_is_refused_but_unlink_is_not(editor, r):
    r.sadd("big", *range(10_001))
    assert run_line(editor, 0, "DEL big").status == 403
    assert r.exists("big")
    assert run_line(editor, 0, "UNLINK big").status == 200
    assert not r.exists("big")


def test_replies_are_laid_out_like_redis_cli(editor, r, settings, server_version):
    if server_version < (7,):
        pytest.skip("EVAL_RO is Redis 7+ (its refusal on older servers is tested above)")
    settings.DASHBOARD_CONSOLE_ALLOW = "eval_ro"
    r.rpush("l", "a", b"\xff")
    line = "EVAL_RO \"return {1, {'x', 'y'}, redis.call('LRANGE', KEYS[1], 0, -1)}\" 1 l"
    outcome = run_line(editor, 0, line, confirmation=run_line(editor, 0, line).confirmation)
    assert texts(outcome) == ["1) (integer) 1", '2) 1) "x"', '   2) "y"', '3) 1) "a"',
                              '   2) "\\xff"']
    assert texts(run_line(editor, 0, "GET missing")) == ["(nil)"]
    assert texts(run_line(editor, 0, "HGETALL missing")) == ["(empty array)"]


def test_error_replies_are_shown(editor):
    outcome = run_line(editor, 0, "INCR")
    assert outcome.status == 200
    assert texts(outcome)[0].startswith("(error) ERR wrong number of arguments")


def test_long_replies_are_cut(viewer, r, settings):
    settings.DASHBOARD_CONSOLE_REPLY_LINES = 5
    r.rpush("l", *range(20))
    outcome = run_line(viewer, 0, "LRANGE l 0 -1")
    assert len(outcome.lines) == 5 and outcome.cut


def test_every_command_is_audited_without_values(editor, viewer):
    run_line(editor, 0, 'SET "secret:key" "the value"')
    run_line(viewer, 0, "SET other v")
    done, refused = AuditEntry.objects.order_by("id")
    assert (done.operation, done.key_text, done.outcome) == ("console set", "secret:key", "ok")
    assert (refused.operation, refused.outcome) == ("console set", "refused")
    assert "the value" not in str(list(AuditEntry.objects.values()))


def test_the_db_in_the_url_is_used(editor, r, r1):
    run_line(editor, 1, "SET k one")
    assert r1.get("k") == b"one" and r.get("k") is None


def test_bad_quoting_is_a_message(editor):
    outcome = run_line(editor, 0, 'SET "k v')
    assert outcome.status == 422 and "quote" in outcome.refusal


@pytest.fixture
def renamed_redis(tmp_path, settings):
    server = LocalRedis(tmp_path, extra_args=("--rename-command", "FLUSHALL", "",
                                              "--rename-command", "CONFIG", "")).start()
    settings.REDIS_URL = server.url
    reset_pools()
    yield server
    reset_pools()
    server.stop()


def test_a_renamed_away_command_is_said_to_be_unknown(editor, settings, renamed_redis):
    settings.DASHBOARD_CONSOLE_ALLOW = "flushall config|get"
    outcome = run_line(editor, 0, "FLUSHALL")
    assert outcome.status == 403 and "does not know FLUSHALL" in outcome.refusal
    assert "does not know" in run_line(editor, 0, "CONFIG GET maxmemory").refusal
    assert run_line(editor, 0, "SET k v").status == 200


def test_without_command_info_nothing_runs(editor, r, settings, redis_server):
    r.acl_setuser("nocommand", enabled=True, passwords=["+pw"], keys=["*"],
                  commands=["+@all", "-command"])
    settings.REDIS_URL = f"redis://nocommand:pw@127.0.0.1:{redis_server.port}/0"
    reset_pools()
    try:
        outcome = run_line(editor, 0, "SET k v")
        assert outcome.status == 403 and "COMMAND INFO" in outcome.refusal
        assert r.get("k") is None
    finally:
        r.acl_deluser("nocommand")
