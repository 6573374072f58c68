"""A stream's entries by ID range, paged both ways, and one consumer group's consumers.
Read-only; each request costs a fixed number of bounded commands (see units/stream/)."""

from __future__ import annotations

from keyspace.access.permissions import VIEW, dashboard_view
from keyspace.exceptions import BadRequest, KeyNotFound
from keyspace.redis.connection import get_client
from keyspace.redis.key_types import stream_type
from keyspace.redis.keynames import decode_key
from keyspace.units.stream.info import find_group, read_consumers
from keyspace.units.stream.reading import ORDERS, EntriesQuery, read_entries
from keyspace.views.rendering import render_page

ENTRIES = "keyspace/units/stream_entries.html"
CONSUMERS = "keyspace/units/stream_consumers.html"


@dashboard_view(VIEW)
def stream_entries(request, db: int, key: bytes):
    form = EntriesQuery(request.GET)
    context = {"db": db, "key": key, "form": form, "orders": ORDERS}
    if not form.is_valid():
        # The problems are shown by their fields; nothing is read.
        return render_page(request, ENTRIES, context, fragment="entries", status=400)
    query = form.cleaned_data
    entries = read_entries(get_client(db), key, query)
    context |= {"query": query, "entries": entries,
                "next_query": _page_query(request, "after", entries.next_after),
                "previous_query": _page_query(request, "before", entries.previous_before)}
    return render_page(request, ENTRIES, context, fragment="entries")


def _page_query(request, name: str, cursor: str | None) -> str | None:
    """The same range and order, one page on (`after`) or back (`before`)."""
    if cursor is None:
        return None
    params = request.GET.copy()
    for dropped in ("after", "before", "at"):
        params.pop(dropped, None)
    params[name] = cursor
    return params.urlencode()


@dashboard_view(VIEW)
def stream_consumers(request, db: int, key: bytes):
    """`?group=<token>`: the group's name as a key token (any bytes)."""
    try:
        name = decode_key(request.GET.get("group", ""))
    except ValueError:
        raise BadRequest("not a group token") from None
    client = get_client(db)
    key_type = stream_type(client, key)
    if key_type == b"none":
        raise KeyNotFound("this key no longer exists")
    if key_type != b"stream":
        raise BadRequest("this key is no longer a stream")
    groups, found = find_group(client, key, name)
    consumers = read_consumers(client, key, found) if found else None
    context = {"db": db, "key": key, "group_name": name, "group": found, "groups": groups,
               "consumers": consumers}
    return render_page(request, CONSUMERS, context, fragment="consumers")
