from django.core.exceptions import ImproperlyConfigured
from django.urls import URLPattern, include, path, register_converter

from keyspace.redis.keynames import KeyConverter
from keyspace.redis.profiles import Place, place_of
from keyspace.units import registry
from keyspace.views import (
    analysis,
    audit,
    auth,
    browse,
    bulk,
    connections,
    console,
    edit,
    failover,
    key,
    namespaces,
    pubsub,
    recommendations,
    transfer,
    undo,
)
from keyspace.views import cluster as cluster_views
from keyspace.views import server as server_views
from keyspace.views.live import activity as live_activity
from keyspace.views.live import key as live_key
from keyspace.views.live import lists as live_lists
from keyspace.views.live import notifications as live_notifications


class DbConverter:
    """`c/<connection>/db/<n>`: a database on a named connection, as a `Place` (an int that
    knows its connection). A plain int becomes a URL on the current connection."""

    regex = r"c/[a-z0-9][a-z0-9_-]{0,39}/db/[0-9]{1,4}"

    def to_python(self, value: str) -> int:
        _, name, _, number = value.split("/")
        return Place(int(number), name)

    def to_url(self, value: int) -> str:
        place = place_of(value)
        return f"c/{place.connection}/db/{int(place)}"


register_converter(KeyConverter, "key")
register_converter(DbConverter, "db")

app_name = "keyspace"

KEY = "<db:db>/key/<key:key>/"

key_routes = [
    path(KEY, key.key_view, name="key-detail"),
    path(f"{KEY}row/", edit.key_row, name="key-row"),
    path(f"{KEY}edit/<slug:action>/", edit.key_edit, name="key-edit"),
    path(f"{KEY}tool/<slug:action>/", edit.key_tool, name="key-tool"),
    path(f"{KEY}live/", live_key.key_live, name="key-live"),
    path(f"{KEY}live/stream/", live_key.key_live_stream, name="key-live-stream"),
    path(f"{KEY}live/check/", live_key.key_live_check, name="key-live-check"),
    path(f"{KEY}live/board/", live_lists.leaderboard_live_stream, name="leaderboard-live-stream"),
]


def unit_urls(units, taken: list[URLPattern]) -> list:
    """Each unit's extra pages (TypeUnit.get_urls) under the key's URL and the unit's
    `url_prefix`. A name already used, or a first path segment another unit or the key's own
    routes (row/, edit/, tool/) use, is a mistake refused at start-up, like a type registered
    twice."""
    names = {pattern.name for pattern in taken}
    owners = {_segment(str(p.pattern)[len(KEY):]): "the key" for p in taken
              if str(p.pattern).startswith(KEY) and str(p.pattern) != KEY}
    collected = []
    for unit in units:
        patterns = unit.get_urls()
        for pattern in patterns:
            segment = _segment(f"{unit.url_prefix}{pattern.pattern}")
            owner = owners.setdefault(segment, unit.type_name)
            if pattern.name in names or owner != unit.type_name:
                raise ImproperlyConfigured(
                    f"the {unit.type_name} unit's page {pattern.name!r} at {segment}/ is "
                    f"taken (by {owner})"
                )
            names.add(pattern.name)
        if patterns:
            collected.append(path(f"{KEY}{unit.url_prefix}", include(patterns)))
    return collected


def _segment(route: str) -> str:
    return route.split("/", 1)[0]


urlpatterns = [
    path("", browse.home, name="home"),
    path("sign-in/", auth.sign_in, name="sign-in"),
    path("sign-in/once/<slug:token>/", auth.sign_in_once, name="sign-in-once"),
    path("sign-out/", auth.sign_out, name="sign-out"),
    path("audit/", audit.audit_log, name="audit-log"),
    path("connections/", connections.connections, name="connections"),
    path("connections/new/", connections.connection_edit, name="connection-new"),
    path("connections/<slug:name>/edit/", connections.connection_edit, name="connection-edit"),
    path("connections/<slug:name>/delete/", connections.connection_delete,
         name="connection-delete"),
    path("c/<slug:name>/", connections.connection_home, name="connection-home"),
    # Links and bookmarks from before URLs named their connection: the default one.
    path("db/<path:rest>", connections.unnamed, name="unnamed"),
    path("undo/<slug:token>/", undo.undo_edit, name="undo-edit"),
    path("<db:db>/failover/", failover.failover_status, name="failover-status"),
    path("<db:db>/", browse.keyspace_browse, name="keyspace-browse"),
    path("<db:db>/server/info/", browse.server_info, name="server-info"),
    path("<db:db>/server/", server_views.server_page, name="server"),
    path("<db:db>/cluster/", cluster_views.cluster_page, name="cluster"),
    path("<db:db>/server/slowlog/", server_views.server_slowlog, name="server-slowlog"),
    path("<db:db>/server/clients/", server_views.server_clients, name="server-clients"),
    path("<db:db>/server/latency/", server_views.server_latency, name="server-latency"),
    path("<db:db>/server/commands/", server_views.server_commands, name="server-commands"),
    path("<db:db>/new/", edit.key_create, name="key-create"),
    path("<db:db>/console/", console.console, name="console"),
    path("<db:db>/bulk/", bulk.bulk_home, name="bulk"),
    path("<db:db>/bulk/<int:job_id>/", bulk.bulk_job, name="bulk-job"),
    path("<db:db>/bulk/<int:job_id>/start/", bulk.bulk_start, name="bulk-start"),
    path("<db:db>/bulk/<int:job_id>/cancel/", bulk.bulk_cancel, name="bulk-cancel"),
    path("<db:db>/export/", transfer.export_download, name="export"),
    path("<db:db>/import/", transfer.import_upload, name="import"),
    path("<db:db>/pubsub/", pubsub.pubsub_page, name="pubsub"),
    path("<db:db>/pubsub/channels/", pubsub.pubsub_channels, name="pubsub-channels"),
    path("<db:db>/pubsub/stream/", pubsub.pubsub_stream, name="pubsub-stream"),
    path("<db:db>/pubsub/publish/", pubsub.pubsub_publish, name="pubsub-publish"),
    path("<db:db>/namespaces/", namespaces.namespace_browse, name="namespace-browse"),
    path("<db:db>/namespaces/count/", namespaces.namespace_count, name="namespace-count"),
    path("<db:db>/analysis/", analysis.analysis_home, name="analysis"),
    path("<db:db>/analysis/start/", analysis.analysis_start, name="analysis-start"),
    path("<db:db>/analysis/<int:run_id>/", analysis.analysis_run, name="analysis-run"),
    path("<db:db>/analysis/<int:run_id>/progress/", analysis.analysis_progress,
         name="analysis-progress"),
    path("<db:db>/analysis/<int:run_id>/cancel/", analysis.analysis_cancel,
         name="analysis-cancel"),
    path("<db:db>/recommendations/", recommendations.recommendations,
         name="recommendations"),
    path("<db:db>/live/", live_activity.live_activity, name="live-activity"),
    path("<db:db>/live/stream/", live_activity.live_activity_stream,
         name="live-activity-stream"),
    path("<db:db>/live/keys/", live_lists.keylist_live_stream, name="keylist-live-stream"),
    path("<db:db>/live/notifications/", live_notifications.live_notifications,
         name="live-notifications"),
    path("<db:db>/live/notifications/enable/",
         live_notifications.live_notifications_enable, name="live-notifications-enable"),
    *key_routes,
]
urlpatterns += unit_urls(registry.units(), urlpatterns)
