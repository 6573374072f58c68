"""Timestamps: seconds, milliseconds, microseconds or nanoseconds shown as UTC dates."""

from __future__ import annotations

import pytest

from keyspace.decoders import registry
from tests.decoders.helpers import facts

TIMESTAMP = registry.get("timestamp")


@pytest.mark.parametrize(
    ("raw", "date", "unit"),
    [
        (b"1714521600", "2024-05-01 00:00:00 UTC", "seconds"),
        (b"1714521600.25", "2024-05-01 00:00:00.25 UTC", "seconds"),
        (b"1714521600123", "2024-05-01 00:00:00.123 UTC", "milliseconds"),
        (b"1714521600123456", "2024-05-01 00:00:00.123456 UTC", "microseconds"),
        (b"1714521600123456789", "2024-05-01 00:00:00.123456 UTC", "nanoseconds"),
    ],
)
def test_units(raw, date, unit):
    result = TIMESTAMP.decode(raw)
    assert facts(result) == {"Date": date, "Read as": f"{unit} since 1970-01-01 UTC"}
    assert result.text == raw.decode()


@pytest.mark.parametrize("raw", [b"42", b"99999999999", b"4102444800", b"12ab34567890", b""])
def test_implausible_numbers_are_not_timestamps(raw):
    assert TIMESTAMP.detect(raw) == 0
    assert TIMESTAMP.decode(raw).message.startswith("not Timestamp: not a number of")
