"""What this Redis lets the dashboard do, learned when a connection is first used.

Managed services (ElastiCache, MemoryDB, Azure Cache, Memorystore, Aiven) and ACL-limited
users disable or rename commands: CONFIG, MONITOR, DEBUG, KEYS, CLIENT, MEMORY, sometimes
INFO, SELECT, TYPE, MULTI or every write. Nothing the dashboard shows may require them. One
pipelined round trip asks, harmlessly, for what the pages would use (ACL WHOAMI, CONFIG GET
databases, INFO keyspace, MULTI+DISCARD, SELECT of the current db, EXISTS of a name nobody
uses, UNLINK without arguments, a one-bucket SCAN with the TYPE option that Redis 5 lacks:
keyspace.redis.typed_scan) and keeps each refusal with its reason: "not permitted"
(NOPERM, an ACL rule) or "not available" (unknown: renamed or removed). MEMORY is not asked:
the key list finds out from its own MEMORY USAGE replies. On Redis 7+, when the user may run
ACL DRYRUN, it also asks whether the user may write at all.

A refusal met later (a page whose command Redis refused) is noted too (`note_refusal`), so
the next page does without it. The facts are kept per Redis URL (which names the user) for
CAPABILITY_SECONDS in each process: they are a cache of what the server says, not state the
processes must agree on, and they follow ACL changes within that time.

Features that need a newer server than the one shown (hash-field TTLs: Redis 7.4+ and
Valkey 9) ask `has_command` before they are offered, so an older server gets a sentence
saying what it lacks instead of an error. That probe is the command itself with no
arguments: a server that knows it answers "wrong number of arguments" (the arity check comes
before ACLs), one that does not (too old, or renamed away) answers "unknown command". So only
commands that need arguments can be probed that way (`COMMAND INFO` would need no such care,
but redis-py cannot parse its reply for an unknown command).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import redis

from keyspace.redis.commands import removed

CAPABILITY_SECONDS = 60.0
# A name no application uses: EXISTS of it reads nothing, and a user whose
# key patterns do not cover it is one limited to some keys.
PROBE_KEY = b"\x00redis-dashboard:probe"
WRITE_PROBES = (("SET", PROBE_KEY, b"x"), ("HSET", PROBE_KEY, b"f", b"v"), ("DEL", PROBE_KEY))

NOT_PERMITTED = "not permitted for this Redis user"
NOT_AVAILABLE = "not available on this server (renamed or removed)"


def refusal_kind(exc: BaseException) -> str | None:
    """NOT_PERMITTED, NOT_AVAILABLE or None (another error, e.g. a wrong argument)."""
    if not isinstance(exc, redis.ResponseError):
        return None
    text = str(exc)
    if isinstance(exc, redis.exceptions.NoPermissionError) or text.startswith("NOPERM") \
            or "no permissions to" in text:
        return NOT_PERMITTED
    if text.lower().startswith("unknown command") or "unknown subcommand" in text.lower():
        return NOT_AVAILABLE
    return None


def key_refused(exc: BaseException) -> bool:
    """A NOPERM about the key (the user's key patterns), not about the command."""
    return refusal_kind(exc) == NOT_PERMITTED and "key" in str(exc) and "command" not in str(exc)


@dataclass
class Capabilities:
    user: str | None = None  # ACL WHOAMI; None when it is refused
    missing: dict[str, str] = field(default_factory=dict)  # "CONFIG" -> NOT_AVAILABLE, ...
    databases: int | None = None  # CONFIG GET databases
    keyspace: dict[int, tuple[int, int]] | None = None  # INFO keyspace: db -> (keys, expires)
    all_keys: bool = True  # False: ACL key patterns leave some names out
    writes_refused: str | None = None  # why this user cannot write (MULTI, ACL DRYRUN)
    # SCAN's TYPE option, asked only once a type filter needs it (see typed_scan.py): a
    # command more in every probe would be one more in every measured page.
    scan_type_checked: bool = False
    learned_at: float = 0.0

    def lacks(self, command: str) -> str | None:
        """Why `command` (e.g. "CONFIG", "MEMORY") cannot be used, or None."""
        return self.missing.get(command.upper())

    def reason(self, command: str) -> str:
        why = self.lacks(command)
        return f"{command.upper()} is {why}" if why else ""

    @property
    def write_refusal(self) -> str | None:
        """Why edits cannot be offered, or None. TYPE is learned from the first page that
        runs it (asking it here would be a command more in every measured page)."""
        if self.writes_refused:
            return self.writes_refused
        if self.lacks("TYPE"):
            return ("edits check under WATCH that a key is still of the type you saw, and TYPE "
                    f"is {self.missing['TYPE']}")
        return None

    @property
    def can_select(self) -> bool:
        return "SELECT" not in self.missing

    @property
    def can_multi(self) -> bool:
        return "MULTI" not in self.missing


_known: dict[tuple, Capabilities] = {}
_lock = threading.Lock()


def forget() -> None:
    """Forget every answer (tests that point the dashboard at another server)."""
    with _lock:
        _known.clear()
        _commands.clear()


def capabilities(client: redis.Redis | None = None) -> Capabilities:
    """The facts for the Redis the dashboard points at, asked for once per CAPABILITY_SECONDS.
    Raises what the connection raises (Redis down): callers that only draw catch it."""
    from keyspace.redis.connection import current_target, get_client

    url = current_target().key
    known = _known.get(url)
    if known is not None and time.monotonic() - known.learned_at < CAPABILITY_SECONDS:
        return known
    learned = probe(client or get_client(), current_target().default_db)
    with _lock:
        _known[url] = learned
    return learned


def known() -> Capabilities | None:
    """The facts if this process has them already (never asks Redis)."""
    from keyspace.redis.connection import current_target

    try:
        found = _known.get(current_target().key)
    except ValueError:
        return None
    if found is None or time.monotonic() - found.learned_at >= CAPABILITY_SECONDS:
        return None
    return found


def note_refusal(command: str, exc: BaseException) -> str | None:
    """Record that Redis refused `command` (NOPERM or unknown); returns the reason, or None
    when `exc` is no such refusal. A key-pattern refusal is about one key: not recorded."""
    kind = refusal_kind(exc)
    if kind is None or key_refused(exc):
        return kind
    note_missing(command, kind)
    return kind


def note_missing(command: str, reason: str) -> None:
    """Record in the facts this process holds that `command` cannot be used, and why."""
    from keyspace.redis.connection import current_target

    try:
        url = current_target().key
    except ValueError:
        return
    with _lock:
        known = _known.get(url)
        if known is not None:
            known.missing[command.upper()] = reason


def _queue(pipe, name: str, *args) -> bool:
    if removed(name):
        return False
    pipe.execute_command(name, *args)
    return True


def probe(client: redis.Redis, db: int) -> Capabilities:
    from keyspace.redis.cluster import default_node_client
    from keyspace.redis.typed_scan import SCAN_TYPE, scan_type_refusal

    client = default_node_client(client)  # a cluster's nodes are asked one at a time
    found = Capabilities(learned_at=time.monotonic())
    asked: list[str] = []
    with client.pipeline(transaction=False) as pipe:
        for label, args in (
            ("ACL", ("ACL", "WHOAMI")),
            ("CONFIG", ("CONFIG", "GET", "databases")),
            ("INFO", ("INFO", "keyspace")),
            ("MULTI", ("MULTI",)),
            ("DISCARD", ("DISCARD",)),
            ("SELECT", ("SELECT", db)),
            # Reads nothing; a user whose key patterns leave this name out is refused it.
            ("KEYS", ("EXISTS", PROBE_KEY)),
            # No arguments: a server that has UNLINK refuses the arity and runs nothing; one
            # without it (older than 4.0, renamed away) answers "unknown command".
            ("UNLINK", ("UNLINK",)),
        ):
            if removed(args[0]):
                found.missing[args[0]] = NOT_AVAILABLE
                continue
            pipe.execute_command(*args)
            asked.append(label)
        replies = dict(zip(asked, pipe.execute(raise_on_error=False), strict=True))
    for label, reply in replies.items():
        if not isinstance(reply, Exception):
            continue
        kind = refusal_kind(reply)
        if label == SCAN_TYPE:
            if (why := scan_type_refusal(reply)) is not None:
                found.missing[label] = why
        elif label == "KEYS":
            found.all_keys = not key_refused(reply)
        elif label == "DISCARD":
            pass  # refused only because MULTI was
        elif kind is not None:
            found.missing[label] = kind
    user = replies.get("ACL")
    if isinstance(user, bytes | str):
        found.user = user.decode() if isinstance(user, bytes) else user
    config = replies.get("CONFIG")
    if isinstance(config, list | dict) and config:
        pairs = config if isinstance(config, dict) else dict(zip(config[::2], config[1::2],
                                                                 strict=False))
        value = next(iter(pairs.values()), None)
        if value is not None and str(_text(value)).isdigit():
            found.databases = int(_text(value))
    keyspace = replies.get("INFO")
    if isinstance(keyspace, dict):
        found.keyspace = {int(str(name)[2:]): (int(stats.get("keys", 0)),
                                               int(stats.get("expires", 0)))
                          for name, stats in keyspace.items()
                          if str(name)[:2] == "db" and str(name)[2:].isdigit()
                          and isinstance(stats, dict)}
    elif isinstance(keyspace, bytes | str):
        found.keyspace = _keyspace(_text(keyspace))
    if not found.can_multi:
        found.writes_refused = ("edits run in MULTI/EXEC, so that they change only what you saw, "
                               f"and MULTI is {found.missing['MULTI']}")
    elif found.user is not None:
        found.writes_refused = _dry_run(client, found.user)
    return found


def _dry_run(client: redis.Redis, user: str) -> str | None:
    """ACL DRYRUN (Redis 7+) of a few writes; a reason when every one is refused by command."""
    with client.pipeline(transaction=False) as pipe:
        for command in WRITE_PROBES:
            pipe.execute_command("ACL", "DRYRUN", user, *command)
        replies = pipe.execute(raise_on_error=False)
    refused = []
    for reply in replies:
        if isinstance(reply, Exception):
            return None  # no DRYRUN here (older server, or not permitted): not known
        text = _text(reply)
        if text == "OK" or "key" in text:
            return None  # a write is allowed, at least on some keys
        refused.append(text)
    return f"this Redis user may not write (ACL DRYRUN: {refused[0]})"


def _text(value) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _keyspace(text: str) -> dict[int, tuple[int, int]]:
    """`db0:keys=1,expires=0,avg_ttl=0` lines of INFO keyspace."""
    found = {}
    for line in text.splitlines():
        name, _, rest = line.partition(":")
        if not name.startswith("db") or not name[2:].isdigit():
            continue
        stats = dict(part.split("=", 1) for part in rest.split(",") if "=" in part)
        found[int(name[2:])] = (int(stats.get("keys", 0)), int(stats.get("expires", 0)))
    return found


def delete_command() -> str:
    """UNLINK (frees memory in the background), or DEL where UNLINK is missing."""
    if removed("UNLINK"):
        return "DEL"
    try:
        return "DEL" if capabilities().lacks("UNLINK") == NOT_AVAILABLE else "UNLINK"
    except (redis.RedisError, ValueError):
        return "UNLINK"


def reading_pipeline(client: redis.Redis):
    """A pipeline for reads that belong together: one snapshot in MULTI/EXEC when this user
    may run MULTI, else a plain pipeline (the replies are then read one after another, a
    moment apart; MULTI is not a read command, so a +@read user lacks it)."""
    try:
        snapshot = capabilities().can_multi
    except (redis.RedisError, ValueError):
        snapshot = True
    return client.pipeline(transaction=snapshot)


def limited_keys() -> bool:
    """True when ACL key patterns leave some keys out for this user (SCAN names them all the
    same, so listings must drop them); False when not, or when it cannot be told."""
    try:
        return not capabilities().all_keys
    except (redis.RedisError, ValueError):
        return False


_commands: dict[tuple[str, str], tuple[float, bool]] = {}


class NotOnThisServer(Exception):
    """The server lacks a command a feature needs; the message says which, for people."""


def has_command(client: redis.Redis, name: str) -> bool:
    """Whether the server behind `client` knows the command `name` (e.g. "HPEXPIRE"), asked
    once per CAPABILITY_SECONDS in each process."""
    from keyspace.redis.connection import current_target

    cache_key = (current_target().key, name.lower())
    with _lock:
        cached = _commands.get(cache_key)
    if cached and time.monotonic() - cached[0] < CAPABILITY_SECONDS:
        return cached[1]
    from keyspace.redis.cluster import default_node_client

    try:
        default_node_client(client).execute_command(name)
    except redis.ResponseError as exc:
        found = "unknown command" not in str(exc).lower()
    else:
        found = True
    with _lock:
        _commands[cache_key] = (time.monotonic(), found)
    return found


def require_command(client: redis.Redis, name: str, feature: str, since: str) -> None:
    """Raise NotOnThisServer unless the server has `name`."""
    if not has_command(client, name):
        raise NotOnThisServer(f"{feature} are not available on this server (they need {since})")
