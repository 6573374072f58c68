"""Pages as light as their data: a 1,000-row page of each big key (hash, sorted set, list,
set) against a minimal Django view rendering the same rows read-only (bench/row_floor.py),
interleaved in the same rounds; and the HTML each row costs."""

from __future__ import annotations

import re

from context import Bench, key_path
from probe import interleaved
from report import Row, ratio_row, section, value_row

from keyspace.redis.keynames import encode_key

ROWS = 1000
SERVER_LIMIT = 2.0
BYTES_PER_ROW = 250
TBODY = re.compile(r"<tbody>(.*?)</tbody>", re.S)
# A value row: `<tr data-row="<its token>">` (what live redraws find it by), then its cells.
VALUE_ROW = re.compile(r'<tr data-row="[^"]*"><td')


def _paths(key: bytes) -> tuple[str, str]:
    return f"{key_path(0, key)}?count={ROWS}", f"/bench/rows/0/{encode_key(key)}/?count={ROWS}"


def _per_row(body: str) -> tuple[int, float]:
    """The value rows drawn and the bytes of the table body per row (UTF-8)."""
    found = TBODY.search(body)
    rows_html = found.group(1) if found else ""
    count = len(VALUE_ROW.findall(rows_html))
    return count, len(rows_html.encode()) / count if count else float("inf")


def check(bench: Bench) -> list[Row]:
    probe = bench.probe
    cases = {}
    for kind, key in bench.keys.big.items():
        page, floor = _paths(key)
        cases[f"{kind} page"] = lambda path=page: probe.get(path)
        cases[f"{kind} floor"] = lambda path=floor: probe.get(path, tally=False)
    summaries = interleaved(cases, bench.repeat, bench.warmup)
    rows = [
        section(
            f"{ROWS:,}-row pages, full page vs read-only Django floor (median of {bench.repeat})"
        )
    ]
    for kind, key in bench.keys.big.items():
        page, floor = summaries[f"{kind} page"], summaries[f"{kind} floor"]
        rows.append(ratio_row(f"{kind}: server ms", page.server_ms, floor.server_ms, SERVER_LIMIT))
        rows += _size_rows(bench, kind, key)
    return rows


def _size_rows(bench: Bench, kind: str, key: bytes) -> list[Row]:
    page_path, floor_path = _paths(key)
    body = bench.probe.get(page_path, tally=False).body
    floor = bench.probe.get(floor_path, tally=False).body
    count, per_row = _per_row(body)
    floor_rows = len(re.findall(r"<tr>", floor))
    bench.note(
        f"{kind} {ROWS:,}-row page: {len(body.encode()) / 1024:,.0f} KiB of HTML, "
        f"{count} rows; floor {len(floor.encode()) / 1024:,.0f} KiB, {floor_rows} rows"
    )
    return [
        value_row(
            f"{kind}: HTML per row",
            f"{per_row:,.0f} B",
            f"≤ {BYTES_PER_ROW} B",
            per_row <= BYTES_PER_ROW and count == floor_rows,
            floor=f"{len(floor.encode()) / max(floor_rows, 1):,.0f} B",
        ),
        value_row(
            f"{kind}: whole page",
            f"{len(body.encode()) / 1024:,.0f} KiB",
            "",
            None,
            floor=f"{len(floor.encode()) / 1024:,.0f} KiB",
        ),
    ]
