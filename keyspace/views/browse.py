"""The keyspace browser: SCAN pages with metadata, filters, and an exact-key lookup."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.urls import reverse

from keyspace.access.permissions import VIEW, dashboard_view
from keyspace.conf import app_settings
from keyspace.redis.connection import current_target, get_client, server_overview
from keyspace.redis.scanning import ScanPage, key_count, scan_keys
from keyspace.services.browse import (
    SORTS,
    keys_metadata,
    listing_notes,
    lookup_key,
    sort_rows,
)
from keyspace.units import registry
from keyspace.views.query import OPTIONAL_COLUMNS, KeyspaceQueryForm
from keyspace.views.rendering import fragment_target, render_page


@dashboard_view(VIEW)
def home(request):
    """The connection shown (the default one, or the first this user may view)."""
    return redirect("keyspace:keyspace-browse", db=current_target().default_db)


@dashboard_view(VIEW)
def server_info(request, db: int):
    """Version, mode and the db picker, loaded after the page so a page's own Redis work
    stays bounded (the overview is cached for a few seconds)."""
    context = {"db": db, "overview": server_overview()}
    return render(request, "keyspace/_server_info.html", context)


@dashboard_view(VIEW)
def keyspace_browse(request, db: int):
    form = KeyspaceQueryForm(request.GET)
    query = form.parsed()
    client = get_client(db)
    lookup = None
    if query["key"]:
        found = lookup_key(client, query["key"])
        lookup = {"typed": query["key"], "found": found is not None}
        scan = ScanPage([found] if found else [], "0", key_count(client), 1.0, False)
    else:
        scan = scan_keys(
            client,
            cursor=query["cursor"],
            page_size=query["count"],
            match=query["match"],
            type_name=query["type"] or None,
            budget_ms=app_settings.SCAN_BUDGET_MS,
        )
    shown = _shown_columns(request, query)
    sort = query["sort"] if query["sort"].removeprefix("-") in ("name", "ttl", *shown) else ""
    rows = keys_metadata(client, scan.keys, type_name=query["type"] or None,
                         memory="memory" in shown, length="length" in shown)
    context = {
        "db": db,
        "tab": "keys",
        "limits": listing_notes(memory="memory" in shown, type_filtered=bool(query["type"])),
        "form": form,
        "query": query,
        "scan": scan,
        "rows": sort_rows(rows, sort),
        "columns": _columns(request, shown, sort),
        "shown": shown,
        "sort": sort,
        "sort_label": SORT_LABELS.get(sort.removeprefix("-"), ""),
        "lookup": lookup,
        "filtered": bool(query["match"] or query["type"]),
        "more_query": _more_query(request, scan),
        "start_query": _start_query(request) if scan.restarted else "",
        "type_names": registry.type_names(),
        # Reversed once: "/db/<db>/key/" (an empty name's URL ends in "//").
        "key_prefix": reverse("keyspace:key-detail", kwargs={"db": db, "key": b""})[:-1],
        "continuing": bool(query["cursor"] and query["cursor"] != "0"),
    }
    fragment = "rows" if fragment_target(request) == "load-more" else "results"
    return render_page(request, "keyspace/browse.html", context, fragment=fragment)


def _more_query(request, scan: ScanPage) -> str:
    params = _without_column_choice(request)
    params["cursor"] = scan.next_cursor
    return params.urlencode()


def _start_query(request) -> str:
    """The query of this list from its first page (same filters and size)."""
    params = _without_column_choice(request)
    params.pop("cursor", None)
    return params.urlencode()


COLUMNS = (("name", "Key"), ("type", "Type"), ("ttl", "TTL"), ("memory", "Memory"),
           ("length", "Length"))
SORT_LABELS = {"name": "name", "ttl": "TTL", "memory": "memory", "length": "length"}
SESSION_COLUMNS = "keyspace_shown_columns"


def _shown_columns(request, query: dict) -> tuple[str, ...]:
    """The optional columns to fetch and show: the form's choice when it sends one (then
    remembered in the session), else the one remembered, else all."""
    if query["columns"]:
        request.session[SESSION_COLUMNS] = list(query["show"])
    remembered = request.session.get(SESSION_COLUMNS, list(OPTIONAL_COLUMNS))
    return tuple(c for c in OPTIONAL_COLUMNS if c in remembered)


def _without_column_choice(request):
    """The query string without the columns choice: links made from it follow the session."""
    params = request.GET.copy()
    for name in ("columns", "show"):
        params.pop(name, None)
    return params


def _columns(request, shown: tuple[str, ...], sort: str) -> list[dict]:
    """The table's columns with, for sortable ones, the link that sorts by them: a first click
    asks for the column's natural direction, the next one reverses it."""
    columns = []
    for name, label in COLUMNS:
        if name in OPTIONAL_COLUMNS and name not in shown:
            continue
        column = {"name": name, "label": label, "numeric": name in ("memory", "length")}
        if name in SORTS:
            direction = {name: "desc", f"-{name}": "asc"}.get(sort, SORTS[name][1])
            params = _without_column_choice(request)
            params["sort"] = f"-{name}" if direction == "desc" else name
            column |= {"href": f"{request.path}?{params.urlencode()}", "next": direction,
                       "current": {name: "ascending", f"-{name}": "descending"}.get(sort, "")}
        columns.append(column)
    return columns
