"""The Server pages: INFO overview with a shared history, and the slow log, clients, latency
and command statistics as sortable tables. Each panel runs its own Redis commands and says so
when the Redis user may not run them (`access.attempt`), so one refused command never takes
the others down."""
