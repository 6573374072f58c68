"""RedisTimeSeries series."""

from keyspace.units.timeseries import unit  # noqa: F401
