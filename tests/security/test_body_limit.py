"""Request bodies are capped in front of Django, at the ASGI application the servers run: a
large body without a signed-in session is refused with 413 before it is read."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings as django_settings

from dashboard.asgi import application
from tests.support.users import client_for

CAP = 64 * 1024


class Exchange:
    """One HTTP request to the ASGI application, the way uvicorn hands it over."""

    def __init__(self, body: bytes, *, declared: bool = True, cookie: str = "", chunk=16384):
        self.chunks = [body[i:i + chunk] for i in range(0, len(body), chunk)] or [b""]
        self.read = 0
        self.sent: list[dict] = []
        headers = [(b"host", b"127.0.0.1"), (b"content-type",
                                             b"application/x-www-form-urlencoded")]
        if declared:
            headers.append((b"content-length", str(len(body)).encode()))
        if cookie:
            headers.append((b"cookie", cookie.encode()))
        self.scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                      "method": "POST", "scheme": "http", "path": "/sign-in/", "raw_path":
                      b"/sign-in/", "query_string": b"", "root_path": "", "headers": headers,
                      "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8000)}

    async def receive(self):
        if self.read < len(self.chunks):
            self.read += 1
            return {"type": "http.request", "body": self.chunks[self.read - 1],
                    "more_body": self.read < len(self.chunks)}
        await asyncio.sleep(3600)  # the client waits for the answer (Django listens for a
        return {"type": "http.disconnect"}  # disconnect meanwhile, and cancels this)

    async def send(self, message):
        self.sent.append(message)

    def run(self) -> Exchange:
        async_to_sync(application)(self.scope, self.receive, self.send)
        return self

    @property
    def status(self) -> int:
        return self.sent[0]["status"]

    @property
    def text(self) -> str:
        return b"".join(m.get("body", b"") for m in self.sent[1:]).decode()


def session_cookie(user) -> str:
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client_for(user).cookies[name].value}"


def test_a_large_declared_body_without_sign_in_is_refused_unread(db):
    big = Exchange(b"x" * (CAP + 1), declared=False)
    big.scope["headers"].append((b"content-length", str(300 * 1024 * 1024).encode()))
    big.run()
    assert big.status == 413 and big.read == 0
    assert "at most 65,536 bytes in one request before signing in" in big.text
    just_over = Exchange(b"x" * (CAP + 1)).run()
    assert just_over.status == 413 and just_over.read == 0


def test_a_chunked_body_without_sign_in_is_cut_off_at_the_cap(db):
    exchange = Exchange(b"x" * (CAP * 4), declared=False).run()
    assert exchange.status == 413
    assert exchange.read <= CAP // 16384 + 1  # stopped reading just past the cap


def test_a_small_sign_in_form_goes_through(db):
    exchange = Exchange(b"username=a&password=b").run()
    assert exchange.status == 403  # Django's CSRF check answered: the request reached Django


@pytest.mark.parametrize("declared", [True, False])
def test_a_signed_in_user_may_send_an_edit_sized_body(editor, declared):
    body = b"value=" + b"x" * (CAP * 2)
    exchange = Exchange(body, declared=declared, cookie=session_cookie(editor)).run()
    assert exchange.status != 413


def test_a_signed_in_user_is_capped_too(editor, settings):
    settings.DASHBOARD_MAX_BODY_BYTES = CAP * 2
    exchange = Exchange(b"x" * (CAP * 3), cookie=session_cookie(editor)).run()
    assert exchange.status == 413 and exchange.read == 0
    assert f"at most {CAP * 2:,} bytes in one request." in exchange.text


def test_a_forged_session_cookie_gets_the_small_cap(db):
    cookie = f"{django_settings.SESSION_COOKIE_NAME}=made-up-session-key"
    assert Exchange(b"x" * (CAP * 2), cookie=cookie).run().status == 413
