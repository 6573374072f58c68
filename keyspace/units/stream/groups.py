"""Consumer groups: create one (XGROUP CREATE), move its last delivered ID (XGROUP SETID),
delete a group or one of its consumers (XGROUP DESTROY, DELCONSUMER; confirmed, with what
they still hold pending).

XGROUP SETID, DESTROY and DELCONSUMER, like acknowledging, do not mark the stream key as
modified, so WATCH would not see another client's change to a group. Each is one Lua script
(GROUP_GUARD) that reads the group's state as the form showed it (XINFO GROUPS or XINFO
CONSUMERS: one reply per group or consumer, bounded as the key page reads them) and writes
only if it is unchanged.
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
from keyspace.units.stream.inputs import EntryIdField, NameField, short

GROUP_GUARD = """
local key, group, mode = KEYS[1], ARGV[1], ARGV[2]
local function field(row, name)
  for i = 1, #row, 2 do if row[i] == name then return row[i + 1] end end
end
local state
if mode == 'delconsumer' then
  for _, row in ipairs(redis.call('XINFO', 'CONSUMERS', key, group)) do
    if field(row, 'name') == ARGV[3] then state = tostring(field(row, 'pending')) end
  end
else
  for _, row in ipairs(redis.call('XINFO', 'GROUPS', key)) do
    if field(row, 'name') == group then
      state = tostring(field(row, 'pending')) .. '|' .. field(row, 'last-delivered-id')
      if mode == 'setid' then state = field(row, 'last-delivered-id') end
    end
  end
end
if state == nil then return {'gone'} end
if state ~= ARGV[4] then return {'changed', state} end
if mode == 'destroy' then return {'done', redis.call('XGROUP', 'DESTROY', key, group)} end
if mode == 'delconsumer' then
  return {'done', redis.call('XGROUP', 'DELCONSUMER', key, group, ARGV[3])}
end
redis.call('XGROUP', 'SETID', key, group, ARGV[5])
return {'done', 1}
"""


# Groups of a stream, consumers of a group: XINFO GROUPS and XINFO CONSUMERS have no COUNT,
# so they are read (here and by GROUP_GUARD) only when Redis reports at most this many.
LISTING_LIMIT = 1000


def find_group(reader, key: bytes, group: bytes) -> dict | None:
    """The group's XINFO GROUPS row (None if there is none), read only for a stream of at
    most LISTING_LIMIT groups (XINFO STREAM says how many first)."""
    count = reader.xinfo_stream(key)["groups"]
    if count > LISTING_LIMIT:
        raise Refused(f"this stream has {count:,} consumer groups, more than the "
                      f"{LISTING_LIMIT:,} the dashboard lists in one reply; nothing was done")
    return next((row for row in reader.xinfo_groups(key) if row["name"] == group), None)


def group_state(client, key: bytes, group: bytes, mode: str, consumer: bytes = b"") -> str:
    """The state GROUP_GUARD compares, read the same way (None: no such group or consumer)."""
    found = find_group(client, key, group)
    if found is None:
        return None
    if mode == "delconsumer":
        if found["consumers"] > LISTING_LIMIT:
            raise Refused(f"this group has {found['consumers']:,} consumers, more than the "
                          f"{LISTING_LIMIT:,} the dashboard lists in one reply; nothing was done")
        rows = [row for row in client.xinfo_consumers(key, group) if row["name"] == consumer]
        return str(rows[0]["pending"]) if rows else None
    last = found["last-delivered-id"]
    last = last.decode() if isinstance(last, bytes) else last
    return last if mode == "setid" else f"{found['pending']}|{last}"


def run_guard(client, key: bytes, group: bytes, mode: str, expected: str, *,
              consumer: bytes = b"", new_id: str = "") -> list:
    def attempt(pipe):
        # The listings the script reads stay bounded: refused here, before it runs.
        group_state(pipe, key, group, mode, consumer)
        return lambda pipe: pipe.eval(GROUP_GUARD, 1, key, group, mode, consumer, expected,
                                      new_id)

    [reply] = guarded(client, [key], attempt, expected_type="stream")
    status = reply[0].decode()
    if status == "gone":
        what = "consumer" if mode == "delconsumer" else "group"
        raise Refused(f"there is no such {what} any more (deleted meanwhile?); nothing was done")
    if status == "changed":
        now = reply[1].decode()
        raise Conflict(f"the group changed since it was shown (it is now "
                       f"{describe_state(mode, now)}); nothing was done. Check and submit "
                       "again.", expected=now)
    return reply[1:]


def describe_state(mode: str, state: str) -> str:
    if mode == "delconsumer":
        return f"{int(state):,} pending"
    if mode == "setid":
        return f"last delivered {state}"
    pending, _, last = state.partition("|")
    return f"{int(pending):,} pending, last delivered {last}"


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
    # The group's state as shown (see group_state); filled in when the form is drawn.
    expected = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)


class GroupStateOperation(Operation):
    """An edit of an existing group, checked against its state as shown."""

    mode: ClassVar[str]

    def initial(self, client, key, params):
        group = _param_bytes(params, "group")
        consumer = _param_bytes(params, "consumer")
        found = {"group": group, "consumer": consumer}
        if group is not None:
            found["expected"] = group_state(client, key, group, self.mode, consumer or b"")
        return found

    def state_now(self, client, key, data) -> str:
        state = group_state(client, key, data["group"], self.mode, data.get("consumer") or b"")
        if state is None:
            raise FieldRefused("group", "this stream has no such group (or the group no such "
                               "consumer)")
        return state

    def confirmation_subject(self, data):
        return f"{data['group'].hex()}|{(data.get('consumer') or b'').hex()}|{data['expected']}"

    def confirming(self, client, key, data):
        state = self.state_now(client, key, data)
        return {"expected": state}, self.warning(data, state)

    def warning(self, data, state: str) -> str:
        return ""


def _param_bytes(params, name: str) -> bytes | None:
    try:
        return decode_key(params.get(name, "")) if params.get(name) else None
    except ValueError:
        return None


class SetGroupIdForm(GroupStateForm):
    last_id = EntryIdField(special=("$", "0"), label="Last delivered ID",
                           help_text="Entries after it are delivered next ($: the newest "
                                     "entry, skipping all; 0: from the start, again).")


class SetGroupId(GroupStateOperation):
    name = "stream-group-setid"
    label = "Set group's last ID"
    form_class = SetGroupIdForm
    submit_label = "Set"
    mode = "setid"

    def apply(self, client, key, data):
        expected = data["expected"] or self.state_now(client, key, data)
        run_guard(client, key, data["group"], "setid", expected, new_id=data["last_id"])
        return Outcome(f"the group {short(data['group'])!r} now delivers entries after "
                       f"{data['last_id']} (it was at {expected})")


class DestroyGroup(GroupStateOperation):
    name = "stream-group-destroy"
    label = "Delete group"
    form_class = GroupStateForm
    submit_label = "Delete group"
    destructive = True
    mode = "destroy"

    def warning(self, data, state):
        pending, _, last = state.partition("|")
        return (f"the group {short(data['group'])!r} has {int(pending):,} pending "
                f"entr{'y' if pending == '1' else 'ies'} (delivered, not acknowledged) and "
                f"last delivered {last}: deleting it forgets all of that. The entries stay "
                "in the stream.")

    def apply(self, client, key, data):
        run_guard(client, key, data["group"], "destroy", data["expected"])
        return Outcome(f"deleted the group {short(data['group'])!r}")


class DeleteConsumerForm(GroupStateForm):
    consumer = NameField(label="Consumer", what="consumer name")


class DeleteConsumer(GroupStateOperation):
    name = "stream-consumer-delete"
    label = "Delete consumer"
    form_class = DeleteConsumerForm
    submit_label = "Delete consumer"
    destructive = True
    mode = "delconsumer"

    def warning(self, data, state):
        return (f"the consumer {short(data['consumer'])!r} holds {int(state):,} pending "
                f"entr{'y' if state == '1' else 'ies'}: deleting it drops them from the "
                "group's pending list, as if acknowledged (claim them first to keep them).")

    def apply(self, client, key, data):
        [dropped] = run_guard(client, key, data["group"], "delconsumer", data["expected"],
                              consumer=data["consumer"])
        return Outcome(f"deleted the consumer {short(data['consumer'])!r} of the group "
                       f"{short(data['group'])!r}; {dropped:,} pending entries went with it")
