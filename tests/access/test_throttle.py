"""Failed sign-ins are the dashboard's to audit only on its own form: mounted in a project,
the project's other sign-in pages (its admin, its own form) are its own business."""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate
from django.test import RequestFactory
from django.urls import resolve

from keyspace.models import AuditEntry

# The dashboard's database: SQLite and PostgreSQL (tests/conftest.py).
pytestmark = pytest.mark.both_databases


def failed_sign_in(path: str, match_path: str | None) -> None:
    request = RequestFactory().post(path, {"username": "someone", "password": "wrong"})
    request.resolver_match = resolve(match_path) if match_path else None
    assert authenticate(request, username="someone", password="wrong") is None


def test_a_failure_on_the_apps_form_is_audited(db):
    failed_sign_in("/sign-in/", "/sign-in/")
    [entry] = AuditEntry.objects.all()
    assert entry.operation == "sign-in" and "name tried: someone" in entry.detail


def test_a_failure_elsewhere_in_the_project_is_not(db):
    failed_sign_in("/admin/login/", None)
    failed_sign_in("/audit/", "/audit/")  # resolved, but not the sign-in form
    assert AuditEntry.objects.count() == 0
