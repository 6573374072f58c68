"""Following a stream live: the panel that starts and stops it, and the entries as
Server-Sent Events. A follow holds one Redis connection (blocked in XREAD) and one of the
DASHBOARD_MAX_STREAMS slots live pub/sub streams also use, released when the tab goes away."""

from __future__ import annotations

import time

from django.template.loader import render_to_string

from keyspace.access.permissions import VIEW, dashboard_view, stream_viewer
from keyspace.conf import app_settings
from keyspace.exceptions import BadRequest
from keyspace.services.pubsub import slots
from keyspace.services.pubsub.sse import FINAL_RETRY_MS, sse_comment, sse_event, sse_retry
from keyspace.units.stream.follow import Arrivals, Status, follow_entries
from keyspace.units.stream.ids import is_stream_id, parse_id
from keyspace.views.live.streaming import event_stream
from keyspace.views.rendering import render_page

TEMPLATE = "keyspace/units/stream_follow.html"
HEARTBEAT_SECONDS = 15.0


def _after(text: str | None) -> str | None:
    if not text:
        return None
    if not is_stream_id(text):
        raise BadRequest(f"not a stream entry ID: {text[:40]!r}")
    return text


@dashboard_view(VIEW)
def follow_panel(request, db: int, key: bytes):
    """Following on (`?on=1&after=ID`: the page connects to the events) or off. `after` may
    come twice (the ID the panel was drawn with and the newest row shown): the newer wins."""
    on = request.GET.get("on") == "1"
    after = _latest(*(_after(text) for text in request.GET.getlist("after")[:2]))
    context = {"db": db, "key": key, "following": on, "after": after or ""}
    # Only htmx asks for it (the buttons are htmx's): the panel alone, whoever asks.
    return render_page(request, f"{TEMPLATE}#panel", context)


@dashboard_view(VIEW)
async def follow_events(request, db: int, key: bytes):
    after = _latest(_after(request.GET.get("after")),
                    _after(request.headers.get("Last-Event-ID")))
    return event_stream(_events(db, key, after, await stream_viewer(request)))


def _latest(*candidates: str | None) -> str | None:
    """Where to resume: the browser reconnecting says the last entry it was sent."""
    given = [c for c in candidates if c]
    return max(given, key=parse_id) if given else None


def _events(db: int, key: bytes, after: str | None, viewer):
    return slots.held(viewer, _entries(db, key, after), lambda text: _status(text, "error"))


async def _entries(db: int, key: bytes, after: str | None):
    quiet_since = time.monotonic()
    async for item in follow_entries(key, db, after=after,
                                     max_batch=app_settings.PUBSUB_MAX_BATCH,
                                     interval=app_settings.PUBSUB_INTERVAL):
        if isinstance(item, Status):
            if item.final:
                yield sse_retry(FINAL_RETRY_MS)
            yield _status(item.text, item.level)
        elif item.rows or item.skipped:
            yield _arrivals(db, key, item)
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > HEARTBEAT_SECONDS:
            yield sse_comment("heartbeat")
            quiet_since = time.monotonic()
        else:
            yield b""  # nothing to send: the stream's lease is looked at on every tick


def _arrivals(db: int, key: bytes, arrivals: Arrivals) -> bytes:
    """The new rows, newest first, for the top of the table; the SSE id is the newest entry,
    so a browser that reconnects resumes after it (Last-Event-ID)."""
    context = {"db": db, "key": key, "rows": list(reversed(arrivals.rows)),
               "skipped": arrivals.skipped}
    event = sse_event(render_to_string(f"{TEMPLATE}#arrivals", context), "entries")
    return f"id: {arrivals.last_id}\n".encode() + event if arrivals.last_id else event


def _status(text: str, level: str) -> bytes:
    context = {"status_text": text, "status_level": level}
    return sse_event(render_to_string(f"{TEMPLATE}#status", context), "status")
