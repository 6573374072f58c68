"""Adding an entry (XADD, with `*` or an explicit ID, optionally trimming as it adds) and
deleting entries by ID (XDEL). Trimming alone is in `trim`, groups in `groups`, pending
entries in `claims`.

XADD never creates a stream that was deleted meanwhile (NOMKSTREAM, and the key's type is
checked under WATCH). XDEL deletes only the entries the confirmation showed, unchanged: the
form carries a digest of them, compared under WATCH (XDEL, XADD and trims mark the key
modified, so a change in between fails the transaction and is checked again).
"""

from __future__ import annotations

import hashlib

from django import forms

from keyspace.exceptions import BadRequest
from keyspace.services.editing.guard import Conflict, Operation, Outcome, Refused, guarded
from keyspace.services.editing.inputs import FieldRefused, KeyForm, encoding_field
from keyspace.units.stream.inputs import (
    EntryIdField,
    IdListField,
    parse_field_lines,
    parse_id,
    short,
)
from keyspace.units.stream.shown import check_shown, planned
from keyspace.units.stream.trim import (
    TrimFields,
    check_plan,
    confirming_trim,
    read_plan,
    trim_args,
)

FIELDS_HELP = ("One field=value per line (the first = separates them). In hex, both sides in "
               "hex: 6e616d65=616c696365.")


class AddEntryForm(KeyForm, TrimFields):
    entry_id = EntryIdField(special=("*",), initial="*", label="Entry ID",
                            help_text="*: Redis gives the next ID (the time now); or an ID "
                                      "greater than the last one, like 1700000000000-0.")
    entry_fields = forms.CharField(strip=False, label="Fields", help_text=FIELDS_HELP,
                             widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
                             error_messages={"required": "give at least one field=value line"})
    entry_fields_encoding = encoding_field()

    def clean(self):
        data = super().clean()
        if data.get("entry_fields") is not None:
            try:
                data["pairs"] = parse_field_lines(data["entry_fields"],
                                                  data.get("entry_fields_encoding") or "text")
            except forms.ValidationError as exc:
                self.add_error("entry_fields", exc)
        return data


class AddEntry(Operation):
    name = "stream-add"
    label = "Add entry"
    form_class = AddEntryForm
    submit_label = "Add"

    def needs_confirmation(self, data):
        return bool(data.get("strategy"))

    def confirmation_subject(self, data):
        return f"{data['strategy']}:{data['threshold']}:{data['precision']}:{data['expected']}"

    def confirming(self, client, key, data):
        return confirming_trim(client, key, data, adding=1)

    def apply(self, client, key, data):
        pairs, trimming = dict(data["pairs"]), bool(data.get("strategy"))

        def attempt(pipe):
            if trimming:
                plan = read_plan(pipe, key, data["strategy"], data["threshold"], adding=1)
                check_plan(plan, int(plan.state.split(":")[0]), data, field="threshold")
            extra = trim_args(data) if trimming else {}
            return lambda pipe: pipe.xadd(key, pairs, id=data["entry_id"], nomkstream=True,
                                          **extra)

        try:
            [added] = guarded(client, [key], attempt, expected_type="stream")
        except Refused as refused:
            if "equal or smaller" in refused.message:
                raise FieldRefused("entry_id", "an entry ID must be greater than the stream's "
                                   "last one (and than any ID it ever had); try *") from None
            if "greater than 0-0" in refused.message:
                raise FieldRefused("entry_id", "0-0 is no entry ID: the first one a stream "
                                   "takes is 0-1; try *") from None
            raise
        added = added.decode() if isinstance(added, bytes) else added
        return Outcome(f"added the entry {added} ({len(pairs)} field"
                       f"{'s' if len(pairs) != 1 else ''})")


class DeleteEntriesForm(KeyForm):
    ids = IdListField(label="Entry IDs", help_text="One per line (or separated by spaces).",
                      error_messages={"required": "give the IDs of the entries to delete"})
    # The IDs and a digest of the entries as they were shown (see shown.planned).
    expected = forms.CharField(widget=forms.HiddenInput, required=False, max_length=80)


def read_entries(client, key: bytes, ids: list[str]) -> tuple[list[tuple[str, dict]], str]:
    """The entries with these IDs that exist (one XRANGE id id each, in one round trip) and
    their digest. Read from its own connection: under a WATCH set before, a change after
    these reads still fails the transaction."""
    with client.pipeline(transaction=False) as pipe:
        for entry_id in ids:
            pipe.xrange(key, min=entry_id, max=entry_id, count=1)
        replies = pipe.execute()
    found, hashed = [], hashlib.sha256()
    for entry_id, reply in zip(ids, replies, strict=True):
        if reply:
            found.append((entry_id, reply[0][1]))
            hashed.update(entry_id.encode() + b"\0")
            for field, value in reply[0][1].items():
                hashed.update(hashlib.sha256(field).digest() + hashlib.sha256(value).digest())
    return found, hashed.hexdigest()[:32]


class DeleteEntries(Operation):
    name = "stream-delete"
    label = "Delete entries"
    form_class = DeleteEntriesForm
    destructive = True
    submit_label = "Delete"

    def initial(self, client, key, params):
        return {"ids": params.get("ids", "")}

    def confirming(self, client, key, data):
        found, digest = read_entries(client, key, data["ids"])
        return {"expected": planned(" ".join(data["ids"]), digest)}, delete_note(data, found)

    def apply(self, client, key, data):
        def attempt(pipe):
            found, digest = read_entries(client, key, data["ids"])
            if not found:
                raise Refused("none of these entries exists; nothing was deleted")
            check_shown(data["expected"], " ".join(data["ids"]), digest,
                        shows=lambda: delete_note(data, found),
                        changed=lambda: "these entries changed since they were shown (deleted "
                                        "meanwhile); nothing was deleted. Check and submit "
                                        "again.")
            return lambda pipe: pipe.xdel(key, *[entry_id for entry_id, _ in found])

        [deleted] = guarded(client, [key], attempt, expected_type="stream")
        return Outcome(f"deleted {deleted:,} entr{'y' if deleted == 1 else 'ies'}")


def _fields(fields: dict) -> str:
    pairs = list(fields.items())
    text = ", ".join(f"{short(f, 30)}={short(v, 40)}" for f, v in pairs[:3])
    return text + (", …" if len(pairs) > 3 else "")


def delete_note(data: dict, found: list) -> str:
    if not found:
        return "none of these entries exists: there is nothing to delete"
    missing = len(data["ids"]) - len(found)
    shown = "; ".join(f"{entry_id} ({_fields(fields)})" for entry_id, fields in found[:20])
    more = f"; and {len(found) - 20:,} more" if len(found) > 20 else ""
    absent = f" ({missing:,} of the IDs given {'does' if missing == 1 else 'do'} not " \
        "exist)" if missing else ""
    return (f"this deletes {len(found):,} entr{'y' if len(found) == 1 else 'ies'}{absent}: "
            f"{shown}{more}. Press Delete again to delete them.")


class DeleteEntryForm(KeyForm):
    row = forms.CharField(widget=forms.HiddenInput, max_length=45,
                          error_messages={"required": "which entry? the form has no ID"})
    expected = forms.CharField(widget=forms.HiddenInput, required=False, max_length=80)
    entry = forms.CharField(required=False, disabled=True, label="The entry that will be deleted",
                            widget=forms.Textarea(attrs={"rows": 3, "readonly": True}))

    def clean_row(self):
        return parse_id(self.cleaned_data["row"])


class DeleteEntry(Operation):
    """One entry, from its row (the row's token is its ID)."""

    name = "stream-delete-entry"
    label = "Delete"
    form_class = DeleteEntryForm
    scope = "row"
    destructive = True
    submit_label = "Delete this entry"

    def initial(self, client, key, params):
        entry_id = _row_id(params.get("row", ""))
        found, digest = read_entries(client, key, [entry_id])
        if not found:
            raise Refused(f"there is no entry {entry_id} (deleted meanwhile?)")
        return {"expected": digest, "entry": f"{entry_id}: {_fields(found[0][1])}"}

    def apply(self, client, key, data):
        entry_id = data["row"]

        def attempt(pipe):
            found, digest = read_entries(client, key, [entry_id])
            if not found or digest != data["expected"]:
                raise Conflict(f"the entry {entry_id} was deleted meanwhile; nothing was done",
                               expected=digest)
            return lambda pipe: pipe.xdel(key, entry_id)

        guarded(client, [key], attempt, expected_type="stream")
        # The value section is drawn again (not the row alone): rows are few, and the one
        # deleted has nothing left to draw.
        return Outcome(f"deleted the entry {entry_id}")


def _row_id(token: str) -> str:
    try:
        return parse_id(token)
    except forms.ValidationError:
        raise BadRequest(f"not a stream entry ID: {token[:40]!r}") from None
