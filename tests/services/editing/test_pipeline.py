"""The edit pipeline called as a view calls it: a real user, the real Redis, and the audit log,
confirmations and undo copies in the database. No request, no template."""

from __future__ import annotations

import pytest

from keyspace.access.confirmations import ConfirmationRequired
from keyspace.exceptions import KeyNotFound
from keyspace.models import AuditEntry, UndoRecord
from keyspace.redis.keynames import encode_key
from keyspace.services.editing import guard
from keyspace.services.editing.guard import (
    KEY_LIST,
    META,
    ROW,
    TOOLBAR,
    VALUE,
    WHOLE_KEY,
    Conflict,
    KeyGone,
    Operation,
    Outcome,
    Redraw,
    Refused,
    digest,
    guarded,
)
from keyspace.services.editing.lookup import run_tool
from keyspace.services.editing.pipeline import (
    create_key,
    edit_form,
    edit_key,
    undo_edit,
)
from tests.conftest import make_user


def as_submitted(form) -> dict:
    """A form's fields as a browser submits them (an unticked box is not sent)."""
    fields = {name: form[name].value() for name in form.fields}
    return {name: value for name, value in fields.items() if value not in (None, False)}


def opened(user, key: bytes, action: str, row: bytes | None = None) -> dict:
    params = {} if row is None else {"row": encode_key(row)}
    shown = edit_form(user=user, db=0, key=key, action=action, params=params)
    assert not shown.done and shown.status == 200
    return as_submitted(shown.form)


def entry() -> AuditEntry:
    [only] = AuditEntry.objects.all()
    return only


def test_a_done_edit_says_what_it_changed_and_keeps_an_undo_copy(editor, r):
    r.hset("h", mapping={"f": "1", "g": "2"})
    data = opened(editor, b"h", "hash-set", row=b"f") | {"value": "new"}
    result = edit_key(user=editor, db=0, key=b"h", action="hash-set", data=data)
    assert result.done and result.status == 200 and result.problem is None
    assert result.message == "saved field f"
    assert result.redraw == Redraw(ROW, b"f", (META, TOOLBAR))
    assert r.hget("h", "f") == b"new"
    audited = entry()
    assert (audited.user, audited.operation, audited.outcome) == (editor, "hash-set", "ok")
    kept = UndoRecord.objects.get(token=result.undo_token)
    assert kept.audit == audited and kept.user == editor and kept.summary == result.message


def test_the_undo_token_puts_the_value_back(editor, r):
    r.hset("h", mapping={"f": "1", "g": "2"})
    data = opened(editor, b"h", "hash-set", row=b"f") | {"value": "new"}
    done = edit_key(user=editor, db=0, key=b"h", action="hash-set", data=data)
    undone = undo_edit(user=editor, token=done.undo_token)
    assert r.hget("h", "f") == b"1"
    assert (undone.db, undone.key) == (0, b"h")
    assert undone.message == "undone: saved field f"
    assert AuditEntry.objects.filter(operation="undo", outcome="ok", user=editor).count() == 1
    with pytest.raises(KeyNotFound):  # a copy is used once
        undo_edit(user=editor, token=done.undo_token)


def test_undoing_after_the_key_changed_again_is_a_conflict_and_audited(editor, r):
    r.set("s", "v1")
    data = opened(editor, b"s", "string-edit") | {"value": "v2"}
    done = edit_key(user=editor, db=0, key=b"s", action="string-edit", data=data)
    r.set("s", "someone else's")
    with pytest.raises(Conflict):
        undo_edit(user=editor, token=done.undo_token)
    assert r.get("s") == b"someone else's"
    assert AuditEntry.objects.get(operation="undo").outcome == "conflict"


def test_a_conflict_comes_back_as_the_form_holding_what_is_there_now(editor, r):
    r.hset("h", mapping={"f": "1", "g": "2"})
    data = opened(editor, b"h", "hash-set", row=b"f") | {"value": "mine"}
    r.hset("h", "f", "theirs")
    result = edit_key(user=editor, db=0, key=b"h", action="hash-set", data=data)
    assert not result.done and result.status == 409
    assert isinstance(result.problem, Conflict) and result.problem.current == "theirs"
    assert result.undo_token is None and r.hget("h", "f") == b"theirs"
    assert (entry().outcome, entry().detail) == ("conflict", "Changed meanwhile")
    # The form now carries what the user has been shown: submitting it again is deliberate.
    assert result.form["expected"].value() == digest(b"theirs")
    again = edit_key(user=editor, db=0, key=b"h", action="hash-set",
                     data=as_submitted(result.form))
    assert again.done and r.hget("h", "f") == b"mine"


def test_a_refusal_comes_back_with_why_and_writes_nothing(editor, r):
    r.set("s", "v")
    data = opened(editor, b"s", "rename") | {"new_name": "s"}
    result = edit_key(user=editor, db=0, key=b"s", action="rename", data=data)
    assert not result.done and result.status == 422
    assert isinstance(result.problem, Refused)
    assert result.problem.message == "the new name is the same as the old one"
    assert (entry().outcome, entry().detail) == ("refused", "Not done")
    assert r.get("s") == b"v" and not UndoRecord.objects.exists()


def test_invalid_input_is_refused_on_its_fields(editor, r):
    r.set("s", "v")
    data = opened(editor, b"s", "ttl") | {"unit": "s", "amount": "soon"}
    result = edit_key(user=editor, db=0, key=b"s", action="ttl", data=data)
    assert not result.done and result.status == 422 and result.problem is None
    assert result.form.errors and (entry().outcome, entry().detail) == (
        "refused", "invalid input: __all__")
    assert r.pttl("s") == -1


def test_a_destructive_edit_asks_for_a_confirmation_for_this_user(editor, r):
    r.set("s", "v")
    shown = edit_form(user=editor, db=0, key=b"s", action="delete", params={})
    assert shown.confirm_token and shown.undo_promise.startswith("You can undo this")
    data = as_submitted(shown.form)
    asked = edit_key(user=editor, db=0, key=b"s", action="delete", data=data)
    assert not asked.done and asked.status == 428
    assert isinstance(asked.problem, ConfirmationRequired) and asked.confirm_token
    assert r.exists("s") and entry().outcome == "refused"
    # Another editor cannot use this editor's confirmation.
    other = make_user("other", "editor")
    stolen = edit_key(user=other, db=0, key=b"s", action="delete",
                      data=data | {"confirm": asked.confirm_token})
    assert stolen.status == 428 and r.exists("s")
    done = edit_key(user=editor, db=0, key=b"s", action="delete",
                    data=data | {"confirm": asked.confirm_token})
    assert done.done and done.redraw.changed == KEY_LIST and not r.exists("s")
    assert done.undo_token


def test_a_copy_redraws_the_whole_key_it_wrote(editor, r):
    r.set("s", "v")
    data = opened(editor, b"s", "copy") | {"new_name": "t"}
    result = edit_key(user=editor, db=0, key=b"s", action="copy", data=data)
    assert result.done and result.redraw.changed == WHOLE_KEY and result.redraw.row_id == b"t"
    assert not result.redraw.in_place and r.get("t") == b"v"


def test_a_key_gone_since_its_form_was_drawn_is_raised_after_being_audited(editor, r):
    r.hset("h", "f", "1")
    data = opened(editor, b"h", "hash-set", row=b"f") | {"value": "new"}
    r.delete("h")
    with pytest.raises(KeyNotFound):
        edit_key(user=editor, db=0, key=b"h", action="hash-set", data=data)
    assert entry().outcome == "refused" and not r.exists("h")


def test_creating_a_key_goes_to_it_and_never_overwrites(editor, r):
    data = {"name": "fresh", "name_format": "text", "type": "string", "value": "v",
            "value_encoding": "text"}
    created = create_key(user=editor, db=0, data=data)
    assert created.done and created.redraw == Redraw(WHOLE_KEY, b"fresh")
    assert r.get("fresh") == b"v" and created.undo_token
    again = create_key(user=editor, db=0, data=data | {"value": "other"})
    assert again.status == 409 and isinstance(again.problem, Conflict)
    assert r.get("fresh") == b"v"
    assert list(AuditEntry.objects.order_by("id").values_list("operation", "outcome")) == [
        ("create", "ok"), ("create", "conflict")]


def test_a_new_key_with_invalid_input_is_refused(editor, r):
    result = create_key(user=editor, db=0, data={"name": "k", "type": "no-such-type"})
    assert result.status == 422 and result.form.errors and result.problem is None
    assert entry().outcome == "refused" and not r.exists("k")


def test_a_tool_runs_only_once_submitted(r):
    r.sadd("s", "a", "b")
    shown = run_tool(db=0, key=b"s", action="set-contains", params={})
    assert not shown.form.is_bound and shown.results == {}
    ran = run_tool(db=0, key=b"s", action="set-contains",
                   params={"run": "1", "members": "a\nz", "mode": "lines"})
    assert ran.results["found"] == 1 and ran.problem is None


def test_guarded_checks_the_expected_type_before_the_attempt(r):
    r.set("s", "v")
    attempted = []

    def attempt(pipe):
        attempted.append(True)
        return lambda pipe: pipe.set("s", "w")

    with pytest.raises(Conflict):
        guarded(r, [b"s"], attempt, expected_type="hash")
    with pytest.raises(KeyGone):
        guarded(r, [b"gone"], attempt, expected_type="")
    assert not attempted and r.get("s") == b"v"
    guarded(r, [b"s"], attempt, expected_type="string")
    assert attempted and r.get("s") == b"w"


def test_operations_declare_what_they_change_from_their_outcome():
    operation = Operation()
    assert operation.redraw(Outcome("saved")) == Redraw(VALUE, None, (META, TOOLBAR))
    assert operation.redraw(Outcome("x", refresh=ROW, row_id=3)).row_id == 3
    assert not operation.redraw(Outcome("gone", refresh=KEY_LIST)).in_place
    assert guard.Redraw().in_place
