"""One pass over a database: SCAN, paced as every scan is (keyspace.redis.pacing), and for
each step's keys two pipelined round trips: TYPE, PTTL, MEMORY USAGE (bounded SAMPLES) and
OBJECT ENCODING, then each key's length command (its unit's). Facts are folded into a Tally
and dropped: nothing grows with the number of keys.

A server that refuses MEMORY (an ACL user without it) still gets a pass: sizes are then
estimated from the key's length and marked as estimates. One that refuses OBJECT gets
"unknown" encodings. A sample is a partial scan: SCAN's order follows the hash of the names,
so the first N keys are as good as N picked at random.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import redis

from keyspace.redis.pacing import MAX_COUNT, Pacer
from keyspace.units import registry

from .tally import KeyFacts, Tally
from .wire import Wire

FIRST_COUNT = 100
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
    population = client.dbsize()
    pacer = Pacer(FIRST_COUNT, ceiling=MAX_COUNT)
    cursor, scanned, cancelled, reported = 0, 0, False, started
    with Wire(client) as wire:
        while True:
            room = None if sample_size is None else sample_size - scanned
            cursor, keys = pacer.call(lambda count, at=cursor: wire.scan(at, count), room=room)
            if room is not None:
                keys = keys[:room]
            for facts in _read_facts(wire, keys, can, memory_samples):
                tally.add(facts)
            scanned += len(keys)
            if cursor == 0 or (sample_size is not None and scanned >= sample_size):
                break
            if time.perf_counter() - reported >= PROGRESS_SECONDS:
                reported = time.perf_counter()
                population = client.dbsize()
                if on_progress(scanned, population):
                    cancelled = True
                    break
    return PassOutcome(
        population=client.dbsize(), scanned=scanned, complete=not cancelled,
        cancelled=cancelled, memory_measured=can.memory, encodings_known=can.encoding,
        unreadable=can.unreadable, seconds=time.perf_counter() - started,
    )


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
    facts = []
    for key, row, length in zip(keys, rows, lengths, strict=True):
        type_reply = row[0]
        if isinstance(type_reply, Exception):
            can.unreadable += 1  # an ACL key pattern that leaves this key out
            continue
        type_name = type_reply.decode("ascii", "replace")
        if type_name == "none":
            continue  # gone since SCAN saw it
        facts.append(_facts(key, type_name, row, length, width, can))
    return facts


def _facts(key, type_name, row, length, width, can) -> KeyFacts:
    pttl = row[1] if isinstance(row[1], int) else -1
    memory = row[2] if can.memory and width > 2 and isinstance(row[2], int) else None
    if memory is None:
        memory = _estimate(key, type_name, length)
    encoding = row[-1] if can.encoding else None
    encoding = encoding.decode("ascii", "replace") if isinstance(encoding, bytes) else UNKNOWN_ENCODING
    return KeyFacts(key, type_name, memory, length, pttl, encoding)


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
