"""Streams: the type unit (registered on import), read by ID ranges, never the whole stream."""

from keyspace.units.stream.unit import StreamRow, StreamUnit

__all__ = ["StreamRow", "StreamUnit"]
