"""Bulk work: delete, set or remove the TTL of every key a selection matches, after a dry run
that counts them and shows a sample, as cancellable background jobs with progress."""
