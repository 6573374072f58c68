"""Every route × subject (anonymous, viewer, editor) × read-only on/off × GET/HEAD/POST,
generated from the URLconf: no unauthorised request ever succeeds.

Anonymous visitors never get data (they are sent to sign in); viewers never write (403, Redis
unchanged to the last byte); in read-only mode nobody writes; only the sign-in pages are public.
A new route fails here until it is given a classification and a way to call it.
"""

from __future__ import annotations

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client

from keyspace.models import SignInLink
from tests.security.routes import CASES, CLASSIFICATION, EDIT, PUBLIC, Case, post_body, url_of
from tests.security.support import (
    SECRET_VALUES,
    Snapshot,
    WriteCounter,
    content,
    reseed,
    route_names,
)
from tests.support.users import client_for

SUBJECTS = ("anonymous", "viewer", "editor")
METHODS = ("GET", "HEAD", "POST")


def matrix():
    for name in route_names():
        for case in CASES.get(name) or [Case(name, label="UNCLASSIFIED")]:
            yield pytest.param(case, id=case.id)


def test_every_route_is_classified():
    routes = route_names()
    assert set(routes) - set(CLASSIFICATION) == set(), "routes without a classification"
    assert set(routes) - set(CASES) == set(), "routes without a case in the matrix"
    assert set(CLASSIFICATION) - set(routes) == set(), "classified routes that are gone"
    for name, pattern in routes.items():
        assert pattern.callback.dashboard_action == CLASSIFICATION[name], name


def test_only_sign_in_and_sign_out_are_public():
    public = {name for name, action in CLASSIFICATION.items() if action == PUBLIC}
    assert public == {"sign-in", "sign-in-once", "sign-out"}
    actual = {name for name, p in route_names().items()
              if p.callback.dashboard_action == PUBLIC}
    assert actual == public


def test_the_matrix_covers_a_read_tool_an_edit_and_a_key_operation():
    actions = {c.kwargs["action"] for c in CASES["key-edit"] + CASES["key-tool"]}
    assert {"set-contains", "string-edit", "delete", "rename"} <= actions


class Subjects:
    def __init__(self, viewer, editor):
        self.clients = {"anonymous": Client()}
        for name, user in (("viewer", viewer), ("editor", editor)):
            self.clients[name] = client_for(user)


def send(client: Client, method: str, case: Case, url: str, body: dict):
    if case.route == "key-download":  # async streaming: read it on its own loop
        kwargs = {"data": body} if method == "POST" else {}
        return _async(client, method, url, kwargs)
    if method == "GET":
        return client.get(url), None
    if method == "HEAD":
        return client.head(url), None
    return client.post(url, body), None


def _async(client, method, url, kwargs):
    async def go():
        async_client = AsyncClient()
        async_client.cookies = client.cookies
        response = await getattr(async_client, method.lower())(url, **kwargs)
        body = b""
        if response.streaming and response.is_async:
            body = b"".join([chunk async for chunk in response.streaming_content])
        elif response.streaming:
            body = b"".join(response.streaming_content)
        return response, body

    return async_to_sync(go)()


def shown(response, streamed) -> str:
    body = streamed if streamed is not None else content(response)
    return body.decode("utf-8", "replace") + " ".join(f"{k}: {v}" for k, v in response.items())


@pytest.mark.parametrize("case", matrix())
def test_no_unauthorised_success(case, viewer, editor, port, settings):
    """For one route: every subject, with and without read-only mode, every method."""
    if case.label == "UNCLASSIFIED":
        pytest.fail(f"route {case.route!r} has no classification and no case in this matrix")
    problems = []
    for readonly in (False, True):
        for subject in SUBJECTS:
            settings.DASHBOARD_READONLY = False
            problems += check(case, subject, readonly, viewer, editor, port, settings)
    assert problems == []


def check(case, subject, readonly, viewer, editor, port, settings) -> list[str]:
    action = CLASSIFICATION[case.route]
    reseed(port)
    subjects = Subjects(viewer, editor)
    token = SignInLink.issue(viewer)
    url = url_of(case, token)
    posts = action == EDIT or case.writes_for_editors
    body = post_body(case, subjects.clients["editor"], url) if posts else {}
    settings.DASHBOARD_READONLY = readonly
    for name, value in case.overrides.items():
        setattr(settings, name, value)
    client = subjects.clients[subject]
    counter = WriteCounter(port)
    problems = []
    for method in METHODS:
        before = Snapshot.take(port)
        links_before = SignInLink.objects.count()
        counter.start()
        response, streamed = send(client, method, case, url, body)
        status, text = response.status_code, shown(response, streamed)
        changed = Snapshot.take(port).differences(before)
        wrote = counter.since()
        where = f"{method} {url} as {subject}{' (read-only)' if readonly else ''}"
        may_write = posts and subject == "editor" and not readonly and method == "POST"
        if status >= 500:
            problems.append(f"{where}: {status}")
        if not may_write and (changed or wrote):
            problems.append(f"{where}: Redis changed {changed} {wrote}")
        refused = posts and method == "POST" and (subject == "viewer" or readonly) \
            if case.writes_for_editors else action == EDIT and (subject == "viewer" or readonly)
        if subject == "anonymous" or action == PUBLIC or refused:
            leaked = [v for v in SECRET_VALUES if v in text]
            if leaked:
                problems.append(f"{where}: shows {leaked}")
        if action == PUBLIC:
            spent = SignInLink.objects.count() != links_before
            if spent and not (case.route == "sign-in-once" and method == "POST"):
                problems.append(f"{where}: spent a sign-in link")
            continue
        if subject == "anonymous":
            if status == 302:
                if not response["Location"].startswith("/sign-in/?next="):
                    problems.append(f"{where}: redirected to {response['Location']}")
            elif status not in (401, 403):
                problems.append(f"{where}: answered {status} to an anonymous visitor")
            continue
        if refused:
            if status != 403:
                problems.append(f"{where}: answered {status}, not 403")
            continue
        if may_write:
            expected = 200 if case.route in ("pubsub-publish", "console") else 302
            if status != expected or not (changed or wrote):
                problems.append(f"{where}: the permitted write did not happen ({status})")
        elif method in ("GET", "HEAD") and status != case.ok_status:
            problems.append(f"{where}: answered {status}, not {case.ok_status}")
    return problems
