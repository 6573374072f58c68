"""Namespaces: folders of keys by prefix. The page paints at once; counts stream in by steps."""

from __future__ import annotations

from keyspace.access.permissions import VIEW, dashboard_view
from keyspace.conf import app_settings
from keyspace.redis.connection import get_client
from keyspace.redis.keynames import encode_key, escape_glob, to_escaped
from keyspace.services.namespaces import breadcrumbs, count_step, load_count
from keyspace.views.query import NamespaceQueryForm
from keyspace.views.rendering import render_page


def _context(db: int, query: dict) -> dict:
    prefix, delimiter = query["prefix"], query["delimiter"]
    return {
        "db": db,
        "tab": "namespaces",
        "prefix": prefix,
        "prefix_token": encode_key(prefix),
        "delimiter": delimiter.decode("utf-8"),
        "delimiter_bytes": delimiter,
        "crumbs": [(segment, encode_key(upto)) for segment, upto in breadcrumbs(prefix, delimiter)],
        "prefix_match": to_escaped(escape_glob(prefix) + b"*"),
    }


@dashboard_view(VIEW)
def namespace_browse(request, db: int):
    query = NamespaceQueryForm(request.GET).parsed()
    return render_page(request, "keyspace/namespaces.html", _context(db, query), fragment="shell")


@dashboard_view(VIEW)
def namespace_count(request, db: int):
    query = NamespaceQueryForm(request.GET).parsed()
    state = load_count(query["scan"], query["prefix"], query["delimiter"], db,
                       owner=_owner(request))
    state = count_step(get_client(db), state, app_settings.NAMESPACE_STEP_MS)
    context = _context(db, query) | {
        "state": state,
        "folders": [
            (
                segment,
                # A cut name is not the folder's whole prefix: no drill-down link for it.
                None if cut else encode_key(query["prefix"] + segment + query["delimiter"]),
                count,
                state.estimate(count),
            )
            for segment, count, cut in state.sorted_folders()
        ],
    }
    return render_page(request, "keyspace/namespaces.html", context, fragment="counts")


def _owner(request) -> str:
    """Whose count slots a request uses: the signed-in user (one local owner with sign-in off)."""
    user = getattr(request, "user", None)
    return f"user-{user.pk}" if user is not None and user.pk is not None else "local"
