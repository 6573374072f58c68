"""Consumer groups: create one (XGROUP CREATE), move its last delivered ID (XGROUP SETID),
delete a group or one of its consumers (XGROUP DESTROY, DELCONSUMER; confirmed, with what
they still hold pending).

Setting the ID and deleting are checked against the group as shown by one Lua script each
(`group_guard`): WATCH does not see another client's change to a group.
"""

from __future__ import annotations

from typing import ClassVar

from django import forms

from keyspace.redis.keynames import decode_key
from keyspace.services.editing.guard import (
    Conflict,
    Operation,
    Outcome,
    Refused,
    check_type,
    guarded,
    type_of,
)
from keyspace.services.editing.inputs import FieldRefused, KeyForm
from keyspace.units.stream.group_guard import describe_state, group_state, run_guard
from keyspace.units.stream.inputs import EntryIdField, NameField, short
from keyspace.units.stream.shown import check_shown, planned


class GroupForm(KeyForm):
    group = NameField(label="Group", what="group name")


class CreateGroupForm(GroupForm):
    start = EntryIdField(special=("$", "0"), initial="$", label="Deliver entries after",
                         help_text="$: only entries added from now on; 0: every entry; or an "
                                   "entry ID.")
    mkstream = forms.BooleanField(required=False, label="Create the stream if it is gone "
                                  "(MKSTREAM)")


class CreateGroup(Operation):
    name = "stream-group-create"
    label = "New group"
    form_class = CreateGroupForm
    submit_label = "Create group"
    may_create = True

    def apply(self, client, key, data):
        group, start, mkstream = data["group"], data["start"], data["mkstream"]

        def attempt(pipe):
            if not mkstream:
                check_type(pipe, key, "stream")
            elif type_of(pipe, key) not in ("stream", "none"):
                raise Conflict("the key is no longer a stream; nothing was written")
            return lambda pipe: pipe.xgroup_create(key, group, start, mkstream=mkstream)

        try:
            guarded(client, [key], attempt)
        except Refused as refused:
            if "BUSYGROUP" in refused.message:
                raise FieldRefused("group", "this stream already has a group of that name") \
                    from None
            raise
        return Outcome(f"created the group {short(group)!r}, delivering entries after {start}")


class GroupStateForm(GroupForm):
    # The group's state as shown (see group_state); filled in when the form is drawn. Edits
    # that delete carry the group named with it (see shown.planned).
    expected = forms.CharField(widget=forms.HiddenInput, required=False, max_length=120)


class GroupStateOperation(Operation):
    """An edit of an existing group, checked against its state as shown."""

    mode: ClassVar[str]

    def initial(self, client, key, params):
        group = _param_bytes(params, "group")
        consumer = _param_bytes(params, "consumer")
        found = {"group": group, "consumer": consumer}
        state = None if group is None else group_state(client, key, group, self.mode,
                                                       consumer or b"")
        if state is not None:
            data = {"group": group, "consumer": consumer}
            found |= {"expected": self.carried(data, state), "shown": self.warning(data, state)}
        return found

    def carried(self, data, state: str) -> str:
        """What `expected` holds for this state."""
        return state

    def state_now(self, client, key, data) -> str:
        state = group_state(client, key, data["group"], self.mode, data.get("consumer") or b"")
        if state is None:
            raise FieldRefused("group", "this stream has no such group (or the group no such "
                               "consumer)")
        return state

    def confirming(self, client, key, data):
        state = self.state_now(client, key, data)
        return {"expected": self.carried(data, state)}, self.warning(data, state)

    def warning(self, data, state: str) -> str:
        return ""


class DeletingForm(GroupStateForm):
    shown = forms.CharField(required=False, disabled=True, label="What this deletes",
                            widget=forms.Textarea(attrs={"rows": 3, "readonly": True}))


class ShownStateOperation(GroupStateOperation):
    """An edit whose form shows the group's state (opened from the group's row), or whose
    first submit does (opened with the name typed): `expected` carries that state with the
    names it was shown for, so another group's state, or one never shown, is asked about
    first (keyspace.units.stream.shown)."""

    def carried(self, data, state):
        return planned(_names(data), state)

    def expected_state(self, client, key, data) -> str:
        """The state the script must find: as shown, once shown for these names."""
        state = self.state_now(client, key, data)
        check_shown(data["expected"], _names(data), state,
                    shows=lambda: self.warning(data, state),
                    changed=lambda: "the group changed since it was shown (it is now "
                                    f"{describe_state(self.mode, state)}); nothing was done. "
                                    "Check and submit again.")
        return state


class DeletingOperation(ShownStateOperation):
    """Delete a group or a consumer: what goes with it is shown first."""

    destructive = True


def _names(data) -> str:
    return f"{data['group'].hex()}|{(data.get('consumer') or b'').hex()}"


def _param_bytes(params, name: str) -> bytes | None:
    try:
        return decode_key(params.get(name, "")) if params.get(name) else None
    except ValueError:
        return None


class SetGroupIdForm(GroupStateForm):
    shown = forms.CharField(required=False, disabled=True, label="Where it is now")
    last_id = EntryIdField(special=("$", "0"), label="Last delivered ID",
                           help_text="Entries after it are delivered next ($: the newest "
                                     "entry, skipping all; 0: from the start, again).")


class SetGroupId(ShownStateOperation):
    name = "stream-group-setid"
    label = "Set group's last ID"
    form_class = SetGroupIdForm
    submit_label = "Set"
    mode = "setid"

    def warning(self, data, state):
        return f"the group {short(data['group'])!r} last delivered {state}"

    def apply(self, client, key, data):
        # Opened with the group's name typed, sent without the group's state, or with
        # another group's: the first submit says where the group is, and only a submit
        # carrying that moves it (a consumer's reads meanwhile are not overwritten).
        state = self.expected_state(client, key, data)
        run_guard(client, key, data["group"], "setid", state, new_id=data["last_id"])
        return Outcome(f"the group {short(data['group'])!r} now delivers entries after "
                       f"{data['last_id']} (it was at {state})")


class DestroyGroup(DeletingOperation):
    name = "stream-group-destroy"
    label = "Delete group"
    form_class = DeletingForm
    submit_label = "Delete group"
    mode = "destroy"

    def warning(self, data, state):
        pending, _, last = state.partition("|")
        return (f"the group {short(data['group'])!r} has {int(pending):,} pending "
                f"entr{'y' if pending == '1' else 'ies'} (delivered, not acknowledged) and "
                f"last delivered {last}: deleting it forgets all of that. The entries stay "
                "in the stream.")

    def apply(self, client, key, data):
        run_guard(client, key, data["group"], "destroy",
                  self.expected_state(client, key, data))
        return Outcome(f"deleted the group {short(data['group'])!r}")


class DeleteConsumerForm(DeletingForm):
    consumer = NameField(label="Consumer", what="consumer name")
    field_order = ["group", "consumer", "shown"]


class DeleteConsumer(DeletingOperation):
    name = "stream-consumer-delete"
    label = "Delete consumer"
    form_class = DeleteConsumerForm
    submit_label = "Delete consumer"
    mode = "delconsumer"

    def warning(self, data, state):
        return (f"the consumer {short(data['consumer'])!r} holds {int(state):,} pending "
                f"entr{'y' if state == '1' else 'ies'}: deleting it drops them from the "
                "group's pending list, as if acknowledged (claim them first to keep them).")

    def apply(self, client, key, data):
        [dropped] = run_guard(client, key, data["group"], "delconsumer",
                              self.expected_state(client, key, data), consumer=data["consumer"])
        return Outcome(f"deleted the consumer {short(data['consumer'])!r} of the group "
                       f"{short(data['group'])!r}; {dropped:,} pending entries went with it")
