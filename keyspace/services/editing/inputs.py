"""What edit forms read: typed text or hex turned into the bytes to store, key names, numbers
and TTLs. Each parser raises ValidationError with a message the form shows by its field."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from typing import ClassVar, TypeVar

from django import forms

from keyspace.conf import app_settings
from keyspace.display import is_printable_text
from keyspace.redis.keynames import decode_key, encode_key, parse_escaped
from keyspace.services.editing.guard import Refused
from keyspace.views.request_body import oversized_message

T = TypeVar("T")

ENCODINGS = (("text", "Text"), ("hex", "Hex"))


def decode_input(text: str, encoding: str) -> bytes:
    """Form text to the bytes to store; raises ValidationError with a clear message."""
    if encoding == "hex":
        try:
            return bytes.fromhex("".join(text.split()))
        except ValueError:
            raise forms.ValidationError("not valid hex (pairs of 0-9, a-f)") from None
    if encoding == "json":
        try:
            json.loads(text, parse_constant=_refuse_constant)
        except (ValueError, RecursionError) as exc:
            reason = "nested too deeply" if isinstance(exc, RecursionError) else exc
            raise forms.ValidationError(f"not valid JSON: {reason}") from None
    return text.encode("utf-8")


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def encode_for_form(value: bytes) -> tuple[str, str]:
    """(text, encoding) that shows `value` in a textarea without losing a byte.

    Browsers send a textarea's line breaks as CR LF (and htmx as LF), so text comes back with
    LF line breaks (see EditForm): a value with a CR in it is shown as hex instead.
    """
    text = value.replace(b"\n", b"").replace(b"\t", b"")
    if b"\r" not in value and is_printable_text(text):
        return value.decode("utf-8"), "text"
    return value.hex(" "), "hex"


class FieldRefused(Refused):
    """A refusal found while checking what Redis holds that belongs to one field of the form:
    the form shows it next to that field."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def check_size(value: bytes) -> bytes:
    limit = app_settings.MAX_VALUE_BYTES
    if len(value) > limit:
        raise forms.ValidationError(f"{len(value):,} bytes is over the {limit:,}-byte limit")
    return value


def each_line(text: str, parse: Callable[[str], T]) -> list[T]:
    """`parse` applied to every non-blank line, in order; an error names its line."""
    parsed = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            parsed.append(parse(line))
        except forms.ValidationError as exc:
            raise forms.ValidationError(f"line {number}: {exc.messages[0]}") from None
    return parsed


def decode_values(text: str, encoding: str, *, per_line: bool) -> list[bytes]:
    """The text as one value, or one value per non-blank line, each decoded and size-checked."""

    def decode(piece: str) -> bytes:
        return check_size(decode_input(piece, encoding))

    return each_line(text, decode) if per_line else [decode(text)]


class BytesValueField(forms.CharField):
    """A textarea whose text becomes bytes according to a sibling `<name>_encoding` field."""

    widget = forms.Textarea(attrs={"rows": 3, "spellcheck": "false"})

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("strip", False)
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)


class EditForm(forms.Form):
    """Base for edit forms: fields named `x` with an `x_encoding` sibling become bytes."""

    byte_fields: ClassVar[tuple[str, ...]] = ()
    # Byte fields that must not be empty, with the message to give when they are.
    nonempty: ClassVar[dict[str, str]] = {}
    # Text line breaks arrive as CR LF from a plain form post and LF from htmx: store LF.
    # (String edits keep each value's own style instead, and turn this off.)
    unify_line_breaks: ClassVar[bool] = True

    def full_clean(self):
        super().full_clean()
        # Fields too large to be read at all (see request_body): the reason goes by the field.
        for name, size in getattr(self.data, "oversized", {}).items():
            field = name if name in self.fields else None
            if field is not None:
                self._errors.pop(field, None)
                self.cleaned_data.pop(field, None)
            self.add_error(field, oversized_message(size))

    def clean(self):
        data = super().clean()
        for name in self.byte_fields:
            if name in data and data[name] is not None:
                encoding = data.get(f"{name}_encoding") or "text"
                if encoding != "hex" and self.unify_line_breaks:
                    data[name] = data[name].replace("\r\n", "\n")
                try:
                    data[name] = check_size(decode_input(data[name], encoding))
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        for name, message in self.nonempty.items():
            if data.get(name) == b"":
                self.add_error(name, message)
        return data


class KeyForm(EditForm):
    """An edit of an existing key: it carries the type the user saw, checked before writing."""

    expected_type = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)


def encoding_field(choices=ENCODINGS) -> forms.ChoiceField:
    return forms.ChoiceField(choices=choices, initial="text", required=False, label="Encoding")


class TokenField(forms.CharField):
    """Bytes carried as an unpadded urlsafe-base64 token (a row's field, member, ...)."""

    widget = forms.HiddenInput

    def to_python(self, value):
        text = super().to_python(value)
        try:
            return decode_key(text)
        except ValueError:
            raise forms.ValidationError("not a valid token") from None

    def prepare_value(self, value):
        return encode_key(value) if isinstance(value, bytes) else value


def row_bytes(form: forms.Form) -> bytes | None:
    """What the form's `row` token names (as submitted, or as first drawn); None if damaged."""
    token = form.data.get("row") if form.is_bound else form.initial.get("row")
    try:
        return decode_key(token or "")
    except ValueError:
        return None


def parse_number(text: str, *, integer: bool) -> int | float:
    text = text.strip()
    try:
        number = int(text) if integer else float(text)
    except ValueError:
        raise forms.ValidationError(f"{text[:40]!r} is not a number") from None
    if not integer and not math.isfinite(number):
        raise forms.ValidationError("NaN and infinity are not allowed here")
    if integer and not -(2**63) <= number < 2**63:
        raise forms.ValidationError("out of range for a 64-bit integer")
    return number


MAX_TTL_SECONDS = 100 * 365 * 86400  # far beyond any real TTL, far below Redis's overflow
TTL_UNITS = (("s", "seconds"), ("ms", "milliseconds"), ("at", "at a date and time (UTC)"))
NAME_FORMATS = (("text", "Text"), ("escaped", "Text with \\xNN escapes"), ("hex", "Hex"))


def ttl_milliseconds(unit: str | None, amount: str | None, at: datetime | None) -> int:
    """The TTL a form asks for, in ms; never zero or negative (those would delete the key)."""
    if unit == "at":
        if at is None:
            raise forms.ValidationError("give the date and time the key should expire")
        at = at if at.tzinfo else at.replace(tzinfo=UTC)
        ms = math.floor((at - datetime.now(UTC)).total_seconds() * 1000)
        if ms <= 0:
            raise forms.ValidationError("that time has already passed; the TTL was not changed")
    else:
        try:
            value = float((amount or "").strip())
        except ValueError:
            raise forms.ValidationError(f"{(amount or '')[:30]!r} is not a number") from None
        if not math.isfinite(value) or value != int(value):
            raise forms.ValidationError("a TTL is a whole number")
        ms = int(value) * (1 if unit == "ms" else 1000)
        if ms <= 0:
            raise forms.ValidationError(
                "a TTL must be more than zero; use Remove TTL to keep the key forever"
            )
    if ms > MAX_TTL_SECONDS * 1000:
        raise forms.ValidationError("that TTL is out of range (more than 100 years)")
    return ms


class TtlForm(KeyForm):
    """A TTL as a form asks for it: an amount in a unit, or a date and time; cleaned into
    `ttl_ms` (see ttl_milliseconds). A key's TTL and a hash field's use it alike."""

    unit = forms.ChoiceField(choices=TTL_UNITS, initial="s")
    amount = forms.CharField(required=False, max_length=30, label="TTL")
    at = forms.DateTimeField(
        required=False,
        label="Expires at (UTC)",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def clean(self):
        data = super().clean()
        data["ttl_ms"] = ttl_milliseconds(data.get("unit"), data.get("amount"), data.get("at"))
        return data


def parse_name(text: str, name_format: str) -> bytes:
    if name_format == "hex":
        try:
            name = bytes.fromhex("".join(text.split()))
        except ValueError:
            raise forms.ValidationError("not valid hex") from None
    elif name_format == "escaped":
        name = parse_escaped(text)
    else:
        name = text.encode("utf-8")
    if not name:
        raise forms.ValidationError("a key name cannot be empty")
    if len(name) > app_settings.MAX_KEY_BYTES:
        raise forms.ValidationError(
            f"a key name of {len(name):,} bytes is over the {app_settings.MAX_KEY_BYTES:,}"
            "-byte limit"
        )
    return name


def clean_name(form: forms.Form, data: dict, field: str, format_field: str) -> None:
    """Turn the typed key name in `data[field]` into bytes (written as `data[format_field]`
    says), or give the field its error."""
    if field not in data:
        return
    try:
        data[field] = parse_name(data[field], data.get(format_field) or "text")
    except forms.ValidationError as exc:
        form.add_error(field, exc)
