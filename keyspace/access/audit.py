"""The audit log: every write attempt, who made it, on which Redis, db and key, and how it
ended. Values are never recorded."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from django.http import Http404

from keyspace.exceptions import DashboardError
from keyspace.models import AuditEntry
from keyspace.redis import profiles
from keyspace.redis.connection import target_address
from keyspace.services.editing.guard import Conflict, Refused

logger = logging.getLogger(__name__)


def record(user, *, db: int, operation: str, key: bytes | None, outcome: str,
           detail: str = "", target: bytes | None = None) -> AuditEntry:
    """One entry, by `user` (None or anonymous: nobody signed in)."""
    signed_in = user is not None and user.is_authenticated
    profile = profiles.current()
    entry = AuditEntry(
        user=user if signed_in else None,
        username=user.get_username() if signed_in else "",
        connection=target_address(),
        connection_name=profile.name,
        connection_retired=_removed(profile),
        db=db,
        operation=operation[:60],
        outcome=outcome,
        detail=detail[:500],
    )
    entry.set_key(key if isinstance(key, bytes) else None)
    entry.set_target(target if isinstance(target, bytes) else None)
    entry.save()
    return entry


def _removed(profile: profiles.Profile) -> bool:
    """A saved connection removed or renamed while a request on it was still running: its
    entry is retired as the ones before it were (keyspace.services.connections)."""
    from keyspace.models import SavedConnection

    return profile.source == "saved" and not SavedConnection.objects.filter(
        name=profile.name, url=profile.url).exists()


@contextlib.contextmanager
def audited(user, *, db: int, operation: str, key: bytes | None):
    """Record how the block ends: done, refused, conflict or failed (then re-raise). The block
    may set `key` (a name known only once its form is parsed) and `target` (the key a rename,
    copy or store writes) in the trail."""
    trail = {"outcome": AuditEntry.OK, "detail": "", "key": key, "target": None}
    try:
        yield trail
    except Conflict as exc:
        trail.update(outcome=AuditEntry.CONFLICT, detail=exc.title)
        raise
    except DashboardError as exc:
        failed = AuditEntry.REFUSED if exc.status < 500 else AuditEntry.FAILED
        trail.update(outcome=failed, detail=exc.title)
        raise
    except Http404:
        trail.update(outcome=AuditEntry.REFUSED, detail="not found")
        raise
    except Exception as exc:  # Redis errors and bugs alike: never "done"
        trail.update(outcome=AuditEntry.FAILED, detail=exc.__class__.__name__)
        raise
    finally:
        trail["entry"] = record(user, db=db, operation=operation, key=trail["key"],
                                outcome=trail["outcome"], detail=trail["detail"],
                                target=trail["target"])


T = TypeVar("T")


@dataclass(frozen=True)
class Submitted(Generic[T]):
    """How a submitted form ended: what its action returned (None unless it ran through), the
    HTTP status, and the conflict or refusal that stopped it."""

    value: T | None
    status: int = 200
    problem: DashboardError | None = None


def submit(trail: dict, form, run: Callable[[dict], T]) -> Submitted[T]:
    """Inside an `audited` block: refuse invalid input (422), else `run` the form's cleaned
    data. A conflict or refusal ends it with its status, recorded in the trail; anything else
    propagates, for `audited` to record."""
    if not form.is_valid():
        trail.update(outcome=AuditEntry.REFUSED,
                     detail="invalid input: " + ", ".join(sorted(form.errors)))
        return Submitted(None, 422)
    try:
        return Submitted(run(form.cleaned_data))
    except (Conflict, Refused) as problem:
        conflict = isinstance(problem, Conflict)
        trail.update(outcome=AuditEntry.CONFLICT if conflict else AuditEntry.REFUSED,
                     detail=problem.title)
        return Submitted(None, problem.status, problem)
