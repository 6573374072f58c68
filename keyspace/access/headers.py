"""Response headers that keep hostile data inert even if escaping ever slipped: scripts and
styles only from this site's own files, no framing, no inline code, no eval; and pages (all
but static files) that no cache keeps."""

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


class SecurityHeadersMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if _is_page(request, response):
            # Pages carry Redis data: no browser or proxy cache may keep a copy.
            add_never_cache_headers(response)
        return response


def _is_page(request, response) -> bool:
    """Everything but static files and live event streams (which set their own caching and
    are never shown again from a cache)."""
    static = "/" + settings.STATIC_URL.lstrip("/")
    event_stream = response.get("Content-Type", "").startswith("text/event-stream")
    return not request.path.startswith(static) and not event_stream
