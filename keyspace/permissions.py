"""The one permission check every view passes through.

Everything is allowed except writes in read-only mode; sign-in and roles plug in here
without touching the views.
"""

from __future__ import annotations

import functools
import inspect

from asgiref.sync import markcoroutinefunction
from django.conf import settings

from .errors import NotPermitted

VIEW = "view"
EDIT = "edit"
ACTIONS = (VIEW, EDIT)


def has_permission(request, action: str) -> bool:
    if action == EDIT and settings.DASHBOARD_READONLY:
        return False
    return action in ACTIONS


def require_permission(request, action: str) -> None:
    if not has_permission(request, action):
        raise NotPermitted(f"you may not {action} this Redis")


def dashboard_view(action: str):
    """Mark a view with the action it performs and check it before the view runs."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")

    def decorate(view):
        if inspect.iscoroutinefunction(view):

            @functools.wraps(view)
            async def async_wrapper(request, *args, **kwargs):
                require_permission(request, action)
                return await view(request, *args, **kwargs)

            wrapper = markcoroutinefunction(async_wrapper)
        else:

            @functools.wraps(view)
            def wrapper(request, *args, **kwargs):
                require_permission(request, action)
                return view(request, *args, **kwargs)

        wrapper.dashboard_action = action
        return wrapper

    return decorate
