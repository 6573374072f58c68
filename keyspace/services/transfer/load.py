"""Reading an export back in: the whole file checked first (a bad line stops the import
before anything is written), then each line written in its own transaction, a key's TTL set
once its last line is in. A key that exists already is kept, replaced or imported under
another name, as the import was asked; the decision is made under WATCH, so a key created
meanwhile by another client is not merged into.

In a Redis Cluster each key's writes go to the primary owning its slot (the cluster client
routes them). A name for "import under another name" hashes to another slot than the key's,
and a transaction holds one slot: there each candidate is claimed under its own WATCH."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import redis

from keyspace.redis.capabilities import delete_command
from keyspace.redis.cluster import is_cluster_client
from keyspace.services.transfer import formats
from keyspace.services.transfer.formats import unb64
from keyspace.services.undo.capture import server_ms
from keyspace.units import registry

RENAME_TRIES = 100


class ImportProblem(ValueError):
    """The file cannot be imported (said with its line number)."""


@dataclass
class LoadOutcome:
    lines: int = 0
    keys: int = 0
    written: int = 0
    skipped: int = 0
    renamed: int = 0
    expired: int = 0
    # Keys another client changed while their lines were being written: left as they were
    # then (their lines after that not written), never merged into.
    changed: int = 0
    cancelled: bool = False


def parse(payload: bytes) -> list[dict]:
    """Every line of the file, checked; ImportProblem for the first that is not right: its
    JSON, its fields, its value's shape (base64, scores as Redis reads them, stream IDs in
    order) and its place (a line adding to a key follows that key's lines, of its type), so
    nothing the job would refuse midway is left for it to find."""
    rows: list[dict] = []
    for number, raw in enumerate(payload.splitlines(), 1):
        if not raw.strip() and number > 1:
            continue  # the header is line 1, and nothing stands in for it
        try:
            row = json.loads(raw)
        except ValueError:
            raise ImportProblem(f"line {number} is not JSON") from None
        if number == 1:
            _check_header(row)
            continue
        try:
            row = _checked(row)
            _check_place(row, rows[-1] if rows else None)
        except KeyError as exc:
            raise ImportProblem(f"line {number}: missing the field {exc}") from None
        except (TypeError, ValueError) as exc:
            raise ImportProblem(f"line {number}: {exc or 'a field is not right'}") from None
        rows.append(row)
    return rows


def _check_header(row) -> None:
    if not isinstance(row, dict) or row.get("format") != formats.FORMAT:
        raise ImportProblem("line 1: this is not a file exported by the dashboard")
    if row.get("version") != formats.VERSION:
        raise ImportProblem(f"line 1: version {row.get('version')!r} is not one this reads")


MAX_EXPIRY_MS = 2**53  # far beyond any real date; PEXPIREAT and RESTORE refuse past 2**63


def _checked(row) -> dict:
    if not isinstance(row, dict):
        raise ValueError("not an object")
    row = dict(row)
    row["k"] = unb64(row["k"])
    if "skipped" in row:
        return row
    if not isinstance(row["t"], str) or (row["t"] not in WRITERS and "dump" not in row):
        raise ValueError(f"type {row['t']!r} without a DUMP payload")
    if "dump" in row:
        row["dump"] = unb64(row["dump"])
    else:
        ids = CHECKS[row["t"]](row["v"])
        if ids:
            row["first_id"], row["last_id"] = ids
    expiry = row.get("x")
    if expiry is not None and (not isinstance(expiry, int) or isinstance(expiry, bool)
                               or not 0 <= expiry <= MAX_EXPIRY_MS):
        raise ValueError("the expiry is not a whole number of milliseconds since 1970")
    return row


def _check_place(row: dict, before: dict | None) -> None:
    """A line without "new" adds to the key of the line before it: same name, same type,
    a value of its own (DUMP payloads and left-out keys are one line each)."""
    if row.get("new") or "skipped" in row:
        return
    if (before is None or "skipped" in before or "dump" in before or "dump" in row
            or before["k"] != row["k"] or before["t"] != row["t"]):
        raise ValueError("a line adding to a key must follow that key's own lines, of its type")
    if row["t"] == "stream" and not _id_after(row["first_id"], before["last_id"]):
        raise ValueError("stream entry IDs must increase")


SCORE = re.compile(r"[+-]?(inf|infinity|(\d+\.?\d*|\.\d+)(e[+-]?\d+)?)", re.IGNORECASE)
ENTRY_ID = re.compile(r"(\d{1,20})-(\d{1,20})")


def _items(chunk, kind: str) -> list:
    if not isinstance(chunk, list):
        raise ValueError(f"a {kind} value is a list")
    if not chunk:
        raise ValueError(f"an empty {kind} value")
    return chunk


def _pair(item, kind: str) -> list:
    if not isinstance(item, list) or len(item) != 2:
        raise ValueError(f"a {kind} value is a list of pairs")
    return item


def _check_string(chunk):
    if not isinstance(chunk, str):
        raise ValueError("a string value is base64 text")
    unb64(chunk)


def _check_pairs(kind: str):
    def check(chunk):
        for item in _items(chunk, kind):
            for part in _pair(item, kind):
                unb64(part)
    return check


def _check_members(kind: str):
    def check(chunk):
        for item in _items(chunk, kind):
            unb64(item)
    return check


def _check_zset(chunk):
    for member, score in (_pair(item, "zset") for item in _items(chunk, "zset")):
        unb64(member)
        if not (isinstance(score, str) and _redis_reads_score(score)):
            raise ValueError(f"the score {score!r} is not a number Redis reads")


def _redis_reads_score(text: str) -> bool:
    """Whether ZADD takes `text` as a score: the form, and a value a double holds. Redis
    refuses a number too large for one (it would be infinity) or so small it would be 0."""
    if not SCORE.fullmatch(text):
        return False
    value = float(text)
    if math.isinf(value):
        return "inf" in text.lower()
    mantissa = text.lower().partition("e")[0]
    return value != 0 or not any(digit in mantissa for digit in "123456789")


def _check_stream(chunk) -> tuple[str, str]:
    first = last = None
    for entry_id, fields in (_pair(item, "stream") for item in _items(chunk, "stream")):
        if not (isinstance(entry_id, str) and ENTRY_ID.fullmatch(entry_id)):
            raise ValueError(f"{entry_id!r} is not a stream entry ID")
        if not _id_after(entry_id, last):
            raise ValueError("stream entry IDs must increase")
        _check_pairs("stream")(fields)
        first, last = first or entry_id, entry_id
    return first, last


def _id_after(entry_id: str, last: str | None) -> bool:
    """Whether XADD takes this ID after `last` (after 0-0 for a stream's first)."""
    parts = tuple(int(part) for part in entry_id.split("-"))
    before = tuple(int(part) for part in last.split("-")) if last else (0, 0)
    return parts > before and max(parts) < 2**64


def load(client: redis.Redis, rows: list[dict], policy: str,
         on_progress: Callable[[LoadOutcome], bool] = lambda outcome: False) -> LoadOutcome:
    """Write the rows; `on_progress` is called between two lines (a key of many lines
    included, so a long one still shows the job alive) and says whether to stop: the import
    then ends before its next key, never leaving one half written."""
    _check_payloads(client, rows)
    outcome = LoadOutcome()
    # Keys whose expiry is past by the server's clock now are not brought back, nor do they
    # displace a key of the same name (under "replace"): the file says they no longer exist.
    now_ms = server_ms(client.time())
    for key_rows in _by_key(rows):
        if outcome.cancelled or on_progress(outcome):
            outcome.cancelled = True
            return outcome
        expiry = key_rows[0].get("x")
        if expiry is not None and "skipped" not in key_rows[0] and expiry <= now_ms:
            outcome.keys += 1
            outcome.expired += 1
            outcome.lines += len(key_rows)
            continue
        _load_key(client, key_rows, policy, outcome, on_progress)
    return outcome


def _check_payloads(client, rows: list[dict]) -> None:
    """ImportProblem, before anything is written, for DUMP payloads of an RDB version this
    server refuses (a DUMP from a newer Redis). One payload of each version in the file, the
    smallest, is given to RESTORE with an expiry already past: Redis checks its version and
    checksum and reads it, then writes nothing. Its name must be free (RESTORE refuses a name
    in use before looking at the payload): where every name of a version is taken, that
    version is not tried, and RESTORE says it in the job if it must."""
    by_version: dict[bytes, list[dict]] = {}
    for row in rows:
        if "dump" in row:
            by_version.setdefault(row["dump"][-10:-8], []).append(row)
    for version, dumped in by_version.items():
        for row in sorted(dumped, key=lambda row: len(row["dump"])):
            try:
                client.execute_command("RESTORE", row["k"], 1, row["dump"], "ABSTTL")
            except redis.ResponseError as exc:
                if str(exc).startswith("BUSYKEY"):
                    continue
                number = int.from_bytes(version, "little") if len(version) == 2 else "?"
                raise ImportProblem(
                    f"this server refuses the DUMP payload of {row['k']!r} (RDB version "
                    f"{number}; a DUMP is read only by a Redis as new as the one that made "
                    f"it): {exc}") from None
            break


def _by_key(rows: list[dict]) -> Iterator[list[dict]]:
    group: list[dict] = []
    for row in rows:
        if group and (row.get("new") or "skipped" in row or row["k"] != group[0]["k"]):
            yield group
            group = []
        group.append(row)
    if group:
        yield group


def _load_key(client, rows: list[dict], policy: str, outcome: LoadOutcome,
              on_progress: Callable[[LoadOutcome], bool]) -> None:
    first = rows[0]
    if "skipped" in first:
        outcome.lines += len(rows)
        return
    outcome.keys += 1
    claimed = _claim(client, first, policy, outcome)
    if claimed is None:
        outcome.lines += len(rows)
        return
    target, length = claimed
    outcome.lines += 1
    for index, row in enumerate(rows[1:], 1):
        if on_progress(outcome):
            outcome.cancelled = True  # honoured once this key is whole
        length = _add(client, target, row, length, lambda pipe, row=row: WRITERS[row["t"]](
            pipe, target, row["v"], first=False))
        if length is None:
            outcome.changed += 1
            outcome.lines += len(rows) - index
            return
        outcome.lines += 1
    if "dump" not in first and first.get("x") is not None and _add(
            client, target, first, length,
            lambda pipe: pipe.pexpireat(target, first["x"])) is None:
        outcome.changed += 1
        return
    if not client.exists(target):
        outcome.expired += 1
    else:
        outcome.written += 1


def _add(client, target: bytes, row: dict, length: int | None, write) -> int | None:
    """`write(pipe)` to the key the import wrote, while it is still just that: of the row's
    type and of the `length` its last write left (under WATCH, so nobody changes it in
    between). The key's length after, or None when another client changed or replaced it:
    nothing written then."""
    if length is None:
        return None  # a DUMP line: one line, nothing after
    command = registry.unit_for(row["t"]).length_command
    with client.pipeline(transaction=True) as pipe:
        while True:
            try:
                pipe.watch(target)
                if (pipe.type(target) != row["t"].encode()
                        or pipe.execute_command(command, target) != length):
                    pipe.unwatch()
                    return None
                pipe.multi()
                write(pipe)
                pipe.execute_command(command, target)
                return pipe.execute()[-1]
            except redis.WatchError:
                continue


def _claim(client, first: dict, policy: str,
           outcome: LoadOutcome) -> tuple[bytes, int | None] | None:
    """Write the key's first line to the name the policy gives it: (that name, the key's
    length after, None for a DUMP line); None if it is kept out."""
    name = first["k"]
    if policy == "rename" and is_cluster_client(client):
        return _claim_renamed(client, first, outcome)
    with client.pipeline(transaction=True) as pipe:
        while True:
            try:
                pipe.watch(name)
                target = _target(pipe, name, policy)
                if target is None:
                    pipe.unwatch()
                    outcome.skipped += 1
                    return None
                pipe.multi()
                if policy == "replace":
                    pipe.execute_command(delete_command(), target)
                claimed = _write_claimed(pipe, target, first)
                outcome.renamed += target != name
                return claimed
            except redis.WatchError:
                continue


def _claim_renamed(client, first: dict,
                   outcome: LoadOutcome) -> tuple[bytes, int | None] | None:
    """The "rename" policy one name at a time: the key's own name if it is free, else the
    first free candidate, each written only while WATCH says it is still free."""
    name = first["k"]
    for attempt in range(RENAME_TRIES + 1):
        target = name if attempt == 0 else _candidate(name, attempt)
        if (claimed := _claim_free(client, target, first)) is not None:
            outcome.renamed += target != name
            return claimed
    outcome.skipped += 1
    return None


def _claim_free(client, target: bytes, first: dict) -> tuple[bytes, int | None] | None:
    with client.pipeline(transaction=True) as pipe:
        while True:
            try:
                pipe.watch(target)
                if pipe.exists(target):
                    pipe.unwatch()
                    return None
                pipe.multi()
                return _write_claimed(pipe, target, first)
            except redis.WatchError:
                continue


def _write_claimed(pipe, target: bytes, first: dict) -> tuple[bytes, int | None]:
    """Write the key's first line in the transaction `pipe` holds: (`target`, the key's
    length after it, by which its later lines and its TTL are written: see _add; None for a
    DUMP line, which has none after it)."""
    _write_first(pipe, target, first)
    if "dump" in first:
        pipe.execute()
        return target, None
    registry.unit_for(first["t"]).queue_length(pipe, target)
    return target, pipe.execute()[-1]


def _candidate(name: bytes, attempt: int) -> bytes:
    return name + (b":imported" if attempt == 1 else b":imported:%d" % attempt)


def _target(pipe, name: bytes, policy: str) -> bytes | None:
    if not pipe.exists(name) or policy == "replace":
        return name
    if policy == "skip":
        return None
    for attempt in range(1, RENAME_TRIES + 1):
        candidate = _candidate(name, attempt)
        pipe.watch(candidate)
        if not pipe.exists(candidate):
            return candidate
    return None


def _write_first(pipe, target: bytes, first: dict) -> None:
    if "dump" in first:
        expiry = first.get("x")  # still ahead: load() passes over lines already expired
        if expiry is None:
            pipe.execute_command("RESTORE", target, 0, first["dump"])
        else:
            pipe.execute_command("RESTORE", target, expiry, first["dump"], "ABSTTL")
    else:
        WRITERS[first["t"]](pipe, target, first["v"], first=True)


def _string(pipe, key, chunk, *, first):
    value = unb64(chunk)
    pipe.set(key, value) if first else pipe.append(key, value)


def _hash(pipe, key, chunk, *, first):
    pipe.hset(key, mapping={unb64(f): unb64(v) for f, v in chunk})


def _list(pipe, key, chunk, *, first):
    pipe.rpush(key, *[unb64(item) for item in chunk])


def _set(pipe, key, chunk, *, first):
    pipe.sadd(key, *[unb64(member) for member in chunk])


def _zset(pipe, key, chunk, *, first):
    args = []
    for member, score in chunk:
        args += [str(score), unb64(member)]
    pipe.execute_command("ZADD", key, *args)


def _stream(pipe, key, chunk, *, first):
    for entry_id, fields in chunk:
        flat = [part for field, value in fields for part in (unb64(field), unb64(value))]
        pipe.execute_command("XADD", key, entry_id, *flat)


WRITERS = {"string": _string, "hash": _hash, "list": _list, "set": _set, "zset": _zset,
           "stream": _stream}
CHECKS = {"string": _check_string, "hash": _check_pairs("hash"), "list": _check_members("list"),
          "set": _check_members("set"), "zset": _check_zset, "stream": _check_stream}
