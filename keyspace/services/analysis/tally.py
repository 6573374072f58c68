"""What an analysis pass keeps while it walks the keyspace: sums, never the keys themselves.

Memory follows the number of namespaces, not keys: one small list per namespace (bounded by
MAX_NAMESPACES and the children each may have), three heaps of TOP_KEYS keys, and a
handful of totals. A key is folded in once, from the facts the pass read for it.
"""

from __future__ import annotations

import heapq
import itertools
from dataclasses import dataclass, field

from keyspace.redis.keynames import encode_key

TOP_KEYS = 100
# TTL buckets, by the upper bound (ms) of each: no TTL first, then < 1 min ... > 1 week.
TTL_BOUNDS_MS = (60_000, 3_600_000, 86_400_000, 604_800_000)
TTL_LABELS = ("no TTL", "< 1 min", "< 1 h", "< 1 day", "< 1 week", "more")
# A deeper level or a longer segment is not a namespace worth a row: such keys count where
# they are (as keys directly at that level).
MAX_DEPTH = 6
MAX_SEGMENT_BYTES = 200
# Node layout: keys, memory, six TTL bucket counts, keys directly here, their memory, keys of
# children not tracked (over the caps), their memory.
KEYS, MEMORY, TTL0, DIRECT_KEYS, DIRECT_MEMORY, OTHER_KEYS, OTHER_MEMORY = 0, 1, 2, 8, 9, 10, 11
NODE_FIELDS = 12


def ttl_bucket(pttl: int) -> int:
    """The bucket of a PTTL reply (-1: no TTL)."""
    if pttl < 0:
        return 0
    for index, bound in enumerate(TTL_BOUNDS_MS, start=1):
        if pttl < bound:
            return index
    return len(TTL_BOUNDS_MS) + 1


@dataclass(frozen=True)
class KeyFacts:
    key: bytes
    type_name: str
    memory: int
    length: int | None
    pttl: int
    encoding: str


@dataclass
class Tally:
    delimiter: bytes
    max_namespaces: int
    max_children: int
    keys: int = 0
    memory: int = 0
    memory_squares: int = 0  # for the error of a sample's estimate
    nodes: dict[bytes, list[int]] = field(default_factory=dict)
    children: dict[bytes, int] = field(default_factory=dict)
    types: dict[str, list[int]] = field(default_factory=dict)  # keys, memory, length summed
    encodings: dict[str, list[int]] = field(default_factory=dict)  # keys, memory
    ttl: list[list[int]] = field(default_factory=lambda: [[0, 0] for _ in TTL_LABELS])
    top_memory: list = field(default_factory=list)
    top_length: list = field(default_factory=list)
    expiring: list = field(default_factory=list)
    _order: itertools.count = field(default_factory=itertools.count)

    def __post_init__(self) -> None:
        self.nodes[b""] = [0] * NODE_FIELDS

    def add(self, facts: KeyFacts) -> None:
        memory, bucket = facts.memory, ttl_bucket(facts.pttl)
        self.keys += 1
        self.memory += memory
        self.memory_squares += memory * memory
        _bump(self.types, facts.type_name, memory, facts.length or 0)
        _bump(self.encodings, facts.encoding, memory, 0)
        self.ttl[bucket][0] += 1
        self.ttl[bucket][1] += memory
        self._fold_namespaces(facts.key, memory, bucket)
        self._rank(facts, bucket)

    def _fold_namespaces(self, key: bytes, memory: int, bucket: int) -> None:
        node = self.nodes[b""]
        _count(node, memory, bucket)
        prefix, position, delimiter = b"", 0, self.delimiter
        for _depth in range(MAX_DEPTH):
            found = key.find(delimiter, position)
            if found < 0 or found - position > MAX_SEGMENT_BYTES:
                break
            child = key[:found + len(delimiter)]
            child_node = self.nodes.get(child)
            if child_node is None:
                child_node = self._new_child(prefix, child)
                if child_node is None:
                    node[OTHER_KEYS] += 1
                    node[OTHER_MEMORY] += memory
                    return
            _count(child_node, memory, bucket)
            node, prefix, position = child_node, child, found + len(delimiter)
        node[DIRECT_KEYS] += 1
        node[DIRECT_MEMORY] += memory

    def _new_child(self, parent: bytes, child: bytes) -> list[int] | None:
        """A node for `child`, or None when the caps are reached (it is summed as other)."""
        taken = self.children.get(parent, 0)
        if taken >= self.max_children or len(self.nodes) >= self.max_namespaces:
            return None
        self.children[parent] = taken + 1
        node = self.nodes[child] = [0] * NODE_FIELDS
        return node

    def _rank(self, facts: KeyFacts, bucket: int) -> None:
        order = next(self._order)
        _keep_largest(self.top_memory, (facts.memory, order, facts))
        if facts.length is not None:
            _keep_largest(self.top_length, (facts.length, order, facts))
        if facts.pttl >= 0:
            # Soonest first: the heap keeps the largest of -pttl.
            _keep_largest(self.expiring, (-facts.pttl, order, facts))

    def report(self) -> dict:
        """The tally as JSON (key names as URL tokens)."""
        return {
            "keys": self.keys,
            "memory": self.memory,
            "memory_squares": str(self.memory_squares),  # may exceed what JSON numbers hold
            "delimiter": encode_key(self.delimiter),
            "namespaces": [[encode_key(prefix), *node] for prefix, node in self.nodes.items()],
            "types": self.types,
            "encodings": self.encodings,
            "ttl": self.ttl,
            "top_memory": _ranked(self.top_memory),
            "top_length": _ranked(self.top_length),
            "expiring": _ranked(self.expiring),
        }


def _bump(table: dict[str, list[int]], name: str, memory: int, length: int) -> None:
    row = table.get(name)
    if row is None:
        row = table[name] = [0, 0, 0]
    row[0] += 1
    row[1] += memory
    row[2] += length


def _count(node: list[int], memory: int, bucket: int) -> None:
    node[KEYS] += 1
    node[MEMORY] += memory
    node[TTL0 + bucket] += 1


def _keep_largest(heap: list, entry: tuple) -> None:
    if len(heap) < TOP_KEYS:
        heapq.heappush(heap, entry)
    elif entry[0] > heap[0][0]:
        heapq.heapreplace(heap, entry)


def _ranked(heap: list) -> list[list]:
    """Largest first: [key token, type, memory, length, pttl] for each key."""
    return [[encode_key(f.key), f.type_name, f.memory, f.length, f.pttl]
            for _, _, f in sorted(heap, key=lambda entry: (-entry[0], entry[1]))]
