"""The live activity view: the db's busiest keys and namespaces of the last minute, the
command mix, and events, expirations and evictions per second, from keyspace notifications
(services/live/activity.py), redrawn about once a second over Server-Sent Events."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django.template.loader import render_to_string
from django.urls import reverse

from keyspace.access.permissions import VIEW, dashboard_view
from keyspace.exceptions import BadRequest
from keyspace.redis.connection import get_client
from keyspace.services.live import feed
from keyspace.services.live.activity import Activity, watch_activity
from keyspace.services.live.chart import activity_chart
from keyspace.services.live.events import read_notifications
from keyspace.views.live.notifications import may_enable
from keyspace.views.live.streaming import event_response
from keyspace.views.rendering import render_page

TEMPLATE = "keyspace/live_activity.html"


def activity_context(db: int, summary) -> dict:
    return {"db": db, "summary": summary, "chart": activity_chart(summary.series),
            "expired": sum(s.expired for s in summary.series),
            "evicted": sum(s.evicted for s in summary.series),
            "peak": max((s.events for s in summary.series), default=0)}


@dashboard_view(VIEW)
def live_activity(request, db: int):
    notifications = read_notifications(get_client(db))
    context = {"db": db, "tab": "live", "notifications": notifications,
               "may_enable": may_enable(request.user),
               "stream_url": reverse("keyspace:live-activity-stream", kwargs={"db": db}),
               **activity_context(db, Activity(1).summary())}
    return render_page(request, TEMPLATE, context, fragment="activity")


@dashboard_view(VIEW)
async def live_activity_stream(request, db: int):
    notifications = await sync_to_async(read_notifications)(get_client(db))
    if not notifications.for_activity:
        raise BadRequest("keyspace event notifications are off: there is nothing to count")
    return event_response(request, _pieces(db, watch_activity(db)))


async def _pieces(db: int, summaries):
    try:
        async for item in summaries:
            if item is None or isinstance(item, feed.Status):
                yield item
            else:
                html = await sync_to_async(render_to_string)(
                    f"{TEMPLATE}#activity", activity_context(db, item))
                yield [("activity", html)]
    finally:
        await summaries.aclose()
