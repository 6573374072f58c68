"""Trimming a list to a range of indices (LTRIM). The form carries the length the user saw,
and a trim is shown (what it keeps, what it removes) and confirmed before it runs. The
confirmation carries a fingerprint of what it removes, so that a list changed in between
(same length, other elements: an LSET, or an LPOP then RPUSH) is a conflict, not a trim of
elements nobody was shown.

The fingerprint covers every removed element when a removed range holds at most
2 x EDGE_ELEMENTS of them; a longer range is fingerprinted by its first and last EDGE_ELEMENTS
(reading it all would be an unbounded read), together with the list's length.
"""

from __future__ import annotations

import hashlib
import re

from django import forms

from keyspace.services.editing.guard import Conflict, Operation, Outcome, Refused, guarded
from keyspace.services.editing.inputs import KeyForm
from keyspace.units.list.inputs import IndexField

TRIM_EXPECTED = re.compile(
    r"(?P<length>[0-9]{1,19})(?::(?P<plan>-?[0-9]{1,19}:-?[0-9]{1,19}:[0-9a-f]{16}))?"
)
EDGE_ELEMENTS = 100


class NeedsConfirmation(Refused):
    """Nothing was written yet: the form comes back once with what the edit will do."""

    status = 200
    title = "Please confirm"

    def __init__(self, message: str, token: str):
        # The form carries the token: the next submit is the confirmation.
        super().__init__(message, updates={"expected": token})
        self.current = None


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
    expected = forms.CharField(widget=forms.HiddenInput, max_length=100)

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
            length = pipe.llen(key)
            check_trim(length, seen, start, stop, plan, lambda: removed_fingerprint(
                pipe, key, length, *trim_window(length, start, stop)))
            return lambda pipe: pipe.ltrim(key, start, stop)

        guarded(client, [key], attempt, expected_type="list")
        kept_first, kept_last = trim_window(seen, start, stop)
        kept = kept_last - kept_first + 1
        return Outcome(
            f"trimmed to indices {kept_first:,} to {kept_last:,}: {kept:,} elements "
            f"kept, {seen - kept:,} removed"
        )


def removed_fingerprint(reader, key: bytes, length: int, first: int, last: int) -> str:
    """A digest of the elements outside [first, last] (what LTRIM removes), bounded: see the
    module's docstring."""
    hashed = hashlib.sha256(str(length).encode())
    for start, stop in ((0, first - 1), (last + 1, length - 1)):
        if stop < start:
            continue
        if stop - start + 1 <= 2 * EDGE_ELEMENTS:
            spans = [(start, stop)]
        else:
            spans = [(start, start + EDGE_ELEMENTS - 1), (stop - EDGE_ELEMENTS + 1, stop)]
        for span_start, span_stop in spans:
            hashed.update(f"|{span_start}:{span_stop}|".encode())
            for element in reader.lrange(key, span_start, span_stop):
                hashed.update(hashlib.sha256(element).digest())
    return hashed.hexdigest()[:16]


def check_trim(length: int, seen: int, start: int, stop: int, plan: str | None,
               fingerprint) -> None:
    """Refuse unless the list still has the length the user saw, the range removes some but
    not all of it, and the user has been shown (and confirmed) what it removes, unchanged
    since (`fingerprint()` computes what the plan must carry)."""
    if length != seen:
        raise Conflict(
            f"the list has {length:,} elements now, not the {seen:,} it had when this "
            "form was drawn; nothing was trimmed. Check the range and trim again.",
            expected=str(length),
        )
    first, last = trim_window(length, start, stop)
    kept = last - first + 1
    if kept == 0:
        raise Refused(
            f"that range keeps none of the {length:,} elements: trimming would "
            "delete the key; delete the key instead"
        )
    if kept == length:
        raise Refused(f"that range keeps all {length:,} elements: nothing to trim")
    planned = f"{start}:{stop}:{fingerprint()}"
    if plan == planned:
        return
    removed = length - kept
    plan_text = (
        f"this keeps indices {first:,} to {last:,}: {kept:,} of the {length:,} "
        f"elements {'remains' if kept == 1 else 'remain'} and {removed:,} "
        f"{'is' if removed == 1 else 'are'} removed. Press Trim again to trim."
    )
    if plan is not None and plan.rpartition(":")[0] == f"{start}:{stop}":
        raise Conflict(
            "the elements this trim removes changed after you confirmed (same length, other "
            f"elements); nothing was trimmed. {plan_text[0].upper()}{plan_text[1:]}",
            expected=f"{length}:{planned}",
        )
    raise NeedsConfirmation(plan_text, token=f"{length}:{planned}")
