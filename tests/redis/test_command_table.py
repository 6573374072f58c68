"""The key positions the dashboard keeps for cluster users that may not run COMMAND
(keyspace/redis/command_table.py) are each server's own."""

import pytest

from keyspace.redis.command_table import fallback_commands, table_of

pytestmark = pytest.mark.servers  # the server matrix: tests/support/servers.py



def routing(entry: dict) -> tuple:
    """What routing a command by its keys reads of an entry (flags and arity change between
    versions: WITHSCORE on ZRANK, say)."""
    return (entry["first_key_pos"], entry["last_key_pos"], entry["step_count"],
            "movablekeys" in entry["flags"])


def test_the_kept_table_has_every_command_of_the_server_with_its_key_positions(r):
    kept = fallback_commands()
    live = table_of(r)
    missing = sorted(set(live) - set(kept))
    assert not missing, f"regenerate keyspace/redis/command_table.json: {missing}"
    differing = [name for name, entry in live.items() if routing(entry) != routing(kept[name])
                 and not same_by_subcommand(entry, kept[name])]
    assert not differing, differing


def same_by_subcommand(live: dict, kept: dict) -> bool:
    """Redis 6.2 gives a container command the key position of its subcommands (OBJECT, XINFO,
    XGROUP), or has them looked up (MEMORY: movablekeys); later servers list it by
    subcommand, which redis-py then reads."""
    with_keys = [sub for sub in kept["subcommands"] if sub[3]]
    looked_up = routing(live) == (0, 0, 0, True)
    return not live.get("subcommands") and bool(with_keys) and all(
        looked_up or (sub[3], sub[4], sub[5]) == routing(live)[:3] for sub in with_keys)


def test_the_table_is_a_copy_each_time():
    # redis-py renames entries in the dict it is given: the next client must get the table whole.
    first = fallback_commands()
    first.pop("get")
    assert "get" in fallback_commands()

