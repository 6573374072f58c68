"""Undo: put back what an edit changed (see keyspace/services/undo)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect as HttpClientRedirect

from keyspace.services import undo
from keyspace.access.audit import audited
from keyspace.redis.connection import get_client
from keyspace.display import bytes_to_text
from keyspace.exceptions import KeyNotFound
from keyspace.access.permissions import EDIT, dashboard_view
from keyspace.views.rendering import wants_fragment


@dashboard_view(EDIT, audit_as="undo")
def undo_edit(request, token: str):
    """Put back what an edit changed (POST), if everything is still as the edit left it."""
    if request.method != "POST":
        return HttpResponse("undo is a POST", status=405)
    record = undo.find(token)
    if record is None:
        raise KeyNotFound("nothing to undo: the copy expired, was used, or never existed")
    kept = undo.kept_keys(record)
    first = kept[0].name
    with audited(request, db=record.db, operation="undo", key=first):
        undo.check_connection(record)
        undo.restore(get_client(record.db), record)
    client = get_client(record.db)
    gone = [item.name for item in kept if item.before is not None and not client.exists(item.name)]
    note = f"; its expiry time had passed meanwhile, so {bytes_to_text(gone[0])[:200]} is gone" \
        if gone else ""
    messages.success(request, f"undone: {record.summary}{note}")
    if client.exists(first):
        destination = reverse("keyspace:key-detail", kwargs={"db": record.db, "key": first})
    else:
        destination = reverse("keyspace:keyspace-browse", kwargs={"db": record.db})
    if wants_fragment(request):
        return HttpClientRedirect(destination)
    return redirect(destination)
