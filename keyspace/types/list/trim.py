"""Trimming a list to a range of indices (LTRIM). The form carries the length the user saw,
and a trim is shown (what it keeps, what it removes) and confirmed before it runs."""

from __future__ import annotations

import re

from django import forms

from ...edit_inputs import KeyForm
from ...editing import Conflict, Operation, Outcome, Refused, guarded
from .edits import check_list
from .inputs import IndexField

TRIM_EXPECTED = re.compile(r"(?P<length>[0-9]{1,19})(?::(?P<plan>-?[0-9]{1,19}:-?[0-9]{1,19}))?")


class NeedsConfirmation(Refused):
    """Nothing was written yet: the form comes back once with what the edit will do."""

    status = 200
    title = "Please confirm"

    def __init__(self, message: str, token: str):
        super().__init__(message)
        self.current = None
        self.current_expected = token  # the form carries it: the next submit is the confirmation


class TrimForm(KeyForm):
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
            check_trim(pipe.llen(key), seen, start, stop, plan)
            return lambda pipe: pipe.ltrim(key, start, stop)

        guarded(client, [key], attempt)
        kept_first, kept_last = trim_window(seen, start, stop)
        kept = kept_last - kept_first + 1
        return Outcome(
            f"trimmed to indices {kept_first:,} to {kept_last:,}: {kept:,} elements "
            f"kept, {seen - kept:,} removed"
        )


def check_trim(length: int, seen: int, start: int, stop: int, plan: str | None) -> None:
    """Refuse unless the list still has the length the user saw, the range removes some but
    not all of it, and the user has been shown (and confirmed) what it removes."""
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
