"""Hex: offsets, bytes and their ASCII, sixteen to a line. Any bytes read as hex."""

from __future__ import annotations

from keyspace.decoders.base import Decoder, Limits
from keyspace.decoders.text import printable_with_newlines
from keyspace.display import hex_dump


class HexDecoder(Decoder):
    name = "hex"
    label = "Hex"
    needs_whole = False

    def detect(self, data: bytes) -> int:
        return 1 if printable_with_newlines(data) else 5

    def read(self, data: bytes, limits: Limits, layer: int):
        # Bounded by the input cap: about five characters per byte read.
        return self.result(text=hex_dump(data), summary=f"{len(data):,} bytes")
