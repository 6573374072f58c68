"""Counters: a string holding a number INCRBY or INCRBYFLOAT reads, shown as that number with
buttons that add or take one (the string's Increment/decrement edit)."""

from __future__ import annotations

import re
from typing import Any

from keyspace.services.editing.increments import integer_of
from keyspace.units.string.views.base import StringView, string_views

# Plain decimals as INCRBYFLOAT writes them back (17.5, -0.25): other float spellings
# (1e3, 0x1p3) are numbers too, but rarely counters.
DECIMAL = re.compile(r"-?(?:0|[1-9][0-9]*)\.[0-9]+", re.ASCII)
MAX_DIGITS = 40


def number_kind(value: bytes) -> str:
    """ "integer", "decimal", or "" when the value is not a counter."""
    if len(value) > MAX_DIGITS:
        return ""
    text = value.decode("latin-1")
    if integer_of(text) is not None:
        return "integer"
    return "decimal" if DECIMAL.fullmatch(text) else ""


@string_views.register
class CounterView(StringView):
    name = "counter"
    label = "Counter"
    template = "keyspace/units/string/counter.html"

    def detect(self, head: bytes, whole: bool) -> bool:
        return whole and bool(number_kind(head))

    def refusal(self, value: bytes, offset: int, total: int) -> str:
        if offset or len(value) != total or not number_kind(value):
            return "the value is not a whole number or a decimal"
        return ""

    def facts_from(self, value: bytes, offset: int, total: int) -> dict[str, Any]:
        kind = number_kind(value)
        # A decimal amount goes to INCRBYFLOAT: a whole one would be refused on a decimal.
        return {"number": value.decode("ascii"), "kind": kind,
                "step": "1" if kind == "integer" else "1.0"}
