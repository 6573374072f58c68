"""Walking the keyspace with SCAN, a bounded amount of work per request.

A cursor is an opaque string to everyone outside this module: a cluster's (one scan per
primary, keyspace.redis.cluster_scan) names its node too, without the views noticing.

A page never holds more than its size. One SCAN step can return more keys than are left to
fill (COUNT is a hint, and a filtered step examines many keys), and SCAN cannot resume
inside a step. The step's keys not shown yet then travel in the page's token itself, with
the cursor where the step ended and the scan's pace: the next page shows them first and goes
on from there, as fast as the page before (once the pace allows a page, one SCAN call a page).
No step is scanned twice, so this holds whatever Redis does to its table in between (it
finishes growing one within moments of a bulk insert).

Only when those keys do not fit in MAX_POSITION_CHARS (a filtered step can overflow by
hundreds) does the token name the step instead: its start, COUNT, end, and a digest of the
last key shown (the step's keys are then shown in digest order, carried ones in SCAN's). The
next page runs the step again, shows its keys past the digest and goes on from the earlier
of the two ends. If the
table changed meanwhile the step covers other buckets: a key present throughout is never
skipped, but one can appear twice (as SCAN itself allows).

How much each step asks for is paced by time (keyspace.redis.pacing): the COUNT reached
travels in the token, so a scan followed over many requests keeps its pace. A scan with no
pace yet starts from the names: an unfiltered one asks for a page (its keys are the
sample), a filtered one first fetches a few names for nothing (PROBE_COUNT), and a token
carrying keys starts from the carried names.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

import redis

from keyspace.conf import app_settings
from keyspace.redis import key_counts
from keyspace.redis.capabilities import key_refused, known, limited_keys, note_refusal
from keyspace.redis.cluster import is_cluster_client
from keyspace.redis.pacing import MAX_COUNT, PROBE_COUNT, Pacer, count_for_names
from keyspace.redis.scan_tokens import (
    MAX_CARRIED_KEYS,
    MAX_POSITION_CHARS,
    Position,
    digest,
    parse_cursor,
    parse_position,
    scanned_fraction,
    server_id,
)
from keyspace.redis.typed_scan import (
    filters_here,
    keys_of_type,
    note_scan_type_refusal,
    of_type,
    scan_step,
)

__all__ = ["ScanPage", "followed_page", "key_count", "parse_cursor", "readable_keys",
           "scan_keys", "scanned_fraction"]

# The most a first step asks for: a filtered one on short names (about 1 ms of Redis time at a
# million keys), an unfiltered one (a page of the default size; a larger page takes more steps).
FILTERED_FIRST_COUNT = 1000
UNFILTERED_FIRST_COUNT = 100


@dataclass(frozen=True)
class ScanPage:
    keys: list[bytes]
    next_cursor: str
    total_keys: int
    scanned_fraction: float
    budget_exhausted: bool
    pace: int = 0  # the COUNT the scan reached (a cluster's next primary starts there)
    # The scan ended on another Redis process than it began on (restarted, failed over): its
    # cursors meant other places there, so names may have been missed or given twice.
    restarted: bool = False

    @property
    def complete(self) -> bool:
        return self.next_cursor == "0"

    @property
    def scanned_keys(self) -> int:
        return round(self.total_keys * self.scanned_fraction)


@dataclass(frozen=True)
class _Step:
    """One SCAN call's keys; count 0 marks the keys a token carried (no call was made)."""

    start: int
    count: int
    end: int
    keys: list[bytes]


def scan_keys(
    client: redis.Redis,
    *,
    cursor: str,
    page_size: int,
    match: bytes | None = None,
    type_name: str | None = None,
    budget_ms: float = 50.0,
    readable_only: bool | None = None,
) -> ScanPage:
    """Scan until `page_size` keys are found, the keyspace ends, or the time budget is spent.

    Never returns more than `page_size` keys; a step that overflows the page is carried on in
    the returned cursor. `readable_only` (a user whose ACL key patterns leave some keys out:
    SCAN still names them) drops each step's names the user may not read, before they count;
    None: when the connection's probe found such patterns. A type filter runs as SCAN's TYPE
    option, or here where the server lacks it (keyspace.redis.typed_scan): the same steps
    either way, so tokens mean the same."""
    if is_cluster_client(client):
        from keyspace.redis.cluster_scan import scan_cluster

        return scan_cluster(client, cursor=cursor, page_size=page_size, match=match,
                            type_name=type_name, budget_ms=budget_ms,
                            readable_only=readable_only)
    if readable_only is None:
        readable_only = limited_keys()
    start = _start_of(cursor)
    started = time.perf_counter()
    # A page going on with a scan may take the key count a page read moments ago.
    continuing = continues(cursor)
    if continuing and not readable_only and not is_filtered(match, type_name):
        page = _followed_page(client, start, page_size)
        if page is not None:
            return page
    here = bool(type_name) and filters_here()
    args = (client, start, page_size, match, type_name, started + budget_ms / 1000,
            readable_only)
    try:
        return _scan_page(*args, here=here, continuing=continuing)
    except redis.ResponseError as exc:
        # The facts said SCAN takes TYPE (or could not be had): a refusal met now is kept,
        # and the page is scanned again with the filter applied here. Nothing was shown yet.
        if here or not type_name or note_scan_type_refusal(exc) is None:
            raise
    return _scan_page(*args, here=True, continuing=continuing)


def continues(cursor: str | None) -> bool:
    """Whether a page token goes on with a scan (not its start)."""
    return bool(cursor) and cursor != "0"


def is_filtered(match: bytes | None, type_name: str | None) -> bool:
    """Whether a scan keeps only some keys (a pattern other than *, or a type)."""
    return bool(match and match != b"*") or bool(type_name)


def followed_page(client: redis.Redis, cursor: str, page_size: int,
                  total: int) -> ScanPage | None:
    """The page at `cursor` of an unfiltered scan of every key, when it is the usual page of a
    followed scan (see _followed_page), `total` being the key count read moments ago; None,
    before any call, when it is not. A cluster's page asks the primary it scans for it
    (keyspace.redis.cluster_scan), with the count it looked up."""
    return _followed_page(client, _start_of(cursor), page_size, total)


def _start_of(cursor: str) -> Position:
    """Where the page a token names starts (a COUNT it carries is bounded by the largest a
    step or a page may take)."""
    return parse_position(cursor, max(MAX_COUNT, app_settings.MAX_PAGE_SIZE))


def _followed_page(client: redis.Redis, start: Position, page_size: int,
                   total: int | None = None) -> ScanPage | None:
    """The usual page of an unfiltered scan being followed (most pages of a long one): one
    SCAN call at the pace the token carries, for the room its carried keys leave, with a key
    count read moments ago (`total`, when the caller looked it up already); _scan_page's
    result with less bookkeeping. None, before any call, for any other page. A step whose
    keys are not simply put after the carried ones (a name given twice, or too few to fill
    the page short of the scan's end) goes on in _scan_page's loop, as its first step."""
    carried = start.carried
    if start.after is not None or not start.cursor or not start.pace \
            or len(carried) >= page_size:
        return None
    if total is None:
        total = key_counts.recent(client)
    if total is None:
        return None
    pacer = Pacer(start.pace)
    room = page_size - len(carried)
    count = pacer.allowance(room)
    began = time.perf_counter()
    end, keys = scan_call(client, start.cursor, count)
    pacer.observe(count, (time.perf_counter() - began) * 1000)
    if not _goes_simply_after(keys, carried, end, room):
        steps = deque([_Step(start.cursor, 0, start.cursor, list(carried))] if carried else [])
        steps.append(_Step(start.cursor, count, end, keys))
        return _scan_page(client, start, page_size, None, None, 0.0, False, here=False,
                          continuing=True, first=(total, steps, pacer, True, ""))
    if len(keys) > room:
        keys, position = _overflow(_Step(start.cursor, count, end, keys), keys, room,
                                   pacer.count)
        keys = keys[:room]
    else:
        position = Position(end, pace=pacer.count)
    found = [*carried, *keys] if carried else keys
    return _page(client, found, position, start, page_size, total, pacer, recalled=True)


def scan_call(client: redis.Redis, cursor: int, count: int) -> tuple[int, list[bytes]]:
    """`client.scan(cursor, count=count)`, sent on a connection of the client's pool as
    redis-py sends any command (renamed commands, the connection's retry policy: once more on
    a broken connection), without the per-command hooks around it (observability, closures),
    which cost a followed page about as much as all its own work: that page is one SCAN."""
    if client.connection is not None:  # a single-connection client: its lock and its way
        return client.scan(cursor, count=count)
    pool = client.connection_pool
    connection = pool.get_connection()
    try:
        cursor_reply, keys = connection.retry.call_with_retry(
            lambda: _scan_on(connection, cursor, count),
            lambda _error: connection.disconnect(),
        )
    finally:
        pool.release(connection)
    return int(cursor_reply), keys


def _scan_on(connection, cursor: int, count: int):
    connection.send_command("SCAN", cursor, "COUNT", count)
    return connection.read_response()


def _goes_simply_after(keys: list[bytes], carried: tuple[bytes, ...], end: int,
                       room: int) -> bool:
    """Whether a step's keys are simply shown after the keys a token carried: each named
    once, none of them carried, and as many as the page has room for unless the scan ended."""
    # _new_names hands back the step as it came when it names no key twice and none shown.
    return _new_names(keys, set(carried))[0] is keys and (not end or len(keys) >= room)


def _scan_page(
    client: redis.Redis, start: Position, page_size: int, match: bytes | None,
    type_name: str | None, deadline: float, readable_only: bool, *, here: bool,
    continuing: bool, first: tuple | None = None,
) -> ScanPage:
    """A page the general way; `first`: what _first_steps would return, made already."""
    filtered = is_filtered(match, type_name)
    total, steps, pacer, recalled, began_on = first or _first_steps(
        client, start, page_size, match, type_name, filtered, here, continuing)
    found: list[bytes] = []  # the page's keys, in order, each once
    seen: set[bytes] = set()
    while True:
        step = steps.popleft()
        room = page_size - len(found)
        fresh, names = _new_names(step.keys, seen)
        if readable_only and step.count:  # carried keys (count 0) were checked already
            fresh = readable_keys(client, fresh)
            names = None
        if len(fresh) > room:
            fresh, position = _overflow(step, fresh, room, pacer.count)
            found.extend(fresh[:room])
            break
        if found:
            found.extend(fresh)
            seen.update(fresh)
        else:
            found, seen = fresh, (names if names is not None else set(fresh))
        position = Position(step.end, pace=pacer.count)
        if not step.end or len(found) >= page_size:
            break
        if steps:
            continue
        # A filter may match nothing for a long way: stop before a call that would likely
        # overrun the budget, not after it. Unfiltered, every step brings keys, so a page
        # fills in a few paced steps.
        left = (deadline - time.perf_counter()) * 1000
        if filtered and pacer.expected_ms() > left:
            break
        # Unfiltered, a step need not collect more keys than the page has room for.
        wanted = None if filtered else page_size - len(found)
        end, keys = pacer.call(
            lambda count, at=step.end: scan_step(client, at, match=match, count=count,
                                                 type_name=type_name, here=here),
            room=wanted,
        )
        steps.append(_Step(step.end, pacer.last_asked, end, keys))
    return _page(client, found, position, start, page_size, total, pacer, recalled=recalled,
                 began_on=began_on)


def _page(client: redis.Redis, found: list[bytes], position: Position, start: Position,
          page_size: int, total: int, pacer: Pacer, *, recalled: bool,
          began_on: str = "") -> ScanPage:
    """The page of `found`, going on from `position`: its token names the server the scan
    began on (the one `start` names, or `began_on` for a scan that began here). Where the scan
    ends, the key count is asked again when it was `recalled` from moments before, and so is
    whether this is still the server the scan began on."""
    token = position.token(start.server or began_on)
    restarted = False
    if token == "0" and (recalled or start.server):
        total, restarted = _at_the_end(client, total if not recalled else None, start.server)
    return ScanPage(
        keys=found,
        next_cursor=token,
        total_keys=total,
        scanned_fraction=position.scanned(),
        budget_exhausted=token != "0" and len(found) < page_size,
        pace=pacer.count,
        restarted=restarted,
    )


def _at_the_end(client: redis.Redis, total: int | None, began_on: str) -> tuple[int, bool]:
    """(the key count: `total`, or DBSIZE when None; whether the server's run id differs from
    `began_on`, the one the scan began on), in one round trip."""
    with client.pipeline(transaction=False) as pipe:
        if total is None:
            pipe.dbsize()
        if began_on:
            pipe.info("server")
        replies = pipe.execute(raise_on_error=False)
    if total is None:
        total, *replies = replies
        if isinstance(total, Exception):
            raise total
        key_counts.remember(client, total)
    now = _server_of(replies[0]) if began_on else ""
    if now:
        key_counts.remember_server(client, now)
    return total, bool(now) and now != began_on


def _server_of(info_reply) -> str:
    """The token's id of the server from an INFO server reply ("" when refused: noted)."""
    if isinstance(info_reply, Exception):
        note_refusal("INFO", info_reply)
        return ""
    return server_id(info_reply.get("run_id")) if isinstance(info_reply, dict) else ""


def _may_ask_info() -> bool:
    facts = known()
    return facts is None or not facts.lacks("INFO")


def _new_names(keys: list[bytes], seen: set[bytes]) -> tuple[list[bytes], set[bytes] | None]:
    """A step's keys less those the page has, each once (SCAN may name a key twice while
    Redis rehashes), in SCAN's order; and their set when it was built on the way. The usual
    step, no name twice and none shown yet, is returned as it came."""
    names = set(keys)
    if len(names) != len(keys):
        keys, names = list(dict.fromkeys(keys)), None
    if seen and not (names or set(keys)).isdisjoint(seen):
        keys, names = [key for key in keys if key not in seen], None
    return keys, names


def _first_steps(
    client: redis.Redis, start: Position, page_size: int, match: bytes | None,
    type_name: str | None, filtered: bool, here: bool, continuing: bool,
) -> tuple[int, deque[_Step], Pacer, bool]:
    """DBSIZE (unless a page `continuing` a scan finds a recent count: keyspace.redis.key_counts),
    the carried keys (their TYPE too under a type filter), and the first SCAN step when there
    is room for one: one round trip, two when a filtered scan has no pace yet (a few names
    first, to size its first step), and one more for the TYPEs of the step's keys when the
    type filter is applied `here`. Then whether the count was a recent one recalled, and the
    server's id when the scan begins here (INFO server, in the same round trip)."""
    carried = list(start.carried)
    scanning = not carried or (len(carried) < page_size and start.cursor != 0)
    pacer = Pacer(_first_count(start, carried, filtered))
    if start.after is not None:
        count = start.count  # the very step, again
    else:
        count = pacer.count if filtered else pacer.allowance(page_size - len(carried))
    probing = scanning and filtered and not (start.count or start.pace or carried)
    total = key_counts.recent(client) if continuing else None
    recalled = total is not None
    checks = carried if type_name else []
    began_on = ""
    beginning = start.cursor == 0 and not carried and start.after is None and _may_ask_info()
    if beginning and (recalled_server := key_counts.recent_server(client)) is not None:
        # Read moments ago: a restart since then only makes the scan's end warn needlessly.
        began_on, beginning = recalled_server, False
    began = time.perf_counter()
    if total is not None and not checks and scanning and not probing and not beginning:
        # The usual page of a followed scan: one SCAN call, as a hand-written loop makes it.
        replies = [client.scan(start.cursor, match=match, count=count,
                               _type=None if here else type_name)]
    else:
        with client.pipeline(transaction=False) as pipe:
            if beginning:
                pipe.info("server")
            if total is None:
                pipe.dbsize()
            for key in checks:
                pipe.type(key)
            if probing:
                pipe.scan(start.cursor, count=PROBE_COUNT)
            elif scanning:
                pipe.scan(start.cursor, match=match, count=count,
                          _type=None if here else type_name)
            replies = pipe.execute(raise_on_error=False)
        if beginning:
            info, *replies = replies
            began_on = _server_of(info)
            key_counts.remember_server(client, began_on)
        if total is None:
            total, *replies = replies
            if not isinstance(total, Exception):
                key_counts.remember(client, total)
    checked = len(checks)
    # DBSIZE's and SCAN's errors are the page's; the carried keys' TYPE replies are read below.
    if error := next((r for r in (total, *replies[checked:]) if isinstance(r, Exception)), None):
        raise error
    if scanning and not probing:
        if here and type_name:
            end, keys = replies[-1]
            replies[-1] = (end, keys_of_type(client, keys, type_name))
        pacer.observe(count, (time.perf_counter() - began) * 1000)
    steps: deque[_Step] = deque()
    if carried:
        if type_name:
            # A carried key that changed type or vanished since its step no longer matches:
            # dropped, as SCAN TYPE would have. Without a type filter a vanished carried key
            # is dropped later, where keys_metadata leaves out any key that vanished after SCAN.
            carried = of_type(client, carried, replies[:checked], type_name)
            replies = replies[checked:]
        steps.append(_Step(start.cursor, 0, start.cursor, carried))
    if probing:
        pacer = Pacer(count_for_names(replies[-1][1], FILTERED_FIRST_COUNT))
        replies[-1] = pacer.call(lambda count: scan_step(
            client, start.cursor, match=match, count=count, type_name=type_name, here=here))
        count = pacer.last_asked
    if scanning:
        end, keys = replies[-1]
        if start.after is not None:
            keys = [key for key in keys if digest(key) > start.after]
            end = _earlier(end, start.step_end)
        steps.append(_Step(start.cursor, count, end, keys))
    return total, steps, pacer, recalled, began_on


def key_count(client: redis.Redis) -> int:
    """The keys of the db `client` reads: DBSIZE, summed over the primaries of a cluster."""
    if is_cluster_client(client):
        from keyspace.redis.cluster_nodes import node_key_counts

        return sum(count or 0 for count in node_key_counts(client).values())
    return client.dbsize()


def readable_keys(client: redis.Redis, keys: list[bytes]) -> list[bytes]:
    """`keys` less those the user's ACL key patterns refuse (one pipelined EXISTS each: it
    reads no value). A key that vanished meanwhile stays: the metadata leaves it out."""
    if not keys:
        return keys
    with client.pipeline(transaction=False) as pipe:
        for key in keys:
            pipe.exists(key)
        replies = pipe.execute(raise_on_error=False)
    return readable_of(keys, replies)


def readable_of(keys: list[bytes], exists_replies: list) -> list[bytes]:
    """`keys` less those whose EXISTS reply is a refusal by the user's ACL key patterns
    (readable_keys; live activity sends its EXISTS on an asyncio client)."""
    return [key for key, reply in zip(keys, exists_replies, strict=True)
            if not (isinstance(reply, Exception) and key_refused(reply))]


def _first_count(start: Position, carried: list[bytes], filtered: bool) -> int:
    """The COUNT a page may start with: a step to run again keeps its own; otherwise the pace
    the token carries, or one judged from the carried names, or a first step's."""
    if start.count:
        return start.count
    if start.pace:
        return start.pace
    first = FILTERED_FIRST_COUNT if filtered else UNFILTERED_FIRST_COUNT
    return count_for_names(carried, first) if carried else first


def _overflow(step: _Step, fresh: list[bytes], room: int,
              pace: int) -> tuple[list[bytes], Position]:
    """A step's keys that overflow the page: (the keys in the order they are shown, the first
    `room` of them now, and where the next page starts). The keys not shown are carried, with
    the pace reached, when they fit in a token (keys a token carried always fit again: fewer of
    them, the same end, without the pace if need be); otherwise the step is named to run it
    again, its keys shown in digest order."""
    rest = tuple(fresh[room:])
    if step.count and len(rest) > MAX_CARRIED_KEYS:
        return _run_again(step, fresh, room)
    carried = Position(step.end, carried=rest, pace=pace)
    fits = len(carried.token()) <= MAX_POSITION_CHARS
    if not fits:
        carried = Position(step.end, carried=rest)
        fits = len(carried.token()) <= MAX_POSITION_CHARS
    if not step.count or fits:
        return fresh, carried
    return _run_again(step, fresh, room)


def _run_again(step: _Step, fresh: list[bytes], room: int) -> tuple[list[bytes], Position]:
    ordered = _by_digest(fresh)
    return ordered, Position(step.start, step.count, step.end, digest(ordered[room - 1]))


def _earlier(one: int, other: int) -> int:
    """The end cursor that comes first in SCAN order (0, the end of the scan, comes last)."""
    def order(cursor: int) -> float:
        return 2.0 if cursor == 0 else scanned_fraction(cursor)

    return min(one, other, key=order)


def _by_digest(keys: list[bytes]) -> list[bytes]:
    return sorted(keys, key=digest)
