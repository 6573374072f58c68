"""Edits: one endpoint per key that runs a named operation from the key's allow-lists.

GET draws the operation's form (a confirmation for destructive ones); POST runs it through the
edit pipeline (services/editing/pipeline.py) and redraws what the operation says it changed.
Without htmx, a POST redirects back to the key page with a message.
"""

from __future__ import annotations

from dataclasses import replace

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django_htmx.http import reswap, retarget

from keyspace.access.permissions import EDIT, VIEW, dashboard_view
from keyspace.conf import app_settings
from keyspace.exceptions import KeyNotFound
from keyspace.redis.connection import get_client
from keyspace.services.browse import key_detail
from keyspace.services.editing.create import CreateKeyForm
from keyspace.services.editing.guard import KEY_LIST, META, ROW, TOOLBAR, WHOLE_KEY, Redraw
from keyspace.services.editing.lookup import read_redraw, run_tool
from keyspace.services.editing.pipeline import EditResult, create_key, edit_form, edit_key
from keyspace.views.rendering import go_to, render_page, row_actions, wants_fragment

# Each region of the key's page an edit may redraw beside its row or value: the partial
# carries its element's id and, drawn with `oob`, swaps itself in out of band.
REGIONS = {META: "keyspace/key.html#meta", TOOLBAR: "keyspace/key.html#toolbar"}
# Drawn after every done edit: the message with its Undo button, and the editor closed.
AFTER_EVERY_EDIT = ("keyspace/edit/form.html#flash", "keyspace/edit/form.html#closed_editor")


@dashboard_view(EDIT)
def key_edit(request, db: int, key: bytes, action: str):
    if request.method == "POST":
        result = edit_key(user=request.user, db=db, key=key, action=action, data=request.POST)
        row = request.POST.get("row", "")
    else:
        result = edit_form(user=request.user, db=db, key=key, action=action, params=request.GET)
        row = request.GET.get("row", "")
    if result.done:
        return _after(request, db, key, result)
    operation = result.edit.operation
    context = {"db": db, "key": key, "unit": result.edit.unit, "operation": operation,
               "detail": result.edit.detail, "row": row, "form": result.form,
               "problem": result.problem, "confirm_token": result.confirm_token,
               "undo_promise": result.undo_promise}
    # Forms of other scopes (a stream's pending entries) open in the editor panel, as key forms.
    fragment = "row_form" if operation.scope == "row" else "key_form"
    return render_page(request, "keyspace/edit/form.html", context,
                       fragment=fragment, status=result.status)


@dashboard_view(EDIT, audit_as="create")
def key_create(request, db: int):
    """The new-key form; creating never overwrites an existing key."""
    if request.method == "POST":
        result = create_key(user=request.user, db=db, data=request.POST)
    else:
        result = EditResult(form=CreateKeyForm(client=get_client(db)))
    if result.done:
        return _after(request, db, result.redraw.row_id, result)
    context = {"db": db, "form": result.form, "problem": result.problem, "tab": "keys"}
    return render_page(request, "keyspace/edit/create.html", context, fragment="create_form",
                       status=result.status)


@dashboard_view(VIEW)
def key_tool(request, db: int, key: bytes, action: str):
    """A read-only tool: its form, and once submitted (GET, `run=1`) its results."""
    ran = run_tool(db=db, key=key, action=action, params=request.GET)
    context = {"db": db, "key": key, "unit": ran.unit, "tool": ran.tool, "detail": ran.detail,
               "form": ran.form, "problem": ran.problem} | ran.results
    return render_page(request, "keyspace/edit/tool.html", context, fragment="tool")


def _after(request, db: int, key: bytes, result: EditResult):
    """A done edit: htmx redraws what it changed in place; otherwise the browser goes to the
    page that shows it, with the message (whose extra tags carry the undo token)."""
    if result.redraw.in_place and wants_fragment(request):
        try:
            return _redraw(request, db, key, result)
        except KeyNotFound:  # e.g. a TTL of a millisecond: done, and already gone
            result = replace(result, message=f"{result.message}; the key has expired since",
                             redraw=Redraw(KEY_LIST))
    messages.success(request, result.message, extra_tags=result.undo_token or "")
    if result.redraw.changed == KEY_LIST:
        return go_to(request, reverse("keyspace:keyspace-browse", kwargs={"db": db}))
    name = result.redraw.row_id if result.redraw.changed == WHOLE_KEY else key
    return go_to(request, reverse("keyspace:key-detail", kwargs={"db": db, "key": name}))


def _redraw(request, db: int, key: bytes, result: EditResult) -> HttpResponse:
    """The changed row or value section, swapped for what htmx targeted, and beside it, out of
    band, the regions the edit changed, its message and the editor closed."""
    unit, redraw = result.edit.unit, result.redraw
    drawn = read_redraw(db=db, key=key, unit=unit, redraw=redraw)
    context = {"db": db, "key": key, "unit": unit, "detail": drawn.detail, "oob": True,
               "page": drawn.detail.page, "more_query": "", "continuing": False,
               "row_actions": row_actions(db, key, unit, user=request.user),
               "flash": result.message, "undo_token": result.undo_token,
               "preview_limit": app_settings.PREVIEW_BYTES}
    if redraw.changed == ROW:
        row_template = f"{unit.template}#row"
        main = "" if drawn.row is None else render_to_string(
            row_template, context | {"row": drawn.row}, request)
        target = f"#row-{unit.row_token(redraw.row_id)}"
    else:
        main, target = render_to_string("keyspace/key.html#value", context, request), "#value"
    beside = [REGIONS[region] for region in redraw.regions] + list(AFTER_EVERY_EDIT)
    parts = [render_to_string(template, context, request) for template in beside]
    return reswap(retarget(HttpResponse(main + "".join(parts)), target), "outerHTML")


@dashboard_view(VIEW)
def key_row(request, db: int, key: bytes):
    """One row as it is now: what Cancel on an in-place form puts back."""
    client = get_client(db)
    detail = key_detail(client, key)
    row_id = detail.unit.row_from_token(request.GET.get("row", ""))
    row = detail.unit.read_row(client, key, row_id)
    context = {"db": db, "key": key, "unit": detail.unit, "detail": detail, "row": row,
               "row_actions": row_actions(db, key, detail.unit, user=request.user)}
    if row is None:
        return HttpResponse("")
    return render(request, f"{detail.unit.template}#row", context)
