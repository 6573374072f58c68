"""What every page of the app needs besides its view's context, without a context processor
in the host project: the Redis address for the header, and whether controls that write are
drawn for this user."""

from __future__ import annotations

from django import template

from keyspace.access import permissions
from keyspace.redis.connection import target_address

register = template.Library()


@register.simple_tag
def redis_address() -> str:
    return target_address()


@register.filter
def may_edit(user) -> bool:
    """`{% if user|may_edit %}`: the same check the views make (role, read-only mode, sign-in
    off); `user` is the auth context processor's. Drawing is a courtesy: the view checks again."""
    # Looked up on the module at each call, as dashboard_view does, so both always agree.
    return permissions.user_may(user or None, permissions.EDIT)
