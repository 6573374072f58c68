"""Set edits: add members, remove one member, store a union/intersection/difference.

Removing is conditional on the member still being there; adding never creates a key that
was deleted meanwhile; every check and write runs under WATCH/MULTI (`guarded`).
"""

from __future__ import annotations

import contextlib

from django import forms
from django.conf import settings

from ...display import bytes_to_text
from ...editing import (
    NAME_FORMATS,
    Conflict,
    Operation,
    Outcome,
    Refused,
    TokenField,
    check_type,
    guarded,
    parse_name,
)
from ...errors import BadRequest
from ...keynames import decode_key
from .inputs import COMPARISON_WORDS, MembersInput, OthersInput, SetForm, shown

# SxxxSTORE runs inside Redis in one go; past this many members in the inputs it would hold up
# every other client for too long, so the dashboard refuses (settings may raise it).
STORE_COMMANDS = {"union": "SUNIONSTORE", "inter": "SINTERSTORE", "diff": "SDIFFSTORE"}


def _plural(count: int, word: str) -> str:
    return f"{count:,} {word}{'' if count == 1 else 's'}"


class AddMembersForm(SetForm, MembersInput):
    member_limit = 10_000

    def clean(self):
        data = super().clean()
        self.clean_members_input(data)
        return data


class AddMembers(Operation):
    name = "set-add"
    label = "Add members"
    form_class = AddMembersForm
    submit_label = "Add"

    def apply(self, client, key, data):
        members = data["members"]

        def attempt(pipe):
            # Type first: SADD on a key deleted meanwhile would quietly create a new one.
            check_type(pipe, key, data["expected_type"])
            return lambda pipe: pipe.sadd(key, *members)

        [added] = guarded(client, [key], attempt)
        message = f"added {_plural(added, 'new member')}"
        if added < len(members):
            message += f"; {len(members) - added:,} of those given were members already"
        return Outcome(message)


class RemoveMemberForm(SetForm):
    row = TokenField(label="Member")
    member = forms.CharField(label="Member", required=False, disabled=True)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        token = self.data.get("row") if self.is_bound else self.initial.get("row")
        with contextlib.suppress(ValueError):
            self.fields["member"].initial = bytes_to_text(decode_key(token or ""))[:500]


class RemoveMember(Operation):
    name = "set-remove"
    label = "Remove"
    form_class = RemoveMemberForm
    scope = "row"
    destructive = True
    submit_label = "Remove this member"

    def initial(self, client, key, params):
        try:
            decode_key(params.get("row", ""))
        except ValueError:
            raise BadRequest("not a row token") from None
        return {}

    def apply(self, client, key, data):
        member = data["row"]

        def attempt(pipe):
            # SISMEMBER and SCARD are O(1): the cost is the same for 10 or 10 million members.
            check_type(pipe, key, data["expected_type"])
            if not pipe.sismember(key, member):
                raise Conflict(
                    f"the member {shown(member)} was removed meanwhile; nothing was written",
                    removed=True,
                )
            if pipe.scard(key) == 1:
                raise Refused(
                    "this is the last member: removing it would delete the key; "
                    "delete the key instead"
                )
            return lambda pipe: pipe.srem(key, member)

        guarded(client, [key], attempt)
        return Outcome(f"removed member {shown(member)}", refresh="row", row_id=member)


class StoreForm(SetForm, OthersInput):
    destination = forms.CharField(strip=False, max_length=200_000, label="Store into the key")
    destination_format = forms.ChoiceField(
        choices=NAME_FORMATS, initial="text", required=False, label="Name is"
    )
    overwrite = forms.BooleanField(
        required=False,
        label="Replace the key if it exists",
        help_text="With this ticked, an empty result deletes the key that was there.",
    )

    def clean(self):
        data = super().clean()
        self.clean_others_input(data)
        if "destination" in data:
            try:
                data["destination"] = parse_name(
                    data["destination"], data.get("destination_format") or "text"
                )
            except forms.ValidationError as exc:
                self.add_error("destination", exc)
        return data


class StoreResult(Operation):
    name = "set-store"
    label = "Store comparison"
    form_class = StoreForm
    destructive = True
    submit_label = "Store the result"

    def apply(self, client, key, data):
        kind, others = data["operation"], data["others"]
        destination, overwrite = data["destination"], data["overwrite"]
        if destination == key:
            raise Refused("the result cannot be stored into this key itself; choose another name")
        limit = settings.DASHBOARD_SET_STORE_MAX_MEMBERS

        def attempt(pipe):
            check_type(pipe, key, data["expected_type"])
            total = pipe.scard(key)
            for other in others:
                other_type = pipe.type(other).decode()
                if other_type not in ("set", "none"):
                    raise Refused(
                        f"{shown(other)} is a {other_type}, not a set; only sets can be compared"
                    )
                total += pipe.scard(other) if other_type == "set" else 0
            if total > limit:
                raise Refused(
                    f"these sets hold {total:,} members together, more than the "
                    f"{limit:,} the dashboard will combine in one command"
                )
            if not overwrite and pipe.exists(destination):
                raise Conflict(
                    f"a key named {shown(destination, 200)} already exists; tick "
                    "“Replace the key if it exists” to overwrite it"
                )

            def writes(pipe):
                pipe.exists(destination)
                pipe.execute_command(STORE_COMMANDS[kind], destination, key, *others)

            return writes

        existed, stored = guarded(client, [key, *others, destination], attempt)
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
