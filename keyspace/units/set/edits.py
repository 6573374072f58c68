"""Set edits: add members, remove one member, store a union/intersection/difference.

Removing is conditional on the member still being there; adding never creates a key that
was deleted meanwhile; every check and write runs under WATCH/MULTI (`guarded`).
"""

from __future__ import annotations

from django import forms

from keyspace.conf import app_settings
from keyspace.display import bytes_to_text
from keyspace.services.editing.cross_slot import require_one_slot
from keyspace.services.editing.guard import (
    Conflict,
    Operation,
    Outcome,
    Refused,
    guarded,
    refuse_emptying,
)
from keyspace.services.editing.inputs import (
    NAME_FORMATS,
    KeyForm,
    TokenField,
    clean_name,
    row_bytes,
)
from keyspace.services.editing.targets import ReplacesTarget
from keyspace.units.base import decode_row_token
from keyspace.units.set.inputs import COMPARISON_WORDS, MembersInput, OthersInput, shown

# SxxxSTORE runs inside Redis in one go; past this many members in the inputs it would hold up
# every other client for too long, so the dashboard refuses (settings may raise it).
STORE_COMMANDS = {"union": "SUNIONSTORE", "inter": "SINTERSTORE", "diff": "SDIFFSTORE"}


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


class AddMembersForm(KeyForm, MembersInput):
    member_limit = 10_000


class AddMembers(Operation):
    name = "set-add"
    label = "Add members"
    form_class = AddMembersForm
    submit_label = "Add"

    def apply(self, client, key, data):
        members = data["members"]

        def attempt(pipe):
            return lambda pipe: pipe.sadd(key, *members)

        # Type first: SADD on a key deleted meanwhile would quietly create a new one.
        [added] = guarded(client, [key], attempt, expected_type=data["expected_type"])
        message = f"added {_plural(added, 'new member')}"
        if added < len(members):
            message += f"; {len(members) - added:,} of those given were members already"
        return Outcome(message)


class RemoveMemberForm(KeyForm):
    row = TokenField(label="Member")
    member = forms.CharField(label="Member", required=False, disabled=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        member = row_bytes(self)
        if member is not None:
            self.fields["member"].initial = bytes_to_text(member)[:500]


class RemoveMember(Operation):
    name = "set-remove"
    label = "Remove"
    form_class = RemoveMemberForm
    scope = "row"
    destructive = True
    submit_label = "Remove this member"

    def initial(self, client, key, params):
        decode_row_token(params.get("row", ""))  # a damaged link is a 400, not an empty form
        return {}

    def apply(self, client, key, data):
        member = data["row"]

        def attempt(pipe):
            # SISMEMBER and SCARD are O(1): the cost is the same for 10 or 10 million members.
            if not pipe.sismember(key, member):
                raise Conflict(
                    f"the member {shown(member)} was removed meanwhile; nothing was written",
                    removed=True,
                )
            refuse_emptying(pipe.scard(key), "last member", "removing")
            return lambda pipe: pipe.srem(key, member)

        guarded(client, [key], attempt, expected_type=data["expected_type"])
        return Outcome(f"removed member {shown(member)}", refresh="row", row_id=member)


class StoreForm(KeyForm, OthersInput):
    destination = forms.CharField(strip=False, max_length=200_000, label="Store into the key")
    destination_format = forms.ChoiceField(
        choices=NAME_FORMATS, initial="text", required=False, label="Name is"
    )
    overwrite = forms.BooleanField(
        required=False,
        label="Replace the key if it exists",
        help_text="With this ticked, an empty result deletes the key that was there.",
    )
    target_expected = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def clean(self):
        data = super().clean()
        clean_name(self, data, "destination", "destination_format")
        return data


def check_store_size(pipe, key: bytes, others: list[bytes]) -> None:
    """Refuse unless every other key is a set (or missing) and all of them hold few enough
    members together for one SxxxSTORE."""
    limit = app_settings.SET_STORE_MAX_MEMBERS
    total = pipe.scard(key)
    for other in others:
        other_type = pipe.type(other).decode()
        if other_type not in ("set", "none"):
            raise Refused(f"{shown(other)} is a {other_type}, not a set; only sets can be compared")
        total += pipe.scard(other) if other_type == "set" else 0
    if total > limit:
        raise Refused(
            f"these sets hold {total:,} members together, more than the "
            f"{limit:,} the dashboard will combine in one command"
        )


class StoreResult(ReplacesTarget, Operation):
    name = "set-store"
    label = "Store comparison"
    form_class = StoreForm
    submit_label = "Store the result"
    target_field = "destination"

    def apply(self, client, key, data):
        kind, others = data["operation"], data["others"]
        destination = data["destination"]
        if destination == key:
            raise Refused("the result cannot be stored into this key itself; choose another name")
        require_one_slot(client, [key, *others], field="others")
        require_one_slot(client, [key, destination], field="destination")

        def attempt(pipe):
            check_store_size(pipe, key, others)
            self.check_target(pipe, data)

            def writes(pipe):
                pipe.exists(destination)
                pipe.execute_command(STORE_COMMANDS[kind], destination, key, *others)

            return writes

        existed, stored = guarded(client, [key, *others, destination], attempt,
                                  writes=[destination], expected_type=data["expected_type"])
        word = COMPARISON_WORDS[kind]
        if stored:
            replaced = " (replacing the key that was there)" if existed else ""
            return Outcome(
                f"stored the {word}, {_plural(stored, 'member')}, in "
                f"{shown(destination, 200)}{replaced}",
                refresh="key",
                row_id=destination,
            )
        if existed:
            return Outcome(f"the {word} is empty, so Redis deleted {shown(destination, 200)}")
        return Outcome(f"the {word} is empty: nothing was stored")
