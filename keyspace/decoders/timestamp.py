"""Timestamps: a decimal number of seconds, milliseconds, microseconds or nanoseconds since
1970 that lands between 1990 and 2100, shown as a UTC date."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from keyspace.decoders.base import Decoder, Fact, Limits, NotThis

_NUMBER = re.compile(rb"\s*(\d{9,19})(?:\.(\d{1,9}))?\s*")
EARLIEST = datetime(1990, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
# (unit name, units per second); the first unit that puts the number in range wins.
UNITS = (("seconds", 1), ("milliseconds", 10**3), ("microseconds", 10**6), ("nanoseconds", 10**9))


def as_date(data: bytes) -> tuple[datetime, str] | None:
    match = _NUMBER.fullmatch(data[:64])
    if match is None:
        return None
    whole, fraction = match.groups()
    for unit, per_second in UNITS:
        if fraction and per_second != 1:
            break  # only seconds come with a decimal fraction
        seconds, rest = divmod(int(whole), per_second)
        micros = rest * 10**6 // per_second + (int(fraction.ljust(6, b"0")[:6]) if fraction else 0)
        try:
            moment = datetime.fromtimestamp(seconds, UTC) + timedelta(microseconds=micros)
        except (OverflowError, OSError, ValueError):
            continue
        if EARLIEST <= moment < LATEST:
            return moment, unit
    return None


class TimestampDecoder(Decoder):
    name = "timestamp"
    label = "Timestamp"

    def detect(self, data: bytes) -> int:
        return 60 if as_date(data) else 0

    def read(self, data: bytes, limits: Limits, layer: int):
        found = as_date(data)
        if found is None:
            raise NotThis("not a number of (milli/micro/nano)seconds between 1990 and 2100")
        moment, unit = found
        shown = f"{moment:%Y-%m-%d %H:%M:%S.%f}".rstrip("0").rstrip(".") + " UTC"
        facts = (Fact("Date", shown), Fact("Read as", f"{unit} since 1970-01-01 UTC"))
        return self.result(
            text=data.decode("ascii").strip(), facts=facts, summary=f"{shown} ({unit})"
        )
