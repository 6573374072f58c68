"""The Server pages: an overview refreshed in place, and four sortable tables (slow log,
clients, latency, command statistics). Each panel renders what Redis refused instead of
failing the page."""

from __future__ import annotations

from keyspace.access.permissions import VIEW, dashboard_view
from keyspace.conf import app_settings
from keyspace.redis.connection import (
    current_sentinel,
    current_target,
    current_transport,
    get_client,
)
from keyspace.services.server.clients import clients_panel
from keyspace.services.server.overview import server_overview
from keyspace.services.server.slowlog import slowlog_panel
from keyspace.services.server.stats import commandstats_panel, latency_panel
from keyspace.views.rendering import render_page


def _context(db: int, section: str, **more) -> dict:
    return {"db": db, "tab": "server", "section": section,
            "own_name": app_settings.CLIENT_NAME, **more}


@dashboard_view(VIEW)
def server_page(request, db: int):
    """The overview; its polling asks for the `live` fragment only."""
    overview = server_overview(get_client(db), current_target().address)
    context = _context(db, "overview", overview=overview, transport=current_transport(),
                       sentinel=current_sentinel(replicas=True),
                       refresh_seconds=app_settings.SERVER_REFRESH_SECONDS)
    return render_page(request, "keyspace/server.html", context, fragment="live")


@dashboard_view(VIEW)
def server_slowlog(request, db: int):
    panel = slowlog_panel(get_client(db), request.GET)
    return render_page(request, "keyspace/server_slowlog.html",
                       _context(db, "slowlog", panel=panel))


@dashboard_view(VIEW)
def server_clients(request, db: int):
    panel = clients_panel(get_client(db), request.GET)
    return render_page(request, "keyspace/server_clients.html",
                       _context(db, "clients", panel=panel))


@dashboard_view(VIEW)
def server_latency(request, db: int):
    panel = latency_panel(get_client(db), request.GET)
    return render_page(request, "keyspace/server_latency.html",
                       _context(db, "latency", panel=panel))


@dashboard_view(VIEW)
def server_commands(request, db: int):
    panel = commandstats_panel(get_client(db), request.GET)
    return render_page(request, "keyspace/server_commands.html",
                       _context(db, "commands", panel=panel))
