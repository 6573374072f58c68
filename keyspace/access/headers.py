"""Response headers that keep hostile data inert even if escaping ever slipped: scripts and
styles only from this site's own files, no framing, no inline code, no eval; and pages (all
but static files) that no cache keeps.

Hand-written rather than django-csp: django-csp's per-view decorators only annotate the
response for its middleware, so an app mounted in a project without that middleware would
send no policy at all. The policy here is one fixed string, applied by the app's own views
(`protect`) and, in the standalone, by a middleware for every response."""

from __future__ import annotations

from django.conf import settings
from django.utils.cache import add_never_cache_headers

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "font-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


# What Django's SecurityMiddleware and XFrameOptionsMiddleware add with the standalone's
# settings, for a host project that has neither. Each is set only when missing; the app's
# views set them before any middleware sees the response, so its pages keep them whatever
# the host sends with its own pages.
FRIENDS = {
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def protect(request, response):
    """Put the headers on `response` (unless already there) and keep pages out of caches."""
    response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    for name, value in FRIENDS.items():
        response.setdefault(name, value)
    if _is_page(request, response):
        # Pages carry Redis data: no browser or proxy cache may keep a copy.
        add_never_cache_headers(response)
    return response


class SecurityHeadersMiddleware:
    """The standalone's: every response, the project's own 404 and CSRF pages and static files
    included. Mounted in a host project, the app's views protect their own responses."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return protect(request, self.get_response(request))


def _is_page(request, response) -> bool:
    """Everything but static files and live event streams (which set their own caching and
    are never shown again from a cache)."""
    static = "/" + settings.STATIC_URL.lstrip("/")
    event_stream = response.get("Content-Type", "").startswith("text/event-stream")
    return not request.path.startswith(static) and not event_stream
