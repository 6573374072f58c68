"""The pending entries of one consumer group (read-only, paged by entry ID), and the edits
made from it: acknowledge or claim ticked entries, claim every entry idle long enough. The
edits run through the edit pipeline like every other; once done, the page is drawn again with
the message. Served where the stream unit declares it (StreamUnit.get_urls)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, QueryDict
from django.urls import path, reverse

from keyspace.access.permissions import EDIT, VIEW, dashboard_view
from keyspace.redis.connection import get_client
from keyspace.redis.keynames import encode_key
from keyspace.services.browse import key_detail
from keyspace.services.editing.guard import Conflict
from keyspace.services.editing.pipeline import edit_form, edit_key
from keyspace.units.stream.autoclaim import AutoClaimForm
from keyspace.units.stream.pending import PendingQuery, read_page, read_summary
from keyspace.views.rendering import go_to, render_page

TEMPLATE = "keyspace/units/stream_pending.html"
ACTIONS = ("stream-ack", "stream-claim", "stream-autoclaim")


def pending_urls() -> list:
    return [
        path("pending/<key:group>/", pending_page, name="stream-pending"),
        path("pending/<key:group>/<slug:action>/", pending_act, name="stream-pending-act"),
    ]


def _page_url(db: int, key: bytes, group: bytes) -> str:
    return reverse("keyspace:stream-pending", kwargs={"db": db, "key": key, "group": group})


@dashboard_view(VIEW)
def pending_page(request, db: int, key: bytes, group: bytes):
    query = PendingQuery(request.GET).parsed()
    client = get_client(db)
    detail = key_detail(client, key)
    if detail.type_name != "stream":
        raise Conflict(f"this key is a {detail.unit.label.lower()} now, not a stream")
    summary = read_summary(client, key, group)
    page = read_page(client, key, group, **query)
    token = encode_key(group)
    context = {
        "db": db, "key": key, "group": group, "group_token": token, "detail": detail,
        "summary": summary, "page": page, "query": query,
        "filters": PendingQuery(request.GET or None),
        "next_query": _next_query(request, page.next_after),
        "autoclaim": AutoClaimForm(initial={"group": group, "expected_type": "stream"}),
    }
    return render_page(request, TEMPLATE, context, fragment="pending")


def _next_query(request, after: str | None) -> str | None:
    if after is None:
        return None
    params = request.GET.copy()
    params["after"] = after
    return params.urlencode()


@dashboard_view(EDIT)
def pending_act(request, db: int, key: bytes, group: bytes, action: str):
    """An edit of the group's pending entries: the confirmation (or the reason it did not go
    through) in place; once done, back to the pending page with the message and Undo."""
    if action not in ACTIONS:
        raise Http404(f"no such action on pending entries: {action!r}")
    if request.method != "POST":
        if action != "stream-autoclaim":
            return go_to(request, _page_url(db, key, group))
        result = edit_form(user=request.user, db=db, key=key, action=action,
                           params={"group": encode_key(group)})
    else:
        data = request.POST.copy() if request.POST else QueryDict(mutable=True)
        # The group is the page's: a form cannot act on another group than the URL names.
        data["group"] = encode_key(group)
        data.setdefault("expected_type", "stream")
        result = edit_key(user=request.user, db=db, key=key, action=action, data=data)
    if result.done:
        messages.success(request, result.message, extra_tags=result.undo_token or "")
        return go_to(request, _page_url(db, key, group))
    context = {"db": db, "key": key, "group": group, "operation": result.edit.operation,
               "form": result.form, "problem": result.problem,
               "confirm_token": result.confirm_token, "undo_promise": result.undo_promise,
               "page_url": _page_url(db, key, group)}
    return render_page(request, "keyspace/units/stream_pending_act.html", context,
                       fragment="act_form", status=result.status)

