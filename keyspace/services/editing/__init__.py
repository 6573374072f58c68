"""Edits: the guarded compare-and-set every edit runs in, reading form input, key-level
operations."""
