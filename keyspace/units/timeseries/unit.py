"""RedisTimeSeries series (TYPE `TSDB-TYPE`): TS.INFO and a chart of the whole series from
one bounded TS.RANGE (see chart.py). Read-only.

Tested against a real RedisTimeSeries (tests/units/timeseries/test_live.py; the module is
loaded with OpenSSL 1.1 taken from a wheel, see tests/support/module_server.py), and on
recorded replies for what no server holds for long."""

from __future__ import annotations

from keyspace.display import bytes_to_text
from keyspace.units.base import PageRequest, TypeUnit, ValuePage, registry
from keyspace.units.replies import InfoRow, reply_pairs
from keyspace.units.timeseries.chart import (
    MAX_POINTS,
    bucket_ms,
    chart_of,
    parse_samples,
    range_arguments,
)

SHOWN = ("totalSamples", "memoryUsage", "firstTimestamp", "lastTimestamp", "retentionTime",
         "chunkCount", "chunkSize", "chunkType", "duplicatePolicy", "sourceKey")


def _text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, bytes):
        return bytes_to_text(value)
    if isinstance(value, list | tuple):
        return ", ".join(_text(item) for item in value)
    return f"{value:,}" if isinstance(value, int) else str(value)


def parse_info(reply) -> dict[str, object]:
    """TS.INFO as a dict by field name."""
    return dict(reply_pairs(reply))


def info_rows(info: dict) -> list[InfoRow]:
    rows = [InfoRow(name, _text(info[name])) for name in SHOWN if name in info]
    rows += [InfoRow(f"label {_text(pair[0])}", _text(pair[1]))
             for pair in info.get("labels") or [] if len(pair) == 2]
    rows += [InfoRow("rule", _text(rule)) for rule in info.get("rules") or []]
    return rows


@registry.register
class TimeSeriesUnit(TypeUnit):
    type_name = "TSDB-TYPE"
    label = "Time series"
    length_label = "samples"

    @property
    def template(self) -> str:
        return "keyspace/units/timeseries.html"

    @property
    def url_prefix(self) -> str:
        return "timeseries/"

    def queue_length(self, pipe, key: bytes) -> None:
        pipe.execute_command("TS.INFO", key)

    def parse_length(self, reply) -> int | None:
        total = parse_info(reply).get("totalSamples")
        return total if isinstance(total, int) else None

    def fingerprint_parts(self, reader, key: bytes) -> list:
        info = parse_info(reader.execute_command("TS.INFO", key))
        return [info.get(name) for name in ("totalSamples", "firstTimestamp", "lastTimestamp")]

    def queue_page(self, pipe, key: bytes, request: PageRequest) -> None:
        pipe.execute_command("TS.INFO", key)

    def parse_page(self, reply, request: PageRequest, length: int | None) -> ValuePage:
        info = parse_info(reply)
        return ValuePage(rows=info_rows(info), next_cursor=None, extra={"info": info})

    def complete_page(self, client, key: bytes, page: ValuePage) -> ValuePage:
        """The chart: one TS.RANGE of at most MAX_POINTS samples."""
        command = chart_command(key, page.extra["info"])
        if command is None:
            return page
        return with_chart(page, client.execute_command(*command))


def chart_command(key: bytes, info: dict) -> list | None:
    """The TS.RANGE that draws the series' chart; None when it holds no samples."""
    total, first, last = (info.get(name) for name in
                          ("totalSamples", "firstTimestamp", "lastTimestamp"))
    if not (isinstance(total, int) and total and isinstance(first, int)
            and isinstance(last, int)):
        return None
    return range_arguments(key, first, last, total)


def with_chart(page: ValuePage, reply) -> ValuePage:
    """`page` with the chart of a TS.RANGE reply (from `chart_command`)."""
    info = page.extra["info"]
    first, last = info["firstTimestamp"], info["lastTimestamp"]
    bucket = bucket_ms(first, last) if info["totalSamples"] > MAX_POINTS else None
    return ValuePage(page.rows, None, page.notes,
                     page.extra | {"chart": chart_of(parse_samples(reply), bucket)})
