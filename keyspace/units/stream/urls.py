"""The stream's own pages, served under the key's URL + `stream/` (StreamUnit.get_urls)."""

from __future__ import annotations

from django.urls import path


def reading_urls() -> list:
    from keyspace.views import stream_follow, stream_reading

    return [
        path("entries/", stream_reading.stream_entries, name="stream-entries"),
        path("consumers/", stream_reading.stream_consumers, name="stream-consumers"),
        path("follow/", stream_follow.follow_panel, name="stream-follow-panel"),
        path("follow/events/", stream_follow.follow_events, name="stream-follow"),
    ]
