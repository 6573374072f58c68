"""Sorted sets: the type unit (registered on import), its edits, the member look-up tool and
the leaderboard queries."""

from keyspace.units.zset.unit import ZsetRow, ZsetUnit

__all__ = ["ZsetRow", "ZsetUnit"]
