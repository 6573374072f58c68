"""Key names are bytes. These helpers carry them through URLs and glob patterns intact."""

from __future__ import annotations

import base64
import binascii
import re

GLOB_SPECIALS = re.compile(rb"([*?\[\]\\])")
_URLSAFE = bytes.maketrans(b"+/", b"-_")


def encode_key(key: bytes) -> str:
    """Unpadded urlsafe base64: any bytes, safe in a path segment."""
    # binascii directly: a 1,000-row page encodes a token per row.
    return binascii.b2a_base64(key, newline=False).rstrip(b"=").translate(_URLSAFE).decode("ascii")


def decode_key(token: str) -> bytes:
    padded = token + "=" * (-len(token) % 4)
    try:
        return base64.b64decode(padded.encode("ascii"), altchars=b"-_", validate=True)
    except (binascii.Error, UnicodeEncodeError) as exc:
        raise ValueError(f"not a key token: {token!r}") from exc


class KeyConverter:
    """Path converter `<key:name>`: views receive the key as bytes."""

    regex = r"[A-Za-z0-9_-]*"

    def to_python(self, value: str) -> bytes:
        return decode_key(value)

    def to_url(self, value: bytes) -> str:
        return encode_key(value)


def escape_glob(literal: bytes) -> bytes:
    """Make `literal` match only itself inside a SCAN MATCH pattern."""
    return GLOB_SPECIALS.sub(rb"\\\1", literal)


_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|[\\nrt0])")
_SIMPLE = {"\\": b"\\", "n": b"\n", "r": b"\r", "t": b"\t", "0": b"\x00"}


def to_escaped(value: bytes) -> str:
    r"""Text that `parse_escaped` turns back into exactly `value` (backslashes doubled)."""
    out = []
    for ch in value.decode("utf-8", "surrogateescape"):
        if ch == "\\":
            out.append("\\\\")
        elif "\udc80" <= ch <= "\udcff":
            out.append(f"\\x{ord(ch) - 0xDC00:02x}")
        elif ch < " " or ch == "\x7f":
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)
    return "".join(out)


def parse_escaped(text: str) -> bytes:
    r"""The inverse of how binary names are shown: `\xff`, `\n`, `\\` become bytes."""
    out = bytearray()
    position = 0
    for match in _ESCAPE.finditer(text):
        out += text[position : match.start()].encode("utf-8", "surrogateescape")
        code = match.group(1)
        out += bytes([int(code[1:], 16)]) if code[0] == "x" else _SIMPLE[code]
        position = match.end()
    out += text[position:].encode("utf-8", "surrogateescape")
    return bytes(out)
