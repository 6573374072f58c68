"""What every value decoder provides, and what it returns.

A decoder reads bytes from Redis and returns a `Decoded`: plain text, a tree of `Node`s, a few
`Fact`s, or another `Decoded` it found inside (a gzip holding JSON). Everything in it is text
for templates to escape; nothing here builds HTML or marks anything safe. Decoders only parse:
none imports, loads or calls anything named by the data.

Template contract: `keyspace/decoders/_decoded.html` renders a `Decoded` (its facts, notes,
text, tree and inner result), each part with its own fragment in the same folder.
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass, field, replace
from typing import ClassVar

from django.conf import settings

# How deep decoders may nest inside each other (base64 in JSON in gzip ...).
MAX_LAYERS = 4
MAX_NODES = 2000  # entries of one decoded tree
MAX_DEPTH = 32  # nesting of one decoded tree
MAX_TEXT_CHARS = 512 * 1024  # text one decoded value may produce
MAX_SCALAR_CHARS = 4096  # one string or bytes value inside a tree


@dataclass(frozen=True)
class Limits:
    """Bounds read from settings at use time, so tests and deployments can lower them."""

    input_bytes: int
    inflate_bytes: int
    nodes: int = MAX_NODES
    depth: int = MAX_DEPTH
    text_chars: int = MAX_TEXT_CHARS
    scalar_chars: int = MAX_SCALAR_CHARS
    layers: int = MAX_LAYERS


def current_limits() -> Limits:
    return Limits(
        input_bytes=settings.DASHBOARD_PREVIEW_BYTES,
        inflate_bytes=settings.DASHBOARD_MAX_VALUE_BYTES,
    )


@dataclass(frozen=True)
class Node:
    """One entry of a decoded structure: its name in the parent (a map key, a field, an index),
    what it is (`kind`), its value as text when it is a scalar, and its children otherwise."""

    label: str = ""
    kind: str = ""
    value: str = ""
    children: tuple[Node, ...] = ()
    note: str = ""  # e.g. "40 more entries not shown"


@dataclass(frozen=True)
class Fact:
    label: str
    value: str


@dataclass(frozen=True)
class Decoded:
    decoder: str
    label: str
    ok: bool = True
    reason: str = ""  # why this is not the format, when not ok
    summary: str = ""
    text: str | None = None
    # Set when `text` is a listing beside the tree (a pickle's opcodes): its heading.
    text_title: str = ""
    tree: Node | None = None
    facts: tuple[Fact, ...] = ()
    notes: tuple[str, ...] = ()
    inner: Decoded | None = None

    @property
    def message(self) -> str:
        return f"not {self.label}: {self.reason}" if not self.ok else self.summary


class NotThis(Exception):
    """Raised inside a decoder when the bytes are not its format; `decode` turns it into a
    `Decoded` with `ok=False` and this message as the reason."""


# What parsing malformed bytes can raise inside the standard library's and our own readers;
# `Decoder.decode` turns these into "not X: ..." too. Anything else is a bug and propagates.
PARSE_ERRORS = (
    NotThis,
    ValueError,  # includes UnicodeDecodeError, json's and msgpack's errors
    IndexError,
    KeyError,
    EOFError,
    OverflowError,
    RecursionError,
    struct.error,
    zlib.error,
)


class Decoder:
    """One value format. Subclasses set `name` and `label` and implement `detect` and `read`.

    `detect` must be cheap and bounded (magic bytes or a quick shape check); it returns a score
    from 0 (not this format) to 100 (certain). Scores of `CONFIDENT` and above may be picked
    automatically. `read` may raise any of `PARSE_ERRORS` on malformed input.
    """

    name: ClassVar[str]
    label: ClassVar[str]
    # Text and hex can show any part of a value; the others need it whole.
    needs_whole: ClassVar[bool] = True
    CONFIDENT: ClassVar[int] = 50

    def detect(self, data: bytes) -> int:
        raise NotImplementedError

    def read(self, data: bytes, limits: Limits, layer: int) -> Decoded:
        raise NotImplementedError

    def decode(self, data: bytes, *, limits: Limits | None = None, layer: int = 0) -> Decoded:
        """Never raises on malformed data: returns `ok=False` with the reason instead."""
        limits = limits or current_limits()
        cut = len(data) > limits.input_bytes
        try:
            decoded = self.read(data[: limits.input_bytes], limits, layer)
        except PARSE_ERRORS as exc:
            return self.fail(_reason(exc))
        if cut and decoded.ok:
            note = f"only the first {limits.input_bytes:,} of {len(data):,} bytes were read"
            decoded = _with_note(decoded, note)
        return decoded

    def fail(self, reason: str) -> Decoded:
        return Decoded(decoder=self.name, label=self.label, ok=False, reason=reason)

    def result(self, **parts) -> Decoded:
        return Decoded(decoder=self.name, label=self.label, **parts)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, NotThis):
        return str(exc)
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    detail = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return f"unreadable ({detail})"


def _with_note(decoded: Decoded, note: str) -> Decoded:
    return replace(decoded, notes=(*decoded.notes, note))


def cut_text(text: str, limit: int) -> tuple[str, list[str]]:
    """`text` cut to `limit` characters, with a note saying so when it was."""
    if len(text) <= limit:
        return text, []
    return text[:limit], [f"cut at {limit:,} of {len(text):,} characters"]


@dataclass
class Budget:
    """What is left of a tree's node allowance; decoders spend it as they build."""

    nodes: int
    skipped: int = field(default=0)

    def take(self) -> bool:
        if self.nodes <= 0:
            self.skipped += 1
            return False
        self.nodes -= 1
        return True
