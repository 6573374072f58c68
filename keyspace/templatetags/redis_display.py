"""Display filters. Each returns plain text; the template's autoescaping does the escaping."""

from __future__ import annotations

from django import template

from keyspace import display
from keyspace.redis.keynames import encode_key, to_escaped

register = template.Library()


@register.filter
def as_text(value) -> str:
    if isinstance(value, bytes | bytearray):
        return display.bytes_to_text(bytes(value))
    return "" if value is None else str(value)


@register.filter
def escaped_text(value) -> str:
    r"""Bytes as text a form sends back unchanged (`\xNN` escapes, backslashes doubled)."""
    return to_escaped(value) if isinstance(value, bytes) else str(value)


@register.filter
def is_binary(value) -> bool:
    return isinstance(value, bytes) and not display.is_printable_text(value)


@register.filter
def key_token(value: bytes) -> str:
    return encode_key(value)


@register.filter
def ttl(value) -> str:
    return display.human_ttl(value)


@register.filter
def ttl_exact(value) -> str:
    return display.exact_ttl(value)


@register.filter
def size(value) -> str:
    return display.human_bytes(value)


@register.filter
def thousands(value) -> str:
    if value is None:
        return "—"
    return f"{value:,}"


@register.filter
def percent(value: float) -> str:
    return f"{value * 100:.0f}%"


@register.filter
def score(value: float) -> str:
    return repr(value)  # the shortest text that reads back as the same float
