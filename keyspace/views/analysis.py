"""Database analysis: start a run (a background job), follow its progress, read its report,
compare it with an earlier one, stop it."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import HttpResponseClientRefresh

from keyspace.access.permissions import VIEW, dashboard_view
from keyspace.conf import app_settings
from keyspace.exceptions import BadRequest, DashboardError
from keyspace.models import AnalysisRun
from keyspace.redis import profiles
from keyspace.redis.keynames import decode_key
from keyspace.services.analysis.page import report_context
from keyspace.services.analysis.results import report_for
from keyspace.services.analysis.runs import abandon_stale_runs, cancel_analysis, start_analysis
from keyspace.views.rendering import go_to, render_page, wants_fragment

TEMPLATE = "keyspace/analysis.html"
RUN_TEMPLATE = "keyspace/analysis_run.html"
REPORT_TEMPLATE = "keyspace/analysis/_report.html"
HISTORY = 20


class RunNotFound(DashboardError):
    status = 404
    title = "Analysis not found"


class StartForm(forms.Form):
    mode = forms.ChoiceField(choices=[("full", "every key"), ("sample", "a sample")],
                             initial="full")


class ReportQuery(forms.Form):
    prefix = forms.CharField(required=False, max_length=8192)
    compare = forms.IntegerField(required=False, min_value=1)


def _runs(db: int):
    return AnalysisRun.objects.filter(**profiles.job_scope(), db=db)


def _run(db: int, run_id: int) -> AnalysisRun:
    run = _runs(db).filter(pk=run_id).first()
    if run is None:
        raise RunNotFound(f"There is no analysis {run_id} of db{db} on this server.")
    return run


@dashboard_view(VIEW)
def analysis_home(request, db: int):
    abandon_stale_runs()
    runs = list(_runs(db)[:HISTORY])
    context = {"db": db, "tab": "analysis", "runs": runs, "form": StartForm(),
               "sample_keys": app_settings.ANALYSIS_SAMPLE_KEYS,
               "active": next((run for run in runs if run.active), None)}
    return render_page(request, TEMPLATE, context)


@dashboard_view(VIEW)
@require_POST  # inside: a visitor who may not look is sent to sign in first
def analysis_start(request, db: int):
    form = StartForm(request.POST)
    if not form.is_valid():
        raise BadRequest("Choose a full pass or a sample.")
    sample = app_settings.ANALYSIS_SAMPLE_KEYS if form.cleaned_data["mode"] == "sample" else None
    run = start_analysis(db=db, sample_size=sample, user=request.user)
    return go_to(request, reverse("keyspace:analysis-run", args=[db, run.pk]))


@dashboard_view(VIEW)
def analysis_run(request, db: int, run_id: int):
    run = _run(db, run_id)
    query = ReportQuery(request.GET)
    if not query.is_valid():
        raise BadRequest("That is not a namespace or a run to compare with.")
    context = {"db": db, "tab": "analysis", "run": run}
    report = report_for(run)
    if report is not None:
        earlier = _earlier(db, run, query.cleaned_data["compare"])
        context |= report_context(report, _prefix(query.cleaned_data["prefix"]), earlier)
        context["comparable"] = [r for r in _runs(db).filter(state=AnalysisRun.DONE)[:HISTORY]
                                 if r.pk != run.pk]
    if report is not None and wants_fragment(request):
        # A level of the namespace tree, asked for by its links.
        return render_page(request, REPORT_TEMPLATE, context, fragment="namespaces")
    return render_page(request, RUN_TEMPLATE, context)


@dashboard_view(VIEW)
def analysis_progress(request, db: int, run_id: int):
    abandon_stale_runs()
    run = _run(db, run_id)
    if not run.active and request.htmx:
        return HttpResponseClientRefresh()  # the report (or why it ended) is a whole page
    return render_page(request, RUN_TEMPLATE, {"db": db, "tab": "analysis", "run": run},
                       fragment="progress")


@dashboard_view(VIEW)
@require_POST  # inside: a visitor who may not look is sent to sign in first
def analysis_cancel(request, db: int, run_id: int):
    run = _run(db, run_id)
    cancel_analysis(run)
    return go_to(request, reverse("keyspace:analysis-run", args=[db, run.pk]))


def _prefix(token: str) -> bytes:
    try:
        return decode_key(token) if token else b""
    except ValueError as exc:
        raise BadRequest("That is not a namespace.") from exc


def _earlier(db: int, run: AnalysisRun, compare: int | None):
    if compare is None:
        return None
    other = report_for(_run(db, compare))
    if other is None:
        raise BadRequest("That run has no report to compare with.")
    return other
