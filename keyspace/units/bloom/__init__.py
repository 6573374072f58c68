"""RedisBloom filters."""

from keyspace.units.bloom import unit  # noqa: F401
