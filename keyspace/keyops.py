"""Edits that apply to a key of any type: TTL, rename, copy, delete, and creating keys."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from django import forms
from django.conf import settings

from .display import bytes_to_text
from .editing import (
    Conflict,
    EditForm,
    Operation,
    Outcome,
    Refused,
    allow_list,
    check_type,
    guarded,
)
from .keynames import parse_escaped

MAX_TTL_SECONDS = 100 * 365 * 86400  # far beyond any real TTL, far below Redis's overflow
TTL_UNITS = (("s", "seconds"), ("ms", "milliseconds"), ("at", "at a date and time (UTC)"))
NAME_FORMATS = (("text", "Text"), ("escaped", "Text with \\xNN escapes"), ("hex", "Hex"))


class KeyForm(EditForm):
    expected_type = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)


class TtlForm(KeyForm):
    unit = forms.ChoiceField(choices=TTL_UNITS, initial="s")
    amount = forms.CharField(required=False, max_length=30, label="TTL")
    at = forms.DateTimeField(required=False, label="Expires at (UTC)",
                             widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))

    def clean(self):
        data = super().clean()
        data["ttl_ms"] = ttl_milliseconds(data.get("unit"), data.get("amount"), data.get("at"))
        return data


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


class SetTtl(Operation):
    name = "ttl"
    label = "Set TTL"
    form_class = TtlForm

    def apply(self, client, key, data):
        def attempt(pipe):
            check_type(pipe, key, data["expected_type"])
            return lambda pipe: pipe.pexpire(key, data["ttl_ms"])

        guarded(client, [key], attempt)
        return Outcome(f"TTL set to {data['ttl_ms']:,} ms")


class Persist(Operation):
    name = "persist"
    label = "Remove TTL"
    form_class = KeyForm
    submit_label = "Remove TTL"

    def apply(self, client, key, data):
        def attempt(pipe):
            check_type(pipe, key, data["expected_type"])
            return lambda pipe: pipe.persist(key)

        guarded(client, [key], attempt)
        return Outcome("TTL removed: the key no longer expires")


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


class NewNameForm(KeyForm):
    new_name = forms.CharField(strip=False, max_length=200_000, label="New name")
    name_format = forms.ChoiceField(choices=NAME_FORMATS, initial="text", required=False)
    overwrite = forms.BooleanField(required=False, label="Replace the key if it exists")

    def clean(self):
        data = super().clean()
        if "new_name" in data:
            try:
                data["new_name"] = parse_name(data["new_name"], data.get("name_format") or "text")
            except forms.ValidationError as exc:
                self.add_error("new_name", exc)
        return data


class Rename(Operation):
    name = "rename"
    label = "Rename"
    form_class = NewNameForm
    submit_label = "Rename"

    def apply(self, client, key, data):
        target = data["new_name"]
        if target == key:
            raise Refused("the new name is the same as the old one")

        def attempt(pipe):
            check_type(pipe, key, data["expected_type"])
            _refuse_existing(pipe, target, data["overwrite"])
            return lambda pipe: pipe.rename(key, target)

        guarded(client, [key, target], attempt)
        return Outcome(f"renamed to {bytes_to_text(target)}", refresh="key", row_id=target)


def _refuse_existing(pipe, target: bytes, overwrite: bool) -> None:
    if not overwrite and pipe.exists(target):
        raise Conflict(
            f"a key named {bytes_to_text(target)[:200]} already exists; tick “Replace the key "
            "if it exists” to overwrite it"
        )


class Copy(Operation):
    name = "copy"
    label = "Copy"
    form_class = NewNameForm
    submit_label = "Copy"

    def apply(self, client, key, data):
        target = data["new_name"]
        if target == key:
            raise Refused("a key cannot be copied onto itself")

        def attempt(pipe):
            check_type(pipe, key, data["expected_type"])
            _refuse_existing(pipe, target, data["overwrite"])
            return lambda pipe: pipe.copy(key, target, replace=data["overwrite"])

        guarded(client, [key, target], attempt)
        return Outcome(f"copied to {bytes_to_text(target)}", refresh="key", row_id=target)


class Delete(Operation):
    name = "delete"
    label = "Delete"
    form_class = KeyForm
    destructive = True
    submit_label = "Delete the key"

    def apply(self, client, key, data):
        def attempt(pipe):
            check_type(pipe, key, data["expected_type"])
            return lambda pipe: pipe.unlink(key)

        guarded(client, [key], attempt)
        return Outcome(f"deleted {bytes_to_text(key)[:200]}", refresh="list")


KEY_OPERATIONS = allow_list(SetTtl, Persist, Rename, Copy, Delete)
