"""The Redis connections the project's settings name, each with the settings naming it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from keyspace.access.permissions import VIEW, dashboard_view
from keyspace.redis.discovery import discover_all
from keyspace.views.rendering import render_page, tabs_db


@dashboard_view(VIEW)
def connections(request: HttpRequest) -> HttpResponse:
    context = {"discovery": discover_all(), "tab": "connections", "db": tabs_db()}
    return render_page(request, "keyspace/connections.html", context)
