"""The key positions of Redis's commands, for a cluster user that may not run COMMAND.

redis-py's cluster client routes a command by the slot of its keys, and finds the keys from
the server's COMMAND table, read when the client is made. An ACL user limited to reads
(`+@read`, with `+cluster|slots` for the cluster's map) may not run COMMAND, nor may anyone
where it is renamed away: the client could not be made at all. It then takes this table
instead: the COMMAND replies of the servers the tests run against (Valkey 9 with the RedisJSON,
RedisBloom and RedisTimeSeries modules, Redis 7.0 and 6.2), merged, in the shape redis-py's
`command()` returns. A command none of them has (another module's) cannot be routed: it is
refused, naming COMMAND as the command the user may not run.

The table is data, written by this module from live servers, each URL's in turn (Valkey 9
with the modules first, then Redis 7.0, then 6.2; where several have a command, the first
one's entry is kept):
    python -m keyspace.redis.command_table redis://127.0.0.1:6379 [redis://...]
tests/redis/test_command_table.py checks it against each server of the matrix.
"""

from __future__ import annotations

import copy
import functools
import json
import sys
from pathlib import Path

import redis

TABLE = Path(__file__).with_name("command_table.json")
# What redis-py reads of an entry; the rest (ACL categories) is left out.
FIELDS = ("name", "arity", "flags", "first_key_pos", "last_key_pos", "step_count", "tips",
          "key_specifications", "subcommands")


def fallback_commands() -> dict:
    """The table, as `RedisCluster.command()` returns COMMAND (a copy: redis-py edits it)."""
    return copy.deepcopy(_loaded())


@functools.cache
def _loaded() -> dict:
    return json.loads(TABLE.read_text())


def _text(value):
    if isinstance(value, bytes):
        return value.decode()
    if isinstance(value, dict):
        return {_text(key): _text(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_text(item) for item in value]
    return value


def table_of(client: redis.Redis) -> dict:
    """One server's COMMAND reply, as stored: text, redis-py's fields only."""
    table = {}
    for name, entry in client.command().items():
        kept = {field: _text(entry[field]) for field in FIELDS if field in entry}
        # A subcommand is a list in COMMAND's own order; its ACL categories (the 7th) go too.
        kept["subcommands"] = [[*sub[:6], [], *sub[7:]] for sub in kept.get("subcommands", [])]
        table[_text(name)] = kept
    return table


def merged(tables: list[dict]) -> dict:
    found: dict = {}
    for table in tables:
        for name, entry in table.items():
            found.setdefault(name, entry)
    return dict(sorted(found.items()))


def main(urls: list[str]) -> int:
    if not urls:
        print(__doc__, file=sys.stderr)
        return 2
    tables = []
    for url in urls:
        with redis.Redis.from_url(url) as client:
            tables.append(table_of(client))
    TABLE.write_text(json.dumps(merged(tables), separators=(",", ":"), sort_keys=True) + "\n")
    print(f"{TABLE}: {len(merged(tables))} commands from {len(urls)} servers")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
