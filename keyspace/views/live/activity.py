"""The live activity view."""

from __future__ import annotations

from keyspace.access.permissions import VIEW, dashboard_view
from keyspace.exceptions import BadRequest


@dashboard_view(VIEW)
def live_activity(request, db: int):
    raise BadRequest("not yet")


@dashboard_view(VIEW)
async def live_activity_stream(request, db: int):
    raise BadRequest("not yet")
