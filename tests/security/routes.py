"""The routes of the URLconf, what each does (VIEW, EDIT, PUBLIC), and concrete requests to
each (with, for writes, the form a permitted editor would submit)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.test import Client
from django.urls import reverse

from keyspace.access import permissions
from keyspace.redis.keynames import encode_key
from tests.services.editing.forms import form_fields

VIEW, EDIT, PUBLIC = permissions.VIEW, permissions.EDIT, permissions.PUBLIC

# What each route does. A route missing here fails test_every_route_is_classified.
CLASSIFICATION = {
    "home": VIEW,
    "sign-in": PUBLIC,
    "sign-in-once": PUBLIC,
    "sign-out": PUBLIC,
    "audit-log": VIEW,
    "connections": VIEW,
    "connection-new": VIEW,
    "connection-edit": VIEW,
    "connection-delete": VIEW,
    "connection-home": VIEW,
    "unnamed": VIEW,
    "failover-status": VIEW,
    "undo-edit": EDIT,
    "keyspace-browse": VIEW,
    "server-info": VIEW,
    "server": VIEW,
    "server-slowlog": VIEW,
    "server-clients": VIEW,
    "server-latency": VIEW,
    "server-commands": VIEW,
    "cluster": VIEW,
    "key-create": EDIT,
    "pubsub": VIEW,
    "console": VIEW,
    "bulk": VIEW,
    "bulk-job": VIEW,
    "bulk-start": EDIT,
    "bulk-cancel": VIEW,
    "export": VIEW,
    "import": EDIT,
    "analysis": VIEW,
    "analysis-start": VIEW,
    "analysis-run": VIEW,
    "analysis-progress": VIEW,
    "analysis-cancel": VIEW,
    "pubsub-channels": VIEW,
    "pubsub-stream": VIEW,
    "pubsub-publish": EDIT,
    "stream-entries": VIEW,
    "stream-consumers": VIEW,
    "json-node": VIEW,
    "stream-follow-panel": VIEW,
    "stream-follow": VIEW,
    "namespace-browse": VIEW,
    "namespace-count": VIEW,
    "key-detail": VIEW,
    "key-download": VIEW,
    "key-row": VIEW,
    "key-edit": EDIT,
    "key-tool": VIEW,
    "key-leaderboard": VIEW,
    "recommendations": VIEW,
    "stream-pending": VIEW,
    "stream-pending-act": EDIT,
    "key-live": VIEW,
    "key-live-stream": VIEW,
    "key-live-check": VIEW,
    "leaderboard-live-stream": VIEW,
    "live-activity": VIEW,
    "live-activity-stream": VIEW,
    "keylist-live-stream": VIEW,
    "live-notifications": VIEW,
    "live-notifications-enable": EDIT,
}


def row(name: bytes) -> dict:
    return {"row": encode_key(name)}


@dataclass(frozen=True)
class Case:
    """One concrete request to a route: its URL arguments and, for writes, the form a
    permitted editor would submit (opened as a browser does, then changed)."""

    route: str
    kwargs: dict = field(default_factory=dict)
    query: dict = field(default_factory=dict)
    changes: dict | None = None  # for key-edit: fields changed after opening the form
    data: dict | None = None  # for other writes: the POST body
    ok_status: int = 200  # what a permitted GET answers
    label: str = ""
    # A read route whose POST may also write for an editor, by what it is asked (the
    # console): its `data` is then posted by everyone, and only an editor's POST may write.
    writes_for_editors: bool = False
    # Settings for this case's requests (e.g. tasks run within the request, so a write that
    # starts a background job has happened by the time the response comes).
    overrides: dict = field(default_factory=dict)
    # A write only an admin (a superuser) may make: an editor's POST is refused like a
    # viewer's (turning on keyspace notifications changes the server's configuration).
    admin_only: bool = False

    @property
    def id(self) -> str:
        return f"{self.route}[{self.label}]" if self.label else self.route


def edit(key: bytes, action: str, query: dict | None = None, **changes) -> Case:
    return Case("key-edit", {"db": 0, "key": key, "action": action}, query or {},
                changes=changes, label=action)


def tool(key: bytes, action: str, **query) -> Case:
    return Case("key-tool", {"db": 0, "key": key, "action": action}, {"run": "1", **query},
                label=action)


CASES = {
    "home": [Case("home", ok_status=302)],
    "sign-in": [Case("sign-in")],
    "sign-in-once": [Case("sign-in-once", {"token": "TOKEN"})],
    "sign-out": [Case("sign-out", ok_status=405)],
    "audit-log": [Case("audit-log")],
    "connections": [Case("connections")],
    # Managing saved connections needs the SavedConnection permissions (superusers, or
    # sign-in off): viewers and editors alike are refused, and Redis is never touched.
    "connection-new": [Case("connection-new", ok_status=403)],
    "connection-edit": [Case("connection-edit", {"name": "SAVED"}, ok_status=403)],
    "connection-delete": [Case("connection-delete", {"name": "SAVED"}, ok_status=403)],
    "connection-home": [Case("connection-home", {"name": "default"}, ok_status=302)],
    "unnamed": [Case("unnamed", {"rest": "0/"}, ok_status=302)],
    # What the "failing over" page polls: a read (is there a primary that takes writes?).
    "failover-status": [Case("failover-status", {"db": 0})],
    # A real copy, made fresh for each request (see url_of); undo is a POST (GET: 405).
    "undo-edit": [Case("undo-edit", {"token": "UNDO"}, ok_status=405)],
    # Starting and stopping an analysis are reads of Redis (a row and a job in the
    # dashboard's own database): viewers may, and nothing in Redis changes.
    # Counting keys (a dry run) is a read; a change starts from a finished one, confirmed.
    "bulk": [Case("bulk", {"db": 0})],
    "bulk-job": [Case("bulk-job", {"db": 0, "job_id": "BULK"})],
    "bulk-start": [Case("bulk-start", {"db": 0, "job_id": "BULK"}, ok_status=405, overrides={
        "TASKS": {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}})],
    "bulk-cancel": [Case("bulk-cancel", {"db": 0, "job_id": "BULK"}, ok_status=405)],
    "export": [Case("export", {"db": 0}, {"mode": "prefix", "text": "app:", "type_name": "",
                                          "encoding": "values"})],
    "import": [Case("import", {"db": 0}, ok_status=405, data={"policy": "skip", "file": "UPLOAD"},
                    overrides={"TASKS": {"default": {
                        "BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}})],
    "analysis": [Case("analysis", {"db": 0})],
    "analysis-start": [Case("analysis-start", {"db": 0}, ok_status=405)],
    "analysis-run": [Case("analysis-run", {"db": 0, "run_id": "RUN"})],
    "analysis-progress": [Case("analysis-progress", {"db": 0, "run_id": "RUN"})],
    "analysis-cancel": [Case("analysis-cancel", {"db": 0, "run_id": "RUN"}, ok_status=405)],
    "keyspace-browse": [Case("keyspace-browse", {"db": 0}), Case("keyspace-browse", {"db": 1},
                                                                  label="db1")],
    "server-info": [Case("server-info", {"db": 0})],
    "server": [Case("server", {"db": 0})],
    "server-slowlog": [Case("server-slowlog", {"db": 0}, {"sort": "-duration"})],
    "server-clients": [Case("server-clients", {"db": 0}, {"sort": "name"})],
    "server-latency": [Case("server-latency", {"db": 0})],
    "server-commands": [Case("server-commands", {"db": 0})],
    "cluster": [Case("cluster", {"db": 0})],
    "key-create": [Case("key-create", {"db": 0}, data={
        "name": "created", "name_format": "text", "type": "string", "value": "new",
        "value_encoding": "text", "field_encoding": "text", "ttl_unit": "s"})],
    "pubsub": [Case("pubsub", {"db": 0}, {"channel": "news"})],
    "console": [Case("console", {"db": 0}, data={"line": "SET console:written 1"},
                     writes_for_editors=True)],
    "pubsub-channels": [Case("pubsub-channels", {"db": 0})],
    # Without a subscription the stream is refused (400) before it starts: a stream that
    # started would never end under the test client.
    "pubsub-stream": [Case("pubsub-stream", {"db": 0}, ok_status=400)],
    "pubsub-publish": [Case("pubsub-publish", {"db": 0}, data={
        "channel": "news", "message": "hello", "message_encoding": "text"})],
    "stream-entries": [Case("stream-entries", {"db": 0, "key": b"stream"})],
    "stream-consumers": [Case("stream-consumers", {"db": 0, "key": b"stream"})],
    # This server has no RedisJSON: a permitted reader is told the key is not a JSON
    # document (400); the tree itself is tested on a server with the module.
    "json-node": [Case("json-node", {"db": 0, "key": b"stream"}, {"path": "JA"},
                       ok_status=400)],
    "stream-follow-panel": [Case("stream-follow-panel", {"db": 0, "key": b"stream"},
                                 {"on": "1"})],
    # A bad `after` is refused (400) before the follow starts: one that started would never
    # end under the test client.
    "stream-follow": [Case("stream-follow", {"db": 0, "key": b"stream"}, {"after": "x"},
                           ok_status=400)],
    "namespace-browse": [Case("namespace-browse", {"db": 0})],
    "namespace-count": [Case("namespace-count", {"db": 0})],
    "key-detail": [Case("key-detail", {"db": 0, "key": b"hash"})],
    "key-download": [Case("key-download", {"db": 0, "key": b"str"})],
    "key-row": [Case("key-row", {"db": 0, "key": b"hash"}, row(b"f1"))],
    "key-edit": [
        edit(b"str", "string-edit", value="changed"),
        edit(b"str", "delete"),
        edit(b"str", "rename", new_name="renamed"),
        edit(b"str", "copy", new_name="copied"),
        edit(b"ttl:key", "persist"),
        edit(b"num", "ttl", unit="s", amount="100"),
        edit(b"num", "string-incr", amount="1"),
        edit(b"hash", "hash-delete", row(b"f1")),
        edit(b"list", "list-push", elements="pushed"),
        edit(b"set", "set-remove", row(b"seed-set-member")),
        edit(b"set", "set-store", destination="stored", others="set2"),
        edit(b"zset", "zset-remove", row(b"seed-zset-member")),
    ],
    "key-tool": [
        tool(b"set", "set-contains", members="m2", mode="lines"),
        tool(b"set", "set-random", count="2"),
        tool(b"zset", "zset-lookup", member="p2", member_format="text"),
    ],
    "key-leaderboard": [Case("key-leaderboard", {"db": 0, "key": b"zset"})],
    "recommendations": [Case("recommendations", {"db": 0})],
    "stream-pending": [Case("stream-pending", {"db": 0, "key": b"stream", "group": b"g"})],
    # GET goes back to the pending page; POST acknowledges what the page shows (post_body).
    "stream-pending-act": [Case("stream-pending-act", {"db": 0, "key": b"stream", "group": b"g",
                                                       "action": "stream-ack"},
                                ok_status=302, data={"expected_type": "stream"})],
    "key-live": [Case("key-live", {"db": 0, "key": b"hash"})],
    "key-live-check": [Case("key-live-check", {"db": 0, "key": b"hash"}, {"digest": "x"})],
    # Live streams never end under the test client: asked without what the page gives them
    # (or, for activity, with notifications off) they are refused before they start.
    "key-live-stream": [Case("key-live-stream", {"db": 0, "key": b"hash"}, ok_status=400)],
    "leaderboard-live-stream": [Case("leaderboard-live-stream", {"db": 0, "key": b"zset"},
                                     ok_status=400)],
    "keylist-live-stream": [Case("keylist-live-stream", {"db": 0}, ok_status=400)],
    "live-activity": [Case("live-activity", {"db": 0})],
    "live-activity-stream": [Case("live-activity-stream", {"db": 0}, ok_status=400)],
    "live-notifications": [Case("live-notifications", {"db": 0})],
    "live-notifications-enable": [Case("live-notifications-enable", {"db": 0},
                                       data={"confirm": "x"}, admin_only=True)],
}

def undo_token() -> str:
    """An edit to undo: an append to the seeded string, made through the edit layer."""
    from keyspace.redis.connection import get_client
    from keyspace.services import undo
    from keyspace.units import registry

    append = registry.unit_for("string").operations["string-append"]
    with undo.capturing() as capture:
        append.apply(get_client(0), b"str", {"value": b"!", "expected_type": "string"})
    return undo.keep(None, db=0, capture=capture, summary="appended !")


def analysis_run_id() -> int:
    """A finished analysis of db 0 to look at (made directly: no worker needed)."""
    from keyspace.models import AnalysisRun
    from keyspace.redis import profiles

    return AnalysisRun.objects.create(**profiles.job_scope(), db=0,
                                      state=AnalysisRun.CANCELLED).pk


def bulk_preview_id() -> int:
    """A finished dry run that counted one seeded key."""
    from django.utils import timezone

    from keyspace.models import BulkJob
    from keyspace.redis import profiles

    return BulkJob.objects.create(
        **profiles.job_scope(), db=0, action=BulkJob.COUNT, mode=BulkJob.PREFIX,
        text=encode_key(b"app:cache:"), state=BulkJob.DONE, keys_matched=1,
        finished=timezone.now()).pk


def saved_connection_name() -> str:
    from keyspace.models import SavedConnection

    return SavedConnection.objects.get_or_create(name="saved", url="redis://127.0.0.1:1/0")[0].name


PLACEHOLDERS = {"TOKEN": None, "UNDO": undo_token, "RUN": analysis_run_id,
                "BULK": bulk_preview_id, "SAVED": saved_connection_name}


def url_of(case: Case, token: str) -> str:
    kwargs = {k: (token if v == "TOKEN" else PLACEHOLDERS[v]() if v in PLACEHOLDERS else v)
              for k, v in case.kwargs.items()}
    url = reverse(f"keyspace:{case.route}", kwargs=kwargs)
    return f"{url}?{urlencode(case.query)}" if case.query else url


def post_body(case: Case, editor: Client, url: str) -> dict:
    """What a permitted editor's browser would POST (confirmation token included)."""
    if case.route == "key-edit":
        opened = editor.get(url)
        assert opened.status_code == 200, (url, opened.status_code)
        fields = form_fields(opened.content.decode())
        fields.pop("csrfmiddlewaretoken", None)
        return fields | case.changes
    if case.route == "stream-pending-act":
        return _confirmed_selection(case, editor, url)
    if case.route == "bulk-start":
        opened = editor.get(url.replace("/start/", "/") + "?then=delete").content.decode()
        form = re.search(r'<form class="bulk-confirm".*?</form>', opened, re.S)
        assert form, opened[-2000:]
        fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', form.group(0)))
        fields.pop("csrfmiddlewaretoken", None)
        return fields
    return {name: Upload() if value == "UPLOAD" else value
            for name, value in (case.data or {}).items()}


class Upload:
    """An export file to upload, the same bytes however many times it is posted."""

    name = "export.jsonl"
    content = (b'{"format":"redis-dashboard-export","version":1}\n'
               b'{"k":"aW1wb3J0ZWQ=","t":"string","new":true,"x":null,"v":"dmFsdWU="}\n')

    def read(self) -> bytes:
        return self.content


def _confirmed_selection(case: Case, editor: Client, url: str) -> dict:
    """Every entry the pending page shows, ticked, and the confirmation asked for them."""
    kwargs = {k: v for k, v in case.kwargs.items() if k != "action"}
    page = editor.get(reverse("keyspace:stream-pending", kwargs=kwargs)).content.decode()
    selected = re.findall(r'name="selected" value="([^"]*)"', page)
    # Asking for the confirmation is a POST too: with the page's CSRF token, as a browser's.
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]*)"', page).group(1)
    asked = editor.post(url, dict(case.data or {}) | {"selected": selected,
                                                      "csrfmiddlewaretoken": csrf})
    assert asked.status_code == 428, (url, asked.status_code)
    # That request is audited (refused: not confirmed yet); tests count the audit entries of
    # the requests they make themselves.
    from keyspace.models import AuditEntry

    AuditEntry.objects.all().delete()
    fields = form_fields(asked.content.decode())
    fields.pop("csrfmiddlewaretoken", None)
    return fields
