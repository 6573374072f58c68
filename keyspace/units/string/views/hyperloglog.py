"""HyperLogLog: a string that starts with Redis's `HYLL` header. Shown as its count
(PFCOUNT), with an edit that adds elements (PFADD); replacing it as text asks first, since
that destroys the registers PFADD and PFCOUNT use."""

from __future__ import annotations

from typing import Any

import redis
from django import forms

from keyspace.services.editing.guard import Conflict, Operation, Outcome, check_type, guarded
from keyspace.services.editing.inputs import BytesValueField, KeyForm, decode_values, encoding_field
from keyspace.units.string.views.base import StringView, string_views

MAGIC = b"HYLL"
HEADER_BYTES = 16  # magic, encoding, 3 unused bytes, the cached count (8 bytes)
ENCODINGS = {0: "dense", 1: "sparse"}
MODES = (("lines", "One element per line"), ("one", "The whole text is one element"))
MAX_ELEMENTS = 10_000


def is_hyperloglog(head: bytes) -> bool:
    """What Redis checks before PFADD or PFCOUNT touch a string: the header and a known
    encoding (it also checks a dense value's length, which PFCOUNT reports if wrong)."""
    return len(head) >= HEADER_BYTES and head[:4] == MAGIC and head[4] in ENCODINGS


class AddElementsForm(KeyForm):
    elements = BytesValueField(
        label="Elements", widget=forms.Textarea(attrs={"rows": 5, "spellcheck": "false"})
    )
    elements_encoding = encoding_field()
    mode = forms.ChoiceField(choices=MODES, initial="lines", required=False, label="Read as")

    def clean(self):
        data = super().clean()
        text = data.get("elements")
        if isinstance(text, str):
            try:
                data["elements"] = _elements(text, data)
            except forms.ValidationError as exc:
                self.add_error("elements", exc)
        return data


def _elements(text: str, data: dict) -> list[bytes]:
    encoding, per_line = data.get("elements_encoding") or "text", data.get("mode") != "one"
    elements = decode_values(text.replace("\r\n", "\n"), encoding, per_line=per_line)
    if not elements:
        raise forms.ValidationError("give at least one element (blank lines are skipped)")
    if len(elements) > MAX_ELEMENTS:
        raise forms.ValidationError(f"{len(elements):,} elements is more than "
                                    f"{MAX_ELEMENTS:,} at a time")
    return elements


class AddElements(Operation):
    name = "string-pfadd"
    label = "Add elements"
    form_class = AddElementsForm
    submit_label = "Add (PFADD)"

    def apply(self, client, key, data):
        elements = data["elements"]

        def attempt(pipe):
            # PFADD would create a key deleted meanwhile, or turn into an error on a value
            # replaced by text: both are reported instead.
            check_type(pipe, key, data.get("expected_type") or "string")
            if not is_hyperloglog(pipe.getrange(key, 0, HEADER_BYTES - 1)):
                raise Conflict("the value is no longer a HyperLogLog; nothing was written")
            return lambda pipe: pipe.pfadd(key, *elements)

        [changed] = guarded(client, [key], attempt)
        what = f"{len(elements):,} element{'s' if len(elements) != 1 else ''}"
        if changed:
            return Outcome(f"added {what}: the count may have changed")
        return Outcome(f"added {what}: no register changed, so the count is the same")


@string_views.register
class HyperLogLogView(StringView):
    name = "hyperloglog"
    label = "HyperLogLog"
    template = "keyspace/units/string/hyperloglog.html"
    operations = (AddElements,)
    hides = frozenset({"string-incr"})
    guards_plain_edits = (
        "this value is a HyperLogLog: writing it as text replaces the registers PFADD and "
        "PFCOUNT use (Redis refuses to count a damaged one)"
    )
    reads = True

    def detect(self, head: bytes, whole: bool) -> bool:
        return is_hyperloglog(head)

    def refusal(self, value: bytes, offset: int, total: int) -> str:
        if offset or not is_hyperloglog(value):
            return "the value does not start with the header of a HyperLogLog (HYLL)"
        return ""

    def facts_from(self, value: bytes, offset: int, total: int) -> dict[str, Any]:
        return {"encoding": ENCODINGS[value[4]]}

    def read(self, client, key: bytes, facts: dict[str, Any]) -> dict[str, Any]:
        # PFCOUNT of one key stores the count it computes in the value's header, so merely
        # looking would change the value (and its undo copies). Counting the key together
        # with itself gives the same estimate and writes nothing.
        try:
            return {"count": client.execute_command("PFCOUNT", key, key)}
        except redis.ResponseError as exc:
            return {"count_error": str(exc)}
