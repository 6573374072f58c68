"""One pass over a database: SCAN, paced as every scan is (keyspace.redis.pacing), and for
each step's keys two pipelined round trips: TYPE, PTTL, MEMORY USAGE (bounded SAMPLES) and
OBJECT ENCODING, then each key's length command (its unit's). Facts are folded into a Tally
and dropped: nothing grows with the number of keys.

A server that refuses MEMORY (an ACL user without it) still gets a pass: sizes are then
estimated from the key's length and marked as estimates. One that refuses OBJECT gets
"unknown" encodings. A sample is a partial scan: SCAN's order follows the hash of the names,
so the first N keys are as good as N picked at random.

In a Redis Cluster each primary is walked in turn through its own plain client
(keyspace.redis.per_primary): DBSIZE and progress add the primaries up, and a sample takes
its keys from every primary, each its share by its DBSIZE.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from keyspace.redis import per_primary
from keyspace.redis.pacing import MAX_COUNT, Pacer
from keyspace.units import registry

from .tally import KeyFacts, Tally
from .wire import Wire

FIRST_COUNT = 100
BATCH_KEYS = 1000  # keys whose metadata goes in one pipelined round trip
PROGRESS_SECONDS = 0.5
# Size estimates without MEMORY USAGE: what a key costs besides its value (dict entry, robj,
# name) and what one element of a collection costs on average.
KEY_OVERHEAD_BYTES = 56
ELEMENT_BYTES = 24
UNKNOWN_ENCODING = "unknown"


@dataclass
class PassOutcome:
    population: int  # DBSIZE at the end
    scanned: int
    complete: bool  # the scan reached its end (or the sample its size)
    cancelled: bool
    memory_measured: bool
    encodings_known: bool
    unreadable: int  # keys SCAN listed but TYPE refused (ACL key patterns)
    seconds: float


class _Capabilities:
    def __init__(self) -> None:
        self.memory = True
        self.encoding = True
        self.unreadable = 0


def analyse(
    client: redis.Redis,
    tally: Tally,
    *,
    memory_samples: int,
    sample_size: int | None = None,
    on_progress: Callable[[int, int], bool] = lambda done, total: False,
) -> PassOutcome:
    """Walk the keyspace into `tally`. `on_progress(keys done, DBSIZE)` is called about every
    PROGRESS_SECONDS and stops the pass by returning True (a cancellation)."""
    started = time.perf_counter()
    can = _Capabilities()
    nodes = per_primary.nodes(client)
    walk = _Walk(client, tally, can, memory_samples, on_progress, started)
    for node, limit in zip(nodes, _limits(client, nodes, sample_size), strict=True):
        with per_primary.watching(client, node):
            if walk.node(node.client, limit):
                break
    tally.roll_up()
    return PassOutcome(
        population=per_primary.population(client), scanned=walk.scanned,
        complete=not walk.cancelled, cancelled=walk.cancelled, memory_measured=can.memory,
        encodings_known=can.encoding, unreadable=can.unreadable,
        seconds=time.perf_counter() - started,
    )


def _limits(client, nodes: list, sample_size: int | None) -> list[int | None]:
    """How many keys the pass has scanned when it leaves each node: a sample's share of each
    primary by its DBSIZE, cumulated (None: the whole node)."""
    if sample_size is None:
        return [None] * len(nodes)
    if len(nodes) == 1:
        return [sample_size]
    sizes = per_primary.sizes(client, nodes)
    total, so_far, limits = max(1, sum(sizes)), 0, []
    for size in sizes:
        so_far += size
        limits.append(round(sample_size * so_far / total))
    limits[-1] = sample_size
    return limits


class _Walk:
    """The pass's running totals over the nodes it walks (one on a standalone server)."""

    def __init__(self, client, tally: Tally, can: _Capabilities, samples: int, on_progress,
                 started: float):
        self.client, self.tally, self.can, self.samples = client, tally, can, samples
        self.on_progress = on_progress
        self.scanned, self.cancelled, self.reported = 0, False, started

    def node(self, client: redis.Redis, limit: int | None) -> bool:
        """Walk one node's keyspace until its end, or until `limit` keys are scanned in all
        (a sample); True when the pass was cancelled."""
        pacer = Pacer(FIRST_COUNT, ceiling=MAX_COUNT)
        cursor, pending = 0, []
        with Wire(client) as wire:
            while True:
                room = None if limit is None else limit - self.scanned - len(pending)
                if room is not None and room <= 0:
                    return False
                cursor, keys = pacer.call(lambda count, at=cursor: wire.scan(at, count),
                                          room=room)
                pending.extend(keys if room is None else keys[:room])
                ended = cursor == 0 or (room is not None and len(keys) >= room)
                # SCAN steps stay small (paced); the metadata goes in batches of BATCH_KEYS,
                # so a slow round trip (a busy machine) does not multiply the trips.
                if len(pending) < BATCH_KEYS and not ended:
                    continue
                for facts in _read_facts(wire, pending, self.can, self.samples):
                    self.tally.add(facts)
                self.scanned += len(pending)
                pending = []
                if ended:
                    return False
                if time.perf_counter() - self.reported >= PROGRESS_SECONDS:
                    self.reported = time.perf_counter()
                    if self.on_progress(self.scanned, per_primary.population(self.client)):
                        self.cancelled = True
                        return True


def _read_facts(wire: Wire, keys: list[bytes], can: _Capabilities, samples: int) -> list[KeyFacts]:
    if not keys:
        return []
    width = 2 + can.memory + can.encoding
    commands = []
    for key in keys:
        commands.append((b"TYPE", key))
        commands.append((b"PTTL", key))
        if can.memory:
            commands.append((b"MEMORY", b"USAGE", key, b"SAMPLES", samples))
        if can.encoding:
            commands.append((b"OBJECT", b"ENCODING", key))
    replies = wire.run(commands)
    _check_refusals(replies, width, can)
    rows = [replies[i:i + width] for i in range(0, len(replies), width)]
    lengths = _lengths(wire, keys, rows)
    memory_at = 2 if can.memory else None
    encoding_at = width - 1 if can.encoding else None
    facts = []
    for key, row, length in zip(keys, rows, lengths, strict=True):
        type_name = _text(row[0])
        if type_name is None:
            can.unreadable += 1  # refused: an ACL key pattern that leaves this key out
            continue
        if type_name == "none":
            continue  # gone since SCAN saw it
        pttl = row[1] if isinstance(row[1], int) else -1
        memory = row[memory_at] if memory_at is not None else None
        if not isinstance(memory, int):
            memory = _estimate(key, type_name, length)
        encoding = _text(row[encoding_at]) if encoding_at is not None else None
        facts.append(KeyFacts(key, type_name, memory, length, pttl, encoding or UNKNOWN_ENCODING))
    return facts


_TEXTS: dict[bytes, str] = {}


def _text(reply) -> str | None:
    """A TYPE or OBJECT ENCODING reply as text (a handful of names, decoded once each); None
    for a refusal."""
    if not isinstance(reply, bytes):
        return None
    text = _TEXTS.get(reply)
    if text is None and len(_TEXTS) < 1000:
        text = _TEXTS[reply] = reply.decode("ascii", "replace")
    return text if text is not None else reply.decode("ascii", "replace")


def _check_refusals(replies: list, width: int, can: _Capabilities) -> None:
    """After the first refusal of MEMORY or OBJECT, stop asking (sizes become estimates)."""
    if can.memory and any(isinstance(r, Exception) for r in replies[2::width]):
        can.memory = False
    if can.encoding and any(isinstance(r, Exception) for r in replies[width - 1::width]):
        can.encoding = False


def _lengths(wire: Wire, keys: list[bytes], rows: list[list]) -> list[int | None]:
    commands, wanted = [], []
    for index, (key, row) in enumerate(zip(keys, rows, strict=True)):
        command = _length_command(row[0])
        if command:
            commands.append((command, key))
            wanted.append(index)
    lengths: list[int | None] = [None] * len(keys)
    for index, reply in zip(wanted, wire.run(commands), strict=True):
        lengths[index] = reply if isinstance(reply, int) else None
    return lengths


_LENGTH_COMMANDS: dict[bytes, bytes | None] = {}


def _length_command(type_reply) -> bytes | None:
    """The unit's length command for a TYPE reply (looked up once per type)."""
    if not isinstance(type_reply, bytes) or type_reply == b"none":
        return None
    if type_reply not in _LENGTH_COMMANDS:
        command = registry.unit_for(type_reply).length_command
        _LENGTH_COMMANDS[type_reply] = command.encode() if command else None
    return _LENGTH_COMMANDS[type_reply]


def _estimate(key: bytes, type_name: str, length: int | None) -> int:
    value = length or 0
    if type_name != "string":
        value *= ELEMENT_BYTES
    return len(key) + KEY_OVERHEAD_BYTES + value
