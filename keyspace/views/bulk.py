"""Bulk work: choose keys, count them (a dry run), confirm, follow the change, stop it."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from keyspace.access import confirmations
from keyspace.access.permissions import (
    EDIT,
    VIEW,
    dashboard_view,
    require_permission,
    user_may,
)
from keyspace.exceptions import DashboardError
from keyspace.models import BulkJob
from keyspace.redis import profiles
from keyspace.redis.keynames import decode_key, parse_escaped
from keyspace.services.bulk import confirming, jobs
from keyspace.services.bulk.selection import Selection
from keyspace.units import registry
from keyspace.views.rendering import go_to, render_page

RECENT = 20
CHANGES = [(BulkJob.DELETE, "Delete them"), (BulkJob.EXPIRE, "Set their TTL"),
           (BulkJob.PERSIST, "Remove their TTL")]


class JobNotFound(DashboardError):
    status = 404
    title = "Bulk job not found"


class SelectionForm(forms.Form):
    mode = forms.ChoiceField(choices=BulkJob.MODES, initial=BulkJob.PREFIX)
    text = forms.CharField(max_length=16_384, strip=False, label="Keys",
                           error_messages={"required": "say which keys"})
    type_name = forms.ChoiceField(required=False, label="Type")
    then = forms.ChoiceField(choices=CHANGES, initial=BulkJob.DELETE, label="Then")
    ttl_seconds = forms.IntegerField(required=False, min_value=1, max_value=10**12,
                                     label="TTL (seconds)")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type_name"].choices = [("", "any type")] + [
            (name, name) for name in registry.type_names()]

    def clean_text(self) -> bytes:
        try:
            return parse_escaped(self.cleaned_data["text"])
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean(self):
        data = super().clean()
        if data.get("then") == BulkJob.EXPIRE and not data.get("ttl_seconds"):
            self.add_error("ttl_seconds", "give the TTL to set")
        return data


class ChangeForm(forms.Form):
    action = forms.ChoiceField(choices=CHANGES)
    ttl_seconds = forms.IntegerField(required=False, min_value=1, max_value=10**12)
    confirmation = forms.CharField(max_length=2000)
    confirm_connection = forms.CharField(required=False, max_length=100)


def _job(db: int, job_id: int) -> BulkJob:
    job = BulkJob.objects.filter(**profiles.job_scope(), db=db, pk=job_id).first()
    if job is None:
        raise JobNotFound(f"There is no bulk job {job_id} on db{db} of this server.")
    return job


@dashboard_view(VIEW)
def bulk_home(request, db: int):
    jobs.abandon_stale_jobs()
    form = SelectionForm(request.POST or None, initial=request.GET.dict())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        preview = jobs.start(db=db, action=BulkJob.COUNT, user=request.user,
                             selection=Selection(data["mode"], data["text"], data["type_name"]))
        query = f"?then={data['then']}&ttl={data['ttl_seconds'] or ''}"
        return go_to(request, reverse("keyspace:bulk-job", args=[db, preview.pk]) + query)
    return bulk_page(request, db, form=form, status=422 if form.errors else 200)


def bulk_page(request, db: int, *, form=None, import_form=None, status: int = 200):
    """The Bulk tab: choose keys to change, export or import, and the recent jobs."""
    from keyspace.views.transfer import ExportForm, ImportForm

    recent = BulkJob.objects.filter(**profiles.job_scope(), db=db).defer("payload")[:RECENT]
    context = {"db": db, "tab": "bulk", "recent": recent,
               "form": form or SelectionForm(initial=request.GET.dict()),
               "export_form": ExportForm(initial=request.GET.dict()),
               "import_form": import_form or ImportForm()}
    return render_page(request, "keyspace/bulk.html", context, status=status)


@dashboard_view(VIEW)
def bulk_job(request, db: int, job_id: int):
    jobs.abandon_stale_jobs()
    job = _job(db, job_id)
    context = {"db": db, "tab": "bulk", "job": job, "selection": jobs.selection_of(job),
               "sample": [decode_key(token) for token in job.sample]}
    context |= _offer(request, job)
    return render_page(request, "keyspace/bulk_job.html", context, fragment="progress")


def _offer(request, job: BulkJob) -> dict:
    """For a finished dry run: the change it leads to, confirmed for this count."""
    then = request.GET.get("then", BulkJob.DELETE)
    ttl = request.GET.get("ttl", "")
    if (job.action != BulkJob.COUNT or job.state != BulkJob.DONE or not job.keys_matched
            or job.spent):
        return {}  # nothing counted to change, or the count started its change already
    if then not in dict(CHANGES) or (then == BulkJob.EXPIRE and not ttl.isdigit()):
        return {}
    ttl_seconds = int(ttl) if then == BulkJob.EXPIRE else None
    if not user_may(request.user, EDIT):
        return {"offer": {"action": then, "label": dict(CHANGES)[then], "allowed": False}}
    return {"offer": {"action": then, "label": dict(CHANGES)[then], "allowed": True,
                      "ttl_seconds": ttl_seconds,
                      "confirmation": confirming.issue(request.user, job, then, ttl_seconds)}}


@dashboard_view(EDIT, audit_as="bulk")
@require_POST
def bulk_start(request, db: int, job_id: int):
    preview = _job(db, job_id)
    form = ChangeForm(request.POST)
    if not form.is_valid():
        return go_to(request, reverse("keyspace:bulk-job", args=[db, preview.pk]))
    data = form.cleaned_data
    ttl = data["ttl_seconds"] if data["action"] == BulkJob.EXPIRE else None
    confirmations.require_connection_typed(data["confirm_connection"])
    confirming.check(request.user, preview, data["action"], ttl, data["confirmation"])
    job = jobs.start(db=db, action=data["action"], selection=jobs.selection_of(preview),
                     user=request.user, ttl_seconds=ttl, preview=preview)
    return go_to(request, reverse("keyspace:bulk-job", args=[db, job.pk]))


@dashboard_view(VIEW)
@require_POST
def bulk_cancel(request, db: int, job_id: int):
    job = _job(db, job_id)
    if job.action != BulkJob.COUNT:
        require_permission(request, EDIT)
    jobs.cancel(job)
    if request.htmx:
        return HttpResponseClientRefresh()
    return go_to(request, reverse("keyspace:bulk-job", args=[db, job.pk]))
