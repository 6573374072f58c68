"""Whole-database analysis: a background pass (scan_pass), what it keeps (tally), runs and
their jobs (runs), reading stored results (results: the accessor other features use)."""
