"""RedisJSON documents."""

from keyspace.units.rejson import unit  # noqa: F401
