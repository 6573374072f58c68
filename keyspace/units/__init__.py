"""One unit per Redis type, found by the TYPE reply. Importing this package registers them."""

from keyspace.units import (  # noqa: F401 - one line per unit module: importing registers it
    bloom,
    hash,
    list,
    rejson,
    set,
    stream,
    string,
    timeseries,
    unsupported,
    zset,
)
from keyspace.units.base import Element, PageRequest, TypeUnit, ValuePage, registry

__all__ = ["Element", "PageRequest", "TypeUnit", "ValuePage", "registry"]
