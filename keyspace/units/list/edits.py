"""List edits by index or by value: set one element (LINDEX/LSET), insert next to one (LINSERT),
remove occurrences (LREM). Pushing and popping are in `ends`, trimming in `trim`.

Setting an element costs the same on a list of a million elements as on a short one. An edit
that replaces something goes through only if Redis still holds what the user saw, and at the
same place: an index names a position, and lists shift (a push at the head moves every
element), so the form carries the element's digest and a fingerprint of its position (the
list's length and the elements on either side).
"""

from __future__ import annotations

import hashlib

from django import forms

from keyspace.services.editing.guard import (
    Conflict,
    Operation,
    Outcome,
    Refused,
    digest,
    guarded,
)
from keyspace.services.editing.inputs import (
    BytesValueField,
    KeyForm,
    encode_for_form,
    encoding_field,
)
from keyspace.services.editing.size_guard import check_linear_write
from keyspace.units.list.inputs import (
    IndexField,
    out_of_range,
    parse_index_token,
    parse_whole_number,
    short,
)


def read_position(reader, key: bytes, index: int) -> tuple[bytes | None, int, str]:
    """The element at `index` (from the head, or from the tail when negative: -1 is the last),
    the list's length, and the fingerprint the form carries: the element's digest, then a
    digest of the length and both neighbours."""
    current, length = reader.lindex(key, index), reader.llen(key)
    has_before = current is not None and index != 0
    has_after = current is not None and index != -1
    before = reader.lindex(key, index - 1) if has_before else None
    after = reader.lindex(key, index + 1) if has_after else None
    place = hashlib.sha256(f"{length}|{digest(before)}|{digest(after)}".encode()).hexdigest()
    return current, length, f"{digest(current)}:{place[:16]}"


def check_position(current: bytes, length: int, now: str, expected: str, what: str) -> None:
    """Refuse unless the element and its place (see read_position) are as the form saw them;
    the conflict carries the fingerprint of what is there now."""
    if digest(current) != expected.partition(":")[0]:
        raise Conflict(f"the {what} was changed meanwhile; nothing was written",
                       current=current, expected=now)
    if now != expected:
        raise Conflict(
            f"the list changed around the {what} (it has {length:,} elements now, or its "
            "neighbour differs): the element there may not be the one you saw; nothing was "
            "written",
            current=current,
            expected=now,
        )


class SetElementForm(KeyForm):
    byte_fields = ("value",)
    row = IndexField(
        widget=forms.HiddenInput,
        label="Index",
        error_messages={"required": "which element? the form has no index"},
    )
    expected = forms.CharField(widget=forms.HiddenInput, max_length=80)
    value = BytesValueField(label="Element")
    value_encoding = encoding_field()


class SetElement(Operation):
    name = "list-set"
    label = "Edit"
    form_class = SetElementForm
    scope = "row"

    def initial(self, client, key, params):
        index = parse_index_token(params.get("row", ""))
        current, length, expected = read_position(client, key, index)
        if current is None:
            raise Refused(out_of_range(index, length))
        text, encoding = encode_for_form(current)
        return {"value": text, "value_encoding": encoding, "expected": expected}

    def apply(self, client, key, data):
        index = data["row"]

        def attempt(pipe):
            current, length, now = read_position(pipe, key, index)
            if current is None:
                raise Refused(f"{out_of_range(index, length)}; nothing was written")
            check_position(current, length, now, data["expected"], f"element at index {index:,}")
            return lambda pipe: pipe.lset(key, index, data["value"])

        guarded(client, [key], attempt, expected_type="list")
        return Outcome(f"saved the element at index {index:,}", refresh="row", row_id=index)


class InsertForm(KeyForm):
    byte_fields = ("pivot", "element")
    nonempty = {
        "pivot": "give the element to insert next to",
        "element": "give the element to insert",
    }
    where = forms.ChoiceField(
        choices=(("before", "Before"), ("after", "After")), initial="before", label="Insert"
    )
    pivot = BytesValueField(
        label="The first element equal to",
        widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
    )
    pivot_encoding = encoding_field()
    element = BytesValueField(label="New element")
    element_encoding = encoding_field()


class Insert(Operation):
    name = "list-insert"
    label = "Insert"
    form_class = InsertForm
    submit_label = "Insert"

    def apply(self, client, key, data):
        where, pivot, element = data["where"], data["pivot"], data["element"]

        def attempt(pipe):
            check_linear_write(pipe, key, "LINSERT", field="pivot")
            return lambda pipe: pipe.linsert(key, where, pivot, element)

        [length] = guarded(client, [key], attempt, expected_type="list")
        if length == -1:
            raise Refused(f"no element equals {short(pivot)}; nothing was inserted")
        if length == 0:
            raise Refused("the list no longer exists; nothing was inserted")
        return Outcome(
            f"inserted {short(element)} {where} {short(pivot)}; the list has {length:,} elements"
        )


COUNT_HELP = (
    "0 removes every one; 2 removes the first two from the head; -2 the last two, from the tail"
)


class RemoveForm(KeyForm):
    byte_fields = ("value",)
    nonempty = {"value": "give the element to remove"}
    value = BytesValueField(label="Remove elements equal to")
    value_encoding = encoding_field()
    count = forms.CharField(initial="0", max_length=40, label="How many", help_text=COUNT_HELP)

    def clean_count(self):
        return parse_whole_number(self.cleaned_data["count"])


class Remove(Operation):
    name = "list-remove"
    label = "Remove by value"
    form_class = RemoveForm
    destructive = True
    submit_label = "Remove"

    def apply(self, client, key, data):
        value, count = data["value"], data["count"]

        def attempt(pipe):
            check_linear_write(pipe, key, "LREM", field="value")  # before LPOS, as linear
            refuse_removing_all(pipe, key, value, count)
            return lambda pipe: pipe.lrem(key, count, value)

        [removed] = guarded(client, [key], attempt, expected_type="list")
        if not removed:
            return Outcome(f"no element equals {short(value)}; nothing was removed")
        plural = "s" if removed != 1 else ""
        return Outcome(f"removed {removed:,} element{plural} equal to {short(value)}")


def refuse_removing_all(pipe, key: bytes, value: bytes, count: int) -> None:
    """Refuse an LREM that would take every element (Redis would delete the key). It can only
    do so when it may remove as many as the list holds, and every element equals the value:
    then LPOS finds a match at rank `length` (one integer back, whatever the list's size)."""
    length = pipe.llen(key)
    if count and abs(count) < length:
        return
    if pipe.execute_command("LPOS", key, value, "RANK", length) is not None:
        raise Refused(
            f"every element of the list equals {short(value)}: removing them would delete "
            "the key; delete the key instead"
        )
