"""A live key page: its panel (live from notifications, or a timed check when they are off),
the stream of its redraws, and the timed check itself.

Every redraw is drawn by the same partials as the page (`key.html#meta`, `key.html#value`, the
unit's `#row`), so escaping and decoders are the page's own."""

from __future__ import annotations

from types import SimpleNamespace

from asgiref.sync import sync_to_async
from django.http import QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse

from keyspace.access.permissions import VIEW, dashboard_view
from keyspace.conf import app_settings
from keyspace.exceptions import BadRequest
from keyspace.redis.connection import get_client
from keyspace.services.live import feed
from keyspace.services.live.events import read_notifications
from keyspace.services.live.key_watch import Update, check_key, watch_key
from keyspace.views.live.notifications import may_enable
from keyspace.views.live.streaming import event_response
from keyspace.views.query import ValueQueryForm
from keyspace.views.rendering import row_actions

PANEL = "keyspace/_live_key.html"
GONE_TEXT = {
    "expired": "This key has expired: Redis no longer holds it.",
    "evicted": "Redis evicted this key (maxmemory): it no longer holds it.",
    "del": "This key was deleted.",
    "rename_from": "This key was renamed: nothing holds this name now.",
    "move_from": "This key was moved to another db.",
}


def _page_params(request) -> QueryDict:
    """The key page's own query (without the live stream's additions)."""
    params = request.GET.copy()
    for name in ("digest", "live"):
        params.pop(name, None)
    return params


def _with_query(path: str, params: QueryDict) -> str:
    return f"{path}?{params.urlencode()}" if params else path


@dashboard_view(VIEW)
def key_live(request, db: int, key: bytes):
    """The live panel of a key page, loaded after the page (it asks Redis for its
    notification settings)."""
    notifications = read_notifications(get_client(db))
    query = request.GET.urlencode()
    kwargs = {"db": db, "key": key}
    context = {
        "db": db, "key": key, "notifications": notifications,
        "stream_url": f"{reverse('keyspace:key-live-stream', kwargs=kwargs)}?{query}",
        "check_url": f"{reverse('keyspace:key-live-check', kwargs=kwargs)}?{query}",
        "check_ms": app_settings.LIVE_CHECK_SECONDS * 1000,
        "check_seconds": app_settings.LIVE_CHECK_SECONDS,
        "page_url": _with_query(reverse("keyspace:key-detail", kwargs=kwargs),
                                _page_params(request)),
        "may_enable": may_enable(request.user),
    }
    return render(request, f"{PANEL}#panel", context)


@dashboard_view(VIEW)
async def key_live_stream(request, db: int, key: bytes):
    if "digest" not in request.GET:
        raise BadRequest("a live stream follows a page: give the digest of what it shows")
    page_request = ValueQueryForm(request.GET).page_request()
    digest = request.GET["digest"][:32]
    await request.auser()  # resolved here, so drawing rows reads no session on the loop
    updates = watch_key(db, key, page_request, shown_digest=digest)
    return event_response(request, _pieces(request, db, key, updates))


async def _pieces(request, db: int, key: bytes, updates):
    try:
        async for item in updates:
            if item is None or isinstance(item, feed.Status):
                yield item
            else:
                yield await sync_to_async(redraw_pieces)(request, db, key, item)
    finally:
        await updates.aclose()


@dashboard_view(VIEW)
def key_live_check(request, db: int, key: bytes):
    """The timed check: the pieces to redraw, each in a <template data-live-kind>."""
    page_request = ValueQueryForm(request.GET).page_request()
    update = check_key(db, key, page_request, request.GET.get("digest", "")[:32])
    pieces = redraw_pieces(request, db, key, update)
    return render(request, f"{PANEL}#pieces", {"pieces": pieces})


def redraw_pieces(request, db: int, key: bytes, update: Update) -> list[tuple[str, str]]:
    """What the page's live.js puts in place for `update`, as (kind, content) pairs."""
    changes, now = update.changes, update.now
    if changes.gone:
        reason = next((GONE_TEXT[e] for e in update.events if e in GONE_TEXT), None)
        return [("gone", reason or "This key no longer exists.")]
    context = _context(request, db, key, now.detail)
    pieces = [("back", "The key exists again.")] if changes.back else []
    if changes.meta:
        pieces.append(("meta", render_to_string("keyspace/key.html#meta", context, request)))
    if changes.whole_value:
        pieces.append(("value", render_to_string("keyspace/key.html#value", context, request)))
    row_template = f"{now.detail.unit.template}#row"
    for row in changes.rows:
        pieces.append(("row", render_to_string(row_template, context | {"row": row}, request)))
    pieces += [("row-gone", f"row-{token}") for token in changes.removed]
    pieces.append(("digest", now.digest))
    return pieces


def _context(request, db: int, key: bytes, detail) -> dict:
    """The key page's context, as `key_view` builds it; links in the rows (Load more) point at
    the key page, not at the stream."""
    params = _page_params(request)
    more = params.copy()
    more["cursor"] = (detail.page.next_cursor if detail.page else None) or ""
    page_path = reverse("keyspace:key-detail", kwargs={"db": db, "key": key})
    return {
        "db": db, "key": key, "detail": detail, "unit": detail.unit, "page": detail.page,
        "more_query": more.urlencode(), "continuing": bool(params.get("cursor")),
        "preview_limit": app_settings.PREVIEW_BYTES,
        "row_actions": row_actions(db, key, detail.unit, user=request.user),
        "request": SimpleNamespace(path=page_path, GET=params, user=request.user,
                                   htmx=getattr(request, "htmx", None)),
    }


