"""Lists: the type unit (registered on import), read by index ranges from either end, and its
edits, each touching one element or one end whatever the length of the list."""

from keyspace.units.list.unit import ListRow, ListUnit

__all__ = ["ListRow", "ListUnit"]
