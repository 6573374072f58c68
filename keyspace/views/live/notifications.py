"""The server's keyspace notifications: what they are set to, what live pages need, and for
an admin (with a confirmation) turning them on. The dashboard never turns them on by itself:
on a busy server they cost Redis a publish per write."""

from __future__ import annotations

from django.contrib import messages
from django.urls import reverse

from keyspace.access import confirmations
from keyspace.access.audit import audited
from keyspace.access.permissions import EDIT, VIEW, dashboard_view, user_may
from keyspace.conf import app_settings
from keyspace.exceptions import NotPermitted
from keyspace.redis.connection import get_client
from keyspace.services.live.events import SUGGESTED_FLAGS, enable_notifications, read_notifications
from keyspace.views.rendering import go_to, render_page, wants_fragment

TEMPLATE = "keyspace/live_notifications.html"
ACTION = "notifications-on"


def may_enable(user) -> bool:
    """Changing the server's configuration is for admins: superusers, or anyone on a
    loopback-only dashboard with sign-in off."""
    if not user_may(user, EDIT):
        return False
    return not app_settings.AUTH or bool(getattr(user, "is_superuser", False))


@dashboard_view(VIEW)
def live_notifications(request, db: int):
    notifications = read_notifications(get_client(db))
    context = {"db": db, "tab": "live", "notifications": notifications,
               "suggested": SUGGESTED_FLAGS, "may_enable": may_enable(request.user)}
    if context["may_enable"] and notifications.readable:
        context["confirm_token"] = confirmations.issue(request.user, db, b"", ACTION)
    return render_page(request, TEMPLATE, context, fragment="notifications")


@dashboard_view(EDIT, audit_as="notifications-on")
def live_notifications_enable(request, db: int):
    if request.method != "POST":
        return live_notifications(request, db)
    if not may_enable(request.user):
        raise NotPermitted("only an admin may change the server's notification settings")
    client = get_client(db)
    with audited(request.user, db=db, operation=ACTION, key=None) as trail:
        confirmations.check(request.user, db, b"", ACTION, request.POST.get("confirm", ""))
        trail["detail"] = "notify-keyspace-events set to " + enable_notifications(
            client, read_notifications(client))
    if not wants_fragment(request):
        messages.success(request, trail["detail"])
        return go_to(request, reverse("keyspace:live-notifications", kwargs={"db": db}))
    context = {"db": db, "tab": "live", "notifications": read_notifications(client),
               "suggested": SUGGESTED_FLAGS, "may_enable": True, "enabled_now": True}
    return render_page(request, TEMPLATE, context, fragment="notifications")
