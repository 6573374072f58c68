"""Keeping copies in the dashboard's database, and putting them back (see the package's
docstring)."""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.utils import timezone

from keyspace.conf import app_settings
from keyspace.display import bytes_to_text
from keyspace.redis import profiles
from keyspace.redis.cluster import queue_time
from keyspace.redis.connection import current_target
from keyspace.services.undo.capture import (
    Capture,
    KeptKey,
    absolute_expiry,
    not_capturing,
    server_ms,
    too_large_to_keep,
)

# The models and the edit machinery are imported where they are used: `editing` imports this
# package, and models cannot load before Django's apps.


def keep(user, *, db: int, capture: Capture, entry=None, summary: str = "") -> str | None:
    """Store what `user`'s edit changed; the token that undoes it, or None if nothing was
    kept."""
    if not capture.keys:
        return None
    from keyspace.models import UndoRecord

    size = sum(len(kept.before or b"") + len(kept.name) for kept in capture.keys)
    now = timezone.now()
    record = UndoRecord.objects.create(
        token=secrets.token_urlsafe(32),
        user=user if user is not None and user.is_authenticated else None,
        audit=entry,
        connection=current_target().address,
        connection_name=profiles.current().name,
        db=db,
        expires=now + timedelta(seconds=app_settings.UNDO_SECONDS),
        size=size,
        keys=[kept.stored() for kept in capture.keys],
        summary=summary[:300],
    )
    _prune(now)
    return record.token


def _prune(now) -> None:
    """Drop expired copies, then the oldest until the rest fit the total budget."""
    from keyspace.models import UndoRecord

    UndoRecord.objects.filter(expires__lt=now).delete()
    budget, total, over = app_settings.UNDO_MAX_TOTAL_BYTES, 0, []
    for pk, size in UndoRecord.objects.order_by("-created", "-id").values_list("pk", "size"):
        total += size
        if total > budget:
            over.append(pk)
    if over:
        UndoRecord.objects.filter(pk__in=over).delete()


def kept_keys(record) -> list[KeptKey]:
    return [KeptKey.from_stored(item) for item in record.keys]


def find(token: str):
    """The live record for `token`, or None (unknown, used or expired)."""
    from keyspace.models import UndoRecord

    return UndoRecord.objects.filter(token=token, expires__gte=timezone.now()).first()


def check_connection(record) -> None:
    """Refuse to put a copy back into another Redis than the one it came from."""
    from keyspace.services.editing.guard import Refused

    if (record.connection_name or profiles.default_name()) != profiles.current().name or \
            record.connection != current_target().address:
        raise Refused(
            f"this copy was taken from {record.connection}; the dashboard now shows "
            f"{current_target().address}, so nothing was undone"
        )


def restore(client, record) -> list[bytes]:
    """Put every key back as it was before the edit, if each is still as the edit left it.
    Returns the keys' names; raises Conflict (nothing restored) otherwise. In a Redis
    Cluster, keys of several slots (a bulk change) are put back a slot at a time
    (keyspace.services.undo.slots)."""
    from keyspace.services.editing.guard import guarded
    from keyspace.services.undo.slots import restore_per_slot, slot_groups

    kept = kept_keys(record)
    groups = slot_groups(client, kept)
    if len(groups) > 1:
        return restore_per_slot(client, record, groups, checked)
    with not_capturing():
        guarded(client, [item.name for item in kept], checked(kept, record))
    record.delete()
    return [item.name for item in kept]


def checked(kept: list[KeptKey], record):
    """The guarded attempt of an undo: Conflict unless each of `kept` is as the edit left
    it; then the writes that put them back."""
    from keyspace.services.editing.guard import Conflict
    from keyspace.services.editing.targets import describe_key

    def attempt(pipe):
        for item in kept:
            if too_large_to_keep(pipe, [item.name]):
                as_left = False
            else:
                payload, pttl = pipe.dump(item.name), pipe.pttl(item.name)
                now_ms = server_ms(queue_time(pipe))
                as_left = item.left_as(payload, absolute_expiry(now_ms, pttl), now_ms)
            if not as_left:
                raise Conflict(
                    f"{bytes_to_text(item.name)[:200]} changed after the edit: it now holds "
                    f"{describe_key(pipe, item.name)}, not what the edit left "
                    f"({record.summary or 'see the audit log'}); nothing was undone"
                )

        def writes(pipe):
            for item in kept:
                if item.before is None:
                    pipe.delete(item.name)
                else:
                    ttl = item.expire_at_ms or 0
                    pipe.restore(item.name, ttl, item.before, replace=True,
                                 absttl=bool(item.expire_at_ms))

        return writes

    return attempt
