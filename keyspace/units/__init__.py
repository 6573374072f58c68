"""One unit per Redis type, found by the TYPE reply. Importing this package registers them."""

from keyspace.units import hash, list, set, stream, string, unsupported, zset  # noqa: F401
from keyspace.units import bloom, rejson  # noqa: F401
from keyspace.units.base import Element, PageRequest, TypeUnit, ValuePage, registry

__all__ = ["Element", "PageRequest", "TypeUnit", "ValuePage", "registry"]
