"""What a key-list page token says: a SCAN cursor (with the COUNT the scan's pace allows, see
keyspace.redis.pacing), keys carried from a step shown in part, or a step to run again; and,
after an "@", the server the scan began on (the first characters of its run id). The format
is this module's alone; keyspace.redis.scanning explains when each is used.

A SCAN cursor is a place in one server's hash table, whose layout depends on a seed each
Redis process draws at start: a cursor handed to another process (the same server restarted,
a replica promoted by a failover) goes on from an unrelated place, skipping names or giving
them twice, and still ends. The run id in the token lets the scan's end say so."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from keyspace.exceptions import BadRequest
from keyspace.redis.keynames import decode_key, encode_key

MAX_CURSOR = 2**64 - 1
# A token travels in every "Load more" URL: keep it to about a kilobyte, whole.
MAX_TOKEN_CHARS = 1024
MAX_CARRIED_KEYS = 200
CARRIED = "~"  # separates the end cursor and the carried keys (base64 never contains it)
SERVER = "@"  # before the server the scan began on (in no other part of a token)
SERVER_ID_CHARS = 8  # of the run id: enough to tell two processes apart
SERVER_ID = re.compile(f"[0-9a-f]{{{SERVER_ID_CHARS}}}")
# A cluster's token puts "<first slot>:" before a primary's own (keyspace.redis.cluster_scan).
CLUSTER_PREFIX_CHARS = len("16383:")
# What a position (cursor, pace, carried keys) may take of a token: room is left for the
# server part and a cluster's prefix.
MAX_POSITION_CHARS = MAX_TOKEN_CHARS - len(SERVER) - SERVER_ID_CHARS - CLUSTER_PREFIX_CHARS


def parse_cursor(raw: str | None) -> int:
    if raw in (None, ""):
        return 0
    # At most 20 digits (2**64 - 1): int() of thousands of digits raises ValueError itself.
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 20 or int(raw) > MAX_CURSOR:
        raise BadRequest(f"not a scan cursor: {raw[:40]!r}")
    return int(raw)


def scanned_fraction(cursor: int) -> float:
    """How far through the keyspace a SCAN cursor is.

    Redis walks its hash table in reverse-binary order, so the cursor's bits read backwards
    are a position in the table whatever its size.
    """
    if cursor == 0:
        return 0.0
    reversed_bits = int(f"{cursor:064b}"[::-1], 2)
    return reversed_bits / 2**64


@dataclass(frozen=True)
class Position:
    """Where a page starts: a cursor, keys carried from the step before, or a step to run
    again (keyspace.redis.scanning says when each is used)."""

    cursor: int
    count: int = 0
    step_end: int = 0
    after: str | None = None  # digest of the last key shown from the step
    carried: tuple[bytes, ...] = ()  # keys of the step ending at `cursor` not shown yet
    pace: int = 0  # the COUNT the next step may ask for (0: unknown, start afresh)
    server: str = ""  # the run id the scan began on ("": not known, INFO refused)

    def scanned(self) -> float:
        # A step shown in part has been scanned to its end; only its rows are still to come.
        reached = self.cursor if self.after is None else self.step_end
        return 1.0 if reached == 0 else scanned_fraction(reached)

    def token(self, server: str = "") -> str:
        """The token, naming `server` (or the server it was read with) as the one the scan
        began on; the scan's end ("0") names none: there is nothing left to scan."""
        server = server or self.server
        if server and self.goes_on():
            return f"{self._position()}{SERVER}{server}"
        return self._position()

    def goes_on(self) -> bool:
        return bool(self.cursor or self.carried or self.after is not None)

    def _position(self) -> str:
        if self.carried:
            # The pace goes with carried keys at the scan's end (cursor 0) too: a cluster's
            # next primary starts at the pace this one reached (keyspace.redis.cluster_scan).
            paced = f"{self.cursor}.{self.pace}" if self.pace else str(self.cursor)
            return CARRIED.join([paced, *map(encode_key, self.carried)])
        paced = f"{self.cursor}.{self.pace}" if self.cursor and self.pace else str(self.cursor)
        if self.after is None:
            return paced
        return f"{self.cursor}.{self.count}.{self.step_end}.{self.after}"


def start_token(pace: int) -> str:
    """The token of a scan not begun yet whose first step asks for `pace` (a cluster's next
    primary starts at the pace the one before reached: names and machine are the same)."""
    return f"0.{pace}" if pace else "0"


def _refuse(raw: str | None) -> BadRequest:
    return BadRequest(f"not a scan cursor: {(raw or '')[:40]!r}")


# The usual token of a scan being followed: a cursor, its pace and the server it began on.
_FOLLOWED = re.compile(f"([0-9]{{1,20}})\\.([0-9]{{1,6}}){SERVER}({SERVER_ID.pattern})")


def parse_position(raw: str | None, max_count: int) -> Position:
    if raw and (followed := _FOLLOWED.fullmatch(raw)):
        # What the general way below reads such a token as, in one step (every page of a
        # followed scan parses one); any other, or one out of range, goes the general way.
        cursor, pace = int(followed[1]), int(followed[2])
        if 0 < cursor <= MAX_CURSOR and 1 <= pace <= max_count:
            return Position(cursor, pace=pace, server=followed[3])
    return _parse_general(raw, max_count)


def _parse_general(raw: str | None, max_count: int) -> Position:
    if raw and SERVER in raw:
        position, _, server = raw.rpartition(SERVER)
        if not SERVER_ID.fullmatch(server) or not position:
            raise _refuse(raw)
        p = _parse_unplaced(position, max_count, server)
        if not p.goes_on():
            raise _refuse(raw)  # a scan's start or end names no server: none is written there
        return p
    return _parse_unplaced(raw, max_count)


def server_id(run_id: str | bytes | None) -> str:
    """What a token keeps of a server's run id ("" when not known)."""
    # str(): redis-py's INFO parsing reads a run id of digits only as a number.
    text = run_id.decode("ascii", "replace") if isinstance(run_id, bytes) else str(run_id or "")
    return text[:SERVER_ID_CHARS] if SERVER_ID.fullmatch(text[:SERVER_ID_CHARS]) else ""


def _parse_unplaced(raw: str | None, max_count: int, server: str = "") -> Position:
    """The position `raw` says (the token less its server part, `server`)."""
    if raw and CARRIED in raw:
        return _parse_carried(raw, max_count, server)
    parts = (raw or "").split(".")
    if len(parts) == 1:
        return Position(parse_cursor(raw), server=server)
    if len(parts) == 2:
        return Position(parse_cursor(parts[0]), pace=_parse_count(parts[1], max_count, raw),
                        server=server)
    if len(parts) != 4 or not _is_digest(parts[3]):
        raise _refuse(raw)
    count = _parse_count(parts[1], max_count, raw)
    return Position(parse_cursor(parts[0]), count, parse_cursor(parts[2]), parts[3],
                    server=server)


def _parse_count(text: str, max_count: int, raw: str) -> int:
    # A COUNT the scan could have used: a forged token cannot ask Redis for a longer step.
    if not (text.isascii() and text.isdigit() and len(text) <= 6 and 1 <= int(text) <= max_count):
        raise _refuse(raw)
    return int(text)


def _parse_carried(raw: str, max_count: int, server: str) -> Position:
    """The carried form, held to what this module writes: the end cursor (with the pace, as
    a plain cursor token has it; at the scan's end, cursor 0, too: there the keys are the
    last of a cluster primary, and the next primary starts at that pace), then a bounded
    number of distinct keys, each in canonical unpadded base64. A forged one can only name
    keys, which are then looked up like any other (the exact-key lookup shows a viewer any
    key by name anyway; a type filter checks their type, a pattern is not checked again),
    and a pace no scan could have reached."""
    cursor_text, *encoded = raw.split(CARRIED)
    if len(raw) > MAX_TOKEN_CHARS or len(encoded) > MAX_CARRIED_KEYS or not cursor_text:
        raise _refuse(raw)
    cursor_text, dot, pace_text = cursor_text.partition(".")
    if not cursor_text:
        raise _refuse(raw)  # a pace with no cursor before it
    pace = _parse_count(pace_text, max_count, raw) if dot else 0
    try:
        keys = tuple(decode_key(text) for text in encoded)
    except ValueError:
        raise _refuse(raw) from None
    if [encode_key(key) for key in keys] != encoded or len(set(keys)) != len(keys):
        raise _refuse(raw)
    return Position(parse_cursor(cursor_text), carried=keys, pace=pace, server=server)


def _is_digest(text: str) -> bool:
    return len(text) == 16 and _is_hex(text)


def _is_hex(text: str) -> bool:
    return bool(text) and all(ch in "0123456789abcdef" for ch in text)


def digest(key: bytes) -> str:
    return hashlib.blake2b(key, digest_size=8).hexdigest()
