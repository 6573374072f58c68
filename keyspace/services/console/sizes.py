"""The size guard: a console command whose cost grows with the size of its keys is refused on
collections too big for one request, as every page of the dashboard is bounded. The keys come
from Redis itself (`COMMAND GETKEYS`); their sizes from O(1) length commands. (Strings cost
Redis O(1) to read; the reply's size is bounded where it is read, `reading.read_reply`.)"""

from __future__ import annotations

from dataclasses import dataclass

import redis

from keyspace.conf import app_settings
from keyspace.services.console.commands import CommandInfo
from keyspace.units import registry

STRING_LENGTH = "STRLEN"

# Commands whose work is set by a count argument, not by their key's size: a negative count
# repeats members (SRANDMEMBER s -100000000 on a set of one builds a reply of 10^8 in Redis's
# memory), and one SCAN call walks COUNT buckets (a huge COUNT is KEYS in one call). The
# argument's place: a fixed index, or the word after COUNT.
COUNT_ARGUMENT = {"srandmember": 2, "hrandfield": 2, "zrandmember": 2}
COUNT_OPTION = frozenset({"scan", "sscan", "hscan", "zscan"})
LCS_CELLS_PER_ELEMENT = 100


@dataclass(frozen=True)
class TooBig:
    key: bytes
    size: int
    unit: str  # "elements" or "bytes"
    work: int = 1  # what the command does for each element (sort_work)


SORTS = frozenset({"sort", "sort_ro"})


def _sort_options(args: list[bytes]) -> tuple[list[bytes], bool]:
    """SORT's and SORT_RO's GET patterns and whether a BY pattern is given, read option by
    option after the key (BY, STORE, LIMIT take their arguments, so an argument spelled
    "get" is not taken for the option)."""
    gets, by, index = [], False, 2
    while index < len(args):
        word = args[index].lower()
        if word == b"get" and index + 1 < len(args):
            gets.append(args[index + 1])
            index += 2
        elif word in (b"by", b"store"):
            by |= word == b"by"
            index += 2
        elif word == b"limit":
            index += 3
        else:
            index += 1
    return gets, by


def sort_reads_other_keys(info: CommandInfo, args: list[bytes]) -> bytes | None:
    """The first GET pattern of a SORT or SORT_RO other than `#`, or None. Each reads
    another key (or hash field) per element into the reply, of a size the console cannot
    check first: GET p* on a list of 200 with `p` a 1 MB string built 200 MB in Redis."""
    if info.name not in SORTS:
        return None
    return next((pattern for pattern in _sort_options(args)[0] if pattern != b"#"), None)


def sort_work(info: CommandInfo, args: list[bytes]) -> int:
    """What SORT and SORT_RO do for each element of their key: read it, and look up a key
    for BY and for each GET pattern (`GET #` too: it repeats the element in the reply). So a
    list within the console's limit, GET # given 5,000 times, built 5 * 10^7 replies in
    Redis. 1 for every other command."""
    if info.name not in SORTS:
        return 1
    gets, by = _sort_options(args)
    return 1 + len(gets) + by


def command_keys(conn, args: list[bytes]) -> list[bytes]:
    """The key arguments of `args`, as Redis finds them; none for a command without keys."""
    conn.send_command("COMMAND", "GETKEYS", *args)
    try:
        reply = conn.read_response(disable_decoding=True)
    except redis.ResponseError:
        return []  # "no key arguments" (or an arity error the command itself will report)
    return list(reply or [])


def count_too_big(info: CommandInfo, args: list[bytes]) -> int | None:
    """A count argument over the console's element limit (its value), or None."""
    if info.name in COUNT_ARGUMENT:
        counts = args[COUNT_ARGUMENT[info.name] : COUNT_ARGUMENT[info.name] + 1]
    elif info.name in COUNT_OPTION:
        counts = [value for word, value in zip(args, args[1:], strict=False)
                  if word.lower() == b"count"]
    else:
        return None
    for text in counts:
        try:
            number = abs(int(text))
        except ValueError:
            continue  # not a number: Redis says so
        if number > app_settings.CONSOLE_MAX_ELEMENTS:
            return number
    return None


def too_big(conn, info: CommandInfo, keys: list[bytes], work: int = 1) -> TooBig | None:
    """The first key this command may not touch: a collection over the console's element
    limit when the command's cost grows with it (its size times the `work` done for each
    element: sort_work). Each key costs a TYPE and one O(1) length command."""
    strings: list[TooBig] = []
    for key in keys[: app_settings.CONSOLE_MAX_KEYS_CHECKED]:
        conn.send_command("TYPE", key)
        type_name = conn.read_response(disable_decoding=True)
        found = _size(conn, key, type_name)
        if found is None:
            continue
        size, unit = found
        if unit == "elements" and info.scales_with_key_size and (
            size * work > app_settings.CONSOLE_MAX_ELEMENTS
        ):
            return TooBig(key, size, unit, work)
        if unit == "bytes":
            strings.append(TooBig(key, size, unit))
    return _table_too_big(info, strings)


def _table_too_big(info: CommandInfo, strings: list[TooBig]) -> TooBig | None:
    """LCS fills a table of len(a) x len(b) cells (4 bytes each) in Redis's memory, in one
    call: two strings of 100 KB are 40 GB. Held to LCS_CELLS_PER_ELEMENT cells per element
    of the console's limit (10^6 cells, 4 MB, by default); the longer string is named."""
    if info.name != "lcs" or len(strings) != 2:
        return None
    cells = (strings[0].size + 1) * (strings[1].size + 1)
    if cells > LCS_CELLS_PER_ELEMENT * app_settings.CONSOLE_MAX_ELEMENTS:
        return max(strings, key=lambda found: found.size)
    return None


def _size(conn, key: bytes, type_name) -> tuple[int, str] | None:
    name = type_name.decode("ascii", "replace") if isinstance(type_name, bytes) else ""
    if name in ("", "none"):
        return None
    if name == "string":
        command, unit = STRING_LENGTH, "bytes"
    else:
        command, unit = registry.unit_for(name).length_command, "elements"
        if command is None:  # a module type: its size is not known, so it is not assumed small
            return (app_settings.CONSOLE_MAX_ELEMENTS + 1, unit)
    conn.send_command(command, key)
    return int(conn.read_response(disable_decoding=True)), unit
