"""No input makes a decoder raise or grow past its bounds: random bytes, and real values cut
short or with bytes flipped, through every registered decoder (called directly, without the
registry's safety net)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from keyspace.decoders import Decoded, registry
from tests.decoders.helpers import count_nodes, depth, small_limits, text_size
from tests.decoders.samples import samples

LIMITS = small_limits(input_bytes=4096, inflate_bytes=8192, nodes=200, depth=8, text_chars=20000)
SAMPLES = samples()


def check(data: bytes) -> None:
    for name in registry.names():
        decoder = registry.get(name)
        assert isinstance(decoder.detect(data), int)
        result = decoder.decode(data, limits=LIMITS)
        assert isinstance(result, Decoded), name
        assert result.ok or result.message.startswith(f"not {decoder.label}: "), name
        assert count_nodes(result.tree) <= LIMITS.nodes + 1, name
        assert depth(result.tree) <= LIMITS.depth + 1, name
        # Text and hex show every byte read (about five characters each); the rest less.
        assert text_size(result) <= 6 * LIMITS.input_bytes + 4 * LIMITS.text_chars, name


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=600))
def test_random_bytes(data):
    check(data)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(sorted(SAMPLES)), st.integers(0, 10_000), st.integers(0, 255))
def test_real_values_cut_or_flipped(name, where, byte):
    value = SAMPLES[name]
    at = where % len(value)
    check(value[:at])
    check(value[:at] + bytes([byte]) + value[at + 1 :])


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_every_sample_is_recognised_by_its_own_decoder(name):
    expected = {"pickle0": "pickle"}.get(name, name)
    found = [d.name for d, _ in registry.detected(SAMPLES[name])]
    assert found[0] == expected, found
    assert registry.decode_auto(SAMPLES[name]).decoder == expected
