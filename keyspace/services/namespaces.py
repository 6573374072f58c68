"""Keys grouped into folders by prefix, counted progressively with bounded scans.

Counting a million keys takes seconds, so it never blocks a page: each step scans for a
fixed time and keeps its running totals (one number per folder, so memory follows the
number of namespaces, not keys) in Django's cache under a token the page passes back. Each
SCAN call within a step is paced by time (keyspace.redis.pacing); the COUNT reached is kept
with the totals, so the next step goes on at that pace.

What a viewer can make the server keep is bounded: each user has MAX_COUNTS_PER_USER slots
(a new count takes the oldest one's place), a folder name is kept to NAME_BYTES (a longer
one is cut and tagged with a digest of the whole, so folders stay apart), and a count's
names, sample keys and prefix together stay under STATE_BYTES (folders past that are summed
as untracked). So one user holds at most MAX_COUNTS_PER_USER x STATE_BYTES, for
STATE_TIMEOUT_SECONDS.

In a Redis Cluster each primary is scanned in turn (keyspace.redis.per_primary): the state
keeps which one and its cursor, and the fraction scanned weighs each primary by its keys.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from dataclasses import dataclass, field

import redis
from django.core.cache import cache

from keyspace.conf import app_settings
from keyspace.redis import per_primary, profiles
from keyspace.redis.capabilities import limited_keys
from keyspace.redis.keynames import escape_glob
from keyspace.redis.pacing import MAX_COUNT, PROBE_COUNT, Pacer, count_for_names
from keyspace.redis.scanning import readable_keys, scanned_fraction

FIRST_COUNT = 1000  # the most a count's first SCAN asks for (names judged first)
LEAF_SAMPLE = 50
STATE_TIMEOUT_SECONDS = 600
MAX_COUNTS_PER_USER = 4
# Long enough for any name people browse (a 6,000-byte folder still drills down), short
# enough that one count's STATE_BYTES holds hundreds of them.
NAME_BYTES = 8192
STATE_BYTES = 2 * 1024 * 1024
ENTRY_BYTES = 48  # what one folder or sample key costs besides its name, stored pickled


@dataclass
class NamespaceCount:
    prefix: bytes
    delimiter: bytes
    db: int = 0
    owner: str = ""
    token: str = ""
    connection: str = ""  # its name: a db number alone says nothing of which Redis
    stored_bytes: int = 0
    cursor: int = 0
    started: bool = False
    folders: dict[bytes, int] = field(default_factory=dict)
    leaves: int = 0
    leaf_sample: list[bytes] = field(default_factory=list)
    untracked: int = 0
    total_keys: int = 0
    scan_count: int = 0  # the pace reached (0: none yet, judged from a few names)
    node: int = 0  # the primary being scanned, in slot order (a standalone server: 0 of 1)
    node_sizes: tuple[int, ...] = ()  # DBSIZE of each primary, at the last step

    @property
    def complete(self) -> bool:
        return self.started and self.cursor == 0 and self.node >= len(self.node_sizes) - 1

    @property
    def fraction(self) -> float:
        if self.complete:
            return 1.0
        sizes = self.node_sizes
        if len(sizes) <= 1:
            return scanned_fraction(self.cursor)
        total = sum(sizes)
        if not total:
            return self.node / len(sizes)
        index = min(self.node, len(sizes) - 1)
        return (sum(sizes[:index]) + scanned_fraction(self.cursor) * sizes[index]) / total

    @property
    def matched(self) -> int:
        return sum(self.folders.values()) + self.leaves + self.untracked

    def estimate(self, counted: int) -> int:
        """Scale a partial count by how much of the keyspace is scanned so far."""
        fraction = self.fraction
        return counted if self.complete or fraction <= 0 else round(counted / fraction)

    def sorted_folders(self) -> list[tuple[bytes, int, bool]]:
        """(name, count, whether the name is cut to NAME_BYTES) by name."""
        return [(name[:NAME_BYTES], count, len(name) > NAME_BYTES)
                for name, count in sorted(self.folders.items())]

    def spend(self, size: int) -> bool:
        """Whether `size` more bytes fit in STATE_BYTES (and if so, count them)."""
        if self.stored_bytes + size + ENTRY_BYTES > STATE_BYTES:
            return False
        self.stored_bytes += size + ENTRY_BYTES
        return True


def _slot_key(owner: str, slot: int) -> str:
    return f"namespace-count:{owner}:{slot}"


def _new_token(owner: str) -> str:
    """A token in the next of the owner's slots: the oldest count there is dropped."""
    turn_key = f"namespace-count-turn:{owner}"
    cache.add(turn_key, 0, None)
    try:
        turn = cache.incr(turn_key)
    except ValueError:  # evicted between add and incr: start the round again
        turn = 0
    return f"{turn % MAX_COUNTS_PER_USER}-{secrets.token_urlsafe(12)}"


def _slot_of(token: str) -> int | None:
    slot, _, _ = token.partition("-")
    return int(slot) if slot.isdigit() and int(slot) < MAX_COUNTS_PER_USER else None


def load_count(
    token: str, prefix: bytes, delimiter: bytes, db: int = 0, *, owner: str
) -> NamespaceCount:
    """`owner`'s running count for `token`, or a fresh one (in the owner's next slot) if it
    expired, was replaced by a newer count, or belongs elsewhere."""
    slot = _slot_of(token) if token else None
    state = cache.get(_slot_key(owner, slot)) if slot is not None else None
    connection = profiles.current().name
    wanted = (owner, token, prefix, delimiter, int(db), connection)
    if isinstance(state, NamespaceCount) and (
        state.owner, state.token, state.prefix, state.delimiter, int(state.db), state.connection
    ) == wanted:
        return state
    state = NamespaceCount(prefix=prefix, delimiter=delimiter, db=db, owner=owner,
                           token=_new_token(owner), connection=connection)
    state.stored_bytes = len(prefix) + len(delimiter)
    return state


def count_step(client: redis.Redis, state: NamespaceCount, budget_ms: float,
               *, readable_only: bool | None = None) -> NamespaceCount:
    """Scan for about `budget_ms`, fold the keys into the counts, and save the state.
    `readable_only`: names the user's ACL key patterns refuse are not counted (None: when the
    connection's probe found such patterns)."""
    if readable_only is None:
        readable_only = limited_keys()
    match = escape_glob(state.prefix) + b"*" if state.prefix else None
    started = time.perf_counter()
    nodes = per_primary.nodes(client)
    state.node_sizes = tuple(per_primary.sizes(client, nodes))
    state.total_keys = sum(state.node_sizes)
    state.node = min(state.node, len(nodes) - 1)  # fewer primaries since (a resharding)
    while not state.complete:
        node = nodes[state.node]
        with per_primary.watching(client, node):
            _count_node(node.client, state, match, readable_only, started, budget_ms)
        if state.started and state.cursor == 0 and not state.complete:
            state.node, state.started = state.node + 1, False  # on to the next primary
        if (time.perf_counter() - started) * 1000 >= budget_ms:
            break
    slot = _slot_of(state.token)
    if slot is not None:
        cache.set(_slot_key(state.owner, slot), state, STATE_TIMEOUT_SECONDS)
    return state


def _count_node(client: redis.Redis, state: NamespaceCount, match: bytes | None,
                readable_only: bool, started: float, budget_ms: float) -> None:
    """Scan one node from the state's cursor until its end or the budget's."""
    if not state.scan_count:
        state.scan_count = count_for_names(client.scan(0, count=PROBE_COUNT)[1], FIRST_COUNT)
    pacer = Pacer(state.scan_count, ceiling=MAX_COUNT)
    while True:
        state.cursor, keys = pacer.call(
            lambda count: client.scan(state.cursor, match=match, count=count))
        state.scan_count = pacer.count
        state.started = True
        _fold(state, readable_keys(client, keys) if readable_only else keys)
        if state.cursor == 0 or (time.perf_counter() - started) * 1000 >= budget_ms:
            return


def _fold(state: NamespaceCount, keys: list[bytes]) -> None:
    skip = len(state.prefix)
    folders = state.folders
    max_folders = app_settings.NAMESPACE_MAX_FOLDERS
    for key in keys:
        rest = key[skip:]
        segment, found, _ = rest.partition(state.delimiter)
        if not found:
            state.leaves += 1
            if len(state.leaf_sample) < LEAF_SAMPLE and state.spend(len(key)):
                state.leaf_sample.append(key)
            continue
        name = _stored_name(segment)
        if name in folders:
            folders[name] += 1
        elif len(folders) < max_folders and state.spend(len(name)):
            folders[name] = 1
        else:
            state.untracked += 1


def _stored_name(segment: bytes) -> bytes:
    """The folder name as kept: whole up to NAME_BYTES, else cut and tagged with a digest of the
    whole name (so the kept form is longer than NAME_BYTES exactly when it is cut)."""
    if len(segment) <= NAME_BYTES:
        return segment
    return segment[:NAME_BYTES] + hashlib.blake2b(segment, digest_size=8).digest()


def breadcrumbs(prefix: bytes, delimiter: bytes) -> list[tuple[bytes, bytes]]:
    """(segment, prefix up to and including it) for each level of `prefix`."""
    crumbs = []
    position = 0
    while True:
        found = prefix.find(delimiter, position)
        if found < 0:
            break
        end = found + len(delimiter)
        crumbs.append((prefix[position:found], prefix[:end]))
        position = end
    return crumbs
