"""The console page: a command line, the replies so far, and the lines run before."""

from __future__ import annotations

from django import forms

from keyspace.access.permissions import VIEW, dashboard_view
from keyspace.conf import app_settings
from keyspace.redis import profiles
from keyspace.services.console.running import run_line
from keyspace.views.rendering import render_page

HISTORY = "keyspace_console_history"


class ConsoleForm(forms.Form):
    line = forms.CharField(max_length=100_000, strip=True,
                           error_messages={"required": "type a command"})
    confirmation = forms.CharField(required=False, max_length=2000)
    confirm_connection = forms.CharField(required=False, max_length=100)


@dashboard_view(VIEW)
def console(request, db: int):
    outcome, status = None, 200
    form = ConsoleForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if form.is_valid():
            outcome = run_line(request.user, db, form.cleaned_data["line"],
                               confirmation=form.cleaned_data["confirmation"],
                               typed_connection=form.cleaned_data["confirm_connection"])
            status = outcome.status
            _remember(request, outcome.line)
            form = ConsoleForm()
        else:
            status = 422
    context = {"db": db, "tab": "console", "form": form, "outcome": outcome,
               "history": request.session.get(_history_key(), [])}
    return render_page(request, "keyspace/console.html", context, fragment="entry",
                       status=status)


def _history_key() -> str:
    """Each connection's lines apart: a line typed on one is never offered on another, where
    it would run against another server."""
    return f"{HISTORY}:{profiles.current().name}"


def _remember(request, line: str) -> None:
    key = _history_key()
    history = [old for old in request.session.get(key, []) if old != line]
    request.session[key] = ([line] + history)[: app_settings.CONSOLE_HISTORY]
