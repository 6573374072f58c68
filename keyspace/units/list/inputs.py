"""What list forms read (indices, whole numbers) and how list messages show elements."""

from __future__ import annotations

import re

from django import forms

from keyspace.display import bytes_to_text
from keyspace.exceptions import BadRequest
from keyspace.services.editing.inputs import parse_number

MAX_INDEX_DIGITS = 18
WHOLE_NUMBER = re.compile(r"[+-]?[0-9]+")


def short(value: bytes, limit: int = 100) -> str:
    text = bytes_to_text(value[: limit * 4])
    return text if len(text) <= limit else text[:limit] + "…"


def out_of_range(index: int, length: int) -> str:
    span = "only index 0" if length == 1 else f"indices 0 to {length - 1:,}"
    return (
        f"there is no element at index {index:,}: the list has {length:,} "
        f"element{'s' if length != 1 else ''} ({span})"
    )


def parse_index_token(token: str) -> int:
    """A row is its index from the head: 0, 1, 2, ..."""
    if not (token.isascii() and token.isdigit()) or len(token) > MAX_INDEX_DIGITS:
        raise BadRequest(f"not a list index: {token[:40]!r}")
    return int(token)


def parse_whole_number(text: str) -> int:
    """A whole number in ASCII digits (no `1_000`, no other scripts' digits)."""
    text = text.strip()
    if not WHOLE_NUMBER.fullmatch(text):
        raise forms.ValidationError(f"{text[:40]!r} is not a whole number")
    if len(text.lstrip("+-").lstrip("0")) > 19:
        raise forms.ValidationError("out of range for a 64-bit integer")
    return parse_number(text, integer=True)


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
