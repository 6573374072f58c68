"""What every edit shares: compare-and-set writes, the refusals they raise, and outcomes.
(Reading form input is in `inputs`; running an edit from a request is in `pipeline`.)

An edit that replaces or removes something carries what the user saw (a digest of a value,
a score, a type) and only goes through if Redis still holds exactly that. The check and
the write run under WATCH/MULTI, so nobody's change can slip in between.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import redis
from django import forms

from keyspace.conf import app_settings
from keyspace.display import bytes_to_text
from keyspace.exceptions import DashboardError, KeyNotFound
from keyspace.services import undo

ABSENT = "absent"
GUARD_ATTEMPTS = 5


def digest(value: bytes | None) -> str:
    """A short fingerprint of a value as shown, carried by forms instead of the value."""
    return ABSENT if value is None else hashlib.sha256(value).hexdigest()[:32]


class Conflict(DashboardError):
    """What the user saw has changed; nothing was written."""

    status = 409
    title = "Changed meanwhile"

    def __init__(
        self,
        message: str,
        current: bytes | None = None,
        *,
        removed: bool = False,
        expected: str | None = None,
        updates: dict[str, str] | None = None,
    ):
        super().__init__(message)
        self.current = None if current is None else preview(current)
        # What the form's `expected` field must now hold: a second, informed submit may
        # replace what the user has just been shown.
        if expected is None:
            expected = ABSENT if removed else None if current is None else digest(current)
        # Hidden fields the redrawn form carries, so that a second submit is informed.
        self.updates = {} if expected is None else {"expected": expected}
        self.updates |= updates or {}


class Refused(DashboardError):
    """Redis (or a check standing in for it) refused the input; nothing was written.
    `updates`: hidden fields the redrawn form carries (e.g. what a confirmation is for)."""

    status = 422
    title = "Not done"

    def __init__(self, message: str, *, updates: dict[str, str] | None = None):
        super().__init__(message)
        self.updates = updates or {}


class RedisRefusedWrite(Refused):
    """Redis said NOPERM: this Redis user may not run the write, or not on this key."""

    status = 403
    title = "Not permitted"


SLOT_MOVING = ("this key's slot is being moved to another node of the cluster (resharding), "
               "so nothing was done: try again once the move is over")


def refused(exc: redis.ResponseError) -> Refused:
    """The refusal to raise for a Redis error: 403 "not permitted" for an ACL refusal (noted,
    so the next page draws no control that needs the command), 422 for anything else."""
    from keyspace.redis.capabilities import NOT_PERMITTED, note_refusal, refusal_kind

    if str(exc).startswith("CROSSSLOT"):
        from keyspace.redis.cluster import HASH_TAGS

        return Refused(HASH_TAGS)
    if isinstance(exc, (redis.exceptions.AskError, redis.exceptions.TryAgainError)):
        # The key's slot is being moved to another primary (resharding): an edit's WATCH and
        # MULTI cannot follow it there, and its own keys may be on either side meanwhile.
        return Refused(SLOT_MOVING)
    command = _command_of(exc)
    if command:
        note_refusal(command, exc)
    if refusal_kind(exc) == NOT_PERMITTED:
        return RedisRefusedWrite(f"not permitted for this Redis user: {exc}")
    return Refused(f"redis refused: {exc}")


def _command_of(exc: BaseException) -> str:
    """The command a NOPERM names ("... to run the 'set' command")."""
    text = str(exc)
    marker = "to run the '"
    if marker not in text:
        return ""
    return text.split(marker, 1)[1].split("'", 1)[0].split("|", 1)[0]


class KeyGone(KeyNotFound):
    def __init__(self, message: str = "this key no longer exists (it expired or was deleted)"):
        super().__init__(message)


# Called between the checks and the writes of every guarded edit, with the client and the
# watched keys. Only tests set it: they write from another client in exactly that window to
# prove the edit then reports a conflict instead of writing over the change.
before_write: Callable[[redis.Redis, list[bytes]], None] | None = None


def guarded(
    client: redis.Redis,
    keys: list[bytes],
    attempt: Callable,
    *,
    writes: list[bytes] | None = None,
    expected_type: str | None = None,
) -> list:
    """Run `attempt(pipe)` under WATCH on `keys`.

    With `expected_type` (an edit of an existing key: the type its form was drawn for, ""
    for any), the first key must still exist and be of that type: KeyGone or Conflict
    otherwise, checked under the WATCH before `attempt` runs.

    `attempt` reads through `pipe` (immediate mode), raises Conflict/Refused/KeyGone if the
    data is not what the user saw, and returns a function that queues the writes. The
    writes run in MULTI/EXEC; if a watched key changed in between, everything is read and
    checked again. A refusal stands only if nothing watched changed while its reads ran
    (each read is its own round trip): otherwise it may describe a state that never
    existed, so it is checked again too.

    Under `undo.capturing()`, the keys the edit writes (`writes`, by default every watched
    key) are copied in the same MULTI; if Redis refuses the copying commands (an ACL without
    DUMP), the edit runs again without them and cannot be undone.
    """
    capture = undo.active()
    with client.pipeline(transaction=True) as pipe:
        for _ in range(GUARD_ATTEMPTS):
            try:
                pipe.watch(*keys)
                try:
                    if expected_type is not None:
                        check_type(pipe, keys[0], expected_type)
                    queue_writes = attempt(pipe)
                except DashboardError:
                    _confirm_snapshot(pipe)
                    raise
                kept = capture.plan(pipe, writes or keys) if capture is not None else []
                if before_write is not None:
                    before_write(client, keys)
                pipe.multi()
                if kept:
                    capture.queue_before(pipe, kept)
                queue_writes(pipe)
                if kept:
                    capture.queue_after(pipe, kept)
                if not kept:
                    return pipe.execute()
                try:
                    results = pipe.execute(raise_on_error=False)
                except redis.ResponseError as exc:
                    # Refused while queuing (EXECABORT): nothing ran. Again, without copies.
                    capture.refuse(f"Redis refused to copy the key ({exc})")
                    continue
                failed = [reply for reply in results if isinstance(reply, Exception)]
                if failed:  # it ran: report it, never run it twice
                    raise failed[0]
                return capture.take(results, kept)
            except redis.WatchError as exc:
                if isinstance(exc.__context__, redis.ConnectionError):
                    # redis-py says WatchError when the connection broke while watching (a
                    # failover, a restart): whether the write ran is unknown, so the error
                    # is reported and the edit never sent again.
                    raise exc.__context__ from None
                continue
            except redis.ResponseError as exc:
                raise refused(exc) from exc
    raise Conflict("the key kept changing while saving; nothing was written, try again")


def _confirm_snapshot(pipe) -> None:
    """An empty MULTI/EXEC: WatchError if a watched key changed since WATCH."""
    pipe.multi()
    pipe.execute()


def type_of(reader, key: bytes) -> str:
    """The key's TYPE reply as text ("none" when there is no such key)."""
    reply = reader.type(key)
    return reply.decode() if isinstance(reply, bytes) else reply


def check_type(pipe, key: bytes, expected: str) -> None:
    actual = type_of(pipe, key)
    if actual == "none":
        raise KeyGone()
    if expected and actual != expected:
        raise Conflict(f"the key is now a {actual}, not the {expected} shown; nothing was written")


def check_value(current: bytes | None, expected: str, what: str) -> None:
    """Refuse unless `current` is what the user saw (`expected` is its digest)."""
    if digest(current) == expected:
        return
    if current is None:
        raise Conflict(f"the {what} was removed meanwhile; nothing was written", removed=True)
    raise Conflict(f"the {what} was changed meanwhile; nothing was written", current=current)


def refuse_emptying(length: int, what: str, doing: str) -> None:
    """Refuse taking the last element: Redis would delete the key, and deleting a key is an
    explicit, separate action. `what` and `doing`: "last member", "removing"."""
    if length == 1:
        raise Refused(
            f"this is the {what}: {doing} it would delete the key; delete the key instead"
        )


def preview(value: bytes, limit: int = 2000) -> str:
    text = bytes_to_text(value[:limit])
    return text + (f"… ({len(value):,} bytes)" if len(value) > limit else "")


# What a done edit changed (see Redraw).
ROW, VALUE, WHOLE_KEY, KEY_LIST = "row", "value", "key", "list"
# Regions of the key's page besides its value: the metadata (type, TTL, length, memory) and
# the toolbar (Remove TTL is there only while the key has a TTL).
META, TOOLBAR = "meta", "toolbar"


@dataclass(frozen=True)
class Outcome:
    """What an operation did, and what it changed (Operation.redraw reads it)."""

    message: str
    # VALUE: the value section; ROW: only the row `row_id`; WHOLE_KEY: the key named `row_id`
    # (rename, copy: the page goes there); KEY_LIST: the key is gone (back to the key list).
    refresh: str = VALUE
    row_id: Any = None


@dataclass(frozen=True)
class Redraw:
    """What a done edit changed, so that exactly that is drawn again: the row `row_id` (ROW)
    or the value section (VALUE), each with the key page's `regions` beside it; or the whole
    key named `row_id` (WHOLE_KEY) or the key list (KEY_LIST), which the browser goes to."""

    changed: str = VALUE
    row_id: Any = None
    regions: tuple[str, ...] = (META, TOOLBAR)

    @property
    def in_place(self) -> bool:
        return self.changed in (ROW, VALUE)


class Operation:
    """One named edit. Units list theirs explicitly; nothing is looked up by attribute."""

    name: ClassVar[str]
    label: ClassVar[str]
    form_class: ClassVar[type[forms.Form]]
    destructive: ClassVar[bool] = False
    submit_label: ClassVar[str] = "Save"
    # "key": a form in the key's editor panel; "row": a form in place of one row.
    scope: ClassVar[str] = "key"
    # May run on a key that is gone (e.g. SET NX): the operation itself decides.
    may_create: ClassVar[bool] = False
    # A command the server must know for this edit to be offered (e.g. "HPEXPIRE", Redis
    # 7.4+): see keyspace/redis/capabilities.py. The edit itself refuses on older servers.
    needs_command: ClassVar[str | None] = None

    def initial(self, client: redis.Redis, key: bytes, params) -> dict:
        return {}

    def apply(self, client: redis.Redis, key: bytes, data: dict) -> Outcome:
        raise NotImplementedError

    def redraw(self, outcome: Outcome) -> Redraw:
        """What this edit changed, once done: the page draws that again and nothing else. By
        default what the outcome says, with the key's metadata and toolbar beside a row or
        the value; an operation that changes less (or more) says so here."""
        return Redraw(outcome.refresh, outcome.row_id)

    def needs_confirmation(self, data: dict) -> bool:
        """Destructive edits, and replacing something that exists, need a server-side
        confirmation (see confirmations.py)."""
        return self.destructive or bool(data.get("overwrite"))

    def confirmation_subject(self, data: dict) -> str:
        """What a confirmation is for besides user, db, key and operation (e.g. the key it
        replaces and that key's fingerprint): a token for one subject confirms no other."""
        return ""

    def confirming(self, client: redis.Redis, key: bytes, data: dict) -> tuple[dict, str]:
        """When a confirmation is asked for: hidden fields the form must now carry (e.g. the
        fingerprint of the key that would be replaced) and what to tell the user ("" for the
        generic request)."""
        return {}, ""


class Tool:
    """A named read-only look at a key (membership test, random members, set algebra): a
    GET form whose results render below it. Allowed in read-only mode."""

    name: ClassVar[str]
    label: ClassVar[str]
    form_class: ClassVar[type[forms.Form]]
    result_template: ClassVar[str]  # "path.html#partial", rendered with run()'s context
    submit_label: ClassVar[str] = "Show"
    scope: ClassVar[str] = "key"

    def run(self, client: redis.Redis, key: bytes, data: dict) -> dict:
        raise NotImplementedError


class ConfirmsShortTtl:
    """For edits that set a TTL: one short enough to expire before a person could look is as
    final as a delete, so it needs the same confirmation (DASHBOARD_CONFIRM_TTL_BELOW_MS),
    for that TTL as typed (the form fields in `ttl_fields`)."""

    ttl_fields: ClassVar[tuple[str, ...]] = ("unit", "amount")

    def needs_confirmation(self, data: dict) -> bool:
        return data["ttl_ms"] < app_settings.CONFIRM_TTL_BELOW_MS

    def confirmation_subject(self, data: dict) -> str:
        return "ttl:" + ":".join(str(data.get(name)) for name in self.ttl_fields)

    def confirming(self, client, key: bytes, data: dict) -> tuple[dict, str]:
        return {}, (
            f"a TTL of {data['ttl_ms']:,} ms makes the key expire almost at once (under "
            f"{app_settings.CONFIRM_TTL_BELOW_MS:,} ms), which deletes it: confirm below"
        )


def allow_list(*classes: type[Operation] | type[Tool]) -> dict:
    table: dict[str, Operation] = {}
    for operation_class in classes:
        if operation_class.name in table:
            raise ValueError(f"operation {operation_class.name!r} listed twice")
        table[operation_class.name] = operation_class()
    return table
