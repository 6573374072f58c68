"""What every page of the app needs besides its view's context, without a context processor
in the host project: the Redis address for the header, and whether controls that write are
drawn for this user."""

from __future__ import annotations

import redis
from django import template
from django.urls import reverse

from keyspace.access import permissions
from keyspace.conf import app_settings
from keyspace.redis import profiles
from keyspace.redis.connection import (
    cluster_known,
    current_sentinel,
    current_transport,
    target_address,
)

register = template.Library()


@register.simple_tag
def redis_address() -> str:
    return target_address()


@register.simple_tag
def redis_sentinel():
    """The Sentinel service shown (name, current primary), None for a plain Redis URL."""
    return current_sentinel()


@register.simple_tag
def redis_transport():
    """Whether the connection is encrypted (a `Transport`), None when no Redis is set."""
    return current_transport()


@register.simple_tag
def redis_is_cluster() -> bool:
    """Whether the Redis shown is a cluster, as this process already knows (never asks)."""
    return cluster_known()


@register.filter
def may_edit(user) -> bool:
    """`{% if user|may_edit %}`: the same check the views make (role, read-only mode, sign-in
    off); `user` is the auth context processor's. Drawing is a courtesy: the view checks again."""
    # Looked up on the module at each call, as dashboard_view does, so both always agree.
    return permissions.user_may(user or None, permissions.EDIT)


@register.simple_tag(takes_context=True)
def redis_limits(context) -> list[str]:
    """What this Redis user may not do that changes every page, said once at the top: writes
    refused (edit controls are then hidden), and ACL key patterns (other keys left out).
    Never raises: with Redis down the page says so itself."""
    from keyspace.redis.capabilities import capabilities

    try:
        facts = capabilities()
    except (redis.RedisError, ValueError):
        return []
    notes = []
    if facts.write_refusal and not app_settings.READONLY and \
            permissions.role_may(context.get("user"), permissions.EDIT):
        notes.append(f"This Redis user may not write here, so edit controls are hidden: "
                     f"{facts.write_refusal}.")
    if not facts.all_keys:
        notes.append("This Redis user may read only some keys (its ACL key patterns): the "
                     "others are left out of key lists, type filters and namespace counts.")
    return notes


@register.simple_tag
def current_connection():
    """The connection the page is about (a Profile: name, title, environment, colour)."""
    return profiles.current()


@register.simple_tag(takes_context=True)
def connection_choices(context) -> list[dict]:
    """Every other connection this user may view, each with a link that keeps the page's
    place (the same view, key and query on that connection) where the URL names one."""
    request = context.get("request")
    if request is None:
        return []
    user = context.get("user")
    if app_settings.AUTH and not getattr(user, "is_authenticated", False):
        return []  # the sign-in page: nothing about connections before signing in
    shown = profiles.current()
    match = getattr(request, "resolver_match", None)
    place = match.kwargs.get("db") if match is not None else None
    query = request.META.get("QUERY_STRING", "")
    choices = []
    for profile in permissions.viewable(user or None):
        if profile.name == shown.name:
            continue
        if isinstance(place, profiles.Place) and request.method == "GET":
            kwargs = {**match.kwargs, "db": profiles.Place(int(place), profile.name)}
            url = reverse(match.view_name, kwargs=kwargs) + (f"?{query}" if query else "")
        else:
            url = reverse("keyspace:connection-home", kwargs={"name": profile.name})
        choices.append({"profile": profile, "url": url})
    return choices
