"""Union, intersection and difference with other sets, a page at a time, never loading a set.

This set is walked with SSCAN; each batch of members is tested against the other sets with
pipelined SMISMEMBER (intersection: in all of them; difference: in none). A union walks this
set, then each other set in turn, keeping only members in none of the sets before it. The
position is an opaque cursor, "<which set>.<SSCAN cursor>", carried by the "Next page" link.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from functools import partial

import redis

from keyspace.conf import app_settings
from keyspace.redis.pacing import Pacer
from keyspace.redis.scanning import parse_cursor, scanned_fraction
from keyspace.services.editing.guard import Refused
from keyspace.units.base import Element
from keyspace.units.set.inputs import shown

MAX_STEPS = 200  # SSCAN calls per request, on top of the time budget
CURSOR_PATTERN = re.compile(r"[0-9]{1,3}\.[0-9]{1,20}")


@dataclass
class ComparePage:
    members: list[Element]
    next_cursor: str | None
    examined: int = 0
    notes: list[str] = field(default_factory=list)
    source: bytes | None = None  # the set being walked when the page ended
    source_number: int = 0
    source_count: int = 0
    fraction: float = 0.0  # how far through that set

    @property
    def complete(self) -> bool:
        return self.next_cursor is None


def parse_compare_cursor(text: str) -> tuple[int, int]:
    if not text:
        return 0, 0
    if not CURSOR_PATTERN.fullmatch(text):
        raise ValueError(text)
    index, position = text.split(".")
    return int(index), parse_cursor(position)


def other_sets(client: redis.Redis, others: list[bytes]) -> tuple[list[bytes], list[bytes]]:
    """(the others that are sets, those that do not exist); any other type is refused."""
    with client.pipeline(transaction=False) as pipe:
        for other in others:
            pipe.type(other)
        types = [t.decode() for t in pipe.execute()]
    for other, other_type in zip(others, types, strict=True):
        if other_type not in ("set", "none"):
            raise Refused(f"{shown(other)} is a {other_type}, not a set; only sets can be compared")
    present = [o for o, t in zip(others, types, strict=True) if t == "set"]
    missing = [o for o, t in zip(others, types, strict=True) if t == "none"]
    return present, missing


def compare_page(
    client: redis.Redis, key: bytes, kind: str, others: list[bytes], *, cursor: str, count: int
) -> ComparePage:
    present, missing = other_sets(client, others)
    notes = [f"{shown(m)} does not exist: counted as an empty set" for m in missing]
    if kind == "inter" and missing:
        return ComparePage([], None, notes=notes + ["so the intersection is empty"])
    # The sets walked, in order: this one, and for a union each other set once.
    sources = [key]
    if kind == "union":
        sources += [o for o in present if o != key]
    index, position = parse_compare_cursor(cursor)
    if index >= len(sources):
        raise Refused("this page cursor does not fit these keys; start the comparison again")

    found: dict[bytes, None] = {}
    examined = steps = 0
    budget = app_settings.SCAN_BUDGET_MS / 1000
    started = time.perf_counter()
    pacer = Pacer(min(count, 100), ceiling=count)  # SSCAN steps sized by time (see pacing)
    while True:
        source = sources[index]
        position, batch = pacer.call(partial(client.sscan, source, position))
        steps += 1
        examined += len(batch)
        against = sources[:index] if kind == "union" else present
        found.update(dict.fromkeys(_keep(client, kind, batch, against)))
        if position == 0:
            index += 1
            if index == len(sources):
                break
        if len(found) >= count or steps >= MAX_STEPS or time.perf_counter() - started > budget:
            break
    done = index == len(sources)
    return ComparePage(
        members=[Element.of(m) for m in found],
        next_cursor=None if done else f"{index}.{position}",
        examined=examined,
        notes=notes,
        source=None if done else sources[index],
        source_number=index + 1,
        source_count=len(sources),
        fraction=scanned_fraction(position) if position else 0.0,
    )


def _keep(client: redis.Redis, kind: str, batch: list[bytes], against: list[bytes]) -> list[bytes]:
    """The members of `batch` that belong in the result, tested against `against` in one
    round trip. For a union's later sets `against` is the sets walked before it."""
    if not batch or not against:
        return batch
    with client.pipeline(transaction=False) as pipe:
        for other in against:
            pipe.smismember(other, batch)
        replies = pipe.execute()
    columns = list(zip(*replies, strict=True))
    if kind == "inter":
        return [m for m, there in zip(batch, columns, strict=True) if all(there)]
    return [m for m, there in zip(batch, columns, strict=True) if not any(there)]
