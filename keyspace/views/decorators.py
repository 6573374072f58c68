"""What every view of the app does around its own work, whatever middleware the project has.

`app_view` wraps each view (through `keyspace.access.permissions.dashboard_view`, which every
route must use), so the app behaves the same mounted in a host project as in the standalone:

- `request.htmx` is there even without django-htmx's middleware;
- loopback-only holds while it is needed (sign-in off, or the development secret key);
- failures the app expects (a missing key, a bad query, Redis down, sign-in needed) become
  the app's error page or fragment, never a 500;
- responses carry the security headers and pages are never cached.
"""

from __future__ import annotations

import functools

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django_htmx.middleware import HtmxDetails

from keyspace.access.headers import protect
from keyspace.access.loopback import refusal
from keyspace.views.errors import error_response


def _prepare(request) -> None:
    if not hasattr(request, "htmx"):
        request.htmx = HtmxDetails(request)


def _failed(request, exc: Exception):
    response = error_response(request, exc)
    if response is None:
        raise exc
    return response


def app_view(view):
    """`view` with the app's request preparation, error pages and response headers."""
    if iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapper(request, *args, **kwargs):
            _prepare(request)
            refused = refusal(request)
            if refused is not None:
                return protect(request, refused)
            try:
                response = await view(request, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - expected failures are rendered, bugs re-raised
                # Rendering a page reads the user (the database): not on the event loop.
                response = await sync_to_async(_failed)(request, exc)
            return protect(request, response)

        return markcoroutinefunction(async_wrapper)

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        _prepare(request)
        refused = refusal(request)
        if refused is not None:
            return protect(request, refused)
        try:
            response = view(request, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - expected failures are rendered, bugs re-raised
            response = _failed(request, exc)
        return protect(request, response)

    return wrapper
