"""What a page needs to go live: the query its live panel is loaded with (the page as drawn,
with a digest of its visible rows, so the live stream can tell whether the page is already out
of date when it opens)."""

from __future__ import annotations

from django import template

from keyspace.services.live.lists import MAX_SEEN, short_digest
from keyspace.services.live.snapshot import page_digest

register = template.Library()


@register.simple_tag(takes_context=True)
def live_query(context) -> str:
    """The key page's query for its live panel: its own parameters, the order it was drawn
    in (a remembered string view included) and the digest of its rows."""
    request, detail = context["request"], context.get("detail")
    params = request.GET.copy()
    params.pop("live", None)
    if detail is not None and detail.request is not None and detail.request.order:
        params["order"] = detail.request.order
    params["digest"] = page_digest(context.get("page"))
    return params.urlencode()


@register.simple_tag(takes_context=True)
def query_with(context, name: str, value: str = "") -> str:
    """The current query with `name` set to `value` (or removed when `value` is empty). An
    opened row (`row`) is left out: a live page follows the value, not one row's page."""
    params = context["request"].GET.copy()
    params.pop(name, None)
    params.pop("row", None)
    if value:
        params[name] = value
    return params.urlencode()


@register.simple_tag
def live_seen(rows) -> str:
    """The keys a page of the key list shows, as short digests (services/live/lists.py)."""
    return "".join(short_digest(row.name) for row in rows[:MAX_SEEN])
