"""Lists: index ranges read from the head or from the tail, never the whole list.

Edits touch one element (LINDEX/LSET) or one end (LPUSH/RPUSH, LPOP/RPOP), so they cost the
same on a list of a million elements as on a short one. An edit that replaces or removes
something goes through only if Redis still holds what the user saw: the element's digest at
that index or end, or the list's length for a trim.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from django import forms
from django.conf import settings

from ..display import bytes_to_text
from ..editing import (
    BytesValueField,
    Conflict,
    EditForm,
    Operation,
    Outcome,
    Refused,
    allow_list,
    check_size,
    check_type,
    check_value,
    decode_input,
    digest,
    encode_for_form,
    encoding_field,
    guarded,
    parse_number,
    preview,
)
from ..errors import BadRequest
from .base import Element, PageRequest, TypeUnit, ValuePage, parse_offset, registry

MAX_INDEX_DIGITS = 18
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


@dataclass(frozen=True)
class ListRow:
    index: int
    from_tail: int
    value: Element

    @property
    def token(self) -> str:
        # Always the index from the head, whichever end the page is read from.
        return str(self.index)


def short(value: bytes, limit: int = 100) -> str:
    text = bytes_to_text(value[: limit * 4])
    return text if len(text) <= limit else text[:limit] + "…"


def out_of_range(index: int, length: int) -> str:
    span = "only index 0" if length == 1 else f"indices 0 to {length - 1:,}"
    return (
        f"there is no element at index {index:,}: the list has {length:,} "
        f"element{'s' if length != 1 else ''} ({span})"
    )


def parse_whole_number(text: str) -> int:
    """A whole number in ASCII digits (no `1_000`, no other scripts' digits)."""
    text = text.strip()
    if not WHOLE_NUMBER.fullmatch(text):
        raise forms.ValidationError(f"{text[:40]!r} is not a whole number")
    if len(text.lstrip("+-").lstrip("0")) > 19:
        raise forms.ValidationError("out of range for a 64-bit integer")
    return parse_number(text, integer=True)


def check_list(pipe, key: bytes) -> None:
    """The key is still a list (every edit here is one): KeyGone or Conflict otherwise."""
    check_type(pipe, key, "list")


class IndexField(forms.CharField):
    """A list index; from 0 at the head unless `allow_negative` (-1 is the last element)."""

    def __init__(self, *args, allow_negative: bool = False, **kwargs):
        self.allow_negative = allow_negative
        super().__init__(*args, **kwargs)

    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        number = parse_whole_number(text)
        if number < 0 and not self.allow_negative:
            raise forms.ValidationError(
                f"{number} is not an index here: indices count from 0 at the head"
            )
        return number


class ListForm(EditForm):
    expected_type = forms.CharField(widget=forms.HiddenInput, required=False)

    # Byte fields that must not be empty, with the message to give when they are.
    nonempty: ClassVar[dict[str, str]] = {}

    def clean(self):
        data = super().clean()
        for name, message in self.nonempty.items():
            if data.get(name) == b"":
                self.add_error(name, message)
        return data


# --- one element, in its row ------------------------------------------------------------------


class SetElementForm(ListForm):
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
        index = ListUnit().parse_row_token(params.get("row", ""))
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


# --- the ends ---------------------------------------------------------------------------------

ENDS = (("tail", "The tail (the end, RPUSH)"), ("head", "The head (the start, LPUSH)"))
PUSH_MODES = (("one", "The text is one element"), ("lines", "One element per line"))


class PushForm(ListForm):
    end = forms.ChoiceField(choices=ENDS, initial="tail", label="Push to")
    mode = forms.ChoiceField(choices=PUSH_MODES, initial="one", label="Elements")
    elements = forms.CharField(
        strip=False,
        label="Element(s)",
        help_text="With one element per line, blank lines are skipped and the elements keep "
        "the order written, at either end.",
        widget=forms.Textarea(attrs={"rows": 4, "spellcheck": "false"}),
        error_messages={"required": "nothing to push: give at least one element"},
    )
    elements_encoding = encoding_field()

    def clean(self):
        data = super().clean()
        text = data.get("elements")
        if text is None:
            return data
        encoding = data.get("elements_encoding") or "text"
        if data.get("mode") == "lines":
            pieces = [
                (number, line)
                for number, line in enumerate(text.splitlines(), start=1)
                if line.strip()
            ]
        else:
            pieces = [(None, text)]
        elements = []
        try:
            for number, piece in pieces:
                try:
                    elements.append(check_size(decode_input(piece, encoding)))
                except forms.ValidationError as exc:
                    if number is None:
                        raise
                    raise forms.ValidationError(f"line {number}: {exc.messages[0]}") from None
            if not elements or not all(elements):
                raise forms.ValidationError("nothing to push: give at least one element")
            _check_total(sum(len(element) for element in elements))
        except forms.ValidationError as exc:
            self.add_error("elements", exc)
            return data
        data["elements"] = elements
        return data


def _check_total(total: int) -> None:
    limit = settings.DASHBOARD_MAX_VALUE_BYTES
    if total > limit:
        raise forms.ValidationError(f"{total:,} bytes in all is over the {limit:,}-byte limit")


class Push(Operation):
    name = "list-push"
    label = "Push"
    form_class = PushForm
    submit_label = "Push"

    def apply(self, client, key, data):
        elements, end = data["elements"], data["end"]

        def attempt(pipe):
            # The key must still be this list: a push never creates a list that was deleted.
            check_list(pipe, key)
            if end == "head":
                # LPUSH puts each element in front of the one before: reverse them, so they
                # read in the order written.
                return lambda pipe: pipe.lpushx(key, *reversed(elements))
            return lambda pipe: pipe.rpushx(key, *elements)

        [length] = guarded(client, [key], attempt)
        if not length:
            raise Refused("the list no longer exists; nothing was pushed")
        what = f"{len(elements):,} elements" if len(elements) > 1 else short(elements[0])
        return Outcome(f"pushed {what} to the {end}; the list has {length:,} elements")


class PopForm(ListForm):
    expected = forms.CharField(widget=forms.HiddenInput, max_length=64)
    element = forms.CharField(
        required=False,
        disabled=True,
        label="The element that will be popped",
        widget=forms.Textarea(attrs={"rows": 3, "readonly": True, "spellcheck": "false"}),
    )


class Pop(Operation):
    form_class = PopForm
    destructive = True
    end: ClassVar[str]
    position: ClassVar[int]

    def initial(self, client, key, params):
        current = client.lindex(key, self.position)
        return {"expected": digest(current), "element": "" if current is None else preview(current)}

    def apply(self, client, key, data):
        def attempt(pipe):
            check_list(pipe, key)
            check_value(
                pipe.lindex(key, self.position), data["expected"], f"element at the {self.end}"
            )
            if pipe.llen(key) == 1:
                raise Refused(
                    "this is the only element: popping it would delete the key; "
                    "delete the key instead"
                )
            if self.end == "head":
                return lambda pipe: pipe.lpop(key)
            return lambda pipe: pipe.rpop(key)

        [popped] = guarded(client, [key], attempt)
        return Outcome(f"popped {short(popped)} from the {self.end}")


class PopHead(Pop):
    name = "list-pop-head"
    label = "Pop head"
    submit_label = "Pop this element"
    end = "head"
    position = 0


class PopTail(Pop):
    name = "list-pop-tail"
    label = "Pop tail"
    submit_label = "Pop this element"
    end = "tail"
    position = -1


# --- by value ---------------------------------------------------------------------------------


class InsertForm(ListForm):
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


class RemoveForm(ListForm):
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


# --- a range ----------------------------------------------------------------------------------

TRIM_EXPECTED = re.compile(r"(?P<length>[0-9]{1,19})(?::(?P<plan>-?[0-9]{1,19}:-?[0-9]{1,19}))?")


class NeedsConfirmation(Refused):
    """Nothing was written yet: the form comes back once with what the edit will do."""

    status = 200
    title = "Please confirm"

    def __init__(self, message: str, token: str):
        super().__init__(message)
        self.current = None
        self.current_expected = token  # the form carries it: the next submit is the confirmation


class TrimForm(ListForm):
    start = IndexField(
        allow_negative=True,
        initial="0",
        label="Keep from index",
        error_messages={"required": "give the first index to keep"},
    )
    stop = IndexField(
        allow_negative=True,
        initial="-1",
        label="to index (inclusive; -1 is the last element)",
        error_messages={"required": "give the last index to keep"},
    )
    # The length as the user saw it; once the result was shown, "length:start:stop".
    expected = forms.CharField(widget=forms.HiddenInput, max_length=64)

    def clean_expected(self):
        match = TRIM_EXPECTED.fullmatch(self.cleaned_data["expected"])
        if not match:
            raise forms.ValidationError("the form is damaged; open it again")
        return int(match["length"]), match["plan"]


def trim_window(length: int, start: int, stop: int) -> tuple[int, int]:
    """The indices LTRIM keeps, as Redis computes them; (0, -1) when it keeps nothing."""
    if start < 0:
        start += length
    if stop < 0:
        stop += length
    start = max(start, 0)
    if start > stop or start >= length:
        return 0, -1
    return start, min(stop, length - 1)


class Trim(Operation):
    name = "list-trim"
    label = "Trim"
    form_class = TrimForm
    destructive = True
    submit_label = "Trim"

    def initial(self, client, key, params):
        return {"expected": str(client.llen(key))}

    def apply(self, client, key, data):
        start, stop = data["start"], data["stop"]
        seen, plan = data["expected"]

        def attempt(pipe):
            check_list(pipe, key)
            length = pipe.llen(key)
            if length != seen:
                conflict = Conflict(
                    f"the list has {length:,} elements now, not the {seen:,} it had when this "
                    "form was drawn; nothing was trimmed. Check the range and trim again."
                )
                conflict.current_expected = str(length)
                raise conflict
            first, last = trim_window(length, start, stop)
            kept = last - first + 1
            if kept == 0:
                raise Refused(
                    f"that range keeps none of the {length:,} elements: trimming would "
                    "delete the key; delete the key instead"
                )
            if kept == length:
                raise Refused(f"that range keeps all {length:,} elements: nothing to trim")
            if plan != f"{start}:{stop}":
                removed = length - kept
                raise NeedsConfirmation(
                    f"this keeps indices {first:,} to {last:,}: {kept:,} of the {length:,} "
                    f"elements {'remains' if kept == 1 else 'remain'} and {removed:,} "
                    f"{'is' if removed == 1 else 'are'} removed. Press Trim again to trim.",
                    token=f"{length}:{start}:{stop}",
                )
            return lambda pipe: pipe.ltrim(key, start, stop)

        guarded(client, [key], attempt)
        kept_first, kept_last = trim_window(seen, start, stop)
        kept = kept_last - kept_first + 1
        return Outcome(
            f"trimmed to indices {kept_first:,} to {kept_last:,}: {kept:,} elements "
            f"kept, {seen - kept:,} removed"
        )


@registry.register
class ListUnit(TypeUnit):
    type_name = "list"
    label = "List"
    length_command = "LLEN"
    orders = (("head", "From the head"), ("tail", "From the tail"))
    operations = allow_list(SetElement, Push, PopHead, PopTail, Insert, Remove, Trim)
    creation_fields = ("value",)

    def queue_create(self, pipe, key: bytes, data: dict) -> None:
        pipe.rpush(key, data["value"])

    def parse_row_token(self, token: str) -> int:
        """A row is its index from the head: 0, 1, 2, ..."""
        if not (token.isascii() and token.isdigit()) or len(token) > MAX_INDEX_DIGITS:
            raise BadRequest(f"not a list index: {token[:40]!r}")
        return int(token)

    def read_row(self, client, key: bytes, row_id: int) -> ListRow | None:
        with client.pipeline(transaction=False) as pipe:
            pipe.lindex(key, row_id)
            pipe.llen(key)
            value, length = pipe.execute()
        if value is None:
            return None
        return ListRow(row_id, row_id - length, Element.of(value))

    def queue_page(self, pipe, key: bytes, request: PageRequest) -> None:
        offset = parse_offset(request.cursor)
        if request.order == "tail":
            pipe.lrange(key, -(offset + request.count), -(offset + 1))
        else:
            pipe.lrange(key, offset, offset + request.count - 1)

    def parse_page(self, reply, request: PageRequest, length: int | None) -> ValuePage:
        offset = parse_offset(request.cursor)
        length = length or 0
        if request.order == "tail":
            # LRANGE with negative indices near the head returns fewer elements: place them by
            # counting back from the end of the window.
            first_from_tail = offset + len(reply)
            indices = [length - first_from_tail + i for i in range(len(reply))]
            pairs = list(zip(indices, reply, strict=True))[::-1]
        else:
            pairs = [(offset + i, value) for i, value in enumerate(reply)]
        rows = [ListRow(index, index - length, Element.of(value)) for index, value in pairs]
        more = offset + len(reply) < length
        return ValuePage(rows=rows, next_cursor=str(offset + len(reply)) if more else None)
