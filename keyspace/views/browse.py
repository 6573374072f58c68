"""The keyspace browser: SCAN pages with metadata, filters, and an exact-key lookup."""

from __future__ import annotations

from django.shortcuts import redirect, render
from django.urls import reverse

from keyspace.access.permissions import VIEW, dashboard_view
from keyspace.conf import app_settings
from keyspace.redis.connection import current_target, get_client, server_overview
from keyspace.redis.scanning import ScanPage, scan_keys
from keyspace.services.browse import keys_metadata, lookup_key
from keyspace.units import registry
from keyspace.views.query import KeyspaceQueryForm
from keyspace.views.rendering import fragment_target, render_page


@dashboard_view(VIEW)
def home(request):
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
        scan = ScanPage([found] if found else [], "0", client.dbsize(), 1.0, False)
    else:
        scan = scan_keys(
            client,
            cursor=query["cursor"],
            page_size=query["count"],
            match=query["match"],
            type_name=query["type"] or None,
            budget_ms=app_settings.SCAN_BUDGET_MS,
        )
    rows = keys_metadata(client, scan.keys, type_name=query["type"] or None)
    context = {
        "db": db,
        "tab": "keys",
        "form": form,
        "query": query,
        "scan": scan,
        "rows": rows,
        "lookup": lookup,
        "filtered": bool(query["match"] or query["type"]),
        "more_query": _more_query(request, scan),
        "type_names": registry.type_names(),
        # Reversed once: "/db/<db>/key/" (an empty name's URL ends in "//").
        "key_prefix": reverse("keyspace:key-detail", kwargs={"db": db, "key": b""})[:-1],
        "continuing": bool(query["cursor"] and query["cursor"] != "0"),
    }
    fragment = "rows" if fragment_target(request) == "load-more" else "results"
    return render_page(request, "keyspace/browse.html", context, fragment=fragment)


def _more_query(request, scan: ScanPage) -> str:
    params = request.GET.copy()
    params["cursor"] = scan.next_cursor
    return params.urlencode()
