"""Recommendations: what to change in the server's settings and the data, and why."""

from __future__ import annotations

from django.shortcuts import render

from keyspace.access.permissions import VIEW, dashboard_view
from keyspace.redis.connection import get_client
from keyspace.services.recommendations import recommendations_for


@dashboard_view(VIEW)
def recommendations(request, db: int):
    found = recommendations_for(get_client(db), db)
    context = {"db": db, "tab": "recommendations", "result": found,
               "sources": found.sources}
    return render(request, "keyspace/recommendations.html", context)
