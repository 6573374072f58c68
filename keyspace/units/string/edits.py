"""String edits: replace the value (keeping its TTL), replace it with an expiry, add to a
number, append. Replacing is conditional on the value as the user saw it; every edit checks
that the key is still a string first, so a key that went away is reported, never recreated."""

from __future__ import annotations

import math

import redis
from django import forms

from keyspace.services.editing.expiry import NONE, key_expiry, same_expiry
from keyspace.services.editing.guard import (
    ConfirmsShortTtl,
    Conflict,
    KeyGone,
    Operation,
    Outcome,
    Refused,
    check_value,
    digest,
    guarded,
)
from keyspace.services.editing.increments import (
    NOT_INTEGER,
    NOT_NUMBER,
    OVERFLOW,
    AmountField,
    result_of,
)
from keyspace.services.editing.inputs import (
    BytesValueField,
    FieldRefused,
    KeyForm,
    check_size,
    encoding_field,
    ttl_milliseconds,
)
from keyspace.units.string.guards import ConfirmsGuardedViews, check_guard, replaces
from keyspace.units.string.values import (
    LINE_BREAK,
    NEWLINES,
    check_json,
    check_postable,
    edit_limit,
    form_text,
    reindent_json,
    restore_newlines,
    too_large,
)

VALUE_ENCODINGS = (("text", "Text"), ("json", "JSON"), ("hex", "Hex (binary)"))
APPEND_ENCODINGS = (("text", "Text"), ("hex", "Hex (binary)"))
JSON_FORMATS = (("keep", "Save as typed"), ("pretty", "Pretty-print before saving"))
EXPIRY_UNITS = (("s", "seconds"), ("ms", "milliseconds"))
DIRECTIONS = (("add", "Increment (add)"), ("subtract", "Decrement (subtract)"))
STRING = "string"


def _expected_type(data) -> str:
    return data.get("expected_type") or STRING


# --- reading what the form shows -------------------------------------------------------------


def read_for_edit(client, key: bytes) -> bytes:
    """The whole value, if the browser may edit it; read in one transaction, never more than
    the edit limit (plus one byte) of it."""
    limit = edit_limit()
    with client.pipeline(transaction=True) as pipe:
        pipe.type(key)
        pipe.strlen(key)
        pipe.getrange(key, 0, limit)
        key_type, size, value = pipe.execute(raise_on_error=False)
    key_type = key_type.decode() if isinstance(key_type, bytes) else key_type
    if key_type == "none":
        raise KeyGone()
    if key_type != STRING:
        raise Conflict(f"the key is now a {key_type}, not a string; reload the page")
    if size > limit:
        raise too_large(size)
    return value


def check_seen(pipe, key: bytes, expected: str) -> None:
    """Refuse unless the value is still the one whose digest the form carries."""
    size = pipe.strlen(key)
    if size > edit_limit():
        raise Conflict(
            f"the value was changed meanwhile (it is now {size:,} bytes, too large "
            "to show here); nothing was written"
        )
    check_value(pipe.get(key), expected, "value")


# --- replacing the value ---------------------------------------------------------------------


class ValueForm(KeyForm):
    unify_line_breaks = False  # restore_newlines keeps the value's own style
    """The value as text, JSON or hex; line breaks restored to the value's own style."""

    byte_fields = ("value",)
    expected = forms.CharField(widget=forms.HiddenInput, max_length=64)
    newlines = forms.ChoiceField(choices=NEWLINES, widget=forms.HiddenInput, required=False)
    # The view of a string the value was confirmed to be written over as (see check_guard).
    replaces = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)
    value = BytesValueField(
        label="Value",
        widget=forms.Textarea(attrs={"rows": 12, "spellcheck": "false"}),
        help_text=(
            "Line breaks are saved as the value already has them (\\n or \\r\\n); "
            "use Hex to write any other bytes."
        ),
    )
    value_encoding = encoding_field(VALUE_ENCODINGS)
    json_format = forms.ChoiceField(
        choices=JSON_FORMATS,
        initial="keep",
        required=False,
        label="JSON layout",
        help_text="JSON is checked before saving; pretty-printing changes only whitespace.",
    )
    only_if_absent = forms.BooleanField(
        required=False,
        label="Only if the key does not exist (SET NX)",
        help_text=(
            "For a key that may have expired meanwhile: writes only if it is gone, and "
            "changes nothing if it is still there."
        ),
    )

    def clean(self):
        data = self.cleaned_data
        encoding = data.get("value_encoding") or "text"
        if isinstance(data.get("value"), str) and encoding != "hex":
            data["value"] = restore_newlines(data["value"], data.get("newlines") or "lf")
        if encoding == "json":
            # Checked here, strictly (no NaN, no RecursionError); stored as the text it is.
            data["value_encoding"] = "text"
        data = super().clean()
        data["value_encoding"] = encoding
        value = data.get("value")
        if encoding == "json" and isinstance(value, bytes) and "value" not in self.errors:
            try:
                check_json(value)
                if data.get("json_format") == "pretty":
                    newline = LINE_BREAK.get(data.get("newlines") or "lf", "\n")
                    value = reindent_json(value.decode("utf-8"), newline).encode("utf-8")
                    data["value"] = check_size(value)
            except forms.ValidationError as exc:
                self.add_error("value", exc)
        return data


def value_initial(client, key: bytes) -> dict:
    value = read_for_edit(client, key)
    text, encoding, newlines = form_text(value)
    check_postable(text)
    return {
        "value": text,
        "value_encoding": encoding,
        "newlines": newlines,
        "expected": digest(value),
        "json_format": "keep",
    } | replaces(client, key)


def set_if_absent(client, key: bytes, value: bytes, ttl_ms: int | None = None) -> Outcome:
    if not client.set(key, value, nx=True, px=ttl_ms):
        raise Conflict(
            "the key still exists, so nothing was written (“only if the key does "
            "not exist” was ticked); untick it to replace the value shown"
        )
    expiry = f" with a TTL of {ttl_ms:,} ms" if ttl_ms else ""
    return Outcome(f"the key was gone: created it again with {len(value):,} bytes{expiry}")


class EditValue(ConfirmsGuardedViews, Operation):
    name = "string-edit"
    label = "Edit value"
    form_class = ValueForm
    may_create = True  # with "only if the key does not exist" ticked

    def initial(self, client, key, params):
        return value_initial(client, key)

    def apply(self, client, key, data):
        value = data["value"]
        if data["only_if_absent"]:
            return set_if_absent(client, key, value)

        def attempt(pipe):
            check_seen(pipe, key, data["expected"])
            check_guard(pipe, key, data)
            return lambda pipe: pipe.set(key, value, keepttl=True)

        guarded(client, [key], attempt, expected_type=_expected_type(data))
        return Outcome(f"saved the value ({len(value):,} bytes); its TTL is unchanged")


class ExpiryForm(ValueForm):
    field_order = ("value", "value_encoding", "json_format", "amount", "unit", "only_if_absent")
    unit = forms.ChoiceField(choices=EXPIRY_UNITS, initial="s", label="TTL unit")
    amount = forms.CharField(max_length=30, label="TTL", help_text="More than zero.")
    # The key's expiry as shown (keyspace.services.editing.expiry; empty for a new key).
    seen_expiry = forms.CharField(widget=forms.HiddenInput, required=False, max_length=30)

    def clean(self):
        data = super().clean()
        if "amount" in data:
            try:
                data["ttl_ms"] = ttl_milliseconds(data.get("unit"), data["amount"], None)
            except forms.ValidationError as exc:
                self.add_error("amount", exc)
        return data


class SetWithExpiry(ConfirmsGuardedViews, ConfirmsShortTtl, Operation):
    name = "string-set-expiry"
    label = "Set with expiry"
    form_class = ExpiryForm
    may_create = True  # with "only if the key does not exist" ticked

    def initial(self, client, key, params):
        initial = value_initial(client, key)
        ttl_ms = client.pttl(key)
        if ttl_ms and ttl_ms > 0:
            initial["amount"] = str(math.ceil(ttl_ms / 1000))
        if ttl_ms != -2:
            initial["seen_expiry"] = key_expiry(client, key)
        return initial

    def apply(self, client, key, data):
        value, ttl_ms = data["value"], data["ttl_ms"]
        if data["only_if_absent"]:
            return set_if_absent(client, key, value, ttl_ms)

        def attempt(pipe):
            check_seen(pipe, key, data["expected"])
            # A form drawn for no key carries no expiry: none is what it saw. A request
            # without one (built by hand) is so checked too, not let through unchecked.
            if not same_expiry(now := key_expiry(pipe, key), data["seen_expiry"] or NONE):
                raise Conflict("another client changed the key's TTL meanwhile; nothing was "
                               "saved. Save again to set this TTL anyway.",
                               updates={"seen_expiry": now})
            check_guard(pipe, key, data)
            return lambda pipe: pipe.set(key, value, px=ttl_ms)

        guarded(client, [key], attempt, expected_type=_expected_type(data))
        return Outcome(f"saved the value ({len(value):,} bytes) with a TTL of {ttl_ms:,} ms")


# --- numbers ---------------------------------------------------------------------------------

NUMBER_PREFIX = 5 * 1024  # Redis's own cap on a number's length as text


class IncrementForm(KeyForm):
    direction = forms.ChoiceField(choices=DIRECTIONS, initial="add", label="Direction")
    amount = AmountField(
        initial="1",
        label="By",
        help_text="A whole number (INCRBY/DECRBY) or a decimal such as 0.5 (INCRBYFLOAT).",
    )


def clearer(problem: Refused) -> Refused:
    """Redis's own refusal (the value changed past the check, or a form Redis judges) in the
    words the checks use."""
    if not isinstance(problem.__cause__, redis.ResponseError):
        return problem
    text = str(problem.__cause__).lower()
    if "not an integer" in text:
        message = NOT_INTEGER
    elif "not a valid float" in text:
        message = NOT_NUMBER
    elif "overflow" in text:
        message = OVERFLOW
    elif "nan or infinity" in text:
        message = f"{OVERFLOW} (the result would not be a finite number)"
    else:
        return problem
    return FieldRefused("amount", f"{message}; nothing was changed")


def _refuse(message: str) -> Refused:
    return Refused(f"{message}; nothing was changed")


class Increment(Operation):
    name = "string-incr"
    label = "Increment/decrement"
    form_class = IncrementForm
    submit_label = "Apply"

    def apply(self, client, key, data):
        amount, subtract = data["amount"], data["direction"] == "subtract"

        def attempt(pipe):
            size = pipe.strlen(key)
            # A value longer than any number Redis reads is refused without reading it.
            result_of(
                pipe.getrange(key, 0, NUMBER_PREFIX - 1) if size <= NUMBER_PREFIX else None,
                amount,
                subtract=subtract,
            )
            if amount.integer:
                if subtract:
                    return lambda pipe: pipe.decrby(key, amount.value)
                return lambda pipe: pipe.incrby(key, amount.value)
            return lambda pipe: pipe.incrbyfloat(key, amount.arg(negate=subtract)).get(key)

        try:
            result, *stored = guarded(client, [key], attempt, expected_type=_expected_type(data))
        except FieldRefused:
            raise
        except Refused as problem:
            raise clearer(problem) from problem
        # INCRBYFLOAT's reply as Redis stored it (17.5, not 17.499999…).
        shown = stored[0].decode("ascii", "replace") if stored else result
        return Outcome(f"the value is now {shown}")


# --- appending -------------------------------------------------------------------------------


class AppendForm(KeyForm):
    unify_line_breaks = False  # restore_newlines keeps the chosen style
    byte_fields = ("value",)
    nonempty = {"value": "nothing to append"}
    value = BytesValueField(label="Append", required=True)
    value_encoding = encoding_field(APPEND_ENCODINGS)
    newlines = forms.ChoiceField(
        choices=NEWLINES, initial="lf", required=False, label="Line breaks in text"
    )
    replaces = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)

    def clean(self):
        data = self.cleaned_data
        if isinstance(data.get("value"), str) and data.get("value_encoding") != "hex":
            data["value"] = restore_newlines(data["value"], data.get("newlines") or "lf")
        return super().clean()


class Append(ConfirmsGuardedViews, Operation):
    name = "string-append"
    label = "Append"
    form_class = AppendForm
    submit_label = "Append"

    def initial(self, client, key, params):
        # Text appended in the style of the value's own line breaks (judged by its end).
        tail = client.getrange(key, -64 * 1024, -1)
        return {"newlines": "crlf" if b"\r\n" in tail else "lf"} | replaces(client, key)

    def apply(self, client, key, data):
        addition = data["value"]

        def attempt(pipe):
            check_guard(pipe, key, data)
            size = pipe.strlen(key) + len(addition)
            if size > edit_limit():
                raise _refuse(
                    f"the value would grow to {size:,} bytes, over the {edit_limit():,}-byte limit"
                )
            return lambda pipe: pipe.append(key, addition)

        [length] = guarded(client, [key], attempt, expected_type=_expected_type(data))
        return Outcome(f"appended {len(addition):,} bytes; the value is now {length:,} bytes")


STRING_OPERATIONS = (EditValue, SetWithExpiry, Increment, Append)
