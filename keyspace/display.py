"""Turning Redis bytes into text a person can read. Templates escape the result; nothing here
marks anything safe."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime, timedelta

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\", "\x00": "\\0"}


_PRINTABLE_ASCII = re.compile(r"[\x20-\x7e]+")
_NON_ASCII = re.compile(r"[^\x20-\x7e\n]")


def is_printable_text(value: bytes) -> bool:
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return _printable(text)


def _printable(text: str) -> bool:
    # Printable ASCII (the common case) is one check in C; only what is left of other text is
    # checked character by character.
    if text.isascii() and text.isprintable():
        return True
    rest = _PRINTABLE_ASCII.sub("", text)
    return not any(_is_invisible(ch) for ch in rest)


def _is_invisible(ch: str) -> bool:
    # Control, format (bidi overrides, zero-width) and separator characters other than space.
    return unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"}


def bytes_to_text(value: bytes) -> str:
    r"""Printable UTF-8 as it is; anything else with `\xNN`-style escapes, reversibly."""
    return readable_text(value)[0]


def readable_text(value: bytes) -> tuple[str, bool]:
    """`bytes_to_text(value)` and whether `value` was printable text, deciding that once."""
    try:
        text = value.decode("utf-8")
    except UnicodeDecodeError:
        return _escaped(value), False
    if _printable(text):
        return text, True
    return _escaped(value), False


def _escaped(value: bytes) -> str:
    text = value.decode("utf-8", "surrogateescape")
    parts = []
    for ch in text:
        if ch in _NAMED:
            parts.append(_NAMED[ch])
        elif "\udc80" <= ch <= "\udcff":
            parts.append(f"\\x{ord(ch) - 0xDC00:02x}")
        elif _is_invisible(ch):
            parts.append("".join(f"\\x{b:02x}" for b in ch.encode("utf-8")))
        else:
            parts.append(ch)
    return "".join(parts)


def truncate_bytes(value: bytes, limit: int) -> tuple[bytes, bool]:
    if len(value) <= limit:
        return value, False
    return value[:limit], True


def hex_dump(value: bytes, width: int = 16) -> str:
    lines = []
    for offset in range(0, len(value), width):
        chunk = value[offset : offset + width]
        hex_part = " ".join(f"{b:02x}" for b in chunk).ljust(width * 3 - 1)
        ascii_part = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        lines.append(f"{offset:08x}  {hex_part}  {ascii_part}")
    return "\n".join(lines)


def pretty_json(value: bytes) -> str | None:
    """Indented JSON when `value` is a JSON object or array, else None; None too when the
    indenting would add more than three times the value's size and 16 KB (each line is
    indented by its depth: deep nesting made 200 KB of 900 bytes)."""
    stripped = value.strip()
    if stripped[:1] not in (b"{", b"["):
        return None
    try:
        text = _indented(json.loads(stripped), "", [3 * len(stripped) + 16 * 1024])
    except (ValueError, RecursionError, _TooWide):
        return None
    # Invisible characters (bidi controls, zero-width, separators) back to \u escapes.
    return _NON_ASCII.sub(lambda m: json.dumps(m[0])[1:-1] if _is_invisible(m[0]) else m[0], text)


class _TooWide(Exception):
    pass


def _indented(value, pad: str, room: list[int]) -> str:
    """`json.dumps(value, indent=2, ensure_ascii=False)` for what `json.loads` returns, in
    half the time: with an indent, json's encoder runs in Python, one generator per level;
    here containers are joined directly and strings encoded by json's C function. `room`:
    the characters of indenting and line ends still allowed (_TooWide past them)."""
    kind = type(value)
    if kind is dict or kind is list:
        if not value:
            return "{}" if kind is dict else "[]"
        inner = pad + "  "
        room[0] -= len(value) * (len(inner) + 2) + len(pad) + 1
        if room[0] < 0:
            raise _TooWide
        if kind is dict:
            items = [f"{inner}{_json_string(k)}: {_indented(v, inner, room)}"
                     for k, v in value.items()]
            return "{\n" + ",\n".join(items) + "\n" + pad + "}"
        return ("[\n" + ",\n".join([inner + _indented(v, inner, room) for v in value]) + "\n"
                + pad + "]")
    if kind is str:
        return _json_string(value)
    if value is None or value is True or value is False:
        return "null" if value is None else "true" if value else "false"
    if kind is float and (value != value or value in (_INFINITY, -_INFINITY)):
        return "NaN" if value != value else "Infinity" if value > 0 else "-Infinity"
    return repr(value)  # int, float: what json writes


_json_string = json.encoder.encode_basestring  # the C encoder when available, as json's own
_INFINITY = float("inf")


def human_ttl(ttl_ms: int | None) -> str:
    """PTTL for people: "23 h 4 m"; "no TTL" for -1."""
    if ttl_ms is None:
        return "?"
    if ttl_ms == -1:
        return "no TTL"
    if ttl_ms < 0:
        return "expired"
    seconds = ttl_ms // 1000
    if seconds < 1:
        return f"{ttl_ms} ms"
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    units = [(days, "d"), (hours, "h"), (minutes, "m"), (seconds, "s")]
    shown = [f"{amount} {unit}" for amount, unit in units if amount][:2]
    return " ".join(shown)


def exact_ttl(ttl_ms: int | None, now: datetime | None = None) -> str:
    if ttl_ms is None or ttl_ms < 0:
        return human_ttl(ttl_ms)
    expires = (now or datetime.now(UTC)) + timedelta(milliseconds=ttl_ms)
    return f"{ttl_ms:,} ms (expires {expires:%Y-%m-%d %H:%M:%S} UTC)"


def human_bytes(size: int | None) -> str:
    if size is None:
        return "—"
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{int(value)} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"
