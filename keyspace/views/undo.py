"""Undo: put back what an edit changed (see keyspace/services/undo)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.urls import reverse

from keyspace.access.permissions import EDIT, dashboard_view
from keyspace.services import undo
from keyspace.services.editing import pipeline
from keyspace.views.rendering import go_to


def _connection_of(kwargs: dict) -> str | None:
    """The undo link names no connection: the role asked about is the edit's connection's."""
    record = undo.find(kwargs.get("token", ""))
    return record.connection_name if record is not None else None


@dashboard_view(EDIT, audit_as="undo", connection=_connection_of)
def undo_edit(request, token: str):
    """Put back what an edit changed (POST), if everything is still as the edit left it."""
    if request.method != "POST":
        return HttpResponse("undo is a POST", status=405)
    undone = pipeline.undo_edit(user=request.user, token=token)
    messages.success(request, undone.message)
    if undone.key is None:
        destination = reverse("keyspace:keyspace-browse", kwargs={"db": undone.db})
    else:
        destination = reverse("keyspace:key-detail", kwargs={"db": undone.db, "key": undone.key})
    return go_to(request, destination, status=200)
