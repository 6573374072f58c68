from django.urls import path, register_converter

from keyspace.redis.keynames import KeyConverter
from keyspace.views import (
    audit,
    auth,
    browse,
    connections,
    edit,
    key,
    leaderboard,
    namespaces,
    pubsub,
    undo,
)


class DbConverter:
    regex = r"[0-9]{1,4}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(value)


register_converter(KeyConverter, "key")
register_converter(DbConverter, "db")

app_name = "keyspace"

urlpatterns = [
    path("", browse.home, name="home"),
    path("sign-in/", auth.sign_in, name="sign-in"),
    path("sign-in/once/<slug:token>/", auth.sign_in_once, name="sign-in-once"),
    path("sign-out/", auth.sign_out, name="sign-out"),
    path("audit/", audit.audit_log, name="audit-log"),
    path("connections/", connections.connections, name="connections"),
    path("undo/<slug:token>/", undo.undo_edit, name="undo-edit"),
    path("db/<db:db>/", browse.keyspace_browse, name="keyspace-browse"),
    path("db/<db:db>/server/", browse.server_info, name="server-info"),
    path("db/<db:db>/new/", edit.key_create, name="key-create"),
    path("db/<db:db>/pubsub/", pubsub.pubsub_page, name="pubsub"),
    path("db/<db:db>/pubsub/channels/", pubsub.pubsub_channels, name="pubsub-channels"),
    path("db/<db:db>/pubsub/stream/", pubsub.pubsub_stream, name="pubsub-stream"),
    path("db/<db:db>/pubsub/publish/", pubsub.pubsub_publish, name="pubsub-publish"),
    path("db/<db:db>/namespaces/", namespaces.namespace_browse, name="namespace-browse"),
    path("db/<db:db>/namespaces/count/", namespaces.namespace_count, name="namespace-count"),
    path("db/<db:db>/key/<key:key>/", key.key_view, name="key-detail"),
    path("db/<db:db>/key/<key:key>/download/", key.key_download, name="key-download"),
    path("db/<db:db>/key/<key:key>/row/", edit.key_row, name="key-row"),
    path("db/<db:db>/key/<key:key>/edit/<slug:action>/", edit.key_edit, name="key-edit"),
    path("db/<db:db>/key/<key:key>/tool/<slug:action>/", edit.key_tool, name="key-tool"),
    path(
        "db/<db:db>/key/<key:key>/leaderboard/",
        leaderboard.leaderboard_view,
        name="key-leaderboard",
    ),
]
