"""The first keyspace page (100 keys with metadata) against the raw and Django floors, at
1,000,000 keys (db 0) and at 10,000 keys (db 1), all cases interleaved in the same rounds."""

from __future__ import annotations

import re
from collections.abc import Callable

from context import Bench
from floors import first_page
from probe import HTMX_RESULTS, Sample, Summary, interleaved
from report import Row, ratio_row, section, value_row

REDIS_LIMIT = 1.5
SERVER_LIMIT = 2.0
SCALE_LIMIT = 1.2
KEY_ROW = re.compile(r'<td class="key-name">')
PAGES = (("fragment", "htmx fragment"), ("full", "full page"))


def _cases(bench: Bench, label: str, db: int) -> dict[str, Callable[[], Sample]]:
    probe = bench.probe
    return {
        f"{label} raw": lambda: probe.local(lambda: first_page(bench.raw(db))),
        f"{label} django": lambda: probe.get(f"/bench/floor/{db}/", tally=False),
        f"{label} fragment": lambda: probe.get(f"/c/default/db/{db}/", HTMX_RESULTS),
        f"{label} full": lambda: probe.get(f"/c/default/db/{db}/"),
    }


def _rows_for(label: str, s: dict[str, Summary]) -> list[Row]:
    raw, django = s[f"{label} raw"], s[f"{label} django"]
    rows = [section(f"first page, {label} keys (median of {raw.count})")]
    for name, what in PAGES:
        page = s[f"{label} {name}"]
        rows += [
            ratio_row(f"{what}: Redis ms vs raw floor", page.redis_ms, raw.redis_ms, REDIS_LIMIT),
            ratio_row(
                f"{what}: server ms vs Django floor", page.server_ms, django.server_ms, SERVER_LIMIT
            ),
            ratio_row(f"{what}: wall ms vs Django floor", page.wall_ms, django.wall_ms, None),
        ]
    return rows + [
        ratio_row("Django floor: wall ms vs raw floor", django.wall_ms, raw.wall_ms, None),
        value_row(
            "commands per page: dashboard (floor)",
            f"{s[f'{label} fragment'].commands:.0f}",
            "",
            None,
            floor=f"{raw.commands:.0f}",
        ),
    ]


METRICS = {"server_ms": "server ms", "redis_ms": "Redis ms"}


def _growth_rows(s: dict[str, Summary], big: str, small: str, floor: str, metric: str) -> list[Row]:
    """How the page grows from `small` to `big` keys, judged against the floor's own growth:
    Redis itself gets slower per command on a bigger keyspace, which no page can avoid."""
    unit = METRICS[metric]
    floor_big, floor_small = (getattr(s[f"{size} {floor}"], metric) for size in (big, small))
    rows = [ratio_row(f"{floor} floor {unit}: {big} vs {small}", floor_big, floor_small, None)]
    for name, what in PAGES:
        at_big, at_small = (getattr(s[f"{size} {name}"], metric) for size in (big, small))
        versus_floor = (at_big / floor_big, at_small / floor_small)
        relative = versus_floor[0] / versus_floor[1]
        rows += [
            ratio_row(f"{what} {unit}: {big} vs {small}", at_big, at_small, None),
            Row(
                f"{what} {unit} ÷ {floor} floor: {big} vs {small}",
                f"{versus_floor[0]:.2f}x",
                f"{versus_floor[1]:.2f}x",
                f"{relative:.2f}x",
                f"within {SCALE_LIMIT:g}x",
                _within(relative, SCALE_LIMIT),
            ),
        ]
    return rows


def _within(ratio: float, limit: float) -> bool:
    return 1 / limit <= ratio <= limit


def _page_size(bench: Bench, db: int) -> int:
    page = bench.probe.get(f"/c/default/db/{db}/", HTMX_RESULTS, tally=False)
    return len(KEY_ROW.findall(page.body))


def check(bench: Bench, dbs: dict[str, int]) -> list[Row]:
    """`dbs`: label -> db number, the biggest keyspace first."""
    cases = {}
    for label, db in dbs.items():
        cases.update(_cases(bench, label, db))
    summaries = interleaved(cases, bench.repeat, bench.warmup)
    for label, db in dbs.items():
        bench.note(
            f"first page db{db} ({label} keys): {_page_size(bench, db)} rows shown, "
            f"floor {len(first_page(bench.raw(db)).rows)} rows"
        )
    big, small = list(dbs)
    return [
        *(row for label in dbs for row in _rows_for(label, summaries)),
        section(f"first page at {big} vs {small} keys (floor column: {small})"),
        *_growth_rows(summaries, big, small, "django", "server_ms"),
        *_growth_rows(summaries, big, small, "raw", "redis_ms"),
    ]
