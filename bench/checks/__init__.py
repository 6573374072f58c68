"""The benchmark's checks, one module per group of targets; each returns table rows."""
