"""Edits that apply to a key of any type: TTL, rename, copy, delete; and the key's own toolbar
entries for them. (Creating keys is in `create`.)"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from django import forms

from keyspace.display import bytes_to_text
from keyspace.redis.capabilities import delete_command
from keyspace.services.editing.copy_size import check_copy_size
from keyspace.services.editing.cross_slot import require_one_slot
from keyspace.services.editing.expiry import key_expiry, same_expiry
from keyspace.services.editing.guard import (
    ConfirmsShortTtl,
    Conflict,
    Operation,
    Outcome,
    Refused,
    allow_list,
    guarded,
)
from keyspace.services.editing.inputs import (
    NAME_FORMATS,
    KeyForm,
    TtlForm,
    clean_name,
)
from keyspace.services.editing.targets import ReplacesTarget, describe_key
from keyspace.units.declarations import ToolbarEntry, toolbar_entries
from keyspace.units.fingerprints import key_fingerprint


def key_state(reader, key: bytes) -> str:
    """The key as shown, for an edit of the whole key (its TTL, its name): its fingerprint
    and its expiry (keyspace.services.editing.expiry), read through `reader`."""
    return f"{key_fingerprint(reader, key)}.{key_expiry(reader, key)}"


def _same_state(now: str, shown: str) -> bool:
    """Whether two key_state readings are of the same key: the same fingerprint and expiry."""
    held, _, expiry = now.rpartition(".")
    seen, _, seen_expiry = shown.rpartition(".")
    return held == seen and same_expiry(expiry, seen_expiry)


class KeepsKeyState:
    """An edit of the whole key (its TTL, its name) whose form carries the key as shown
    (`key_state`): a key changed meanwhile (its value, or its TTL by someone else), or
    deleted and made again, is a conflict, not edited for the user who saw the other."""

    def initial(self, client, key, params):
        return {**super().initial(client, key, params), "state": key_state(client, key)}

    def check_state(self, pipe, key: bytes, data: dict) -> None:
        now = key_state(pipe, key)
        if not _same_state(now, data["state"]):
            raise Conflict(
                f"the key was changed meanwhile (its value or its TTL): it now holds "
                f"{describe_key(pipe, key)}; nothing was changed. Send again to edit it as "
                "it is now.",
                updates={"state": now},
            )


def _state_field() -> forms.CharField:
    """The key as shown (`key_state`), drawn into every form of these edits: required, as
    Delete's fingerprint is, so a request without it (built by hand, or a form from before
    it was drawn) is refused rather than applied to whatever the key is now."""
    return forms.CharField(widget=forms.HiddenInput, max_length=80, error_messages={
        "required": "this form does not say which state of the key it was drawn for: "
                    "reload the key and try again"})


class KeyTtlForm(TtlForm):
    state = _state_field()


class KeyStateForm(KeyForm):
    state = _state_field()


class SetTtl(KeepsKeyState, ConfirmsShortTtl, Operation):
    name = "ttl"
    label = "Set TTL"
    form_class = KeyTtlForm
    ttl_fields = ("unit", "amount", "at")

    def apply(self, client, key, data):
        def attempt(pipe):
            self.check_state(pipe, key, data)
            return lambda pipe: pipe.pexpire(key, data["ttl_ms"])

        guarded(client, [key], attempt, expected_type=data["expected_type"])
        return Outcome(f"TTL set to {data['ttl_ms']:,} ms")


class Persist(KeepsKeyState, Operation):
    name = "persist"
    label = "Remove TTL"
    form_class = KeyStateForm
    submit_label = "Remove TTL"

    def apply(self, client, key, data):
        def attempt(pipe):
            self.check_state(pipe, key, data)
            return lambda pipe: pipe.persist(key)

        guarded(client, [key], attempt, expected_type=data["expected_type"])
        return Outcome("TTL removed: the key no longer expires")


class NewNameForm(KeyStateForm):
    new_name = forms.CharField(strip=False, max_length=200_000, label="New name")
    name_format = forms.ChoiceField(choices=NAME_FORMATS, initial="text", required=False)
    overwrite = forms.BooleanField(required=False, label="Replace the key if it exists")
    # The fingerprint of the key being replaced, as shown when the replacing was confirmed.
    target_expected = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def clean(self):
        data = super().clean()
        clean_name(self, data, "new_name", "name_format")
        return data


class _ToNewName(KeepsKeyState, ReplacesTarget, Operation):
    """Rename and Copy: the same checks, a different command."""

    form_class = NewNameForm
    target_field = "new_name"
    same_name: ClassVar[str]
    done: ClassVar[str]

    def queue(self, pipe, key: bytes, target: bytes, overwrite: bool) -> None:
        raise NotImplementedError

    def check_source(self, pipe, key: bytes) -> None:
        """More checks of the source, under the same WATCH as the write (Copy: its size)."""

    def apply(self, client, key, data):
        target = data["new_name"]
        if target == key:
            raise Refused(self.same_name)
        require_one_slot(client, [key, target], field=self.target_field)

        def attempt(pipe):
            # Too large to copy now stands whatever the user saw: said before a conflict.
            self.check_source(pipe, key)
            self.check_state(pipe, key, data)
            self.check_target(pipe, data)
            return lambda pipe: self.queue(pipe, key, target, data["overwrite"])

        guarded(client, [key, target], attempt, expected_type=data["expected_type"])
        return Outcome(f"{self.done} {bytes_to_text(target)}", refresh="key", row_id=target)


class Rename(_ToNewName):
    name = "rename"
    label = "Rename"
    submit_label = "Rename"
    same_name = "the new name is the same as the old one"
    done = "renamed to"

    def queue(self, pipe, key, target, overwrite):
        pipe.rename(key, target)


class Copy(_ToNewName):
    name = "copy"
    label = "Copy"
    submit_label = "Copy"
    same_name = "a key cannot be copied onto itself"
    done = "copied to"

    def queue(self, pipe, key, target, overwrite):
        pipe.copy(key, target, replace=overwrite)

    def check_source(self, pipe, key):
        check_copy_size(pipe, key)


class DeleteForm(KeyForm):
    # The key's fingerprint as shown (see TypeUnit.fingerprint).
    expected = forms.CharField(widget=forms.HiddenInput, max_length=64)


class Delete(Operation):
    name = "delete"
    label = "Delete"
    form_class = DeleteForm
    destructive = True
    submit_label = "Delete the key"

    def initial(self, client, key, params):
        return {"expected": key_fingerprint(client, key)}

    def apply(self, client, key, data):
        def attempt(pipe):
            now = key_fingerprint(pipe, key)
            if now != data["expected"]:
                raise Conflict(
                    f"the key was changed meanwhile: it now holds {describe_key(pipe, key)}; "
                    "nothing was deleted. Delete again to delete it as it is now.",
                    expected=now,
                )
            command = delete_command()  # DEL where UNLINK is missing
            return lambda pipe: pipe.execute_command(command, key)

        guarded(client, [key], attempt, expected_type=data["expected_type"])
        return Outcome(f"deleted {bytes_to_text(key)[:200]}", refresh="list")


KEY_OPERATIONS = allow_list(SetTtl, Persist, Rename, Copy, Delete)


def key_toolbar(db: int, key: bytes, detail) -> list[ToolbarEntry]:
    """The key's own toolbar entries, after its type's: Remove TTL only when it has one."""
    has_ttl = detail.ttl_ms is not None and detail.ttl_ms >= 0
    shown = [op for op in KEY_OPERATIONS.values() if has_ttl or op.name != Persist.name]
    return [replace(entry, danger=op.destructive)
            for entry, op in zip(toolbar_entries(db, key, [], shown), shown, strict=True)]
