"""Real bytes from the real libraries, shared by the per-format tests and the fuzz test."""

from __future__ import annotations

import datetime
import gzip
import json
import pickle
import struct
import zlib

import msgpack
import zstandard

DOC = {"name": "Ada", "tags": ["x", "y"], "n": 3, "nested": {"ok": True, "none": None}}


def java_utf(text: str) -> bytes:
    raw = text.encode("utf-8")
    return struct.pack(">H", len(raw)) + raw


def java_point() -> bytes:
    """`new Point(3, 4)` with a `String label = "corner"`, written by ObjectOutputStream, built
    byte by byte per the grammar: magic, version, TC_OBJECT, a TC_CLASSDESC (name, UID, flags
    SC_SERIALIZABLE, two int fields and one object field whose type is a TC_STRING), no
    annotation, no superclass, then the field values: primitives first, then the String."""
    desc = (
        b"\x72" + java_utf("com.example.Point") + struct.pack(">q", 0x1234567890ABCDEF)
        + b"\x02" + struct.pack(">H", 3)
        + b"I" + java_utf("x") + b"I" + java_utf("y")
        + b"L" + java_utf("label") + b"\x74" + java_utf("Ljava/lang/String;")
        + b"\x78" + b"\x70"
    )  # fmt: skip
    values = struct.pack(">ii", 3, 4) + b"\x74" + java_utf("corner")
    return b"\xac\xed\x00\x05" + b"\x73" + desc + values


def samples() -> dict[str, bytes]:
    return {
        "json": json.dumps(DOC).encode(),
        "msgpack": msgpack.packb(DOC),
        "pickle": pickle.dumps({**DOC, "when": datetime.datetime(2024, 5, 1)}),
        "pickle0": pickle.dumps(DOC, protocol=0),
        "gzip": gzip.compress(json.dumps(DOC).encode()),
        "zlib": zlib.compress(msgpack.packb(DOC)),
        "zstd": zstandard.ZstdCompressor().compress(json.dumps(DOC).encode()),
        "php": b'a:2:{s:4:"name";s:3:"Ada";s:4:"tags";a:2:{i:0;s:1:"x";i:1;s:1:"y";}}',
        "java": java_point(),
        "timestamp": b"1714521600",
        "text": "plain words, ünïcödé".encode(),
    }
