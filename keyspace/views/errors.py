"""Everything that can go wrong talking to Redis, rendered in one place.

Views raise; `error_response` turns the exception into a page (or, for htmx requests, a
fragment swapped into the page's error banner) with a fitting status. Never a traceback. It
runs inside every view of the app (`keyspace.views.decorators.app_view`), so a host project
needs no middleware for it.
"""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import redis
from django.conf import settings
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url
from django.urls import reverse
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from keyspace.exceptions import (
    DashboardError,
    SignInRequired,
)
from keyspace.redis import profiles, sentinel
from keyspace.redis.cluster import describe_failure as describe_cluster_failure
from keyspace.redis.connection import RedisNotConfigured, current_target, target_address
from keyspace.views.rendering import wants_fragment

logger = logging.getLogger(__name__)


# TLS failures at connect time, by what OpenSSL says, with what to do about each.
_TLS_REASONS = (
    ("hostname mismatch", "TLS: the server's certificate is not for this host name (use the "
                          "name on the certificate in REDIS_URL)"),
    ("ip address mismatch", "TLS: the server's certificate is not for this address (use the "
                            "name on the certificate in REDIS_URL)"),
    ("certificate has expired", "TLS: the server's certificate has expired"),
    ("self-signed certificate in certificate chain", "TLS: the server's certificate is not "
                                                     "trusted (check DASHBOARD_TLS_CA_FILE)"),
    ("self-signed certificate", "TLS: the server's certificate is self-signed and not trusted "
                                "(set DASHBOARD_TLS_CA_FILE to its CA)"),
    ("certificate verify failed", "TLS: the server's certificate is not trusted (check "
                                  "DASHBOARD_TLS_CA_FILE)"),
    ("certificate required", "TLS: the server requires a client certificate (set "
                             "DASHBOARD_TLS_CERT_FILE and DASHBOARD_TLS_KEY_FILE)"),
    ("unknown ca", "TLS: the server does not trust the client certificate"),
    ("bad certificate", "TLS: the server refused the client certificate"),
    ("wrong version number", "TLS: the server does not speak TLS (is this port plain redis://?)"),
    ("record layer failure", "TLS: the server does not speak TLS (is this port plain "
                             "redis://?)"),
    ("packet length too long", "TLS: the server does not speak TLS (is this port plain "
                               "redis://?)"),
)


def _tls_closed() -> str:
    """The server hung up right after the handshake: with TLS 1.3 that is how a server that
    wants a client certificate (or refuses the one sent) says so."""
    if profiles.current().tls_cert_file:
        return ("TLS: the server closed the connection: it may not accept the client "
                "certificate (DASHBOARD_TLS_CERT_FILE)")
    return ("TLS: the server closed the connection: it may require a client certificate (set "
            "DASHBOARD_TLS_CERT_FILE and DASHBOARD_TLS_KEY_FILE)")


def _connection_reason(exc: Exception) -> str:
    text = str(exc)
    lowered = text.lower()
    tls = profiles.current().url.startswith("rediss://")
    if tls or "[ssl" in lowered:
        for needle, reason in _TLS_REASONS:
            if needle in lowered:
                return reason
        if "eof occurred in violation of protocol" in lowered or "unexpected eof" in lowered:
            return _tls_closed()
    if "no such file" in lowered:
        if profiles.current().url.startswith("unix://"):
            return "no such socket"
        return "a file it needs is missing (check the DASHBOARD_TLS_* files)"
    if not tls and ("connection reset" in lowered or "closed by server" in lowered):
        # A TLS-only port drops a plain client as soon as it speaks.
        return "the server closed the connection (does it expect TLS? use rediss://)"
    for needle, reason in (
        ("connection refused", "connection refused"),
        ("timed out", "timed out"),
        ("timeout", "timed out"),
        ("name or service not known", "unknown host"),
        ("invalid username-password", "authentication failed"),
        ("authentication required", "authentication required"),
        ("wrongpass", "authentication failed"),
    ):
        if needle in lowered:
            return reason
    return text or exc.__class__.__name__


def describe_error(exc: Exception) -> tuple[int, str, str] | None:
    """(status, title, message) for errors the dashboard expects, None for real bugs."""
    if isinstance(exc, DashboardError):
        return exc.status, exc.title, exc.message
    if (cluster_failure := describe_cluster_failure(exc)) is not None:
        return cluster_failure
    if isinstance(exc, RedisNotConfigured):
        return 503, "Redis not configured", "REDIS_URL is not set: nothing to show."
    if isinstance(exc, sentinel.UnknownService):
        return 503, *sentinel.describe_unknown_service(_shown_url())
    if _failing_over(exc):
        return 503, *sentinel.describe_failover(exc, _shown_url())
    if isinstance(exc, redis.TimeoutError):
        message = f"redis at {target_address()} timed out"
        if profiles.current().url.startswith("rediss://") and "connecting" in str(exc):
            message += (" connecting over TLS (a server that does not speak TLS, a plain "
                        "redis:// port, looks like this too)")
        return 503, "Redis is not answering", message
    if isinstance(exc, redis.ConnectionError):
        reason = _connection_reason(exc)
        return 503, "Cannot reach Redis", f"cannot reach redis at {target_address()}: {reason}"
    if isinstance(exc, redis.exceptions.NoPermissionError) or str(exc).startswith("NOPERM"):
        return 403, "Not permitted", f"the Redis user is not permitted to do this: {exc}"
    if isinstance(exc, redis.exceptions.BusyLoadingError):
        return 503, "Redis is loading", "redis is loading its dataset into memory; try again soon"
    if isinstance(exc, redis.ResponseError):
        text = str(exc)
        if "DB index is out of range" in text or "invalid DB index" in text:
            return 404, "No such database", "this Redis has no database with that number"
        if text.startswith("WRONGTYPE"):
            return 409, "Key changed type", "the key changed type meanwhile; reload to see it"
        return 502, "Redis refused", f"redis answered with an error: {text}"
    return None


def _failing_over(exc: Exception) -> bool:
    """A Sentinel failover, not a wrong password, missing credentials or a TLS problem (those
    stay until someone fixes them, so they get their own page)."""
    from keyspace.redis.credentials import CredentialsUnavailable

    if isinstance(exc, redis.AuthenticationError | CredentialsUnavailable):
        return False
    if not sentinel.is_failover(exc, _shown_url()):
        return False
    return not (isinstance(exc, redis.ConnectionError)
                and _connection_reason(exc).startswith("TLS:"))


def _shown_db() -> int:
    try:
        return current_target().default_db
    except (RedisNotConfigured, ValueError):
        return 0


def _shown_url() -> str:
    try:
        return current_target().url
    except (RedisNotConfigured, ValueError):
        return ""


# Pages shown during a failover ask again this often, and recover by themselves.
FAILOVER_RETRY_SECONDS = 2


def _failover_context(request) -> dict:
    """How the failover page retries: a full page reloads itself (a meta refresh, and a
    poller for boosted navigation, whose swap leaves the head alone); a fragment polls the
    failover status until a primary answers, then reloads its page, or, after a write, says
    that nothing was done and the form can be sent again."""
    htmx = getattr(request, "htmx", None)
    if not wants_fragment(request):
        page = request.get_full_path() if request.method == "GET" else ""
    elif request.method == "GET":
        try:
            page = htmx.current_url_abs_path or ""
        except ValueError:
            page = ""
    else:
        page = ""
    # The connection failing over is the current one: its own status URL.
    status_url = reverse("keyspace:failover-status", kwargs={"db": _shown_db()})
    if page:
        status_url += "?" + urlencode({"next": page})
    return {"failover": True, "retry_seconds": FAILOVER_RETRY_SECONDS,
            "failover_status_url": status_url, "reload_page": bool(page)}


def _to_sign_in(request):
    """Full pages redirect to the sign-in page; htmx requests ask the browser to go there."""
    htmx = getattr(request, "htmx", None)
    try:
        current = htmx.current_url_abs_path if htmx else None
    except ValueError:  # a malformed HX-Current-URL header
        current = None
    page = current or request.path
    if request.method != "GET" and not htmx:
        page = reverse("keyspace:home")
    destination = f"{resolve_url(settings.LOGIN_URL)}?{urlencode({'next': page})}"
    if htmx:  # any htmx request: its XHR would follow a 302 itself and swap in the form
        return HttpResponseClientRedirect(destination, content="sign in to use the dashboard",
                                          status=401)
    return HttpResponseRedirect(destination)


def error_response(request, exc: Exception) -> HttpResponse | None:
    """The app's answer to an expected failure; None for a real bug (it propagates)."""
    if isinstance(exc, SignInRequired):
        return _to_sign_in(request)
    described = describe_error(exc)
    if described is None:
        return None
    status, title, message = described
    if status >= 500:
        logger.warning("%s %s: %s", request.method, request.path, message)
    context = {
        "error_title": title,
        "error_message": message,
        "status": status,
        "redis_unavailable": status == 503,
    }
    if _failing_over(exc):
        context.update(_failover_context(request))
    if wants_fragment(request):
        response = render(request, "keyspace/errors/_error.html", context, status=status)
        response = reswap(retarget(response, "#error-banner"), "innerHTML")
    else:
        response = render(request, "keyspace/errors/error_page.html", context, status=status)
    if context.get("failover"):
        response["Retry-After"] = str(FAILOVER_RETRY_SECONDS)
    return response
