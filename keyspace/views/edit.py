"""Edits: one endpoint per key that runs a named operation from the key's allow-lists.

GET draws the operation's form (a confirmation for destructive ones); POST validates it,
runs it under a compare-and-set, and redraws only what changed. Without htmx, a POST
redirects back to the key page with a message.
"""

from __future__ import annotations

from dataclasses import replace

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse

from keyspace.access import confirmations

from keyspace.services import undo
from keyspace.access.audit import audited
from keyspace.redis.connection import get_client
from keyspace.services.editing.guard import Conflict, Operation, Outcome, Refused
from keyspace.exceptions import KeyNotFound
from keyspace.services.editing.create import CreateKeyForm, create_key
from keyspace.services.editing.key_operations import KEY_OPERATIONS
from keyspace.services.browse import key_detail
from keyspace.models import AuditEntry
from keyspace.access.permissions import EDIT, VIEW, dashboard_view
from keyspace.units import PageRequest, TypeUnit, registry
from keyspace.views.rendering import render_page, row_actions, wants_fragment

FORM_TEMPLATE = "keyspace/edit/form.html"


def find_operation(client, key: bytes, action: str, seen_type: str = ""):
    """The unit, the operation and the key's detail (None when an operation that may create
    runs on a key that is gone)."""
    try:
        detail = key_detail(client, key)
    except KeyNotFound:
        operation = _creating_operation(seen_type, action)
        if operation is None:
            raise
        return registry.unit_for(seen_type), operation, None
    if seen_type and seen_type != detail.type_name:
        raise Conflict(
            f"the key is now a {detail.unit.label.lower()}, not the {seen_type} this form "
            "was drawn for; nothing was written. Open the key again."
        )
    operation = detail.unit.operations.get(action) or KEY_OPERATIONS.get(action)
    if operation is None:
        raise Http404(f"{detail.unit.label} keys have no operation {action!r}")
    return detail.unit, operation, detail


def _creating_operation(type_name: str, action: str) -> Operation | None:
    if type_name not in registry.type_names():
        return None
    operation = registry.unit_for(type_name).operations.get(action)
    return operation if operation is not None and operation.may_create else None


@dashboard_view(EDIT)
def key_edit(request, db: int, key: bytes, action: str):
    client = get_client(db)
    if request.method != "POST":
        unit, operation, detail = find_operation(client, key, action)
        context = {"db": db, "key": key, "unit": unit, "operation": operation,
                   "detail": detail, "row": request.GET.get("row", "")}
        initial = {"expected_type": detail.type_name, "row": request.GET.get("row", "")}
        initial |= operation.initial(client, key, request.GET)
        return _form(request, context, operation.form_class(initial=initial))
    with audited(request, db=db, operation=action, key=key) as trail:
        seen_type = request.POST.get("expected_type", "")
        unit, operation, detail = find_operation(client, key, action, seen_type)
        context = {"db": db, "key": key, "unit": unit, "operation": operation,
                   "detail": detail, "row": request.POST.get("row", "")}
        form = operation.form_class(request.POST)
        valid = form.is_valid()
        trail["target"] = confirmations.target_of(operation, form)
        if not valid:
            trail.update(outcome=AuditEntry.REFUSED, detail=_invalid(form))
            return _form(request, context, form, status=422)
        try:
            confirmations.require(request, client, db, key, operation, form.cleaned_data)
            with undo.capturing() as capture:
                outcome = operation.apply(client, key, form.cleaned_data)
        except (Conflict, Refused) as problem:
            trail.update(outcome=_audit_outcome(problem), detail=problem.title)
            form = _informed(form, problem)
            if not _on_field(form, problem):
                context["problem"] = problem
            return _form(request, context, form, status=problem.status)
    return _after(request, db, key, unit, *_kept(request, db, capture, trail, outcome))


def _kept(request, db: int, capture, trail, outcome: Outcome) -> tuple[Outcome, str | None]:
    """Keep what a done edit changed for undo, tied to its audit entry: the outcome (saying
    so when no copy could be kept) and the undo token."""
    offer = undo.keep(request, db=db, capture=capture, entry=trail.get("entry"),
                      summary=outcome.message)
    if capture.refused:
        outcome = replace(outcome, message=f"{outcome.message} (this cannot be undone: "
                                           f"{capture.refused})")
    return outcome, offer


def _invalid(form) -> str:
    return "invalid input: " + ", ".join(sorted(form.errors))


def _audit_outcome(problem) -> str:
    return AuditEntry.CONFLICT if isinstance(problem, Conflict) else AuditEntry.REFUSED


@dashboard_view(EDIT, audit_as="create")
def key_create(request, db: int):
    """The new-key form; creating never overwrites an existing key."""
    form = CreateKeyForm(request.POST if request.method == "POST" else None)
    context = {"db": db, "form": form, "tab": "keys"}
    status = 200
    if form.is_bound:
        form.is_valid()
        name = form.cleaned_data.get("name")  # bytes when the name itself was valid
        with audited(request, db=db, operation="create", key=name) as trail:
            if not form.is_valid():
                trail.update(outcome=AuditEntry.REFUSED, detail=_invalid(form))
                status = 422
            else:
                try:
                    with undo.capturing() as capture:
                        key = create_key(get_client(db), form.cleaned_data)
                except (Conflict, Refused) as problem:
                    trail.update(outcome=_audit_outcome(problem), detail=problem.title)
                    context["problem"] = problem
                    status = problem.status
        if status == 200:
            created = Outcome("created", refresh="key", row_id=key)
            return _after(request, db, key, None, *_kept(request, db, capture, trail, created))
    template = "keyspace/edit/create.html"
    return render_page(request, template, context, fragment="create_form", status=status)


@dashboard_view(VIEW)
def key_tool(request, db: int, key: bytes, action: str):
    """A read-only tool: its form, and once submitted (GET, `run=1`) its results."""
    client = get_client(db)
    detail = key_detail(client, key)
    tool = detail.unit.tools.get(action)
    if tool is None:
        raise Http404(f"{detail.unit.label} keys have no tool {action!r}")
    context = {"db": db, "key": key, "unit": detail.unit, "tool": tool, "detail": detail}
    form = tool.form_class(request.GET if "run" in request.GET else None)
    context["form"] = form
    if form.is_bound and form.is_valid():
        try:
            context |= tool.run(client, key, form.cleaned_data)
        except Refused as problem:
            context["problem"] = problem
    template = "keyspace/edit/tool.html"
    return render_page(request, template, context, fragment="tool")


def _informed(form, problem):
    """After a conflict (or a request to confirm) the form holds what is there now, so
    resubmitting is a deliberate change of what the user has just been shown."""
    updates = {name: value for name, value in problem.updates.items() if name in form.fields}
    if not updates:
        return form
    data = form.data.copy()
    data.update(updates)
    return form.__class__(data)


def _on_field(form, problem) -> bool:
    """Show a refusal that belongs to one field next to it (True), as a form error does."""
    field = getattr(problem, "field", None)
    if field not in form.fields:
        return False
    form.add_error(field, problem.message)
    return True


def _form(request, context: dict, form, status: int = 200):
    context["form"] = form
    context["confirm_token"] = confirmations.for_form(request, context, form)
    if context["confirm_token"]:
        context["undo_promise"] = undo.promise(
            get_client(context["db"]), _touched(context["key"], context["operation"], form)
        )
    fragment = f"{context['operation'].scope}_form"
    return render_page(request, FORM_TEMPLATE, context, fragment=fragment, status=status)


def _after(request, db: int, key: bytes, unit: TypeUnit, outcome: Outcome,
           offer: str | None = None):
    if outcome.refresh == "list":
        destination = reverse("keyspace:keyspace-browse", kwargs={"db": db})
    else:
        name = outcome.row_id if outcome.refresh == "key" else key
        destination = reverse("keyspace:key-detail", kwargs={"db": db, "key": name})
    if not wants_fragment(request) or outcome.refresh in ("key", "list"):
        # The message's extra tags carry the undo token: the page draws an Undo button.
        messages.success(request, outcome.message, extra_tags=offer or "")
        if wants_fragment(request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = destination
            return response
        return redirect(destination)
    try:
        return _redraw(request, db, key, unit, outcome, offer)
    except KeyNotFound:  # e.g. a TTL of a millisecond: done, and already gone
        gone = Outcome(f"{outcome.message}; the key has expired since", refresh="list")
        return _after(request, db, key, unit, gone, offer)


def _redraw(request, db: int, key: bytes, unit: TypeUnit, outcome: Outcome, offer=None):
    """The changed row or value section, plus the key's metadata and a message, out of band.
    One read of the key serves both the metadata and (for a value redraw) its first page."""
    client = get_client(db)
    whole_value = outcome.refresh != "row"
    page_request = (
        PageRequest(count=settings.DASHBOARD_PAGE_SIZE, order=unit.default_order)
        if whole_value else None
    )
    detail = key_detail(client, key, page_request)
    context = {"db": db, "key": key, "unit": unit, "detail": detail, "oob": True,
               "page": detail.page, "more_query": "", "continuing": False,
               "row_actions": row_actions(db, key, unit),
               "flash": outcome.message, "undo_token": offer,
               "preview_limit": settings.DASHBOARD_PREVIEW_BYTES}
    parts = [render_to_string("keyspace/key.html#meta", context, request),
             render_to_string("keyspace/key.html#toolbar", context, request),
             render_to_string("keyspace/edit/form.html#flash", context, request),
             '<div id="editor" hx-swap-oob="true"></div>']
    if whole_value:
        response = HttpResponse(render_to_string("keyspace/key.html#value", context, request))
        response["HX-Retarget"] = "#value"
    else:
        row = unit.read_row(client, key, outcome.row_id)
        row_html = render_to_string(f"{unit.template}#row", context | {"row": row}, request)
        response = HttpResponse(row_html if row is not None else "")
        response["HX-Retarget"] = f"#row-{row_token(unit, outcome.row_id)}"
    response["HX-Reswap"] = "outerHTML"
    response.write("".join(parts))
    return response


def _touched(key: bytes, operation, form) -> list[bytes]:
    """The keys an edit writes: its own, and the key it replaces, if any."""
    target = confirmations.target_of(operation, form) if form.is_bound and form.is_valid() else None
    return [key, target] if target else [key]


def row_token(unit: TypeUnit, row_id) -> str:
    return unit.row_token(row_id)


@dashboard_view(VIEW)
def key_row(request, db: int, key: bytes):
    """One row as it is now: what Cancel on an in-place form puts back."""
    client = get_client(db)
    detail = key_detail(client, key)
    row_id = detail.unit.row_from_token(request.GET.get("row", ""))
    row = detail.unit.read_row(client, key, row_id)
    context = {"db": db, "key": key, "unit": detail.unit, "detail": detail, "row": row,
               "row_actions": row_actions(db, key, detail.unit)}
    if row is None:
        return HttpResponse("")
    return render(request, f"{detail.unit.template}#row", context)
