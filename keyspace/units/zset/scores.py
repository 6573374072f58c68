"""Scores as people type them and as Redis takes them, score-range bounds, and finding the
member someone typed.

A score is a 64-bit float. Redis stores +inf and -inf but never NaN. (Increments are read and
checked by `keyspace.services.editing.increments`, like every other increment.)
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from django import forms

from keyspace.display import bytes_to_text
from keyspace.redis.keynames import parse_escaped

MAX_NUMBER_LENGTH = 100
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
INFINITIES = {
    "inf": math.inf,
    "+inf": math.inf,
    "infinity": math.inf,
    "+infinity": math.inf,
    "-inf": -math.inf,
    "-infinity": -math.inf,
}


def score_text(score: float) -> str:
    """The shortest text that reads back as exactly this score (as the page shows it)."""
    return repr(float(score))


def parse_score(text: str | None, *, infinite: bool = True, what: str = "score") -> float:
    """A score (or increment) typed by a person; ValidationError with a clear message if it
    is not a number Redis can store. Only plain decimal notation is taken: no NaN, no `1_0`,
    no non-ASCII digits, and a number too large for a double is refused, not made infinite."""
    text = (text or "").strip()
    if not text:
        raise forms.ValidationError(f"give a {what}")
    lowered = text.lower()
    if lowered in INFINITIES:
        if not infinite:
            raise forms.ValidationError(f"infinity is not allowed as {_article(what)} {what}")
        return INFINITIES[lowered]
    if lowered.lstrip("+-") == "nan":
        raise forms.ValidationError("NaN is not a number Redis can store as a score")
    if len(text) > MAX_NUMBER_LENGTH or not NUMBER.fullmatch(text):
        raise forms.ValidationError(f"{text[:40]!r} is not a number")
    value = float(text)
    if not math.isfinite(value):
        raise forms.ValidationError(f"{text[:40]!r} is out of range for a score (a 64-bit float)")
    return value


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


@dataclass(frozen=True)
class Bound:
    """One end of a score range, inclusive or exclusive, possibly infinite."""

    value: float
    exclusive: bool = False

    @property
    def number(self) -> str:
        if math.isinf(self.value):
            return "+inf" if self.value > 0 else "-inf"
        return score_text(self.value)

    @property
    def arg(self) -> str:
        """As ZRANGEBYSCORE takes it: `5`, `(5`, `-inf`."""
        return ("(" if self.exclusive else "") + self.number

    @property
    def complement(self) -> str:
        """The bound of everything beyond this one: ZCOUNT from it counts what lies outside."""
        return ("" if self.exclusive else "(") + self.number


def parse_bound(text: str | None, exclusive: bool, default: float) -> Bound:
    """A range end as typed: empty means `default` (an infinity); a leading `(` (as in Redis)
    or the exclusive checkbox makes it exclusive; -inf, +inf accepted, NaN refused."""
    text = (text or "").strip()
    if text.startswith("("):
        exclusive, text = True, text[1:].strip()
    if not text:
        return Bound(default, exclusive)
    return Bound(parse_score(text, infinite=True, what="bound"), exclusive)


def member_candidates(typed: str) -> list[bytes]:
    r"""The members a person may mean by `typed`: the text literally first, then with `\xNN`
    escapes decoded (the form binary members are shown in)."""
    literal = typed.encode("utf-8", "surrogateescape")
    return list(dict.fromkeys([literal, parse_escaped(typed)]))


def member_label(member: bytes, limit: int = 100) -> str:
    text = bytes_to_text(member)
    return text if len(text) <= limit else text[:limit] + "…"
