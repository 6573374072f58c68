"""A cap on request bodies, in front of Django: Django's ASGI handler reads (and spools to disk)
a whole body before any middleware runs, so a cap in Django would come too late. Requests
without a signed-in session may send DASHBOARD_ANONYMOUS_MAX_BODY_BYTES (the sign-in form
needs little); signed-in ones DASHBOARD_MAX_BODY_BYTES. Larger ones get 413 unread."""

from __future__ import annotations

from http.cookies import SimpleCookie
from importlib import import_module

from asgiref.sync import sync_to_async
from django.conf import settings

PAGE = ("<!doctype html><html lang=en><meta charset=utf-8><title>Request too large</title>"
        "<h1>Request too large</h1><p>{reason}</p></html>")


def overall_cap() -> int:
    # Above Django's own limit, so an ordinary oversized edit reaches the form and its message.
    return settings.DASHBOARD_MAX_BODY_BYTES or 2 * settings.DATA_UPLOAD_MAX_MEMORY_SIZE


def _header(scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value
    return None


def _signed_in(cookie_header: bytes | None) -> bool:
    if not settings.DASHBOARD_AUTH:
        return True
    if not cookie_header:
        return False
    cookies = SimpleCookie()
    try:
        cookies.load(cookie_header.decode("latin-1"))
    except Exception:  # noqa: BLE001 - a cookie header we cannot read signs no one in
        return False
    morsel = cookies.get(settings.SESSION_COOKIE_NAME)
    if morsel is None:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(morsel.value)
    return "_auth_user_id" in store.load()


class BodyLimit:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = _header(scope, b"content-length")
        length = int(declared) if declared and declared.isdigit() else None
        anonymous_cap = settings.DASHBOARD_ANONYMOUS_MAX_BODY_BYTES
        if length is not None and length <= anonymous_cap:
            return await self.app(scope, receive, send)  # the server holds it to its length
        signed_in = await sync_to_async(_signed_in)(_header(scope, b"cookie"))
        cap = overall_cap() if signed_in else anonymous_cap
        if length is not None:
            if length > cap:
                return await _refuse(send, cap, signed_in)
            return await self.app(scope, receive, send)
        # No declared length (chunked): count while reading, up to the cap, then replay.
        messages, total = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return None  # the client went away
            total += len(message.get("body", b""))
            if total > cap:
                return await _refuse(send, cap, signed_in)
            messages.append(message)
            if not message.get("more_body"):
                break

        async def replay():
            return messages.pop(0) if messages else await receive()

        return await self.app(scope, replay, send)


async def _refuse(send, cap: int, signed_in: bool) -> None:
    who = "" if signed_in else " before signing in"
    reason = f"The dashboard accepts at most {cap:,} bytes in one request{who}."
    body = PAGE.format(reason=reason).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"text/html; charset=utf-8"),
        (b"content-length", str(len(body)).encode()), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
