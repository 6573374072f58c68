"""Export (a streamed download of the keys a selection matches) and import (an uploaded
export, written by a background job with a conflict policy)."""

from __future__ import annotations

from asgiref.sync import sync_to_async
from django import forms
from django.http import StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from keyspace.access import audit
from keyspace.access.confirmations import CONNECTION_NOT_TYPED, typed_connection_matches
from keyspace.access.permissions import EDIT, VIEW, dashboard_view
from keyspace.exceptions import BadRequest
from keyspace.models import AuditEntry, BulkJob
from keyspace.redis.connection import get_client, target_address
from keyspace.services.bulk.selection import Selection
from keyspace.services.transfer import formats
from keyspace.services.transfer.export import export_lines
from keyspace.services.transfer.importing import queue_import
from keyspace.services.transfer.load import ImportProblem
from keyspace.views.bulk import SelectionForm, bulk_page
from keyspace.views.rendering import go_to

STEP_BYTES = 64 * 1024


class ExportForm(SelectionForm):
    encoding = forms.ChoiceField(choices=[(formats.VALUES, "values (JSON lines, base64)"),
                                          (formats.DUMP, "DUMP payloads")])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["then"], self.fields["ttl_seconds"]


class ImportForm(forms.Form):
    file = forms.FileField(label="Export file")
    policy = forms.ChoiceField(choices=BulkJob.POLICIES, initial=BulkJob.SKIP,
                               label="A key that exists already")
    confirm_connection = forms.CharField(required=False, max_length=100)

    def clean(self):
        data = super().clean()
        # Replacing keys destroys what they held: on production, the connection's name too.
        if data.get("policy") == BulkJob.REPLACE and not typed_connection_matches(
                data.get("confirm_connection", "")):
            self.add_error("confirm_connection", CONNECTION_NOT_TYPED)
        return data


@dashboard_view(VIEW)
async def export_download(request, db: int):
    form = ExportForm(request.GET)
    if not form.is_valid():
        raise BadRequest("say which keys to export: " + ", ".join(sorted(form.errors)))
    data = form.cleaned_data
    selection = Selection(data["mode"], data["text"], data["type_name"])
    user = await request.auser()
    await sync_to_async(audit.record)(user, db=db, operation="export", key=None,
                                      outcome=AuditEntry.OK, detail=selection.describe())
    header = formats.header(data["encoding"], server=target_address(), db=db,
                            created=timezone.now().isoformat())
    lines = await sync_to_async(export_lines)(get_client(db), selection, data["encoding"])
    response = StreamingHttpResponse(_streamed(header, lines), content_type="application/x-ndjson")
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response["Content-Disposition"] = f'attachment; filename="redis-db{db}-{stamp}.jsonl"'
    return response


async def _streamed(header: bytes, lines):
    """The lines, read in a worker thread about STEP_BYTES at a time (Redis reads are sync)."""
    yield header

    def step() -> bytes:
        out = bytearray()
        for line in lines:
            out += line
            if len(out) >= STEP_BYTES:
                break
        return bytes(out)

    while chunk := await sync_to_async(step, thread_sensitive=False)():
        yield chunk


@dashboard_view(EDIT, audit_as="bulk import")
@require_POST
def import_upload(request, db: int):
    form = ImportForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            job = queue_import(db=db, payload=form.cleaned_data["file"].read(),
                               policy=form.cleaned_data["policy"], user=request.user)
        except ImportProblem as exc:
            form.add_error("file", str(exc))
        else:
            return go_to(request, reverse("keyspace:bulk-job", args=[db, job.pk]))
    return bulk_page(request, db, import_form=form, status=422)
