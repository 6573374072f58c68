"""gzip, zlib and zstd: decompressed within a hard bound, then decoded again."""

from __future__ import annotations

import gzip
import json
import tracemalloc
import zlib

import msgpack
import pytest
import zstandard

from keyspace.decoders import compressed as compressed_module
from keyspace.decoders import registry
from tests.decoders.helpers import facts, innermost, small_limits

MIB = 1024 * 1024


def test_gzip_holding_json():
    data = gzip.compress(json.dumps({"a": 1}).encode())
    result = registry.get("gzip").decode(data)
    assert facts(result)["Decompressed"] == "8 bytes, shown as JSON"
    assert result.inner.decoder == "json" and result.inner.text == '{\n  "a": 1\n}'


def test_zlib_holding_msgpack():
    data = zlib.compress(msgpack.packb([1, 2]))
    assert registry.decode_auto(data).inner.decoder == "msgpack"


def test_zstd_holding_text():
    data = zstandard.ZstdCompressor().compress(b"hello zstd")
    result = registry.decode_auto(data)
    assert result.decoder == "zstd" and result.inner.text == "hello zstd"


def test_zstd_without_the_package_says_how_to_get_it(monkeypatch):
    monkeypatch.setattr(compressed_module, "zstandard", None)
    data = zstandard.ZstdCompressor().compress(b"x")
    assert registry.get("zstd").decode(data).message == (
        "not zstd: zstd support is not installed (pip install zstandard)"
    )


def test_text_that_starts_like_a_zlib_header_is_not_zlib():
    assert registry.get("zlib").detect(b"x^ and some words") == 0
    assert registry.decode_auto(b"x^ and some words").decoder == "text"


def _zeros(squeeze, size: int) -> bytes:
    block = bytes(1024 * 1024)
    parts = [squeeze.compress(block) for _ in range(size // len(block))]
    return b"".join(parts) + squeeze.flush()


BOMBS = {
    "gzip": lambda: _zeros(zlib.compressobj(9, zlib.DEFLATED, 31), 64 * MIB),  # in ~64 KB
    "zlib": lambda: _zeros(zlib.compressobj(9), 64 * MIB),
    "zstd": lambda: _zeros(zstandard.ZstdCompressor().compressobj(), 1024 * MIB),  # in ~32 KB
}


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_a_bomb_stops_at_the_output_bound(name):
    data = BOMBS[name]()
    limits = small_limits(input_bytes=len(data), inflate_bytes=MIB)
    tracemalloc.start()
    try:
        result = registry.get(name).decode(data, limits=limits)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * MIB
    assert result.ok
    assert facts(result)["Decompressed"].startswith("1,048,576 bytes")
    assert result.notes == ("decompression stopped at 1,048,576 bytes; the rest is not shown",)


def test_nested_compression_stops_at_the_layer_bound():
    data = b'{"deep": true}'
    for _ in range(10):
        data = gzip.compress(data)
    result = registry.decode_auto(data, limits=small_limits(layers=3))
    layers = 0
    node = result
    while node.inner is not None:
        layers, node = layers + 1, node.inner
    assert layers == 3
    assert node.decoder == "hex"
    assert node.notes[-1] == "not decoded further: 3 formats deep already"


def test_cut_data_shows_what_it_holds_so_far():
    data = gzip.compress(b"hello world" * 100)
    result = registry.get("gzip").decode(data[:30])
    assert result.ok and "the compressed data ends early" in result.notes[0]
    assert innermost(result).decoder == "text"


def test_corrupt_data_is_not_gzip():
    data = bytearray(gzip.compress(b"hello world" * 100))
    data[12:20] = b"\xff" * 8
    assert (
        registry.get("gzip").decode(bytes(data)).message.startswith("not gzip: corrupt gzip data")
    )
