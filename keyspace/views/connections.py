"""Connections: every Redis the dashboard can show (REDIS_URL's, the settings' and the saved
ones), the saved ones' forms, and the redirects that keep old and short links working."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse

from keyspace.access.permissions import VIEW, dashboard_view, require_permission, viewable
from keyspace.exceptions import ConnectionNotFound, NotPermitted
from keyspace.models import SavedConnection
from keyspace.redis import profiles
from keyspace.redis.connection import RedisTarget
from keyspace.redis.discovery import discover_all
from keyspace.services import connections as service
from keyspace.views.rendering import go_to, render_page, tabs_db


@dashboard_view(VIEW)
def connections(request: HttpRequest) -> HttpResponse:
    context = {"discovery": discover_all(), "tab": "connections", "db": tabs_db(),
               "profiles": _listed(request), "may_manage": service.may_manage(request.user),
               "form": service.SavedConnectionForm()}
    return render_page(request, "keyspace/connections.html", context)


def _listed(request) -> list[dict]:
    return [{"profile": profile, "address": _address(RedisTarget(profile)),
             "url": reverse("keyspace:connection-home", kwargs={"name": profile.name})}
            for profile in viewable(getattr(request, "user", None))]


def _address(target: RedisTarget) -> str:
    try:
        return f"{target.address} db{target.default_db}"
    except ValueError:
        return "(not a valid URL)"


@dashboard_view(VIEW)
def connection_home(request: HttpRequest, name: str) -> HttpResponse:
    """`/c/<name>/`: the connection's keys, in the db its URL names."""
    profile = profiles.lookup(name)
    if profile is None:
        raise ConnectionNotFound(f"there is no connection called {name!r}")
    # The URL names its connection without a db: the role asked about is the role there.
    profiles.activate(profile)
    require_permission(request, VIEW)
    try:
        db = RedisTarget(profile).default_db
    except ValueError:
        db = 0
    return HttpResponseRedirect(reverse("keyspace:keyspace-browse",
                                        kwargs={"db": profiles.Place(db, profile.name)}))


@dashboard_view(VIEW)
def unnamed(request: HttpRequest, rest: str) -> HttpResponse:
    """`/db/<n>/...` (links from before URLs named their connection): the same page on the
    default connection."""
    home = reverse("keyspace:connection-home", kwargs={"name": profiles.default_name()})
    query = request.META.get("QUERY_STRING", "")
    return HttpResponseRedirect(f"{home}db/{rest}" + (f"?{query}" if query else ""))


def _require_manager(request) -> None:
    if not service.may_manage(request.user):
        raise NotPermitted("you may not add, change or remove connections")


@dashboard_view(VIEW)
def connection_edit(request: HttpRequest, name: str = "") -> HttpResponse:
    """Add a connection (no name) or change a saved one."""
    _require_manager(request)
    row = get_object_or_404(SavedConnection, name=name) if name else None
    form = service.SavedConnectionForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        saved = service.save_connection(request.user, form)
        messages.success(request, f"Connection {saved.name} saved.")
        return go_to(request, reverse("keyspace:connections"))
    context = {"form": form, "row": row, "tab": "connections", "db": tabs_db()}
    return render_page(request, "keyspace/connection_form.html", context,
                       status=400 if form.is_bound else 200)


@dashboard_view(VIEW)
def connection_delete(request: HttpRequest, name: str) -> HttpResponse:
    _require_manager(request)
    row = get_object_or_404(SavedConnection, name=name)
    if request.method == "POST" and request.POST.get("confirm_name") == row.name:
        service.delete_connection(request.user, row)
        messages.success(request, f"Connection {name} removed.")
        return go_to(request, reverse("keyspace:connections"))
    context = {"row": row, "tab": "connections", "db": tabs_db(),
               "mismatch": request.method == "POST"}
    return render_page(request, "keyspace/connection_delete.html", context,
                       status=400 if request.method == "POST" else 200)
