"""The one decision every dual-mode view makes: a fragment for htmx, the full page otherwise."""

from __future__ import annotations

from django.shortcuts import render


def wants_fragment(request) -> bool:
    """htmx swaps a fragment; boosted navigation and history restores need the whole page."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.boosted and not htmx.history_restore_request


def render_page(request, template: str, context: dict, *, fragment: str | None = None):
    """Render `template`, or only its partial `fragment` when htmx asked for a piece of it."""
    name = f"{template}#{fragment}" if fragment and wants_fragment(request) else template
    response = render(request, name, context)
    response["Vary"] = "HX-Request"
    return response
