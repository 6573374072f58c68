"""The check every edit of a consumer group makes: XGROUP SETID, DESTROY and DELCONSUMER,
like acknowledging, do not mark the stream key as modified, so WATCH would not see another
client's change to a group. Each runs as one Lua script (GROUP_GUARD) that reads the group's
state as the form showed it (XINFO GROUPS or XINFO CONSUMERS, bounded by LISTING_LIMIT) and
writes only if it is unchanged."""

from __future__ import annotations

from keyspace.services.editing.guard import Conflict, Refused, guarded

GROUP_GUARD = """
local key, group, mode = KEYS[1], ARGV[1], ARGV[2]
local function field(row, name)
  for i = 1, #row, 2 do if row[i] == name then return row[i + 1] end end
end
local state
if mode == 'delconsumer' then
  for _, row in ipairs(redis.call('XINFO', 'CONSUMERS', key, group)) do
    if field(row, 'name') == ARGV[3] then state = tostring(field(row, 'pending')) end
  end
else
  for _, row in ipairs(redis.call('XINFO', 'GROUPS', key)) do
    if field(row, 'name') == group then
      state = tostring(field(row, 'pending')) .. '|' .. field(row, 'last-delivered-id')
      if mode == 'setid' then state = field(row, 'last-delivered-id') end
    end
  end
end
if state == nil then return {'gone'} end
if state ~= ARGV[4] then return {'changed', state} end
if mode == 'destroy' then return {'done', redis.call('XGROUP', 'DESTROY', key, group)} end
if mode == 'delconsumer' then
  return {'done', redis.call('XGROUP', 'DELCONSUMER', key, group, ARGV[3])}
end
redis.call('XGROUP', 'SETID', key, group, ARGV[5])
return {'done', 1}
"""


# Groups of a stream, consumers of a group: XINFO GROUPS and XINFO CONSUMERS have no COUNT,
# so they are read (here and by GROUP_GUARD) only when Redis reports at most this many.
LISTING_LIMIT = 1000


def find_group(reader, key: bytes, group: bytes) -> dict | None:
    """The group's XINFO GROUPS row (None if there is none), read only for a stream of at
    most LISTING_LIMIT groups (XINFO STREAM says how many first)."""
    count = reader.xinfo_stream(key)["groups"]
    if count > LISTING_LIMIT:
        raise Refused(f"this stream has {count:,} consumer groups, more than the "
                      f"{LISTING_LIMIT:,} the dashboard lists in one reply; nothing was done")
    return next((row for row in reader.xinfo_groups(key) if row["name"] == group), None)


def group_state(client, key: bytes, group: bytes, mode: str, consumer: bytes = b"") -> str:
    """The state GROUP_GUARD compares, read the same way (None: no such group or consumer)."""
    found = find_group(client, key, group)
    if found is None:
        return None
    if mode == "delconsumer":
        if found["consumers"] > LISTING_LIMIT:
            raise Refused(f"this group has {found['consumers']:,} consumers, more than the "
                          f"{LISTING_LIMIT:,} the dashboard lists in one reply; nothing was done")
        rows = [row for row in client.xinfo_consumers(key, group) if row["name"] == consumer]
        return str(rows[0]["pending"]) if rows else None
    last = found["last-delivered-id"]
    last = last.decode() if isinstance(last, bytes) else last
    return last if mode == "setid" else f"{found['pending']}|{last}"


def run_guard(client, key: bytes, group: bytes, mode: str, expected: str, *,
              consumer: bytes = b"", new_id: str = "") -> list:
    def attempt(pipe):
        # The listings the script reads stay bounded: refused here, before it runs.
        group_state(pipe, key, group, mode, consumer)
        return lambda pipe: pipe.eval(GROUP_GUARD, 1, key, group, mode, consumer, expected,
                                      new_id)

    [reply] = guarded(client, [key], attempt, expected_type="stream")
    status = reply[0].decode()
    if status == "gone":
        what = "consumer" if mode == "delconsumer" else "group"
        raise Refused(f"there is no such {what} any more (deleted meanwhile?); nothing was done")
    if status == "changed":
        now = reply[1].decode()
        raise Conflict(f"the group changed since it was shown (it is now "
                       f"{describe_state(mode, now)}); nothing was done. Check and submit "
                       "again.", expected=now)
    return reply[1:]


def describe_state(mode: str, state: str) -> str:
    if mode == "delconsumer":
        return f"{int(state):,} pending"
    if mode == "setid":
        return f"last delivered {state}"
    pending, _, last = state.partition("|")
    return f"{int(pending):,} pending, last delivered {last}"
