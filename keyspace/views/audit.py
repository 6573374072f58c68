"""The audit log page: every write attempt, newest first, filterable and paged."""

from __future__ import annotations

from django import forms

from keyspace.access.permissions import VIEW, dashboard_view
from keyspace.models import AuditEntry
from keyspace.services.audit_log import audit_page
from keyspace.views.query import QueryForm
from keyspace.views.rendering import render_page, tabs_db


class AuditFilterForm(QueryForm):
    user = forms.CharField(required=False, max_length=150)
    operation = forms.CharField(required=False, max_length=60)
    outcome = forms.ChoiceField(required=False, choices=[("", "any")] + AuditEntry.OUTCOMES)
    connection = forms.CharField(required=False, max_length=40)
    key = forms.CharField(required=False, max_length=1000, label="Key contains")
    page = forms.IntegerField(required=False, min_value=1, max_value=1_000_000)


@dashboard_view(VIEW)
def audit_log(request):
    form = AuditFilterForm(request.GET)
    found = audit_page(request.user, form.parsed())
    params = request.GET.copy()
    params.pop("page", None)
    context = {"form": form, "page": found.page, "query_without_page": params.urlencode(),
               "tab": "audit", "operations": found.operations, "db": tabs_db(),
               "connections": found.connections}
    return render_page(request, "keyspace/audit.html", context, fragment="entries")
