"""The ends of a list: push one element or many (LPUSHX/RPUSHX, never creating a list that was
deleted), and pop the head or the tail if it is still the element the user saw."""

from __future__ import annotations

from typing import ClassVar

from django import forms

from keyspace.conf import app_settings
from keyspace.services.editing.guard import (
    Operation,
    Outcome,
    Refused,
    guarded,
    preview,
    refuse_emptying,
)
from keyspace.services.editing.inputs import KeyForm, decode_values, encoding_field
from keyspace.units.list.edits import check_position, read_position
from keyspace.units.list.inputs import short

ENDS = (("tail", "The tail (the end, RPUSH)"), ("head", "The head (the start, LPUSH)"))
PUSH_MODES = (("one", "The text is one element"), ("lines", "One element per line"))


class PushForm(KeyForm):
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
        if data.get("elements") is None:
            return data
        try:
            elements = decode_values(
                data["elements"],
                data.get("elements_encoding") or "text",
                per_line=data.get("mode") == "lines",
            )
            if not elements or not all(elements):
                raise forms.ValidationError("nothing to push: give at least one element")
            _check_total(sum(len(element) for element in elements))
        except forms.ValidationError as exc:
            self.add_error("elements", exc)
            return data
        data["elements"] = elements
        return data


def _check_total(total: int) -> None:
    limit = app_settings.MAX_VALUE_BYTES
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
            if end == "head":
                # LPUSH puts each element in front of the one before: reverse them, so they
                # read in the order written.
                return lambda pipe: pipe.lpushx(key, *reversed(elements))
            return lambda pipe: pipe.rpushx(key, *elements)

        # The key must still be this list: a push never creates a list that was deleted.
        [length] = guarded(client, [key], attempt, expected_type="list")
        if not length:
            raise Refused("the list no longer exists; nothing was pushed")
        what = f"{len(elements):,} elements" if len(elements) > 1 else short(elements[0])
        return Outcome(f"pushed {what} to the {end}; the list has {length:,} elements")


class PopForm(KeyForm):
    # The element's digest and its place (see edits.read_position): a job pushed meanwhile at
    # that end is not popped in place of the one shown, even in a queue of equal jobs.
    expected = forms.CharField(widget=forms.HiddenInput, max_length=80)
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
        current, _, expected = read_position(client, key, self.position)
        return {"expected": expected, "element": "" if current is None else preview(current)}

    def apply(self, client, key, data):
        def attempt(pipe):
            # guarded has just proven a list, and a list is never empty: both ends exist.
            current, length, now = read_position(pipe, key, self.position)
            check_position(current, length, now, data["expected"], f"element at the {self.end}")
            refuse_emptying(length, "only element", "popping")
            if self.end == "head":
                return lambda pipe: pipe.lpop(key)
            return lambda pipe: pipe.rpop(key)

        [popped] = guarded(client, [key], attempt, expected_type="list")
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
