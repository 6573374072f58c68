"""List edits by index or by value: set one element (LINDEX/LSET), insert next to one (LINSERT),
remove occurrences (LREM). Pushing and popping are in `ends`, trimming in `trim`.

Each touches one element or one end, so it costs the same on a list of a million elements as
on a short one. An edit that replaces or removes something goes through only if Redis still
holds what the user saw: the element's digest at that index or end, or the list's length for
a trim.
"""

from __future__ import annotations

from django import forms

from ...edit_inputs import BytesValueField, KeyForm, encode_for_form, encoding_field
from ...editing import Operation, Outcome, Refused, check_type, check_value, digest, guarded
from .inputs import IndexField, out_of_range, parse_index_token, parse_whole_number, short


def check_list(pipe, key: bytes) -> None:
    """The key is still a list (every edit here is one): KeyGone or Conflict otherwise."""
    check_type(pipe, key, "list")


class SetElementForm(KeyForm):
    byte_fields = ("value",)
    row = IndexField(
        widget=forms.HiddenInput,
        label="Index",
        error_messages={"required": "which element? the form has no index"},
    )
    expected = forms.CharField(widget=forms.HiddenInput, max_length=64)
    value = BytesValueField(label="Element")
    value_encoding = encoding_field()


class SetElement(Operation):
    name = "list-set"
    label = "Edit"
    form_class = SetElementForm
    scope = "row"

    def initial(self, client, key, params):
        index = parse_index_token(params.get("row", ""))
        with client.pipeline(transaction=False) as pipe:
            pipe.lindex(key, index)
            pipe.llen(key)
            current, length = pipe.execute()
        if current is None:
            raise Refused(out_of_range(index, length))
        text, encoding = encode_for_form(current)
        return {"value": text, "value_encoding": encoding, "expected": digest(current)}

    def apply(self, client, key, data):
        index = data["row"]

        def attempt(pipe):
            check_list(pipe, key)
            current = pipe.lindex(key, index)
            if current is None:
                raise Refused(f"{out_of_range(index, pipe.llen(key))}; nothing was written")
            check_value(current, data["expected"], f"element at index {index:,}")
            return lambda pipe: pipe.lset(key, index, data["value"])

        guarded(client, [key], attempt)
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
            check_list(pipe, key)
            return lambda pipe: pipe.linsert(key, where, pivot, element)

        [length] = guarded(client, [key], attempt)
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
            check_list(pipe, key)

            def writes(pipe):
                pipe.lrem(key, count, value)
                pipe.exists(key)

            return writes

        removed, exists = guarded(client, [key], attempt)
        if not removed:
            return Outcome(f"no element equals {short(value)}; nothing was removed")
        plural = "s" if removed != 1 else ""
        message = f"removed {removed:,} element{plural} equal to {short(value)}"
        if not exists:
            return Outcome(
                f"{message}: that was every element, so the list is empty and "
                "Redis deleted the key",
                refresh="list",
            )
        return Outcome(message)
