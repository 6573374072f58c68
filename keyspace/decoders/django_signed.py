"""Django's signed data (`django.core.signing.dumps`, database session data, signed cookies):
`payload:timestamp:signature`, or `payload:signature` without a timestamp, the payload
URL-safe base64 and zlib-compressed when it starts with ".". The payload is shown; the
signature is not checked, since that needs the application's SECRET_KEY."""

from __future__ import annotations

import base64
import binascii
import re
import zlib
from datetime import UTC, datetime

from keyspace.decoders.base import Decoded, Decoder, Fact, Limits, NotThis
from keyspace.decoders.compressed import inflate
from keyspace.decoders.registry import registry

_PAYLOAD = re.compile(rb"\.?[A-Za-z0-9_-]+")
_TIMESTAMP = re.compile(rb"[0-9A-Za-z]{1,11}")
_SIGNATURE = re.compile(rb"[A-Za-z0-9_-]{27,88}")
B62 = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def split(data: bytes) -> tuple[bytes, bytes | None, bytes] | None:
    parts = data.strip().split(b":")
    if len(parts) not in (2, 3) or not _PAYLOAD.fullmatch(parts[0]):
        return None
    if not _SIGNATURE.fullmatch(parts[-1]):
        return None
    stamp = parts[1] if len(parts) == 3 else None
    if stamp is not None and not _TIMESTAMP.fullmatch(stamp):
        return None
    return parts[0], stamp, parts[-1]


def unbase64(payload: bytes) -> bytes:
    body = payload.lstrip(b".")
    try:
        return base64.urlsafe_b64decode(body + b"=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        raise NotThis("the payload is not base64") from None


def b62_decode(text: bytes) -> int:
    number = 0
    for char in text:
        number = number * 62 + B62.index(char)
    return number


class DjangoSignedDecoder(Decoder):
    name = "django-signed"
    label = "Django signed data"

    def detect(self, data: bytes) -> int:
        parts = split(data[:65536])
        if parts is None:
            return 0
        try:
            raw = unbase64(parts[0])
        except NotThis:
            return 0
        if parts[0].startswith(b"."):
            return 75 if raw[:1] == b"x" else 0
        return 75 if raw[:1] in (b"{", b"[", b'"', b"\x80") else 0

    def read(self, data: bytes, limits: Limits, layer: int) -> Decoded:
        parts = split(data)
        if parts is None:
            raise NotThis("not in the payload:timestamp:signature shape")
        payload, stamp, signature = parts
        raw = unbase64(payload)
        facts = [Fact("Signature", "present, not checked (checking needs the SECRET_KEY)")]
        notes: list[str] = []
        if payload.startswith(b"."):
            try:
                raw, notes = inflate(raw, zlib.MAX_WBITS, limits.inflate_bytes)
            except zlib.error as exc:
                raise NotThis(f"the compressed payload is corrupt ({exc})") from None
        facts.append(Fact("Compressed", "yes (zlib)" if payload.startswith(b".") else "no"))
        if stamp is not None:
            facts.append(Fact("Signed at", _when(b62_decode(stamp))))
        inner = registry.decode_auto(raw, limits=limits, layer=layer + 1)
        return self.result(
            facts=tuple(facts), notes=tuple(notes), inner=inner, summary=f"signed {inner.label}"
        )


def _when(seconds: int) -> str:
    try:
        return f"{datetime.fromtimestamp(seconds, UTC):%Y-%m-%d %H:%M:%S} UTC"
    except (OverflowError, OSError, ValueError):
        return f"{seconds} (not a date)"
