"""Text: UTF-8 as it is (newlines and tabs kept), anything else with `\\xNN` escapes."""

from __future__ import annotations

from keyspace.decoders.base import Decoder, Limits
from keyspace.display import bytes_to_text, is_printable_text


def printable_with_newlines(value: bytes) -> bool:
    # A lone "\r" too: a preview cut between "\r" and "\n" is still text.
    return is_printable_text(value.replace(b"\r", b"").replace(b"\n", b"").replace(b"\t", b""))


def as_text(value: bytes) -> str:
    if printable_with_newlines(value):
        return value.decode("utf-8")
    return bytes_to_text(value)


class TextDecoder(Decoder):
    name = "text"
    label = "Text"
    needs_whole = False

    def detect(self, data: bytes) -> int:
        return 10 if printable_with_newlines(data) else 0

    def read(self, data: bytes, limits: Limits, layer: int):
        # Bounded by the input cap: at most four characters per byte read.
        return self.result(text=as_text(data), summary=f"{len(data):,} bytes of text")
