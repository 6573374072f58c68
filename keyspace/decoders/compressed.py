"""gzip, zlib and zstd: decompressed up to a hard output bound (a few bytes can inflate to
gigabytes), then decoded again through the registry, a bounded number of layers deep."""

from __future__ import annotations

import io
import zlib

from keyspace.decoders.base import Decoded, Decoder, Fact, Limits, NotThis
from keyspace.decoders.registry import registry

try:
    import zstandard
except ImportError:  # optional: the decoder then says how to get it
    zstandard = None

ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
# zstd lets a frame ask for a window of up to 2 GB of memory; refuse beyond this.
ZSTD_MAX_WINDOW = 8 * 1024 * 1024


def inflate(data: bytes, wbits: int, bound: int) -> tuple[bytes, list[str]]:
    """At most `bound` bytes of output, and notes about what was left out."""
    stream = zlib.decompressobj(wbits)
    out = stream.decompress(data, bound + 1)
    notes = []
    if len(out) > bound:
        out = out[:bound]
        notes.append(f"decompression stopped at {bound:,} bytes; the rest is not shown")
    elif not stream.eof:
        notes.append("the compressed data ends early; showing what it holds so far")
    elif stream.unused_data:
        notes.append(f"{len(stream.unused_data):,} bytes after the compressed data are ignored")
    return out, notes


class Compressed(Decoder):
    algorithm = ""

    def decompress(self, data: bytes, bound: int) -> tuple[bytes, list[str]]:
        raise NotImplementedError

    def read(self, data: bytes, limits: Limits, layer: int) -> Decoded:
        if not self.detect(data):
            raise NotThis(f"no {self.algorithm} header")
        try:
            out, notes = self.decompress(data, limits.inflate_bytes)
        except zlib.error as exc:
            raise NotThis(f"corrupt {self.algorithm} data ({exc})") from None
        inner = registry.decode_auto(out, limits=limits, layer=layer + 1)
        facts = (
            Fact("Compressed", f"{len(data):,} bytes ({self.algorithm})"),
            Fact("Decompressed", f"{len(out):,} bytes, shown as {inner.label}"),
        )
        summary = f"{self.algorithm}, {len(out):,} bytes decompressed"
        return self.result(facts=facts, notes=tuple(notes), inner=inner, summary=summary)


class GzipDecoder(Compressed):
    name = "gzip"
    label = "gzip"
    algorithm = "gzip"

    def detect(self, data: bytes) -> int:
        return 95 if data[:3] == b"\x1f\x8b\x08" else 0

    def decompress(self, data: bytes, bound: int) -> tuple[bytes, list[str]]:
        return inflate(data, 16 + zlib.MAX_WBITS, bound)


class ZlibDecoder(Compressed):
    name = "zlib"
    label = "zlib"
    algorithm = "zlib"

    def detect(self, data: bytes) -> int:
        if len(data) < 2 or data[0] & 0x0F != 8 or data[0] >> 4 > 7 or data[1] & 0x20:
            return 0
        if (data[0] * 256 + data[1]) % 31:
            return 0
        # The header is only two bytes ("x^" is one): the first few hundred must inflate too.
        try:
            zlib.decompressobj().decompress(data[:256], 256)
        except zlib.error:
            return 0
        return 80

    def decompress(self, data: bytes, bound: int) -> tuple[bytes, list[str]]:
        return inflate(data, zlib.MAX_WBITS, bound)


class ZstdDecoder(Compressed):
    name = "zstd"
    label = "zstd"
    algorithm = "zstd"

    def detect(self, data: bytes) -> int:
        return 95 if data[:4] == ZSTD_MAGIC else 0

    def read(self, data: bytes, limits: Limits, layer: int) -> Decoded:
        if zstandard is None and self.detect(data):
            raise NotThis("zstd support is not installed (pip install zstandard)")
        return super().read(data, limits, layer)

    def decompress(self, data: bytes, bound: int) -> tuple[bytes, list[str]]:
        reader = zstandard.ZstdDecompressor(max_window_size=ZSTD_MAX_WINDOW).stream_reader(
            io.BytesIO(data), read_across_frames=True
        )
        chunks, size = [], 0
        try:
            while size <= bound:
                chunk = reader.read(min(65536, bound + 1 - size))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        except zstandard.ZstdError as exc:
            if not chunks:
                raise NotThis(f"corrupt zstd data ({exc})") from None
            return b"".join(chunks), [f"the zstd data breaks off ({exc}); showing what came before"]
        out = b"".join(chunks)
        if len(out) > bound:
            return out[:bound], [f"decompression stopped at {bound:,} bytes; the rest is not shown"]
        return out, []
