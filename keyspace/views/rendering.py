"""The one decision every dual-mode view makes: a fragment for htmx, the full page otherwise."""

from __future__ import annotations

from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from keyspace.redis.connection import RedisNotConfigured, current_target


def wants_fragment(request) -> bool:
    """htmx swaps a fragment; boosted navigation and history restores need the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def row_actions(db: int, key: bytes, unit) -> list[tuple[object, str]]:
    """Each row operation with its URL, reversed once per page rather than once per row."""
    return [
        (op, reverse("keyspace:key-edit", kwargs={"db": db, "key": key, "action": op.name}))
        for op in unit.row_operations
    ]


def render_page(
    request, template: str, context: dict, *, fragment: str | None = None, status: int = 200
):
    """Render `template`, or only its partial `fragment` when htmx asked for a piece of it."""
    name = f"{template}#{fragment}" if fragment and wants_fragment(request) else template
    response = render(request, name, context, status=status)
    patch_vary_headers(response, ["HX-Request"])
    return response


def tabs_db() -> int:
    """The db the tabs link to from a page that is about no db in particular."""
    try:
        return current_target().default_db
    except (RedisNotConfigured, ValueError):
        return 0
