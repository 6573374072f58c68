"""The confirmation a change carries: bound to its dry run (the selection and the count the
user saw), the action and its TTL, for one use (`keyspace.access.confirmations`)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from keyspace.access import confirmations
from keyspace.models import BulkJob
from keyspace.services.editing.guard import Refused

# A dry run older than this is stale: the keys it counted may no longer be the keys it means.
PREVIEW_SECONDS = confirmations.LIFETIME_SECONDS


def _subject(preview: BulkJob, action: str, ttl_seconds) -> str:
    return f"{preview.pk}:{preview.keys_matched}:{action}:{ttl_seconds or ''}"


def issue(user, preview: BulkJob, action: str, ttl_seconds=None) -> str:
    return confirmations.issue(user, preview.db, b"", f"bulk-{action}",
                               _subject(preview, action, ttl_seconds))


def check(user, preview: BulkJob, action: str, ttl_seconds, token: str) -> None:
    """Refuse a change whose dry run is not finished, is too old, was not confirmed, or has
    started a change already; else the dry run is spent."""
    if preview.action != BulkJob.COUNT or preview.state != BulkJob.DONE:
        raise Refused("count the keys first: a change starts from a finished dry run")
    if preview.finished < timezone.now() - timedelta(seconds=PREVIEW_SECONDS):
        raise Refused("that count is more than five minutes old: count again")
    confirmations.check(user, preview.db, b"", f"bulk-{action}", token,
                        _subject(preview, action, ttl_seconds))
    # One change for one dry run: another confirmation of it (drawn on another visit of its
    # page) would start a second change, of keys nobody counted since the first.
    if not BulkJob.objects.filter(pk=preview.pk, spent=False).update(spent=True):
        raise Refused("that count has started a change already: count again")
