"""The Redis layer: the only place that builds connections, key names in URLs, and scanning."""
