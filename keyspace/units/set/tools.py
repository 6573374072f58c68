"""Read-only set tools: random members, membership tests, and paged comparisons with other
sets. Each request does a bounded amount of work; none loads a whole set."""

from __future__ import annotations

from urllib.parse import urlencode

import redis
from django import forms

from keyspace.services.editing.guard import Tool, refused
from keyspace.units.base import Element
from keyspace.units.set.compare import compare_page, parse_compare_cursor
from keyspace.units.set.inputs import COMPARISON_WORDS, MembersInput, OthersInput, clamp

RESULTS = "keyspace/units/set_tools.html"
MAX_RANDOM = 1000
MAX_PAGE = 1000


class ClampedNumber(forms.CharField):
    def __init__(self, *, low: int, high: int, default: int, **kwargs):
        self.low, self.high, self.default = low, high, default
        kwargs.setdefault("required", False)
        kwargs.setdefault("initial", str(default))
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("widget", forms.NumberInput(attrs={"min": low, "max": high}))
        super().__init__(**kwargs)

    def clean(self, value):
        return clamp(super().clean(value), self.low, self.high, self.default)


def _redis_refusal(run):
    """A set tool's run() with Redis's refusals (a key turned into another type, say) shown
    as a problem rather than an error page."""

    def wrapped(self, client, key, data):
        try:
            return run(self, client, key, data)
        except redis.ResponseError as exc:
            raise refused(exc) from exc

    return wrapped


class RandomForm(forms.Form):
    count = ClampedNumber(low=1, high=MAX_RANDOM, default=10, label=f"How many (1–{MAX_RANDOM})")
    repeats = forms.BooleanField(required=False, label="Allow the same member more than once")


class RandomMembers(Tool):
    name = "set-random"
    label = "Random members"
    form_class = RandomForm
    result_template = f"{RESULTS}#random"
    submit_label = "Pick"

    @_redis_refusal
    def run(self, client, key, data):
        count = data["count"]
        picked = client.srandmember(key, -count if data["repeats"] else count) or []
        return {"picked": [Element.of(m) for m in picked], "asked": count}


class MembershipForm(MembersInput):
    member_limit = 1000


class Membership(Tool):
    name = "set-contains"
    label = "Test membership"
    form_class = MembershipForm
    result_template = f"{RESULTS}#membership"
    submit_label = "Test"

    @_redis_refusal
    def run(self, client, key, data):
        members = data["members"]
        answers = client.smismember(key, members)
        rows = [(Element.of(m), bool(a)) for m, a in zip(members, answers, strict=True)]
        return {"answers": rows, "found": sum(1 for _, a in rows if a)}


class Unrendered(forms.HiddenInput):
    """The compare cursor arrives with the "Next page" link only: a resubmitted form starts
    the comparison over."""

    def render(self, *args, **kwargs):
        return ""


class CompareForm(OthersInput):
    count = ClampedNumber(low=1, high=MAX_PAGE, default=100, label=f"Per page (1–{MAX_PAGE})")
    cursor = forms.CharField(required=False, max_length=30, widget=Unrendered)

    def clean_cursor(self):
        cursor = self.cleaned_data["cursor"]
        try:
            parse_compare_cursor(cursor)
        except Exception:  # noqa: BLE001 - ValueError or the scan parser's BadRequest
            raise forms.ValidationError("not a page cursor; start the comparison again") from None
        return cursor


class Compare(Tool):
    name = "set-compare"
    label = "Compare with other sets"
    form_class = CompareForm
    result_template = f"{RESULTS}#compare"
    submit_label = "Compare"

    @_redis_refusal
    def run(self, client, key, data):
        page = compare_page(
            client,
            key,
            data["operation"],
            data["others"],
            cursor=data["cursor"],
            count=data["count"],
        )
        next_query = None
        if page.next_cursor:
            next_query = urlencode(
                {
                    "run": "1",
                    "operation": data["operation"],
                    "others": data["others_text"],
                    "others_format": data.get("others_format") or "text",
                    "count": data["count"],
                    "cursor": page.next_cursor,
                }
            )
        return {
            "compare": page,
            "word": COMPARISON_WORDS[data["operation"]],
            "next_query": next_query,
            "paging": bool(data["cursor"]),
        }
