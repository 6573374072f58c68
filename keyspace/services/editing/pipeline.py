"""The edit pipeline: what every edit goes through between a request and the page, in one place.
Views parse the request, call one of these services and draw what it returns.

An edit finds its operation (in the allow-lists of the key's unit, for the type its form was
drawn for), validates the form, is audited, is confirmed when it needs to be, runs under a
compare-and-set with what it changes captured, and is kept for undo. An edit that does not
get through comes back as its form to show again, saying why.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django import forms

from keyspace.access import confirmations
from keyspace.access.audit import audited, submit
from keyspace.access.permissions import EDIT, user_may
from keyspace.display import bytes_to_text
from keyspace.exceptions import DashboardError, KeyNotFound, NotPermitted
from keyspace.redis import profiles
from keyspace.redis.connection import get_client
from keyspace.services import undo
from keyspace.services.editing import create
from keyspace.services.editing.guard import WHOLE_KEY, Operation, Redraw
from keyspace.services.editing.lookup import Edit, find_edit

if TYPE_CHECKING:  # the auth models cannot load before Django's apps
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

    User = AbstractBaseUser | AnonymousUser | None


@dataclass(frozen=True)
class EditResult:
    """How an edit ended, for the view to draw.

    Done (`form` None): the `message`, what the edit changed (`redraw`, see Operation.redraw)
    and the token that undoes it (None when nothing could be kept). Not done: the `form` to
    show again (its errors, and the hidden fields a deliberate second submit needs), why
    (`problem`; None when that is shown on a field), the HTTP `status`, and what the form
    carries to confirm the edit (`confirm_token`) and says about undoing it (`undo_promise`).
    """

    edit: Edit | None = None
    status: int = 200
    message: str = ""
    redraw: Redraw | None = None
    undo_token: str | None = None
    form: forms.Form | None = None
    problem: DashboardError | None = None
    confirm_token: str | None = None
    undo_promise: str = ""

    @property
    def done(self) -> bool:
        return self.form is None


def edit_form(
    *, user: User, db: int, key: bytes, action: str, params: Mapping[str, Any]
) -> EditResult:
    """The form of the edit `action` on `key`, filled in from what the key holds now; `params`:
    the query (`row`: which row, for a row's edit)."""
    client = get_client(db)
    edit = find_edit(client, key, action)
    row = params.get("row", "")
    initial = {"expected_type": edit.detail.type_name, "row": row}
    initial |= edit.operation.initial(client, key, params)
    return _to_show(user, db, key, edit, edit.operation.form_class(initial=initial), row)


def edit_key(
    *, user: User, db: int, key: bytes, action: str, data: Mapping[str, Any]
) -> EditResult:
    """Run the edit `action` on `key` with the submitted form `data`, audited. A key gone, an
    unknown action and Redis errors raise (audited first); every other end is in the result."""
    client, row = get_client(db), data.get("row", "")
    with audited(user, db=db, operation=action, key=key) as trail:
        edit = find_edit(client, key, action, data.get("expected_type", ""))
        form = edit.operation.form_class(data)
        form.is_valid()
        trail["target"] = confirmations.target_of(edit.operation, form)

        def run(cleaned: dict):
            confirmations.require(user, client, db, key, edit.operation, cleaned,
                                  token=data.get("confirm", ""), row=row,
                                  typed_name=data.get("confirm_name", ""))
            with undo.capturing() as capture:
                return edit.operation.apply(client, key, cleaned), capture

        submitted = submit(trail, form, run)
        if submitted.value is None:
            problem = submitted.problem
            if problem is not None:
                form = _informed(form, problem)
                problem = None if _on_field(form, problem) else problem
            return _to_show(user, db, key, edit, form, row, submitted.status, problem)
    outcome, capture = submitted.value
    return _kept(user, db, capture, trail["entry"], outcome.message,
                 edit.operation.redraw(outcome), edit)


def create_key(*, user: User, db: int, data: Mapping[str, Any]) -> EditResult:
    """Create a key from the New-key form `data`, audited; it never overwrites a key."""
    form = create.CreateKeyForm(data, client=get_client(db))
    form.is_valid()
    name = form.cleaned_data.get("name")  # bytes when the name itself was valid
    with audited(user, db=db, operation="create", key=name) as trail:

        def run(cleaned: dict):
            with undo.capturing() as capture:
                return create.create_key(get_client(db), cleaned), capture

        submitted = submit(trail, form, run)
    if submitted.value is None:
        return EditResult(status=submitted.status, form=form, problem=submitted.problem)
    key, capture = submitted.value
    return _kept(user, db, capture, trail["entry"], "created", Redraw(WHOLE_KEY, key))


def _kept(user: User, db: int, capture, entry, message: str, redraw: Redraw,
          edit: Edit | None = None) -> EditResult:
    """Done: keep what the edit changed for undo, tied to its audit entry, and say so when no
    copy could be kept."""
    token = undo.keep(user, db=db, capture=capture, entry=entry, summary=message)
    if capture.refused:
        message = f"{message} (this cannot be undone: {capture.refused})"
    return EditResult(edit=edit, message=message, redraw=redraw, undo_token=token)


def _informed(form, problem):
    """After a conflict (or a request to confirm) the form holds what is there now, so
    resubmitting is a deliberate change of what the user has just been shown."""
    updates = {name: value for name, value in problem.updates.items() if name in form.fields}
    if not updates:
        return form
    data = form.data.copy()
    data.update(updates)
    return form.__class__(data)


def _on_field(form, problem) -> bool:
    """Show a refusal that belongs to one field next to it (True), as a form error is."""
    field_name = getattr(problem, "field", None)
    if field_name not in form.fields:
        return False
    form.add_error(field_name, problem.message)
    return True


def _to_show(user: User, db: int, key: bytes, edit: Edit, form, row: str, status: int = 200,
             problem: DashboardError | None = None) -> EditResult:
    """A form to show: with a confirmation token when its edit needs one, and then what
    confirming means for undoing it."""
    token = confirmations.for_form(user, db=db, key=key, operation=edit.operation, form=form,
                                   row=row)
    promise = undo.promise(get_client(db), _touched(key, edit.operation, form)) if token else ""
    return EditResult(edit=edit, status=status, form=form, problem=problem,
                      confirm_token=token, undo_promise=promise)


def _touched(key: bytes, operation: Operation, form) -> list[bytes]:
    """The keys an edit writes: its own, and the key it replaces, if any."""
    valid = form.is_bound and form.is_valid()
    target = confirmations.target_of(operation, form) if valid else None
    return [key, target] if target else [key]


@dataclass(frozen=True)
class Undone:
    """An undone edit: what to tell the user, and which key to show (None: the key list)."""

    message: str
    db: int
    key: bytes | None


def undo_edit(*, user: User, token: str) -> Undone:
    """Put back what the edit that `token` was issued for changed, audited, if every key it
    changed is still as the edit left it (Conflict otherwise: nothing is put back)."""
    record = undo.find(token)
    if record is None:
        raise KeyNotFound("nothing to undo: the copy expired, was used, or never existed")
    # The undo link names no connection: the copy's own is entered, and the user's role
    # there decides (a refusal there is audited there).
    profile = profiles.lookup(record.connection_name or profiles.default_name())
    if profile is None:
        raise KeyNotFound("nothing to undo: the connection this copy came from is gone")
    profiles.activate(profile)
    if not user_may(user, EDIT):
        with audited(user, db=record.db, operation="undo", key=None):
            raise NotPermitted("you may not edit this connection, so nothing was undone")
    kept = undo.kept_keys(record)
    first = kept[0].name
    with audited(user, db=record.db, operation="undo", key=first):
        undo.check_connection(record)
        undo.restore(get_client(record.db), record)
    client = get_client(record.db)
    gone = [item.name for item in kept if item.before is not None and not client.exists(item.name)]
    note = f"; its expiry time had passed meanwhile, so {bytes_to_text(gone[0])[:200]} is gone" \
        if gone else ""
    shown = first if client.exists(first) else None
    return Undone(f"undone: {record.summary}{note}", profiles.Place(record.db, profile.name),
                  shown)
