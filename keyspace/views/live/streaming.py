"""Serving a live page's events: Server-Sent Events under the same stream limit as pub/sub
(DASHBOARD_MAX_STREAMS), with a heartbeat while nothing happens."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

from django.http import StreamingHttpResponse

from keyspace.access.permissions import stream_viewer
from keyspace.services.live import feed
from keyspace.services.pubsub import slots
from keyspace.services.pubsub.sse import FINAL_RETRY_MS, sse_comment, sse_event, sse_retry

HEARTBEAT_SECONDS = 15.0
# Each event is a named piece of HTML (or text) the page's live.js puts in place.
Piece = tuple[str, str]


def event_stream(chunks: AsyncIterator[bytes]) -> StreamingHttpResponse:
    """A Server-Sent Events response of `chunks`, neither cached nor buffered by a proxy (the
    pub/sub page, following a stream and live pages all answer with one)."""
    response = StreamingHttpResponse(chunks, content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"
    return response


def event_response(request, pieces: AsyncIterator[list[Piece] | feed.Status | None]):
    """The stream of `pieces`, for as long as `request`'s user may view it (checked again
    at each renewal of its slot: keyspace.access.permissions.stream_viewer)."""
    return event_stream(_slotted(request, pieces))


async def _slotted(request, pieces):
    try:
        async for chunk in slots.held(await stream_viewer(request), _frames(pieces),
                                      lambda text: sse_event(text, "status"), tab="live tab"):
            yield chunk
    finally:
        await pieces.aclose()


async def _frames(pieces):
    quiet_since = time.monotonic()
    async for item in pieces:
        now = time.monotonic()
        if item is None:  # a quiet interval: nothing to send but a heartbeat now and then
            if now - quiet_since > HEARTBEAT_SECONDS:
                quiet_since = now
                yield sse_comment("heartbeat")
            else:
                yield b""  # the stream's lease is looked at on every tick (slots.held)
            continue
        quiet_since = now
        if isinstance(item, feed.Status):
            if item.final:
                yield sse_retry(FINAL_RETRY_MS)
            yield sse_event(item.text, "status")
            continue
        for kind, text in item:
            yield sse_event(text, kind)
