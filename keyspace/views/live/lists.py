"""Live lists: rows of the key list and a leaderboard redrawn as their keys change."""

from __future__ import annotations

from keyspace.access.permissions import VIEW, dashboard_view
from keyspace.exceptions import BadRequest


@dashboard_view(VIEW)
async def keylist_live_stream(request, db: int):
    raise BadRequest("not yet")


@dashboard_view(VIEW)
async def leaderboard_live_stream(request, db: int, key: bytes):
    raise BadRequest("not yet")
