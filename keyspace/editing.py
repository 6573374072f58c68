"""What every edit shares: byte values in forms, compare-and-set writes, and outcomes.

An edit that replaces or removes something carries what the user saw (a digest of a value,
a score, a type) and only goes through if Redis still holds exactly that. The check and
the write run under WATCH/MULTI, so nobody's change can slip in between.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

import redis
from django import forms
from django.conf import settings

from .display import bytes_to_text, is_printable_text
from .errors import DashboardError, KeyNotFound
from .keynames import decode_key, encode_key, parse_escaped

ABSENT = "absent"
GUARD_ATTEMPTS = 5


def digest(value: bytes | None) -> str:
    """A short fingerprint of a value as shown, carried by forms instead of the value."""
    return ABSENT if value is None else hashlib.sha256(value).hexdigest()[:32]


class Conflict(DashboardError):
    """What the user saw has changed; nothing was written."""

    status = 409
    title = "Changed meanwhile"

    def __init__(self, message: str, current: bytes | None = None, *, removed: bool = False):
        super().__init__(message)
        self.current = None if current is None else preview(current)
        # What the form's `expected` field must now hold: a second, informed submit may
        # replace what the user has just been shown.
        self.current_expected = ABSENT if removed else None if current is None else digest(current)


class Refused(DashboardError):
    """Redis (or a check standing in for it) refused the input; nothing was written."""

    status = 422
    title = "Not done"


class KeyGone(KeyNotFound):
    def __init__(self, message: str = "this key no longer exists (it expired or was deleted)"):
        super().__init__(message)


def guarded(client: redis.Redis, keys: list[bytes], attempt: Callable) -> list:
    """Run `attempt(pipe)` under WATCH on `keys`.

    `attempt` reads through `pipe` (immediate mode), raises Conflict/Refused/KeyGone if the
    data is not what the user saw, and returns a function that queues the writes. The
    writes run in MULTI/EXEC; if a watched key changed in between, everything is read and
    checked again.
    """
    with client.pipeline(transaction=True) as pipe:
        for _ in range(GUARD_ATTEMPTS):
            try:
                pipe.watch(*keys)
                queue_writes = attempt(pipe)
                pipe.multi()
                queue_writes(pipe)
                return pipe.execute()
            except redis.WatchError:
                continue
            except redis.ResponseError as exc:
                raise Refused(f"redis refused: {exc}") from exc
    raise Conflict("the key kept changing while saving; nothing was written, try again")


def check_type(pipe, key: bytes, expected: str) -> None:
    actual = pipe.type(key)
    actual = actual.decode() if isinstance(actual, bytes) else actual
    if actual == "none":
        raise KeyGone()
    if expected and actual != expected:
        raise Conflict(f"the key is now a {actual}, not the {expected} shown; nothing was written")


def check_value(current: bytes | None, expected: str, what: str) -> None:
    """Refuse unless `current` is what the user saw (`expected` is its digest)."""
    if digest(current) == expected:
        return
    if current is None:
        raise Conflict(f"the {what} was removed meanwhile; nothing was written", removed=True)
    raise Conflict(f"the {what} was changed meanwhile; nothing was written", current=current)


def preview(value: bytes, limit: int = 2000) -> str:
    text = bytes_to_text(value[:limit])
    return text + (f"… ({len(value):,} bytes)" if len(value) > limit else "")


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
    """(text, encoding) that shows `value` in a textarea without losing a byte."""
    text = value.replace(b"\r", b"").replace(b"\n", b"").replace(b"\t", b"")
    if is_printable_text(text):
        return value.decode("utf-8"), "text"
    return value.hex(" "), "hex"


def check_size(value: bytes) -> bytes:
    limit = settings.DASHBOARD_MAX_VALUE_BYTES
    if len(value) > limit:
        raise forms.ValidationError(f"{len(value):,} bytes is over the {limit:,}-byte limit")
    return value


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

    def clean(self):
        data = super().clean()
        for name in self.byte_fields:
            if name in data and data[name] is not None:
                encoding = data.get(f"{name}_encoding") or "text"
                try:
                    data[name] = check_size(decode_input(data[name], encoding))
                except forms.ValidationError as exc:
                    self.add_error(name, exc)
        return data


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


def parse_increment(text: str) -> int | float:
    """An increment: a whole number (INCRBY-style) or a finite float (INCRBYFLOAT-style)."""
    text = text.strip()
    if re.fullmatch(r"[+-]?[0-9]+", text):
        return parse_number(text, integer=True)
    return parse_number(text, integer=False)


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
    if len(name) > settings.DASHBOARD_MAX_KEY_BYTES:
        raise forms.ValidationError(
            f"a key name of {len(name):,} bytes is over the {settings.DASHBOARD_MAX_KEY_BYTES:,}"
            "-byte limit"
        )
    return name


@dataclass(frozen=True)
class Outcome:
    """What an edit did, and what the page should redraw."""

    message: str
    # "value": redraw the value section; "row": only the row `row_id`;
    # "key": go to the key named `row_id` (rename, copy); "list": back to the key list.
    refresh: str = "value"
    row_id: Any = None


class Operation:
    """One named edit. Units list theirs explicitly; nothing is looked up by attribute."""

    name: ClassVar[str]
    label: ClassVar[str]
    form_class: ClassVar[type[forms.Form]]
    destructive: ClassVar[bool] = False
    submit_label: ClassVar[str] = "Save"
    # "key": a form in the key's editor panel; "row": a form in place of one row.
    scope: ClassVar[str] = "key"
    # May run on a key that is gone (e.g. SET NX): the operation itself decides.
    may_create: ClassVar[bool] = False

    def initial(self, client: redis.Redis, key: bytes, params) -> dict:
        return {}

    def apply(self, client: redis.Redis, key: bytes, data: dict) -> Outcome:
        raise NotImplementedError


class Tool:
    """A named read-only look at a key (membership test, random members, set algebra): a
    GET form whose results render below it. Allowed in read-only mode."""

    name: ClassVar[str]
    label: ClassVar[str]
    form_class: ClassVar[type[forms.Form]]
    result_template: ClassVar[str]  # "path.html#partial", rendered with run()'s context
    submit_label: ClassVar[str] = "Show"
    scope: ClassVar[str] = "key"

    def run(self, client: redis.Redis, key: bytes, data: dict) -> dict:
        raise NotImplementedError


def allow_list(*classes: type[Operation] | type[Tool]) -> dict:
    table: dict[str, Operation] = {}
    for operation_class in classes:
        if operation_class.name in table:
            raise ValueError(f"operation {operation_class.name!r} listed twice")
        table[operation_class.name] = operation_class()
    return table
