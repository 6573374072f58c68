"""The command table the dashboard keeps for cluster users that may not run COMMAND
(keyspace/redis/command_table.py) has the RedisJSON, RedisBloom and RedisTimeSeries commands
with their own key positions."""

from keyspace.redis.command_table import fallback_commands, table_of
from tests.redis.test_command_table import routing


def test_the_kept_table_has_the_commands_of_the_modules(r, module_server):
    kept = fallback_commands()
    live = {name: entry for name, entry in table_of(r).items() if "module" in entry["flags"]}
    assert {"json.get", "json.set", "bf.exists", "cf.exists"} <= set(live)
    assert "ts.range" in live or not module_server.has_timeseries
    assert [name for name, entry in live.items()
            if name not in kept or routing(entry) != routing(kept[name])] == []
