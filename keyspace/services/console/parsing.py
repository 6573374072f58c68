"""Command lines split and quoted the way redis-cli does, so what people paste from its
documentation or their shell history means the same here.

Splitting: words separated by whitespace; "double quotes" understand \\n \\r \\t \\b \\a \\\\ \\"
and \\xHH; 'single quotes' understand only \\'; a closing quote must end the word.
"""

from __future__ import annotations

import re

from keyspace.exceptions import BadRequest

ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "b": b"\b", "a": b"\a", "\\": b"\\", '"': b'"'}
HEX = re.compile(rb"[0-9a-fA-F]{2}")
MAX_ARGUMENTS = 10_000


def split_command(line: str) -> list[bytes]:
    """The arguments of `line` as bytes; BadRequest for unbalanced quotes or an empty line."""
    data = line.encode("utf-8", "surrogateescape")
    words: list[bytes] = []
    i = 0
    while True:
        while i < len(data) and data[i : i + 1].isspace():
            i += 1
        if i >= len(data):
            break
        word, i = _word(data, i)
        words.append(word)
        if len(words) > MAX_ARGUMENTS:
            raise BadRequest(f"more than {MAX_ARGUMENTS:,} arguments")
    if not words:
        raise BadRequest("type a command")
    return words


def _word(data: bytes, i: int) -> tuple[bytes, int]:
    out = bytearray()
    while i < len(data) and not data[i : i + 1].isspace():
        quote = data[i : i + 1]
        if quote == b'"':
            i = _double_quoted(data, i + 1, out)
        elif quote == b"'":
            i = _single_quoted(data, i + 1, out)
        else:
            out += quote
            i += 1
    return bytes(out), i


def _closing(data: bytes, i: int) -> int:
    if i < len(data) and not data[i : i + 1].isspace():
        raise BadRequest("a closing quote must be followed by a space")
    return i


def _double_quoted(data: bytes, i: int, out: bytearray) -> int:
    while i < len(data):
        char = data[i : i + 1]
        if char == b'"':
            return _closing(data, i + 1)
        if char == b"\\" and i + 1 < len(data):
            following = data[i + 1 : i + 2]
            if following == b"x" and HEX.fullmatch(data[i + 2 : i + 4]):
                out.append(int(data[i + 2 : i + 4], 16))
                i += 4
                continue
            out += ESCAPES.get(following.decode("latin-1"), following)
            i += 2
            continue
        out += char
        i += 1
    raise BadRequest("unbalanced double quote")


def _single_quoted(data: bytes, i: int, out: bytearray) -> int:
    while i < len(data):
        char = data[i : i + 1]
        if char == b"'":
            return _closing(data, i + 1)
        if char == b"\\" and data[i + 1 : i + 2] == b"'":
            out += b"'"
            i += 2
            continue
        out += char
        i += 1
    raise BadRequest("unbalanced single quote")


def quote(value: bytes) -> str:
    """`value` as redis-cli prints a bulk string: in double quotes, with escapes for quotes,
    backslashes, control characters and bytes that are not printable ASCII."""
    parts = ['"']
    for byte in value:
        char = chr(byte)
        if char in '"\\':
            parts.append("\\" + char)
        elif char in "\n\r\t\a\b":
            parts.append({"\n": "\\n", "\r": "\\r", "\t": "\\t", "\a": "\\a", "\b": "\\b"}[char])
        elif 32 <= byte < 127:
            parts.append(char)
        else:
            parts.append(f"\\x{byte:02x}")
    parts.append('"')
    return "".join(parts)
