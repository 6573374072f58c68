"""Showing one value the way a person chose ("auto" or a decoder's name): what the page
needs to render it and to offer the other decoders."""

from __future__ import annotations

from dataclasses import dataclass

from keyspace.decoders.base import Decoded
from keyspace.decoders.registry import registry
from keyspace.decoders.text import printable_with_newlines

AUTO = "auto"


@dataclass(frozen=True)
class Shown:
    decoded: Decoded
    failed: Decoded | None  # the decoder asked for, when it could not read the value
    recognised: tuple[tuple[str, str], ...]  # decoders that detect the value, best first
    others: tuple[tuple[str, str], ...]

    @property
    def main_text(self) -> str:
        decoded = self.decoded
        while decoded.text is None and decoded.inner is not None:
            decoded = decoded.inner
        return decoded.text or ""


def view_choices() -> list[tuple[str, str]]:
    return [(AUTO, "Auto"), *registry.choices()]


def show(value: bytes, *, whole: bool, view: str) -> Shown:
    """`value` through the decoder `view`, or the best that reads it for "auto". Decoders that
    need the whole value are not given a part of it."""
    failed = None
    if view == AUTO:
        decoded = registry.decode_auto(value) if whole else plain(value)
    elif registry.get(view).needs_whole and not whole:
        decoded, failed = plain(value), registry.get(view).fail("the value is cut")
    else:
        decoded = registry.decode_as(view, value)
        if not decoded.ok:
            decoded, failed = plain(value), decoded
    recognised, others = registry.ordered_choices(value)
    return Shown(decoded, failed, tuple(recognised), tuple(others))


def plain(value: bytes) -> Decoded:
    """Text, or hex when the bytes are not text: what any part of any value can be shown as."""
    return registry.get("text" if printable_with_newlines(value) else "hex").decode(value)
