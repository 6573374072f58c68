"""RQ jobs: the `data` field of an `rq:job:<id>` hash is a zlib-compressed pickle of
(function name, instance, args, kwargs). Shown through the restricted pickle reader."""

from __future__ import annotations

import zlib

from keyspace.decoders.base import Decoded, Decoder, Fact, Limits, NotThis
from keyspace.decoders.compressed import ZlibDecoder, inflate
from keyspace.decoders.pickle_reader import read_pickle
from keyspace.decoders.pickled import PickleDecoder
from keyspace.decoders.tree import scalar_text


class RqJobDecoder(Decoder):
    name = "rq"
    label = "RQ job data"

    def detect(self, data: bytes) -> int:
        if not ZlibDecoder().detect(data):
            return 0
        try:
            head = zlib.decompressobj().decompress(data[:512], 2)
        except zlib.error:
            return 0
        return 85 if len(head) == 2 and head[0] == 0x80 and 2 <= head[1] <= 5 else 0

    def read(self, data: bytes, limits: Limits, layer: int) -> Decoded:
        if not self.detect(data):
            raise NotThis("not a zlib-compressed pickle")
        raw, notes = inflate(data, zlib.MAX_WBITS, limits.inflate_bytes)
        inner = PickleDecoder().decode(raw, limits=limits, layer=layer + 1)
        facts = [Fact("Compressed", f"{len(data):,} bytes (zlib), {len(raw):,} decompressed")]
        facts += _job_facts(raw)
        summary = next((f.value for f in facts if f.label == "Function"), "RQ job")
        return self.result(facts=tuple(facts), notes=tuple(notes), inner=inner, summary=summary)


def _job_facts(raw: bytes) -> list[Fact]:
    try:
        value = read_pickle(raw).value
    except (NotThis, ValueError, IndexError, EOFError, OverflowError):
        return []
    if not (isinstance(value, tuple) and len(value) == 4 and isinstance(value[0], str)):
        return [Fact("Shape", "not RQ's (function, instance, args, kwargs)")]
    func, instance, args, kwargs = value
    facts = [Fact("Function", scalar_text(func)[1][:300])]
    if instance is not None:
        facts.append(Fact("Called on", "an instance (see the structure below)"))
    if isinstance(args, tuple | list):
        facts.append(Fact("Positional arguments", f"{len(args):,}"))
    if isinstance(kwargs, list):
        facts.append(Fact("Keyword arguments", f"{len(kwargs):,}"))
    return facts
