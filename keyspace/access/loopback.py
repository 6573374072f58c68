"""Loopback only, enforced by the app itself whatever server runs it: with sign-in off, or
while the development secret key is in use (anyone who knows it can forge sessions and
confirmations), requests from any address but 127.0.0.0/8 and ::1 get a 403 page."""

from __future__ import annotations

import ipaddress

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.http import HttpResponseForbidden
from django.template.loader import render_to_string

DEV_KEY_PREFIX = "dev-only"
NEW_KEY_COMMAND = "python3 -c 'import secrets; print(secrets.token_urlsafe(64))'"


def using_dev_key() -> bool:
    return settings.SECRET_KEY.startswith(DEV_KEY_PREFIX)


def is_loopback(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return False  # unknown (a unix socket passes none): fail closed
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def loopback_reason() -> tuple[str, str] | None:
    """Why this dashboard may only answer loopback, and how to lift that; None if it need not."""
    if not settings.DASHBOARD_AUTH:
        return ("Sign-in is off (DASHBOARD_AUTH=off),",
                "turn sign-in on (unset DASHBOARD_AUTH).")
    if using_dev_key():
        return ("This dashboard runs with the development secret key,",
                f"set DJANGO_SECRET_KEY to a key of your own, e.g. from {NEW_KEY_COMMAND}")
    return None


def _refusal(request) -> HttpResponseForbidden | None:
    reason = loopback_reason()
    if reason is None or is_loopback(request.META.get("REMOTE_ADDR")):
        return None
    body = render_to_string("keyspace/errors/loopback_only.html",
                            {"reason": reason[0], "remedy": reason[1]})
    return HttpResponseForbidden(body)


class LoopbackOnlyMiddleware:
    """First in the chain: a refused request reaches no other middleware nor any view."""

    async_capable = True
    sync_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request):
        if iscoroutinefunction(self):
            return self._acall(request)
        return _refusal(request) or self.get_response(request)

    async def _acall(self, request):
        return _refusal(request) or await self.get_response(request)
