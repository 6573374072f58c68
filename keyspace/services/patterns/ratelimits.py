"""Rate limiters: a sliding window (a sorted set of requests scored by their time) and a token
bucket (a small hash with the tokens left and the time of the last refill).

A sliding window is recognised when the sampled scores are all dates of the same unit, none in
the future, and the key either expires (limiters set a TTL of about one window) or is named
like a limiter. The window is not stored anywhere: it is taken as the TTL, else as the span of
the entries, rounded up to a usual window (1 s … 1 d).
"""

from __future__ import annotations

from dataclasses import replace

from keyspace.decoders.base import Fact
from keyspace.display import human_ttl
from keyspace.services.patterns.base import (
    Recogniser,
    Sample,
    as_datetime,
    date_text,
    epoch_unit,
    number,
    registry,
)

LIMIT_WORDS = ("rate", "ratelimit", "limit", "limiter", "limits", "throttle", "quota", "rl")
WINDOWS_S = (1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 21600, 43200, 86400)
FUTURE_SLACK_S = 60  # clocks of application servers differ a little from Redis's host
TIMELINE_WIDTH = 600


def window_seconds(sample: Sample, unit_per_second: float) -> tuple[int, str]:
    """(the window in seconds, how it was found)."""
    if sample.ttl_ms and sample.ttl_ms > 0:
        wanted, basis = sample.ttl_ms / 1000, "the key's TTL"
    else:
        scores = [s for _, s in sample.newest] + ([sample.oldest[1]] if sample.oldest else [])
        wanted = (max(scores) - min(scores)) / unit_per_second
        basis = "the span of its entries"
    return next((w for w in WINDOWS_S if w >= wanted), WINDOWS_S[-1]), basis


def _window_text(seconds: int) -> str:
    return human_ttl(seconds * 1000)


@registry.register
class SlidingWindowRecogniser(Recogniser):
    name = "sliding-window"
    label = "Rate limiter (sliding window)"
    types = ("zset",)

    def recognise(self, sample: Sample):
        scores = [s for _, s in sample.newest]
        unit = epoch_unit(scores + ([sample.oldest[1]] if sample.oldest else []))
        if unit is None:
            return None
        newest = max(scores) / unit[1]
        if newest > sample.now_ms / 1000 + FUTURE_SLACK_S:
            return None  # scheduled jobs, not past requests
        if not ((sample.ttl_ms or 0) > 0 or sample.name_has(LIMIT_WORDS)):
            return None
        window, basis = window_seconds(sample, unit[1])
        return self.found(
            f"Requests scored by their time in {unit[0]}; the window is taken as "
            f"{_window_text(window)} (from {basis}).",
            extra={"unit": unit, "window": window},
        )

    def complete(self, client, sample: Sample, found):
        """ZCOUNT over the window (O(log N)), and the timeline of the sampled entries in it."""
        unit_name, per_second = found.extra["unit"]
        window = found.extra["window"]
        now = sample.now_ms / 1000
        start = (now - window) * per_second
        count = client.zcount(sample.key, start, "+inf")
        ticks = [round((s / per_second - (now - window)) / window * TIMELINE_WIDTH, 1)
                 for _, s in sample.newest if s >= start]
        newest = as_datetime(sample.newest[0][1], per_second)
        older = (sample.length or 0) - count
        facts = (
            Fact("In the current window", f"{count:,} of {sample.length or 0:,} entries"),
            Fact("Window", f"{_window_text(window)} (until now, {date_text(as_datetime(now, 1))})"),
            Fact("Newest request", date_text(newest)),
            Fact("Key TTL", human_ttl(sample.ttl_ms)),
        )
        warnings = (f"{older:,} entries are older than the window: the limiter trims them "
                    "when it next runs (ZREMRANGEBYSCORE), or nobody trims them.",) if older else ()
        extra = {**found.extra, "count": count, "ticks": ticks, "width": TIMELINE_WIDTH,
                 "window_text": _window_text(window)}
        return replace(found, facts=facts, warnings=warnings, extra=extra)


TOKEN_FIELDS = (b"tokens", b"tokens_left", b"available_tokens", b"remaining", b"allowance",
                b"bucket", b"token_count")
REFILL_FIELDS = (b"last_refill", b"last_refilled", b"refilled_at", b"last_refill_time",
                 b"lastrefill", b"last_update", b"last_updated", b"updated_at", b"timestamp",
                 b"ts", b"last")


def _field(fields: dict[bytes, bytes], names: tuple[bytes, ...]) -> tuple[bytes, bytes] | None:
    lowered = {name.lower(): (name, value) for name, value in fields.items()}
    return next((lowered[n] for n in names if n in lowered), None)


@registry.register
class TokenBucketRecogniser(Recogniser):
    name = "token-bucket"
    label = "Rate limiter (token bucket)"
    types = ("hash",)

    def recognise(self, sample: Sample):
        fields = sample.fields or {}
        tokens, refill = _field(fields, TOKEN_FIELDS), _field(fields, REFILL_FIELDS)
        if tokens is None or refill is None or number(tokens[1]) is None:
            return None
        stamp = number(refill[1])
        unit = epoch_unit([stamp]) if stamp is not None else None
        if unit is None:
            return None
        refilled = as_datetime(stamp, unit[1])
        age_ms = max(0, sample.now_ms - int(stamp / unit[1] * 1000))
        others = [Fact(n.decode("utf-8", "replace"), v.decode("utf-8", "replace")[:100])
                  for n, v in fields.items() if n not in (tokens[0], refill[0])]
        return self.found(
            f"{number(tokens[1]):g} tokens left, last refilled {human_ttl(age_ms)} ago.",
            facts=(Fact("Tokens", tokens[1].decode("ascii")),
                   Fact("Last refill", f"{date_text(refilled)} ({unit[0]})"),
                   Fact("Since then", human_ttl(age_ms)), *others[:10],
                   Fact("Key TTL", human_ttl(sample.ttl_ms))),
        )
