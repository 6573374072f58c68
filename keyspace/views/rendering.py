"""The one decision every dual-mode view (and the error handling) makes: a fragment for htmx,
the full page otherwise."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect

from keyspace.access import permissions
from keyspace.redis.capabilities import has_command
from keyspace.redis.connection import RedisNotConfigured, current_target, get_client


def wants_fragment(request) -> bool:
    """htmx swaps a fragment; boosted navigation and history restores need the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def fragment_target(request) -> str | None:
    """The id of the element htmx will swap the response into; None for a whole page."""
    return request.htmx.target if wants_fragment(request) else None


def row_actions(db: int, key: bytes, unit, *, user) -> list[tuple[object, str]]:
    """Each row operation with its URL, reversed once per page rather than once per row;
    none for a user who may not edit, so templates decide once per table, not once per row,
    whether rows open (the edit views check again). An operation that needs a command the
    server lacks (hash-field TTLs before Redis 7.4) is not offered."""
    if not unit.row_operations or not permissions.user_may(user, permissions.EDIT):
        return []
    return [
        (op, reverse("keyspace:key-edit", kwargs={"db": db, "key": key, "action": op.name}))
        for op in unit.row_operations
        if not op.needs_command or has_command(get_client(db), op.needs_command)
    ]


def render_page(
    request, template: str, context: dict, *, fragment: str | None = None, status: int = 200
) -> HttpResponse:
    """Render `template`, or only its partial `fragment` when htmx asked for a piece of it."""
    name = f"{template}#{fragment}" if fragment and wants_fragment(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def go_to(request, destination: str, *, status: int = 204) -> HttpResponse:
    """Send the browser to another page after a POST: htmx is told to go there (`status` for
    its response), a plain form is redirected."""
    if wants_fragment(request):
        return HttpResponseClientRedirect(destination, status=status)
    return redirect(destination)


def tabs_db() -> int:
    """The db the tabs link to from a page that is about no db in particular."""
    try:
        return current_target().default_db
    except (RedisNotConfigured, ValueError):
        return 0
