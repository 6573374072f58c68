"""Sorted sets whose scores are dates (seconds, milliseconds or microseconds since 1970): a
delayed-job schedule, an activity log, expiring members. Shown as dates when nothing more
specific (a rate limiter) claimed the key."""

from __future__ import annotations

from keyspace.decoders.base import Fact
from keyspace.display import bytes_to_text, truncate_bytes
from keyspace.services.patterns.base import (
    Recogniser,
    Sample,
    as_datetime,
    date_text,
    epoch_unit,
    registry,
)

SHOWN = 20


@registry.register
class ScoreDatesRecogniser(Recogniser):
    name = "score-dates"
    label = "Sorted set of dates"
    types = ("zset",)
    fallback = True

    def recognise(self, sample: Sample):
        scores = [s for _, s in sample.newest]
        unit = epoch_unit(scores + ([sample.oldest[1]] if sample.oldest else []))
        if unit is None:
            return None
        per_second = unit[1]
        future = sum(1 for s in scores if s / per_second * 1000 > sample.now_ms)
        rows = [(bytes_to_text(truncate_bytes(m, 200)[0]), date_text(as_datetime(s, per_second)))
                for m, s in sample.newest[:SHOWN]]
        facts = (Fact("Scores are", f"{unit[0]} since 1970-01-01 UTC"),
                 Fact("Latest", date_text(as_datetime(sample.newest[0][1], per_second))),
                 Fact("Earliest", date_text(as_datetime(sample.oldest[1], per_second)))
                 if sample.oldest else Fact("Earliest", "?"))
        summary = f"Its scores read as dates ({unit[0]})"
        if future:
            summary += f"; {future} of the latest {len(scores)} are in the future (a schedule?)"
        return self.found(summary + ".", facts=facts, extra={"rows": rows})
