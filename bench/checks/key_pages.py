"""Opening one key: the first page of each 1,000,000-element key against the same page of a
100-element key of its type, the true top of a big sorted set, and a 10 MB string."""

from __future__ import annotations

import html
import re

from context import Bench, key_path
from probe import Summary, interleaved
from report import Row, ratio_row, section, value_row

PAGE_LIMIT = 1.2
# The first member shown in the value table, and the score cell after it.
FIRST_MEMBER = re.compile(
    r'class="values".*?<span class="element[^"]*">([^<]*)</span>.*?<td class="num">([^<]*)</td>',
    re.S,
)


def _pages(bench: Bench) -> dict[str, bytes]:
    pages = {}
    for kind in bench.keys.big:
        pages[f"{kind} big"] = bench.keys.big[kind]
        pages[f"{kind} small"] = bench.keys.small[kind]
    pages.update({f"string {size}": key for size, key in bench.keys.strings.items()})
    return pages


def _container_rows(bench: Bench, s: dict[str, Summary], size_label: str) -> list[Row]:
    rows = []
    for kind in bench.keys.big:
        big, small = s[f"{kind} big"], s[f"{kind} small"]
        rows.append(
            ratio_row(
                f"{kind} {size_label} vs 100: server ms", big.server_ms, small.server_ms, PAGE_LIMIT
            )
        )
        rows.append(
            ratio_row(f"{kind} {size_label} vs 100: Redis ms", big.redis_ms, small.redis_ms, None)
        )
    return rows


def _string_rows(s: dict[str, Summary], huge_label: str) -> list[Row]:
    huge, mid, small = s["string huge"], s["string mid"], s["string small"]
    return [
        ratio_row(
            f"string {huge_label} vs 512 KB (both cut at the preview): server ms",
            huge.server_ms,
            mid.server_ms,
            PAGE_LIMIT,
        ),
        ratio_row(
            f"string {huge_label} vs 512 KB: Redis ms", huge.redis_ms, mid.redis_ms, PAGE_LIMIT
        ),
        ratio_row(
            f"string {huge_label} vs 100 B: server ms", huge.server_ms, small.server_ms, None
        ),
        ratio_row(f"string {huge_label} vs 100 B: Redis ms", huge.redis_ms, small.redis_ms, None),
    ]


def _zset_top_row(bench: Bench, size_label: str) -> Row:
    key = bench.keys.big["zset"]
    [(member, score)] = bench.raw(0).zrevrange(key, 0, 0, withscores=True)
    body = bench.probe.get(key_path(0, key), tally=False).body
    shown = FIRST_MEMBER.search(body)
    first, shown_score = (html.unescape(shown.group(1)), shown.group(2)) if shown else ("", "")
    expected = member.decode()
    bench.note(
        f"big zset: rank 1 shown {first!r} (score {shown_score}), "
        f"true top {expected!r} (score {score:.17g})"
    )
    return value_row(
        f"zset {size_label}: rank 1 is the true top by score",
        first or "no member shown",
        "highest score first",
        first == expected,
        floor=expected,
    )


def check(bench: Bench, size_label: str, huge_label: str) -> list[Row]:
    probe = bench.probe
    cases = {
        name: (lambda key=key: probe.get(key_path(0, key))) for name, key in _pages(bench).items()
    }
    summaries = interleaved(cases, bench.repeat, bench.warmup)
    huge_page = probe.get(key_path(0, bench.keys.strings["huge"]), tally=False)
    bench.note(f"string {huge_label} page: {len(huge_page.body) / 1024:,.0f} KiB of HTML")
    return [
        section(f"key pages, full page (median of {bench.repeat}); floor column: small key"),
        *_container_rows(bench, summaries, size_label),
        _zset_top_row(bench, size_label),
        *_string_rows(summaries, huge_label),
    ]
